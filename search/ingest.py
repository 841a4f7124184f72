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
from .index import LOCK_TIMEOUT, open_for_writing, stored_hashes, write_batches
from .parse import parse_record
from .readers import Record, Skipped, iter_files, read_records
from .segment import segment

# Below this many records to prepare, worker processes cost more than they save.
POOL_THRESHOLD = 64
CHUNK = 1000


@dataclass
class IndexReport:
    """What an indexing run did."""

    indexed: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    note: str | None = None

    def to_dict(self) -> dict:
        """Plain-dict form for JSON."""
        return {"indexed": self.indexed, "unchanged": self.unchanged, "note": self.note,
                "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped]}


def prepare(record: Record) -> tuple[Article, str] | Skipped:
    """Parse and segment one record (runs in a worker process)."""
    try:
        article = parse_record(record)
    except BadArticle as e:
        return Skipped(e.source, e.reason)
    return article, segment(article.text())


def _prepared(records: list[Record], pool) -> Iterator[tuple[Article, str] | Skipped]:
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

    ``progress`` is called with the number of input bytes dealt with so far.
    """
    ix, note = open_for_writing(index_dir)
    report = IndexReport(note=note)
    known = stored_hashes(ix)
    seen: set[str] = set()

    def pending() -> Iterator[Record]:
        for f in iter_files(paths):
            if isinstance(f, Skipped):
                report.skipped.append(f)
                continue
            for rec in read_records(f):
                if isinstance(rec, Skipped):
                    report.skipped.append(rec)
                elif rec.id in seen:
                    report.skipped.append(Skipped(rec.source, f"duplicate id {rec.id!r}"))
                elif known.get(rec.id) == rec.hash:
                    seen.add(rec.id)
                    report.unchanged += 1
                    if progress:
                        progress(len(rec.raw))
                else:
                    seen.add(rec.id)
                    yield rec

    workers = workers or os.cpu_count() or 1
    pool = None
    try:
        for chunk in _chunks(pending(), CHUNK):
            if pool is None and workers > 1 and len(chunk) >= POOL_THRESHOLD:
                pool = multiprocessing.get_context("spawn").Pool(workers)

            def good(chunk=chunk):
                for rec, item in zip(chunk, _prepared(chunk, pool)):
                    if progress:
                        progress(len(rec.raw))
                    if isinstance(item, Skipped):
                        report.skipped.append(item)
                    else:
                        yield item

            for _ in write_batches(ix, good(), batch_size=batch_size, lock_timeout=lock_timeout):
                report.indexed += 1
    finally:
        if pool is not None:
            pool.terminate()
    return report


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
