"""The model of ``python -m bench sizing`` (a deployment extrapolated from two backends runs)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `bench` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench import sizing as S  # noqa: E402 (after the sys.path entry above)


def _run(articles: int, p50: float, p95: float, remote=(0.0, 0.0), mb=1000.0, cpu_s=50.0):
    """The parts of a ``bench backends`` result the model reads."""
    x = {
        "index_mb": mb,
        "sizes": {"index_mb_compacted": mb / 2},
        # 40 articles/s on the 2 cores of the machine: 20 per core.
        "ingest_full": {
            "cpu_s": cpu_s * articles / 1000,
            "articles": articles,
            "articles_per_s": 40,
        },
        "ingest_subset": {"cpu_s": 1.0, "articles": 1},
        "query_wall_ms": {"p50_ms": p50, "p95_ms": p95},
    }
    shards = {"query_wall_ms": {"p50_ms": p50 + remote[0], "p95_ms": p95 + remote[1]}}
    return {
        "params": {"size": f"{articles // 1000}k"},
        "machine": {"nproc": 2},
        "corpus": {"articles": articles},
        "systems": {"vn-xapian": x, "vn-xapian-2shards": shards},
    }


@pytest.mark.parametrize(
    "small, big, fixed, per_million",
    [
        ((20_000, 30.0, 60.0), (100_000, 70.0, 140.0), (20.0, 40.0), (500.0, 1000.0)),
        # A smaller latency at 100k (noise) is no negative cost per article.
        ((20_000, 50.0, 90.0), (100_000, 40.0, 80.0), (50.0, 90.0), (0.0, 0.0)),
    ],
)
def test_query_lines_go_through_both_runs(small, big, fixed, per_million):
    fig = S.sizing(_run(*small), _run(*big))
    lines = fig["inputs"]["query_lines"]
    assert (lines["p50_ms"]["fixed_ms"], lines["p95_ms"]["fixed_ms"]) == fixed
    assert (
        lines["p50_ms"]["ms_per_million_articles"],
        lines["p95_ms"]["ms_per_million_articles"],
    ) == per_million


def test_rows_split_the_articles_over_shards_and_add_the_remote_cost():
    small = _run(20_000, 30.0, 60.0)
    big = _run(100_000, 70.0, 140.0, remote=(25.0, 60.0), mb=2048.0, cpu_s=40.0)
    rows = {r["articles"]: r for r in S.sizing(small, big)["rows"]}
    one = rows[1_000_000]
    # One shard: 20 + 500 ms per million articles, no remote round trips.
    assert (one["shards"], one["p50_ms"], one["p95_ms"]) == (1, 520, 1040)
    five = rows[5_000_000]
    # Five shards of a million each, matched in parallel, plus the remote cost.
    assert (five["shards"], five["p50_ms"], five["p95_ms"]) == (5, 520 + 25, 1040 + 60)
    # 2 GB per 100k articles; compacted half of it; 0.04 CPU s per article over 8 cores.
    assert (five["disk_gb"], five["disk_gb_compacted"]) == (100.0, 50.0)
    assert five["indexing_hours"]["8"] == round(5_000_000 * 0.04 / 8 / 3600, 1)
    assert five["indexing_hours_observed"]["8"] == round(5_000_000 / (20 * 8) / 3600, 1)
    assert "| 20,000,000 | 20 |" in S.table(S.sizing(small, big))
