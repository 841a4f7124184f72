"""Indexing runs: find input files, skip unchanged ones, parse and segment, write.

Parsing and pyvi segmentation (the expensive, pure part) run in worker
processes for big inputs; the single Whoosh writer stays in this process and
commits in batches, so a crash loses at most one batch and re-running resumes.
"""
from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .article import Article
from .errors import BadArticle
from .extract.fingerprint import fingerprint
from .index import (LOCK_TIMEOUT, open_for_writing, stored_article, stored_hashes, stored_merges,
                    write_batches)
from .parse import parse_record
from .readers import Record, Skipped, iter_files, read_records
from .schema import prepared_fields
from .segment import segment
from .vocab import Vocabulary, count

# Below this many records to prepare, worker processes cost more than they save.
POOL_THRESHOLD = 64
# Records handed to the pool at a time: bounds the prepared articles waiting
# for the writer (about 100 kB each) when the writer is the slower side.
CHUNK = 256


@dataclass
class IndexReport:
    """What an indexing run did."""

    indexed: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    note: str | None = None

    def to_dict(self) -> dict:
        """Plain-dict form for JSON."""
        return {"indexed": self.indexed, "merged": self.merged, "unchanged": self.unchanged,
                "note": self.note,
                "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped]}


@dataclass
class Prepared:
    """An article with everything the writer needs, computed in a worker process."""

    article: Article
    words: str  # pyvi's segmentation of the article's text
    fields: dict  # schema.prepared_fields: analysed prose and the stored copy
    counts: tuple  # vocab.count of the article's text
    fingerprint: str


def prepare_article(article: Article) -> Prepared:
    """Segment and analyse a parsed article (pure: runs in worker processes)."""
    text = article.text()
    words = segment(text)
    return Prepared(article, words, prepared_fields(article, words), count(text),
                    fingerprint(article))


def prepare(record: Record) -> Prepared | Skipped:
    """Parse, segment and analyse one record (runs in a worker process)."""
    try:
        article = parse_record(record)
    except BadArticle as e:
        return Skipped(e.source, e.reason)
    return prepare_article(article)


def _prepared(records: list[Record], pool) -> Iterator[Prepared | Skipped]:
    if pool is None:
        yield from map(prepare, records)
    else:
        yield from pool.imap(prepare, records, chunksize=8)


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def index_paths(paths: Iterable, index_dir, *, workers: int | None = None,
                batch_size: int = 500, progress: Callable[[int], None] | None = None,
                lock_timeout: float = LOCK_TIMEOUT) -> IndexReport:
    """Index every article under ``paths`` into ``index_dir``; new or changed ones only.

    A republished article (same fingerprint as one already indexed, another id)
    is merged into the first: its URLs join that article's and its id becomes
    an alias. ``progress`` is called with the number of input bytes dealt with.
    """
    ix, note = open_for_writing(index_dir)
    vocab = Vocabulary(index_dir)
    run = _Run(ix, vocab, IndexReport(note=note))
    if not run.known:  # a new or rebuilt index: its statistics start from zero too
        vocab.reset()
    seen: set[str] = set()

    def pending() -> Iterator[Record]:
        for f in iter_files(paths):
            if isinstance(f, Skipped):
                run.report.skipped.append(f)
                continue
            for rec in read_records(f):
                if isinstance(rec, Skipped):
                    run.report.skipped.append(rec)
                elif rec.id in seen:
                    run.report.skipped.append(Skipped(rec.source, f"duplicate id {rec.id!r}"))
                elif run.known.get(rec.id) == rec.hash:
                    seen.add(rec.id)
                    run.report.unchanged += 1
                    if progress:
                        progress(len(rec.raw))
                else:
                    seen.add(rec.id)
                    yield rec

    workers = workers or os.cpu_count() or 1
    pools: list = []  # the worker pool, once a chunk is big enough to need one

    def good() -> Iterator[Prepared]:
        # One stream across chunks, so that commits fall every batch_size
        # articles whatever the chunk size.
        for chunk in _chunks(pending(), CHUNK):
            if not pools and workers > 1 and len(chunk) >= POOL_THRESHOLD:
                pools.append(multiprocessing.get_context("spawn").Pool(workers))
            for rec, item in zip(chunk, _prepared(chunk, pools[0] if pools else None)):
                if progress:
                    progress(len(rec.raw))
                if isinstance(item, Skipped):
                    run.report.skipped.append(item)
                else:
                    yield item

    try:
        for _ in write_batches(ix, run.to_write(good()), batch_size=batch_size,
                               on_commit=vocab.commit, lock_timeout=lock_timeout):
            run.report.indexed += 1
        if run.merges:
            for _ in write_batches(ix, run.merged(), batch_size=batch_size,
                                   lock_timeout=lock_timeout):
                pass
    finally:
        for pool in pools:
            pool.terminate()
        run.close()
    return run.report


class _Run:
    """The state of one indexing run: what is known, what gets merged, the statistics."""

    def __init__(self, ix, vocab: Vocabulary, report: IndexReport):
        self.ix, self.vocab, self.report = ix, vocab, report
        self.known = stored_hashes(ix)
        self.owners, self.aliases = stored_merges(ix)
        # target id -> {merged id: (content hash, its URLs)}, applied at the end
        self.merges: dict[str, dict[str, tuple[str, list[str]]]] = {}
        self._before = ix.searcher()  # the index as it was, for old texts

    def to_write(self, prepared: Iterable[Prepared]) -> Iterator[tuple]:
        """Items for the writer; republished copies are held back as merges."""
        for p in prepared:
            article, fp = p.article, p.fingerprint
            owner = self.owners.get(fp)
            if owner is not None and owner != article.id:
                urls = [u for u in (article.url, *article.urls) if u]
                self.merges.setdefault(owner, {})[article.id] = (article.content_hash, urls)
                self.report.merged += 1
                continue
            self.owners[fp] = article.id
            old = stored_article(self._before, article.id) if article.id in self.known else None
            if old is not None:  # a changed article: its old text leaves the statistics
                self.vocab.add(old.text(), -1)
            self.vocab.add_counts(p.counts)
            yield article, p.words, {"fingerprint": fp, "aliases": self.aliases.get(article.id),
                                     "prepared": p.fields}

    def merged(self) -> Iterator[tuple]:
        """The articles that absorbed republished copies, with every source URL."""
        with self.ix.searcher() as s:
            for owner, copies in self.merges.items():
                article = stored_article(s, owner)
                if article is None:
                    continue
                urls = [article.url, *article.urls]
                urls += [u for _, copy_urls in copies.values() for u in copy_urls]
                urls = list(dict.fromkeys(u for u in urls if u))
                article.url = article.url or (urls[0] if urls else None)
                article.urls = [u for u in urls if u != article.url]
                aliases = {**self.aliases.get(owner, {}),
                           **{i: h for i, (h, _) in copies.items()}}
                self.aliases[owner] = aliases
                yield article, segment(article.text()), \
                    {"fingerprint": fingerprint(article), "aliases": aliases}

    def close(self) -> None:
        """Commit what is left of the statistics and let go of the old searcher."""
        if self.vocab.pending:
            self.vocab.discard()  # counts of a batch that was never committed
        self.vocab.close()
        self._before.close()


def extract_paths(paths: Iterable) -> Iterator[Article | Skipped]:
    """Parse every article under ``paths`` without indexing (for `vnsearch extract`)."""
    for f in iter_files(paths):
        if isinstance(f, Skipped):
            yield f
            continue
        for rec in read_records(f):
            if isinstance(rec, Skipped):
                yield rec
                continue
            try:
                yield parse_record(rec)
            except BadArticle as e:
                yield Skipped(e.source, e.reason)
