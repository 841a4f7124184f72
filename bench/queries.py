"""Query latency: ``Engine.search`` (facets, snippets, suggestion) against plain Whoosh BM25.

The query set (seeded) is drawn from the corpus slice itself: 1-4 consecutive
words of a headline (half) or of the body (half), half of them folded (typed
without diacritics, ``search.analysis.fold``), about a quarter with a province
filter drawn from the index's province facet (weighted by count).

Each run times, query by query, the full search and two baselines that return
10 ids only (no facets, no snippets, no suggestion):

* ``baseline`` - the plain Whoosh index of ``bench ingest`` (StandardAnalyzer;
  ``MultifieldParser(["title", "body"])``, AND of the words, BM25F);
* ``baseline_vn_text`` - the vnsearch index's folded ``text`` field with a plain
  ``QueryParser`` (AND of the words, BM25F) - the same postings the engine reads.

Province filters are ignored by both baselines. After a warm-up run, ``repeat``
runs are timed; the median per query over the runs is kept, and p50/p95/p99 are
taken over those medians.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import time
from pathlib import Path

from bench import common

WORD = re.compile(r"\w[\w/.-]*\w|\w", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w for w in WORD.findall(text or "") if not w.isdigit() and w.upper() != "OR"]


def make_queries(size: str, limit: int | None, n: int, seed: int, engine) -> list[dict]:
    """The seeded query set of a corpus slice (cached in bench/work)."""
    from search.analysis import fold

    cache = common.WORK / f"queries-{common.tag(size, limit)}-{n}-{seed}.json"
    if cache.exists():
        return json.loads(cache.read_text("utf-8"))
    rng = random.Random(seed)
    docs = [
        (r.get("title") or "", (r.get("body") or "")[:1500])
        for r in common.read_jsonl(common.corpus_paths(size, limit))
    ]
    facet = engine.search("", per_page=1).facets["province"]
    provinces = [f.value for f in facet]
    weights = [f.count for f in facet]
    out: list[dict] = []
    while len(out) < n:
        title, body = rng.choice(docs)
        kind = "title" if len(out) % 2 == 0 else "body"
        words = _words(title if kind == "title" else body)
        if not words:
            continue
        k = min(rng.randint(1, 4), len(words))
        start = rng.randrange(len(words) - k + 1)
        q = " ".join(words[start : start + k])
        folded = rng.random() < 0.5
        if folded:
            q = fold(q)
        province = rng.choices(provinces, weights)[0] if provinces and rng.random() < 0.25 else None
        out.append({"q": q, "province": province, "from": kind, "folded": folded, "words": k})
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(out, ensure_ascii=False, indent=1), "utf-8")
    return out


class Baselines:
    """Plain Whoosh searches returning 10 ids (see module docstring)."""

    def __init__(self, size: str, limit: int | None, vn_dir: Path):
        from whoosh import index
        from whoosh.qparser import MultifieldParser, QueryParser

        self.searchers, self.parsers = {}, {}
        bdir = common.index_dir(size, limit, "baseline")
        if index.exists_in(str(bdir)):
            ix = index.open_dir(str(bdir))
            self.searchers["baseline"] = ix.searcher()
            self.parsers["baseline"] = MultifieldParser(["title", "body"], ix.schema)
        vix = index.open_dir(str(vn_dir), indexname="MAIN")
        self.searchers["baseline_vn_text"] = vix.searcher()
        self.parsers["baseline_vn_text"] = QueryParser("text", vix.schema)

    def search(self, name: str, q: str) -> list[str]:
        s = self.searchers[name]
        return [hit["id"] for hit in s.search(self.parsers[name].parse(q), limit=10)]


def _timed(fn, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def bench_queries(
    size: str,
    limit: int | None,
    n: int = 300,
    repeat: int = 3,
    seed: int = 20250,
    profile: bool = False,
) -> dict:
    """Time the query set on a corpus slice's index; write queries-TAG.json."""
    from search.engine import open_engine

    t = common.tag(size, limit)
    common.started(f"queries-{t}")
    vdir = common.index_dir(size, limit)
    engine = open_engine(vdir)
    t0 = time.perf_counter()
    engine.search("cán bộ")  # opens the searcher and builds the facet columns
    first_s = time.perf_counter() - t0
    queries = make_queries(size, limit, n, seed, engine)
    base = Baselines(size, limit, vdir)
    names = ["vnsearch", *base.searchers]
    runs: dict[str, list[list[float]]] = {name: [[] for _ in queries] for name in names}
    totals, suggestions = [], 0
    for r in range(repeat + 1):  # run 0 is the warm-up
        for i, item in enumerate(queries):
            t_full = _timed(engine.search, item["q"], province=item["province"])
            times = {"vnsearch": t_full}
            for name in base.searchers:
                times[name] = _timed(base.search, name, item["q"])
            if r:
                for name, secs in times.items():
                    runs[name][i].append(secs)
        print(f"  run {r}{' (warm-up)' if r == 0 else ''} done", flush=True)
    for item in queries[:]:
        res = engine.search(item["q"], province=item["province"])
        totals.append(res.total)
        suggestions += res.suggestion is not None
    medians = {name: [statistics.median(xs) for xs in per_q] for name, per_q in runs.items()}
    lat = {name: common.summary_ms(ms) for name, ms in medians.items()}
    by_kind = {}
    for label, pick in (
        ("folded", lambda q: q["folded"]),
        ("accented", lambda q: not q["folded"]),
        ("with_province", lambda q: q["province"] is not None),
    ):
        idx = [i for i, q in enumerate(queries) if pick(q)]
        by_kind[label] = common.summary_ms([medians["vnsearch"][i] for i in idx])
    slow = sorted(range(len(queries)), key=lambda i: -medians["vnsearch"][i])[:10]
    figures = {
        "latency": lat,
        "vnsearch_by_kind": by_kind,
        "first_search_s": round(first_s, 3),
        "matches": {
            "median_total": statistics.median(totals),
            "zero": totals.count(0),
            "suggestions": suggestions,
        },
        "slowest": [
            {**queries[i], "ms": round(medians["vnsearch"][i] * 1000, 1), "total": totals[i]}
            for i in slow
        ],
        "examples": queries[:12],
    }
    targets = {}
    if "baseline" in lat:
        ratio = lat["vnsearch"]["p95_ms"] / lat["baseline"]["p95_ms"]
        figures["ratio_p95_vs_baseline"] = round(ratio, 2)
        if size == "100k" and not limit:
            targets["p95_vs_baseline"] = common.verdict(ratio, "<=", 1.5)
    figures["ratio_p95_vs_baseline_vn_text"] = round(
        lat["vnsearch"]["p95_ms"] / lat["baseline_vn_text"]["p95_ms"], 2
    )
    if size == "20k" and not limit:
        targets["p95_ms_20k"] = common.verdict(lat["vnsearch"]["p95_ms"], "<=", 150)
    figures["targets"] = targets
    for name, s in lat.items():
        print(
            f"  {name:<18} p50 {s['p50_ms']:8.1f}  p95 {s['p95_ms']:8.1f}  "
            f"p99 {s['p99_ms']:8.1f} ms",
            flush=True,
        )
    params = {
        "size": size,
        "limit": limit,
        "index": str(vdir),
        "queries": len(queries),
        "repeat": repeat,
        "warmup_runs": 1,
        "seed": seed,
        "per_page": 10,
        "articles": engine.count(),
        "baselines": {
            "baseline": "plain Whoosh index of bench ingest, "
            "MultifieldParser(title, body), AND, BM25F, 10 ids",
            "baseline_vn_text": "vnsearch index, QueryParser('text'), AND, BM25F, 10 ids",
        },
    }
    common.write_result(f"queries-{t}", params, figures)
    if profile:
        from bench.profile import profile_queries

        profile_queries(size, limit)
    engine.close()
    return figures
