"""pyvi word segmentation at ingest: pyvi as is against ``search.pyvi_fast``, in one run.

The first ``--limit`` articles of local-news-20k are read and parsed as
``vnsearch index`` does (``read_records``, ``parse_record``); the text that
ingest segments (``Article.text()``) is then segmented by
``search.segment.segment_with_pyvi`` (pyvi's own ``ViTokenizer.tokenize`` on
each sentence piece: the code before issue 13) and by ``search.segment.segment``
(the same pieces through ``search.pyvi_fast``), alternately, ``--repeat``
times. Each run of the fast path starts with empty caches, as a fresh ingest
worker does. Reported: CPU seconds and wall seconds per run (median and all),
articles/s from the median CPU time, the speed ratio, and the number of
articles whose output differs from pyvi's in any run (must be 0). Results go to
``bench/results/segment.json`` (``segment-LIMIT.json`` for another limit)::

    python -m bench segment [--limit 3000] [--repeat 3]
"""

from __future__ import annotations

import hashlib
import statistics
import time
from itertools import islice

from bench import common

DEFAULT_LIMIT = 3000


def _texts(limit: int | None) -> tuple[list[str], list[str]]:
    """Ids and ``Article.text()`` of the first ``limit`` parseable articles of 20k."""
    from search.errors import BadArticle
    from search.parse import parse_record
    from search.readers import Record, read_records

    ids, texts = [], []
    records = (r for p in common.corpus_paths("20k") for r in read_records(p))
    for rec in islice((r for r in records if isinstance(r, Record)), limit):
        try:
            article = parse_record(rec)
        except BadArticle:
            continue
        ids.append(article.id)
        texts.append(article.text())
    return ids, texts


def _digest(s: str) -> bytes:
    return hashlib.blake2b(s.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _run(fn, texts: list[str]) -> tuple[float, float, list[bytes]]:
    """CPU and wall seconds of ``fn`` over every text, and a digest of each output."""
    c0, w0 = time.process_time(), time.perf_counter()
    out = [fn(t) for t in texts]
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return cpu, wall, [_digest(s) for s in out]


def bench_segment(limit: int | None = DEFAULT_LIMIT, repeat: int = 3) -> dict:
    """Time pyvi as is and the fast path on the same articles; count differing outputs."""
    from search import pyvi_fast
    from search.segment import segment, segment_with_pyvi, sentences

    name = "segment" if limit == DEFAULT_LIMIT else f"segment-{limit or 'all'}"
    common.started(name)
    t0 = time.perf_counter()
    ids, texts = _texts(limit)
    read_s = time.perf_counter() - t0
    segment_with_pyvi("khởi động pyvi")  # both load the same model outside the timing
    pyvi_fast.load()
    pieces = sum(len(sentences(t)) for t in texts)
    print(f"{len(texts)} articles, {pieces} sentence pieces (read in {read_s:.1f} s)", flush=True)

    runs: dict[str, list[tuple[float, float]]] = {"pyvi": [], "pyvi_fast": []}
    differ: set[int] = set()
    cache_hits = []
    for i in range(repeat):
        cpu, wall, ref_out = _run(segment_with_pyvi, texts)
        runs["pyvi"].append((cpu, wall))
        pyvi_fast.clear_caches()
        cpu2, wall2, fast_out = _run(segment, texts)
        runs["pyvi_fast"].append((cpu2, wall2))
        info = pyvi_fast.tokenize.cache_info()
        cache_hits.append(round(info.hits / max(1, info.hits + info.misses), 4))
        differ.update(k for k, (a, b) in enumerate(zip(ref_out, fast_out, strict=True)) if a != b)
        print(
            f"run {i + 1}/{repeat}: pyvi {cpu:.2f} s CPU, pyvi_fast {cpu2:.2f} s CPU "
            f"(x{cpu / cpu2:.2f}), outputs differing so far: {len(differ)}",
            flush=True,
        )

    def figures(key: str) -> dict:
        cpu = statistics.median(c for c, _ in runs[key])
        wall = statistics.median(w for _, w in runs[key])
        return {
            "cpu_s_median": round(cpu, 3),
            "wall_s_median": round(wall, 3),
            "articles_per_cpu_s": round(len(texts) / cpu, 1),
            "articles_per_wall_s": round(len(texts) / wall, 1),
            "cpu_s_runs": [round(c, 3) for c, _ in runs[key]],
            "wall_s_runs": [round(w, 3) for _, w in runs[key]],
        }

    old, new = figures("pyvi"), figures("pyvi_fast")
    result = {
        "articles": len(texts),
        "sentence_pieces": pieces,
        "text_chars": sum(len(t) for t in texts),
        "pyvi": old,
        "pyvi_fast": {**new, "sentence_cache_hit_rate_runs": cache_hits},
        "speedup_cpu": round(old["cpu_s_median"] / new["cpu_s_median"], 2),
        "speedup_wall": round(old["wall_s_median"] / new["wall_s_median"], 2),
        "articles_differing": len(differ),
        "differing_ids": [ids[k] for k in sorted(differ)[:20]],
    }
    print(
        f"pyvi {old['articles_per_cpu_s']} articles/CPU-s, pyvi_fast "
        f"{new['articles_per_cpu_s']}: x{result['speedup_cpu']} (CPU), "
        f"x{result['speedup_wall']} (wall); articles differing: {len(differ)}",
        flush=True,
    )
    common.write_result(name, {"size": "20k", "limit": limit, "repeat": repeat}, result)
    return result
