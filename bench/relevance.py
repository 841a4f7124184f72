"""Relevance: ALQAC 2022 legal questions (MRR@10, Recall@10) and known-item title search.

ALQAC: the 1,377 law articles are indexed with ``search.ingest.index_paths``
into ``bench/work/alqac`` (rebuilt each run); the 520 questions go through
``open_engine(...).search(q, per_page=10)`` as typed (``query``) and without
diacritics (``query_unaccented``). Same-run baselines: plain Whoosh BM25F over
``title`` + ``body`` with ``StandardAnalyzer`` (accented tokens), and the same
with every token folded (``search.analysis.fold``), each question an OR of its
tokens over both fields, 10 ids.

Known-item: the titles of ``known`` random articles (seeded) of the corpus
index (100k if ``bench ingest --size 100k`` built it, else 20k), typed with and
without diacritics; the relevant item is that article (or the article it was
merged into as a republished copy). ``mrr_same_title`` also counts a hit whose
title is the same as the query (near-duplicate articles in the corpus).
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from bench import common

K = 10


def _owners(index_dir: Path) -> dict[str, str]:
    """Merged (republished) id -> the id of the article it was merged into."""
    from search.backends.whoosh_index import open_index, stored_merges

    _, aliases = stored_merges(open_index(index_dir))
    return {alias: owner for owner, al in aliases.items() for alias in al}


def _score(ranked: list[list[str]], relevant: list[set[str]]) -> dict:
    rr, rec = [], []
    for ids, rel in zip(ranked, relevant):
        ids = ids[:K]
        first = next((i for i, d in enumerate(ids) if d in rel), None)
        rr.append(0.0 if first is None else 1.0 / (first + 1))
        rec.append(len(rel & set(ids)) / len(rel) if rel else 0.0)
    return {
        f"mrr@{K}": round(statistics.mean(rr), 4),
        f"recall@{K}": round(statistics.mean(rec), 4),
        "found_in_top10": round(sum(r > 0 for r in rr) / len(rr), 4),
        "n": len(rr),
    }


def _engine_run(engine, queries: list[str]) -> tuple[list[list[str]], list[list[str]], float]:
    ids, titles, t0 = [], [], time.perf_counter()
    for q in queries:
        hits = engine.search(q, per_page=K).hits
        ids.append([h.id for h in hits])
        titles.append([h.title for h in hits])
    return ids, titles, (time.perf_counter() - t0) * 1000 / max(len(queries), 1)


def _fold_filter():
    from whoosh.analysis import Filter

    from search.analysis import fold

    class Fold(Filter):
        """Every diacritic removed (the baseline's folding)."""

        def __call__(self, tokens):
            for t in tokens:
                t.text = fold(t.text)
                yield t

    globals()["Fold"] = Fold  # picklable by name, as Whoosh stores the schema
    Fold.__qualname__ = "Fold"
    return Fold()


def _baseline(docs: list[dict], folded: bool):
    """A plain Whoosh BM25F searcher over title+body in RAM; returns a search function."""
    from whoosh import query as wq
    from whoosh.analysis import StandardAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.filedb.filestore import RamStorage

    ana = StandardAnalyzer() | _fold_filter() if folded else StandardAnalyzer()
    ix = RamStorage().create_index(
        Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=ana), body=TEXT(analyzer=ana))
    )
    with ix.writer() as w:
        for d in docs:
            w.add_document(id=d["id"], title=d.get("title") or "", body=d.get("body") or "")
    s = ix.searcher()

    def search(q: str) -> list[str]:
        toks = list(dict.fromkeys(t.text for t in ana(q)))
        query = wq.Or([wq.Term(f, t) for t in toks for f in ("title", "body")])
        return [h["id"] for h in s.search(query, limit=K)]

    return search


