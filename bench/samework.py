"""``bench samework``: vnsearch-Xapian against tantivy doing what vnsearch's search does (issue 13).

Issue 13's query target compares vnsearch's full search (its words as phrases, every
facet, the timeline, snippets, near-duplicate grouping, a suggestion) with tantivy
counting one facet over an AND of folded syllables, which is much less work. This runs,
in ONE process on the same query set (``bench queries``' seeded set), both that
baseline and tantivy doing the same work as vnsearch's page:

* ``vn-xapian`` - ``open_engine(DIR).search(q, province=…, per_page=10)``;
* ``tantivy`` - ``bench/plain.py``'s baseline (the index ``bench backends`` built);
* ``tantivy-same`` - a tantivy index of the articles vnsearch stored (title, and lead +
  body + captions, pre-folded by ``search.analysis.analyze``, with positions, stored for
  snippets; every facet value and the month as raw fast fields). A query is the words
  vnsearch understood (``SearchResult.words``, found before the timing and given to
  tantivy for free), each a phrase of its folded syllables over title or body, all
  required; the province filter a term. It counts what the page shows: province under
  the query alone and every other facet and the month under the query and the filter
  (two ``aggregate`` calls), the top 10 and a snippet of each (``SnippetGenerator``).

One warm-up pass over the query set, then ``--repeat`` passes, the median per query
(``bench backends``' ``time_queries``); p50/p95 over the queries, wall and CPU. Writes bench/results/samework-TAG.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench import common
from bench.builds import index_size
from bench.builds import work as work_dir
from bench.plain import _TOKEN, _folded

# The fast fields counted per query, as vnsearch's facets and timeline.
FAST = ("province", "province_2025", "topics", "outlet", "district", "year", "month")
BUCKETS = 1000  # more than any facet's distinct values (district: 645 at 100k)


def folded_words(words: list[list[str]]) -> list[list[str]]:
    """vnsearch's understood words (lists of syllables) as tantivy's folded tokens."""
    out = []
    for word in words:
        tokens = [t for s in word for t in _TOKEN.findall(_folded(s))]
        if tokens:
            out.append(tokens)
    return out


def _schema():
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True)
    sb.add_text_field("body", stored=True)
    for name in FAST:
        sb.add_text_field(name, tokenizer_name="raw", fast=True)
    return sb.build()


def build(vn_index: Path, out: Path) -> dict:
    """The ``tantivy-same`` index of the articles stored in ``vn_index``; its figures."""
    import tantivy

    from search.backends import open_source
    from search.backends.base import article_at

    common.fresh_dir(out)
    index = tantivy.Index(_schema(), path=str(out))
    writer = index.writer()
    reader = open_source(vn_index).reader()
    t0, cpu0, n = time.perf_counter(), time.process_time(), 0
    try:
        for d in reader.live_ids():
            a = article_at(reader, int(d))
            body = "\n".join([a.lead, a.body, *a.captions])
            fields: dict = {
                "id": a.id,
                "title": " ".join(_TOKEN.findall(_folded(a.title))),
                "body": " ".join(_TOKEN.findall(_folded(body))),
            }
            values = {
                "province": a.province,
                "province_2025": a.province_2025,
                "outlet": a.outlet,
                "district": a.district,
                "year": a.date.isoformat()[:4] if a.date else None,
                "month": a.date.isoformat()[:7] if a.date else None,
            }
            fields.update({k: v for k, v in values.items() if v})
            if a.topics:
                fields["topics"] = list(a.topics)
            writer.add_document(tantivy.Document(**fields))
            n += 1
    finally:
        reader.close()
    writer.commit()
    writer.wait_merging_threads()
    fig = {
        "articles": n,
        "build_s": round(time.perf_counter() - t0, 1),
        "build_cpu_s": round(time.process_time() - cpu0, 1),
        **index_size(out),
    }
    (out / "bench-build.json").write_text(json.dumps(fig), "utf-8")
    return fig


class SameWork:
    """tantivy answering a query with vnsearch's words, facets, timeline and snippets."""

    def __init__(self, folder: Path):
        import tantivy

        self._tv = tantivy
        self._schema = _schema()
        index = tantivy.Index.open(str(folder))
        index.reload()
        self._s = index.searcher()

    def _text(self, words: list[list[str]]):
        tv, schema = self._tv, self._schema
        must = []
        for tokens in words:
            per_field = [
                tv.Query.term_query(schema, f, tokens[0])
                if len(tokens) == 1
                else tv.Query.phrase_query(schema, f, tokens)
                for f in ("title", "body")
            ]
            must.append(
                (tv.Occur.Must, tv.Query.boolean_query([(tv.Occur.Should, q) for q in per_field]))
            )
        return tv.Query.boolean_query(must) if must else tv.Query.all_query()

    def search(self, words: list[list[str]], province: str | None):
        """(total, the first 10 ids, {facet: {value: count}}) with 10 snippets made."""
        tv, s = self._tv, self._s
        text = self._text(words)
        query = text
        if province:
            query = tv.Query.boolean_query(
                [
                    (tv.Occur.Must, text),
                    (tv.Occur.Must, tv.Query.term_query(self._schema, "province", province)),
                ]
            )
        res = s.search(query, 10)
        gen = tv.SnippetGenerator.create(s, query, self._schema, "body")
        ids = []
        for _, addr in res.hits:
            doc = s.doc(addr)
            gen.snippet_from_doc(doc).to_html()
            ids.append(doc["id"][0])
        own = s.aggregate(text, {"province": {"terms": {"field": "province", "size": BUCKETS}}})
        rest = s.aggregate(
            query,
            {f: {"terms": {"field": f, "size": BUCKETS}} for f in FAST if f != "province"},
        )
        facets = {
            name: {b["key"]: b["doc_count"] for b in agg["buckets"]}
            for name, agg in {**own, **rest}.items()
        }
        return res.count, ids, facets  # type: ignore[attr-defined, unused-ignore]


