"""Where the time goes: ingest stages and query parts, measured by wrapping the core's functions.

``profile ingest`` runs the ingest pipeline's stages one after another in ONE
process over a corpus slice (default: first 1,000 articles), so each stage's
cost per article is visible: reading records, parsing, pyvi segmentation (done
in worker processes by ``vnsearch index``), fingerprint + vocabulary counts,
building the Whoosh document, the analysis of every field (measured apart, by
running each field's analyzer), ``update_document`` (analysis + postings) and
commits. ``profile queries`` times the parts of ``Engine.search`` over the
query set of ``bench queries`` and writes a cProfile of one run.
Results: ``bench/results/profile-ingest-TAG.json`` / ``profile-queries-TAG.json``
and ``bench/work/*.prof`` / ``*.txt`` (pstats, top cumulative).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections import defaultdict

from bench import common

DEFAULT_INGEST_LIMIT = 1000


class Timers:
    """Accumulated seconds per label; ``wrap`` patches an attribute with a timing wrapper."""

    def __init__(self):
        self.secs: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._undo = []

    def wrap(self, owner, attr: str, label: str, static: bool = False) -> None:
        orig = owner.__dict__[attr] if static else getattr(owner, attr)
        fn = orig.__func__ if isinstance(orig, staticmethod) else orig

        def timed(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                self.secs[label] += time.perf_counter() - t0
                self.calls[label] += 1

        setattr(owner, attr, staticmethod(timed) if isinstance(orig, staticmethod) else timed)
        self._undo.append((owner, attr, orig))

    def undo(self) -> None:
        for owner, attr, orig in reversed(self._undo):
            setattr(owner, attr, orig)
        self._undo.clear()

    def table(self, total: float, per: int) -> dict:
        return {
            k: {
                "s": round(v, 3),
                "ms_per_item": round(v * 1000 / per, 3),
                "share": round(v / total, 3),
                "calls": self.calls[k],
            }
            for k, v in sorted(self.secs.items(), key=lambda kv: -kv[1])
        }


def _pstats_text(prof: cProfile.Profile, n: int = 40) -> str:
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(n)
    return buf.getvalue()


def profile_ingest(size: str = "20k", limit: int | None = None) -> dict:
    """Stage costs of indexing ``limit`` articles in one process (no worker pool)."""
    from search.backends.schema import document, prepared_fields
    from search.backends.whoosh_index import open_for_writing
    from search.backends.whoosh_writing import WRITER_MB
    from search.extract.fingerprint import fingerprint
    from search.parse import parse_record
    from search.readers import read_records
    from search.segment import segment
    from search.vocab import Vocabulary, count

    limit = limit or DEFAULT_INGEST_LIMIT
    common.started(f"profile-ingest-{common.tag(size, limit)}")
    paths = common.corpus_paths(size, limit)
    out_dir = common.fresh_dir(common.WORK / f"profile-ingest-{common.tag(size, limit)}")
    t = Timers()

    def clock(label, fn, *a, **k):
        t0 = time.perf_counter()
        res = fn(*a, **k)
        t.secs[label] += time.perf_counter() - t0
        t.calls[label] += 1
        return res

    t_all = time.perf_counter()
    records = clock(
        "1 read records (gzip, json, hash)", lambda: [r for p in paths for r in read_records(p)]
    )
    segment("khởi động pyvi")  # load the model outside the timing
    ix, _ = open_for_writing(out_dir)
    vocab = Vocabulary(out_dir)
    writer, pending = ix.writer(limitmb=WRITER_MB), 0
    for rec in records:
        article = clock("2 parse_record (worker side)", parse_record, rec)
        words = clock("3 pyvi segment (worker side)", segment, article.text())
        fp = clock("4 fingerprint (worker side)", fingerprint, article)
        counts = clock("5 vocabulary counts (worker side)", count, article.text())
        fields = clock(
            "6 analysis to postings + zlib (worker side)", prepared_fields, article, words
        )
        clock("7 vocabulary add (writer)", vocab.add_counts, counts)
        doc = clock("8 document dict (writer)", document, article, words, fp, prepared=fields)
        clock("9 writer.add_document (postings into the pool)", writer.add_document, **doc)
        pending += 1
        if pending >= 500:
            clock("10 writer.commit (segments, merges)", writer.commit)
            clock("11 vocabulary commit (sqlite)", vocab.commit)
            writer, pending = ix.writer(limitmb=WRITER_MB), 0
    clock("10 writer.commit (segments, merges)", writer.commit)
    clock("11 vocabulary commit (sqlite)", vocab.commit)
    vocab.close()
    total = time.perf_counter() - t_all
    stages = t.table(total, len(records))
    for k, v in stages.items():
        print(f"  {k:<52} {v['ms_per_item']:8.2f} ms/article  {v['share']:6.1%}")
    figures = {
        "articles": len(records),
        "total_s": round(total, 2),
        "stages": stages,
        "note": "one process, no pool: the stages marked worker side run in the "
        "worker processes of `vnsearch index`, the others in its writer",
    }
    common.write_result(
        f"profile-ingest-{common.tag(size, limit)}", {"size": size, "limit": limit}, figures
    )
    return figures


def profile_queries(
    size: str = "20k", limit: int | None = None, n: int = 300, seed: int = 20250
) -> dict:
    """Parts of Engine.search over the query set; plus a cProfile of one run."""
    from bench.queries import make_queries
    from search import columns, matching, suggest
    from search import engine as eng
    from search import query as vq
    from search.engine import open_engine

    common.started(f"profile-queries-{common.tag(size, limit)}")
    e = open_engine(common.index_dir(size, limit))
    queries = make_queries(size, limit, n, seed, e)
    for item in queries:  # warm-up
        e.search(item["q"], province=item["province"])
    t = Timers()
    t.wrap(vq, "parse", "parse query")
    t.wrap(suggest.Suggester, "suggest", "suggestion (accent restoration)")
    t.wrap(matching.TermCache, "get", "read posting lists (numpy)")
    t.wrap(matching, "bm25", "BM25 arrays")
    t.wrap(matching, "top", "top-k")
    t.wrap(matching, "phrase_keys", "phrases (positions)")
    t.wrap(columns.FacetColumns, "counts", "facet counts")
    t.wrap(eng, "article_at", "load stored article (zlib+json)")
    t.wrap(eng, "snippet", "snippets (highlight)")
    t0 = time.perf_counter()
    for item in queries:
        e.search(item["q"], province=item["province"])
    total = time.perf_counter() - t0
    t.undo()
    parts = t.table(total, len(queries))
    parts["other"] = {
        "s": round(total - sum(t.secs.values()), 3),
        "ms_per_item": round((total - sum(t.secs.values())) * 1000 / len(queries), 3),
    }
    for k, v in parts.items():
        print(f"  {k:<40} {v['ms_per_item']:8.2f} ms/query  {v.get('share', 0):6.1%}")
    prof = cProfile.Profile()
    prof.enable()
    for item in queries:
        e.search(item["q"], province=item["province"])
    prof.disable()
    tg = common.tag(size, limit)
    prof.dump_stats(str(common.WORK / f"profile-queries-{tg}.prof"))
    text = _pstats_text(prof)
    (common.WORK / f"profile-queries-{tg}.txt").write_text(text)
    figures = {
        "queries": len(queries),
        "total_s": round(total, 2),
        "ms_per_query": round(total * 1000 / len(queries), 2),
        "parts": parts,
        "cprofile_top": text.splitlines()[:70],
    }
    common.write_result(
        f"profile-queries-{tg}", {"size": size, "limit": limit, "seed": seed}, figures
    )
    e.close()
    return figures
