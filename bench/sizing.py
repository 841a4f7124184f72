"""``bench sizing``: a national deployment's size, extrapolated from ``bench backends`` at 20k and 100k.

Nothing is measured here: the figures come from bench/results/backends-20k.json and
backends-100k.json (the same command on two corpus sizes), and the model is stated with them:

* disk: the Xapian index's bytes per article at 100k (as written, and after
  ``xapian-compact``), times the articles; the vocabulary grows slower than that;
* indexing: the CPU seconds per article of ``vnsearch index`` at 100k (else on the
  ingest subset), spread over the cores, the writer assumed to keep up; and, beside it,
  the wall-clock rate of a whole 100k build per core of the machine that ran it (slower:
  merges and a growing index; the machine was shared), scaled to the cores;
* a search: for each percentile, a straight line through the local Xapian latencies at
  20k and 100k (a fixed part, the Python above Xapian, and a part that grows with the
  articles a shard holds, Xapian's matching and facet counting); with S shards each
  shard matches N/S articles in parallel, and the remote cost measured at 100k with
  2 shards over ``xapian-tcpsrv`` (the round trips) is added.

Writes bench/results/sizing.json and prints the README's markdown table.
"""

from __future__ import annotations

import math

from bench import common

ARTICLES = (1_000_000, 5_000_000, 20_000_000)
SHARD_ARTICLES = 1_000_000  # articles per shard in the table (an assumption, stated)
CORES = (8, 32)  # indexing machines in the table


def _fit(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float]:
    """(fixed, per-article) of the line through two points; the slope is never negative."""
    slope = max(0.0, (y2 - y1) / (x2 - x1))
    return y1 - slope * x1, slope


def sizing(small: dict, big: dict) -> dict:
    """The model's inputs from two ``bench backends`` results, and the table's rows."""
    n_small, n_big = small["corpus"]["articles"], big["corpus"]["articles"]
    x_small, x_big = small["systems"]["vn-xapian"], big["systems"]["vn-xapian"]
    remote = big["systems"]["vn-xapian-2shards"]
    mb = x_big["index_mb"]
    compacted = (x_big.get("sizes") or {}).get("index_mb_compacted", mb)
    full = x_big.get("ingest_full") or {}
    sub = x_big["ingest_subset"]
    if full.get("cpu_s"):
        cpu_per_article, source = full["cpu_s"] / full["articles"], f"{n_big:,} articles"
    else:
        cpu_per_article, source = sub["cpu_s"] / sub["articles"], f"{sub['articles']:,} articles"
    # The whole-build rate per core: Xapian's when bench backends built it, else Whoosh's.
    observed = next(
        (
            (name, f["articles_per_s"] / big["machine"]["nproc"])
            for name in ("vn-xapian", "vn-whoosh")
            if (f := big["systems"].get(name, {}).get("ingest_full") or {}).get("articles_per_s")
        ),
        None,
    )
    lines = {}
    for p in ("p50_ms", "p95_ms"):
        fixed, per = _fit(n_small, x_small["query_wall_ms"][p], n_big, x_big["query_wall_ms"][p])
        lines[p] = {
            "fixed_ms": round(fixed, 2),
            "ms_per_million_articles": round(per * 1e6, 2),
            "remote_ms": round(max(0.0, remote["query_wall_ms"][p] - x_big["query_wall_ms"][p]), 2),
        }
    rows = []
    for n in ARTICLES:
        shards = max(1, math.ceil(n / SHARD_ARTICLES))
        row = {
            "articles": n,
            "shards": shards,
            "disk_gb": round(mb * n / n_big / 1024, 1),
            "disk_gb_compacted": round(compacted * n / n_big / 1024, 1),
            "indexing_hours": {str(c): round(n * cpu_per_article / c / 3600, 1) for c in CORES},
            "indexing_hours_observed": (
                {str(c): round(n / (observed[1] * c) / 3600, 1) for c in CORES}
                if observed
                else None
            ),
        }
        for p, line in lines.items():
            per_shard = line["fixed_ms"] + line["ms_per_million_articles"] * n / shards / 1e6
            row[p] = round(per_shard + (line["remote_ms"] if shards > 1 else 0.0))
        rows.append(row)
    return {
        "inputs": {
            "from": [f"backends-{small['params']['size']}.json", "backends-100k.json"],
            "articles": [n_small, n_big],
            "xapian_index_mb_at_100k": mb,
            "xapian_index_mb_compacted_at_100k": compacted,
            "cpu_s_per_article": round(cpu_per_article, 4),
            "cpu_s_per_article_measured_on": source,
            "observed_articles_per_s_per_core": (
                {"system": observed[0], "rate": round(observed[1], 2)} if observed else None
            ),
            "query_lines": lines,
            "shard_articles": SHARD_ARTICLES,
        },
        "rows": rows,
    }


def table(fig: dict) -> str:
    """The README's markdown table."""
    head = (
        "| articles | shards | disk (compacted) | indexing on "
        + " / ".join(f"{c} cores" for c in CORES)
        + ": CPU model (whole-build rate) | search p50 / p95 (model) |\n|---|---|---|---|---|"
    )
    rows = [head]
    for r in fig["rows"]:
        seen = r["indexing_hours_observed"] or {}
        hours = " / ".join(
            f"{h} h" + (f" ({seen[c]} h)" if c in seen else "")
            for c, h in r["indexing_hours"].items()
        )
        rows.append(
            f"| {r['articles']:,} | {r['shards']} | {r['disk_gb']} GB ({r['disk_gb_compacted']} GB)"
            f" | {hours} | {r['p50_ms']} / {r['p95_ms']} ms |"
        )
    return "\n".join(rows)


def bench_sizing(small: str = "20k") -> dict:
    """Read the two ``bench backends`` results, write sizing.json, print the table."""
    a, b = common.load_result(f"backends-{small}"), common.load_result("backends-100k")
    if a is None or b is None:
        raise SystemExit(
            "run `python -m bench backends --size 20k` and `--size 100k` first "
            "(bench/results/backends-20k.json, backends-100k.json)"
        )
    name = "sizing"
    common.started(name)
    fig = sizing(a, b)
    common.write_result(name, {"small": small}, fig)
    print(table(fig), flush=True)
    return fig
