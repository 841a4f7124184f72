"""The targets of ``python -m bench backends``: the Whoosh backend against the figures of an
earlier day, raw and anchored on plain Whoosh measured in each run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `bench` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench import backends as B  # noqa: E402 (after the sys.path entry above)
from bench import common  # noqa: E402


def _system(p95: float, per_s: float = 100.0, over_text: float = 2.0) -> dict:
    """The parts of one system's figures that the targets read."""
    return {
        "query_wall_ms": {"p50_ms": p95 / 2, "p95_ms": p95},
        "query_cpu_ms": {"p50_ms": p95 / 2, "p95_ms": p95},
        "ingest_subset": {"articles_per_s": per_s, "peak_tree_rss_mb": 100.0},
        "index_over_text": over_text,
    }


def _figures(vn_whoosh_p95: float, plain_p95: float) -> dict:
    return {
        "vn-whoosh": _system(vn_whoosh_p95),
        "vn-xapian": _system(20.0),
        "vn-xapian-2shards": _system(60.0),
        "tantivy": _system(5.0),
        "tantivy-same": _system(10.0),
        "whoosh": _system(plain_p95, per_s=300.0),
    }


# The day before: vnsearch 53 ms, plain Whoosh 70.66 ms (ratio 0.75).
BEFORE = {
    "machine": {"date": "2026-11-21T23:02:47+00:00"},
    "params": {"seed": 1, "queries": 300},
    "latency": {"vnsearch": {"p50_ms": 29.0, "p95_ms": 53.0}},
    "ratio_p95_vs_baseline": 0.75,
}


@pytest.mark.parametrize(
    "vn_p95, plain_p95, raw_met, anchored, anchored_met",
    [
        # A slower machine: both slower by the same factor; only the raw check fails.
        (68.9, 91.9, False, 1.0, True),
        (91.0, 91.0, False, 1.3333, False),
        (50.0, 100.0, True, 0.6667, True),
    ],
)
def test_whoosh_p95_is_judged_raw_and_against_plain_whoosh_of_the_same_run(
    monkeypatch, vn_p95, plain_p95, raw_met, anchored, anchored_met
):
    monkeypatch.setattr(
        common, "load_result", lambda name: BEFORE if name.startswith("q") else None
    )
    check = {"total_mismatches": 0}
    targets, before = B._targets(_figures(vn_p95, plain_p95), "20k", 2000, check, 200, 1)
    assert targets["whoosh_p95_not_slower"]["met"] is raw_met
    t = targets["whoosh_p95_over_plain_whoosh_not_higher"]
    assert t["value"] == pytest.approx(anchored, abs=1e-3)
    assert t["met"] is anchored_met
    assert before["queries"]["p95_over_plain_whoosh"] == 0.75
    assert before["queries"]["query_set"] == "the first 200 of the same set"


def test_no_anchored_target_without_the_earlier_runs_ratio(monkeypatch):
    earlier = {k: v for k, v in BEFORE.items() if k != "ratio_p95_vs_baseline"}
    monkeypatch.setattr(
        common, "load_result", lambda name: earlier if name.startswith("q") else None
    )
    targets, _ = B._targets(_figures(60.0, 80.0), "20k", 2000, {"total_mismatches": 0}, 200, 1)
    assert "whoosh_p95_not_slower" in targets
    assert "whoosh_p95_over_plain_whoosh_not_higher" not in targets


@pytest.mark.parametrize(
    "first, nocache, met", [(60.0, 90.0, (True, False)), (80.0, 70.0, (False, True))]
)
def test_first_sight_and_no_cache_are_judged_against_the_same_anchor(
    monkeypatch, first, nocache, met
):
    monkeypatch.setattr(
        common, "load_result", lambda name: BEFORE if name.startswith("q") else None
    )
    fig = _figures(50.0, 100.0)
    fig["vn-whoosh"]["first_sight"] = {"query_wall_ms": {"p50_ms": 1.0, "p95_ms": first}}
    fig[B.NOCACHE] = _system(nocache)
    targets, before = B._targets(fig, "20k", 2000, {"total_mismatches": 0}, 200, 1)
    for key, p95, want in (("first_sight", first, met[0]), ("no_cache", nocache, met[1])):
        t = targets[f"whoosh_{key}_p95_over_plain_whoosh_not_higher"]
        assert t["value"] == pytest.approx(p95 / 100.0 / 0.75, abs=1e-3)
        assert t["met"] is want
        assert before["queries"][f"p95_over_plain_whoosh_{key}"] == pytest.approx(p95 / 100.0)


@pytest.mark.whoosh_only  # the cache of common terms is the Whoosh backend's
def test_first_sight_times_each_query_once_after_others_filled_the_cache(index_dir):
    queries = [{"q": q, "province": None} for q in ("cán bộ", "can bo cap xa", "UBND")]
    others = [{"q": "nông thôn", "province": None}]
    got = B.first_sight(index_dir, queries, others, repeat=2)
    assert got["warmed_by"] == 1 and got["query_wall_ms"]["n"] == 3 and got["engines"] == 2
    assert got["query_wall_ms"]["p95_ms"] > 0
    # The suite keeps every term (conftest): those of the four queries at least.
    assert got["cache"]["entries"] >= 8


@pytest.mark.whoosh_only  # segments and the cache kept across commits are the Whoosh backend's
def test_after_a_commit_times_each_query_once_on_a_copy(index_dir, tmp_path):
    queries = [{"q": q, "province": None} for q in ("cán bộ", "can bo cap xa", "UBND")]
    others = [{"q": "nông thôn", "province": None}]
    before = sorted(p.name for p in index_dir.iterdir())
    got = B.after_commit(index_dir, queries, others, tmp_path / "copy")
    assert got["committed"] == B.COMMITTED and got["query_wall_ms"]["n"] == 3
    assert got["cache"]["entries"] > 0  # the older segments' entries outlived the commit
    assert sorted(p.name for p in index_dir.iterdir()) == before  # the index itself untouched
    assert not (tmp_path / "copy").exists()