def alqac() -> dict:
    """MRR@10 / Recall@10 of the engine and the baselines on the ALQAC questions."""
    from search.engine import open_engine
    from search.ingest import index_paths

    docs_path = common.DATA / "alqac2022.jsonl.gz"
    queries = list(common.read_jsonl([common.DATA / "alqac2022_queries.jsonl.gz"]))
    idx = common.fresh_dir(common.WORK / "alqac")
    t0 = time.perf_counter()
    report = index_paths([docs_path], idx)
    build_s = time.perf_counter() - t0
    owners = _owners(idx)
    relevant = [{owners.get(r, r) for r in q["relevant"]} for q in queries]
    engine = open_engine(idx)
    engine.search("khởi động")  # open searcher, columns, suggester
    out: dict = {
        "articles_indexed": report.indexed,
        "merged": report.merged,
        "index_build_s": round(build_s, 1),
        "queries": len(queries),
    }
    for label, key in (("accented", "query"), ("unaccented", "query_unaccented")):
        ids, _, ms = _engine_run(engine, [q[key] for q in queries])
        out[label] = {**_score(ids, relevant), "ms_per_query": round(ms, 1)}
        print(f"  alqac vnsearch {label:<10} {out[label]}", flush=True)
    engine.close()
    out["unaccented_over_accented"] = round(
        out["unaccented"]["mrr@10"] / out["accented"]["mrr@10"], 4
    )
    docs = list(common.read_jsonl([docs_path]))
    plain_rel = [set(q["relevant"]) for q in queries]
    for name, folded in (
        ("baseline_bm25_accented_tokens", False),
        ("baseline_bm25_folded_tokens", True),
    ):
        search = _baseline(docs, folded)
        out[name] = {
            label: _score([search(q[key]) for q in queries], plain_rel)
            for label, key in (("accented", "query"), ("unaccented", "query_unaccented"))
        }
        print(f"  alqac {name} {out[name]}", flush=True)
    out["targets"] = {
        "accented_mrr": common.verdict(out["accented"]["mrr@10"], ">=", 0.90),
        "unaccented_over_accented": common.verdict(out["unaccented_over_accented"], ">=", 0.97),
    }
    return out


def known_item(size: str | None, n: int, seed: int) -> dict:
    """MRR@10 of article titles as queries (accented and folded) against the corpus index."""
    from search.analysis import fold
    from search.engine import open_engine

    if size is None:
        size = "100k" if (common.index_dir("100k") / "last-run.json").exists() else "20k"
    idx = common.index_dir(size)
    owners = _owners(idx)
    recs = [
        (r["id"], r["title"])
        for r in common.read_jsonl(common.corpus_paths(size))
        if (r.get("title") or "").strip()
    ]
    sample = random.Random(seed).sample(recs, n)
    engine = open_engine(idx)
    engine.search("khởi động")
    norm = lambda t: " ".join(fold(t).lower().split())  # noqa: E731
    out: dict = {"index": str(idx), "size": size, "queries": n}
    for label, typed in (("accented", lambda t: t), ("unaccented", fold)):
        ids, titles, ms = _engine_run(engine, [typed(t) for _, t in sample])
        rel = [{owners.get(i, i)} for i, _ in sample]
        strict = _score(ids, rel)
        same = _score(
            [
                [i if norm(ti) != norm(t) else "__same__" for i, ti in zip(hid, hts)]
                for hid, hts, (_, t) in zip(ids, titles, sample)
            ],
            [r | {"__same__"} for r in rel],
        )
        out[label] = {
            "mrr@10": strict["mrr@10"],
            "found_in_top10": strict["found_in_top10"],
            "mrr@10_same_title": same["mrr@10"],
            "ms_per_query": round(ms, 1),
        }
        print(f"  known-item {size} {label:<10} {out[label]}", flush=True)
    engine.close()
    out["targets"] = {
        f"{lab}_mrr": common.verdict(out[lab]["mrr@10"], ">=", 0.9)
        for lab in ("accented", "unaccented")
    }
    return out


def bench_relevance(
    known_size: str | None = None,
    known: int = 500,
    seed: int = 20250,
    parts: tuple[str, ...] = ("alqac", "known"),
) -> dict:
    """Both relevance checks (or one, keeping the other's last figures); write relevance.json."""
    common.started("relevance")
    last = common.load_result("relevance") or {}
    figures = {
        "alqac": alqac() if "alqac" in parts else last.get("alqac"),
        "known_item": known_item(known_size, known, seed)
        if "known" in parts
        else last.get("known_item"),
    }
    figures["quoted_baselines"] = {
        "accented_mrr": 0.875,
        "unaccented_mrr": 0.15,
        "fully_folded_mrr": 0.85,
    }
    common.write_result(
        "relevance",
        {
            "k": K,
            "known": known,
            "seed": seed,
            "parts": list(parts),
            "known_size": (figures["known_item"] or {}).get("size"),
        },
        figures,
    )
    return figures
