"""Compacting an index: smaller on disk, the same articles and the same answers.

An index as written carries slack: Xapian's B-tree blocks are about half full
(a shard is rewritten by Xapian's compactor and swapped in), a Whoosh index
keeps several segments and its deleted articles (merged into one segment).
Document numbers, stored articles and every answer stay as they were; a reader
open meanwhile goes on reading and moves to the compacted files at its next
check for changes. The vocabulary is told the index's new revision, so that it
still matches (and a vocabulary that did not match before still does not).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import backends
from .errors import IndexMissing
from .index import LOCK_TIMEOUT, has_index_files, write_lock
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
    if not has_index_files(path):
        raise IndexMissing.at(path)
    started = time.monotonic()
    with write_lock(path, lock_timeout):
        backends.put_right(path)
        before = _size(path)
        vocab = Vocabulary(path) if vocab_path(path).exists() else None
        try:
            matched = vocab is not None and vocab.matches(backends.read_stamp(path))

            def restamp() -> None:
                if matched and vocab is not None:
                    vocab.commit(backends.read_stamp(path))

            parts, _, _ = backends.compact(path, lock_timeout, restamp)
        finally:
            if vocab is not None:
                vocab.close()
    done = Compacted(
        str(path),
        backends.backend_of(path),
        parts,
        before,
        _size(path),
        round(time.monotonic() - started, 2),
    )
    log.info("%s: compacted %d -> %d bytes in %.1f s", path, before, done.bytes_after, done.seconds)
    return done


def _size(path: Path) -> int:
    """Bytes of every file of the index folder."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
