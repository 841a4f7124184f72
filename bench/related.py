"""Latency of ``Engine.related`` (the article page's "Bài liên quan") on real indexes.

For each index given (default: /work/idx/local20k-b, and bench/work's 100k
index when one was built; none is built here), ``--n`` articles drawn with
``--seed`` are asked for their 5 related articles, one call each, after one
warm-up call (it reads the term frequencies of the index generation, reported
apart as ``first_call_ms``). Reported: p50/p95/p99/max per index (wall time,
and the calling thread's CPU time, which other processes on a shared machine
do not inflate), the 1-minute load average, and the budget check (wall p95 <= 50 ms). Optionally (``--before N``) Whoosh's ``more_like``
(what Engine.related used before) on the first N of the same articles.
Results go to ``bench/results/related.json`` (``--name``: another file, when run
as ``python bench/related.py``)::

    nice python -m bench related [--index DIR ...] [--n 200] [--before 20]
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from search.backends.base import load_article
from search.engine import Engine

DEFAULT_20K = Path("/work/idx/local20k-b")
BUDGET_MS = 50.0
LIMIT = 5


def default_indexes() -> list[tuple[str, Path]]:
    """(label, path) of the indexes there are: the 20k one, and 100k when it exists."""
    found = []
    twenty = DEFAULT_20K if DEFAULT_20K.exists() else common.index_dir("20k")
    if twenty.exists():
        found.append(("20k", twenty))
    hundred = common.index_dir("100k")
    if hundred.exists():
        found.append(("100k", hundred))
    return found


def measure(path: Path, n: int, seed: int, before: int) -> dict:
    """Latency figures of Engine.related over ``n`` seeded articles of the index at ``path``."""
    engine = Engine(path)
    try:
        s = engine.searcher()  # the backend's Reader (search/backends)
        live = [int(d) for d in s.live_ids()]
        docs = random.Random(seed).sample(live, min(n, len(live)))
        ids = [s.stored(d)["id"] for d in docs]
        t = time.perf_counter()
        engine.related(ids[0], LIMIT)
        first = time.perf_counter() - t
        times, cpu, found = [], [], 0
        for article_id in ids:
            t, c = time.perf_counter(), time.thread_time()
            hits = engine.related(article_id, LIMIT)
            times.append(time.perf_counter() - t)
            cpu.append(time.thread_time() - c)
            found += len(hits)
        out = {
            "articles": s.doc_count(),
            "first_call_ms": round(first * 1000, 1),
            "related": common.summary_ms(times),
            # CPU time of the calling thread: the cost without the other
            # processes of a shared machine (wall time includes waiting for a core).
            "related_cpu": common.summary_ms(cpu),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "mean_related_per_article": round(found / len(ids), 2),
            "budget_p95": common.verdict(common.percentile(times, 95) * 1000, "<=", BUDGET_MS),
        }
        if before:
            whoosh = s.searcher  # the Whoosh backend's own searcher
            slow = []
            for d in docs[:before]:
                a = load_article(s.stored(d))
                t = time.perf_counter()
                list(
                    whoosh.more_like(d, "text", text=f"{a.title}\n{a.body}", top=LIMIT, numterms=25)
                )
                slow.append(time.perf_counter() - t)
            out["whoosh_more_like"] = common.summary_ms(slow)
        return out
    finally:
        engine.close_all()


def bench_related(
    indexes: list[Path] | None, n: int, seed: int, before: int, name: str = "related"
) -> dict:
    """Measure every index and write bench/results/NAME.json (related.json by default)."""
    common.started(name)
    chosen = [(p.name, p) for p in indexes] if indexes else default_indexes()
    if not chosen:
        raise SystemExit("no index to measure: pass --index DIR")
    figures = {}
    for label, path in chosen:
        print(f"related: {label} ({path})", flush=True)
        figures[label] = measure(path, n, seed, before)
        print(f"  wall {figures[label]['related']}", flush=True)
        print(f"  cpu  {figures[label]['related_cpu']}", flush=True)
    common.write_result(
        name,
        {
            "n": n,
            "seed": seed,
            "limit": LIMIT,
            "before": before,
            "indexes": {k: str(p) for k, p in chosen},
        },
        {"indexes": figures},
    )
    return figures


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, action="append", default=None)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20251)
    ap.add_argument("--before", type=int, default=0)
    ap.add_argument("--name", default="related", help="results file: bench/results/NAME.json")
    a = ap.parse_args()
    bench_related(a.index, a.n, a.seed, a.before, a.name)
