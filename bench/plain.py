"""The plain engines ``bench backends`` compares vnsearch with: build and search each one.

* ``whoosh`` - plain Whoosh BM25F over title/body (``StandardAnalyzer``), built by
  ``bench.ingest.baseline_child``; ``MultifieldParser`` (AND of the words), 10 ids, no
  facets and no province filter (the baseline of ``bench queries``).
* ``tantivy`` - tantivy-py over title/body pre-folded with ``search.analysis.analyze``
  (tantivy's default tokenizer then splits and lower-cases them), ``province`` a raw
  fast field; an AND of the folded words over (title OR body), BM25; the province
  filter as a term; facet counts by a ``terms`` aggregation on ``province``.
* ``sqlite`` - SQLite FTS5 (``unicode61 remove_diacritics 2``; ``đ`` -> ``d`` done
  before, FTS5 does not fold it), ``ORDER BY rank`` (bm25), facet counts by
  ``GROUP BY province``.

Facets are counted over the query's matches without the province filter, as
vnsearch counts its province facet; the total is that of the filtered query. The
plain engines get each article's province as vnsearch extracted it (read once from a
vnsearch index, ``export_provinces``; not counted in their ingest time).
"""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

KINDS = ("whoosh", "tantivy", "sqlite")
BATCH = 500
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # what tantivy's default tokenizer keeps
_DD = str.maketrans({"đ": "d", "Đ": "D"})  # FTS5's remove_diacritics leaves đ alone
FACETS = {
    "whoosh": "none (10 ids; province filter ignored, as bench queries' baseline)",
    "tantivy": "terms aggregation on the raw fast field province (Searcher.aggregate)",
    "sqlite": "SELECT province, count(*) … WHERE docs MATCH ? GROUP BY province",
}


def _folded(text: str) -> str:
    from search.analysis import analyze

    return " ".join(analyze(text))


# --- building (each in its own process: python -m bench.plain --build KIND OUT PATHS) ---


def _tantivy_schema():
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title")
    sb.add_text_field("body")
    sb.add_text_field("province", tokenizer_name="raw", fast=True)
    return sb.build()


def build_tantivy(out: str, paths: list[Path], provinces: dict[str, str]) -> None:
    """A tantivy index of pre-folded title/body, one commit at the end."""
    import tantivy

    index = tantivy.Index(_tantivy_schema(), path=out)
    writer = index.writer()
    for rec in common.read_jsonl(paths):
        fields = {
            "id": str(rec["id"]),
            "title": _folded(rec.get("title") or ""),
            "body": _folded(rec.get("body") or ""),
        }
        if provinces.get(fields["id"]):
            fields["province"] = provinces[fields["id"]]
        writer.add_document(tantivy.Document(**fields))
    writer.commit()
    writer.wait_merging_threads()


def build_sqlite(out: str, paths: list[Path], provinces: dict[str, str]) -> None:
    """An FTS5 table of title/body (unicode61, diacritics removed), optimised at the end."""
    con = sqlite3.connect(str(Path(out) / "fts.sqlite"))
    con.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, province UNINDEXED, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    rows: list[tuple] = []
    for rec in common.read_jsonl(paths):
        rows.append(
            (
                str(rec["id"]),
                (rec.get("title") or "").translate(_DD),
                (rec.get("body") or "").translate(_DD),
                provinces.get(str(rec["id"])) or "",
            )
        )
        if len(rows) >= BATCH:
            with con:
                con.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)", rows)
            rows = []
    with con:
        con.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)", rows)
        con.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    con.close()


def build(kind: str, out: str, paths: list[Path], provinces: dict[str, str]) -> None:
    """Build the ``kind`` index of ``paths`` into the (empty) folder ``out``."""
    if kind == "whoosh":
        from bench.ingest import baseline_child

        baseline_child(out, [str(p) for p in paths])
    elif kind == "tantivy":
        build_tantivy(out, paths, provinces)
    else:
        build_sqlite(out, paths, provinces)


# --- searching ---------------------------------------------------------------------