def bench_samework(
    size: str = "100k",
    xapian_index: Path | None = None,
    n: int = 200,
    repeat: int = 3,
    seed: int = 20250,
) -> dict:
    """The three systems on one query set (module docstring); writes samework-TAG.json."""
    from bench.backends import time_queries
    from bench.plain import Plain
    from bench.queries import make_queries
    from search.engine import open_engine

    t = common.tag(size)
    name = f"samework-{t}"
    common.started(name)
    work = work_dir()
    vn_index = Path(xapian_index) if xapian_index else work / f"vn-xapian-{t}"
    same_dir = work / f"tantivy-same-{t}"
    stamp = same_dir / "bench-build.json"
    built = json.loads(stamp.read_text("utf-8")) if stamp.exists() else build(vn_index, same_dir)
    print(f"samework {t}: tantivy-same {built}", flush=True)

    engine = open_engine(vn_index)
    queries = make_queries(size, None, n, seed, engine)
    words = {
        (q["q"], q["province"]): folded_words(
            engine.search(q["q"], province=q["province"], per_page=10).words
        )
        for q in queries
    }
    plain, same = Plain("tantivy", work / f"tantivy-{t}"), SameWork(same_dir)

    def vn(q: str, province: str | None):
        return engine.search(q, province=province, per_page=10).total, None, None

    systems = {
        "vn-xapian": vn,
        "tantivy": plain.search,
        "tantivy-same": lambda q, province: same.search(words[(q, province)], province),
    }
    # Passes over the whole set, as bench backends times them (no query twice in a row).
    timed = time_queries(systems, queries, repeat)
    engine.close()
    plain.close()
    totals = {s: [a[0] for a in timed["answers"][s]] for s in systems}
    figures: dict = {
        "systems": {
            s: {
                "query_wall_ms": common.summary_ms(timed["wall"][s]),
                "query_cpu_ms": common.summary_ms(timed["cpu"][s]),
            }
            for s in systems
        },
        "tantivy_same_build": built,
        "totals_equal_vn_vs_tantivy_same": sum(
            a == b for a, b in zip(totals["vn-xapian"], totals["tantivy-same"], strict=True)
        ),
    }
    x = figures["systems"]["vn-xapian"]["query_wall_ms"]["p95_ms"]
    figures["ratios"] = {
        f"vn_xapian_p95_over_{s.replace('-', '_')}": round(
            x / figures["systems"][s]["query_wall_ms"]["p95_ms"], 2
        )
        for s in ("tantivy", "tantivy-same")
    }
    params = {
        "size": size,
        "queries": len(queries),
        "repeat": repeat,
        "seed": seed,
        "indexes": {
            "vn-xapian": str(vn_index),
            "tantivy": str(work / f"tantivy-{t}"),
            "tantivy-same": str(same_dir),
        },
        "versions": {k: common._pkg(k) for k in ("tantivy", "xapian-bindings-binary")},
    }
    common.write_result(name, params, figures)
    for s, f in figures["systems"].items():
        print(
            f"  {s:<13} wall p50/p95 {f['query_wall_ms']['p50_ms']} / "
            f"{f['query_wall_ms']['p95_ms']} ms, CPU {f['query_cpu_ms']['p50_ms']} / "
            f"{f['query_cpu_ms']['p95_ms']} ms",
            flush=True,
        )
    print(f"  ratios: {figures['ratios']}", flush=True)
    return figures
