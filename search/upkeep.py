"""Upkeep of an index: compacting it, and copying a Xapian index into more or fewer shards.

Compacting makes an index smaller on disk, the same articles and the same answers.

An index as written carries slack: Xapian's B-tree blocks are about half full
(a shard is rewritten by Xapian's compactor and swapped in), a Whoosh index
keeps several segments and its deleted articles (merged into one segment).
Document numbers, stored articles and every answer stay as they were; a reader
open meanwhile goes on reading and moves to the compacted files at its next
check for changes. The vocabulary is told the index's new revision, so that it
still matches (and a vocabulary that did not match before still does not).

Resharding copies a Xapian index into N shards in a new folder (the way from one
machine to several, or back), without analysing any article again; the source
is only read, under its write lock so that no run changes it meanwhile.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import backends
from .errors import BadQuery, IndexMissing, write_failures
from .index import LOCK_TIMEOUT, write_lock, write_meta
from .vocab import Vocabulary, vocab_path

log = logging.getLogger(__name__)


@dataclass
class Compacted:
    """What a compaction did."""

    path: str
    backend: str
    parts: int  # shards (Xapian) or segments before (Whoosh)
    bytes_before: int
    bytes_after: int
    seconds: float

    def to_dict(self) -> dict:
        """As JSON."""
        return asdict(self)


def compact_index(path, lock_timeout: float = LOCK_TIMEOUT) -> Compacted:
    """Compact the index at ``path`` under its write lock (waiting up to ``lock_timeout``)."""
    path = Path(path)
    if not backends.has_index_files(path):
        raise IndexMissing.at(path)
    with _write_failure(path), write_lock(path, lock_timeout):
        return compact_locked(path, lock_timeout)


def compact_locked(path: Path, lock_timeout: float = LOCK_TIMEOUT) -> Compacted:
    """Compact the index at ``path``, whose write lock the caller holds."""
    started = time.monotonic()
    backends.put_right(path)
    before = folder_bytes(path)
    vocab = Vocabulary(path) if vocab_path(path).exists() else None
    try:
        matched = vocab is not None and vocab.matches(backends.read_stamp(path))

        def restamp() -> None:
            if matched and vocab is not None:
                vocab.commit(backends.read_stamp(path))

        parts = backends.compact(path, lock_timeout, restamp)
    finally:
        if vocab is not None:
            vocab.close()
    done = Compacted(
        str(path),
        backends.backend_of(path),
        parts,
        before,
        folder_bytes(path),
        round(time.monotonic() - started, 2),
    )
    log.info("%s: compacted %d -> %d bytes in %.1f s", path, before, done.bytes_after, done.seconds)
    return done


def _write_failure(path: Path):
    """An OS or SQLite error while writing (a full disk) as WriteFailed: one line."""
    kept = "chỉ mục gốc vẫn nguyên vẹn"
    return write_failures(
        f"không ghi được vào {path}", kept, f"không ghi được từ vựng ở {path}", kept, sqlite3.Error
    )


def folder_bytes(path: Path) -> int:
    """Bytes of every file of the index folder."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@dataclass
class Resharded:
    """What a resharding did."""

    source: str
    target: str
    shards: int
    articles: int
    seconds: float

    def to_dict(self) -> dict:
        """As JSON."""
        return asdict(self)


def reshard_index(source, target, shards: int, lock_timeout: float = LOCK_TIMEOUT) -> Resharded:
    """Copy the Xapian index at ``source`` into ``shards`` shards in the new folder ``target``."""
    source, target = Path(source), Path(target)
    if not backends.has_index_files(source):
        raise IndexMissing.at(source)
    if backends.backend_of(source) != "xapian":
        raise BadQuery(
            f"chỉ mục ở {source} dùng backend whoosh: chỉ chia lại được chỉ mục Xapian "
            "(hãy chuyển nó sang Xapian bằng `vnsearch index --rebuild --backend xapian "
            "--shards N`)",
            code="reshard_unsupported",
        )
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BadQuery(f"{target} đã có dữ liệu: hãy chọn một thư mục mới", code="target_not_empty")
    started = time.monotonic()
    # Built beside the target and renamed into place when complete: an
    # interrupted run leaves no half index where the target should be.
    partial = target.with_name(f".{target.name}.resharding")
    if partial.exists():
        shutil.rmtree(partial)  # what an interrupted resharding left
    partial.mkdir(parents=True)
    try:
        with _write_failure(target), write_lock(source, lock_timeout):
            write_meta(partial, backend="xapian", shards=shards)
            matched = _copy_vocabulary(source, partial)
            copied = backends.reshard(source, partial, shards)
            if matched:
                with Vocabulary(partial) as vocab:
                    vocab.commit(backends.read_stamp(partial))
        if target.exists():
            target.rmdir()
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    done = Resharded(str(source), str(target), shards, copied, round(time.monotonic() - started, 2))
    log.info("%s: %d articles copied into %d shards at %s", source, copied, shards, target)
    return done


def _copy_vocabulary(source: Path, target: Path) -> bool:
    """Copy the vocabulary (SQLite's backup: consistent); True when it matched the source."""
    if not vocab_path(source).exists():
        return False
    with Vocabulary(source) as vocab:
        matched = vocab.matches(backends.read_stamp(source))
    src = sqlite3.connect(vocab_path(source))
    dst = sqlite3.connect(vocab_path(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return matched