class Plain:
    """One plain engine opened for searching: ``search(q, province)``."""

    def __init__(self, kind: str, folder: Path):
        self.kind, self.folder = kind, Path(folder)
        if kind == "whoosh":
            from whoosh import index
            from whoosh.qparser import MultifieldParser

            ix = index.open_dir(str(folder))
            self._searcher = ix.searcher()
            self._parser = MultifieldParser(["title", "body"], ix.schema)
        elif kind == "tantivy":
            import tantivy

            self._tv = tantivy
            self._schema = _tantivy_schema()
            self._index = tantivy.Index.open(str(folder))
            self._index.reload()
            self._tsearcher = self._index.searcher()
        else:
            self._con = sqlite3.connect(str(folder / "fts.sqlite"), check_same_thread=False)

    def search(self, q: str, province: str | None) -> tuple[int | None, list[str], dict]:
        """(total, the first 10 ids, province counts) of the query."""
        return getattr(self, f"_search_{self.kind}")(q, province)

    def _search_whoosh(self, q, province):
        hits = self._searcher.search(self._parser.parse(q), limit=10)
        return None, [h["id"] for h in hits], {}

    def _search_tantivy(self, q, province):
        tv, schema = self._tv, self._schema
        words = _TOKEN.findall(_folded(q))
        if not words:
            return 0, [], {}
        must = tv.Occur.Must
        text = tv.Query.boolean_query(
            [
                (
                    must,
                    tv.Query.boolean_query(
                        [
                            (tv.Occur.Should, tv.Query.term_query(schema, field, w))
                            for field in ("title", "body")
                        ]
                    ),
                )
                for w in words
            ]
        )
        query = text
        if province:
            query = tv.Query.boolean_query(
                [(must, text), (must, tv.Query.term_query(schema, "province", province))]
            )
        s = self._tsearcher
        res = s.search(query, 10)
        ids = [s.doc(addr)["id"][0] for _, addr in res.hits]
        agg = s.aggregate(text, {"p": {"terms": {"field": "province", "size": 100}}})
        facets = {b["key"]: b["doc_count"] for b in agg["p"]["buckets"]}
        # tantivy's stubs lack SearchResult.count; without tantivy installed it is Any.
        return res.count, ids, facets  # type: ignore[attr-defined, unused-ignore]

    def _search_sqlite(self, q, province):
        words = _TOKEN.findall(q.translate(_DD))
        if not words:
            return 0, [], {}
        match = " ".join(f'"{w}"' for w in words)
        sql = "SELECT id FROM docs WHERE docs MATCH ?"
        args: list = [match]
        if province:
            sql += " AND province = ?"
            args.append(province)
        ids = [r[0] for r in self._con.execute(sql + " ORDER BY rank LIMIT 10", args)]
        facets = dict(
            self._con.execute(
                "SELECT province, count(*) FROM docs WHERE docs MATCH ? GROUP BY province",
                (match,),
            ).fetchall()
        )
        total = facets.get(province, 0) if province else sum(facets.values())
        facets.pop("", None)
        return total, ids, facets

    def close(self) -> None:
        """Release the searcher or connection."""
        if self.kind == "whoosh":
            self._searcher.close()
        elif self.kind == "sqlite":
            self._con.close()


def export_provinces(index: Path, out: Path) -> dict[str, str]:
    """Article id -> province of a vnsearch index (its extraction), written to ``out``."""
    import json

    from search.backends import open_source
    from search.backends.base import article_at

    reader = open_source(index).reader()
    try:
        found = {}
        for d in reader.live_ids():
            article = article_at(reader, int(d))
            if article.province:
                found[article.id] = article.province
    finally:
        reader.close()
    out.write_text(json.dumps(found, ensure_ascii=False), "utf-8")
    return found


if __name__ == "__main__" and sys.argv[1:2] == ["--build"]:
    import json

    build(
        sys.argv[2],
        sys.argv[3],
        [Path(p) for p in sys.argv[5:]],
        json.loads(Path(sys.argv[4]).read_text("utf-8")),
    )
