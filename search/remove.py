"""Removing articles from an index (a retracted story, a page taken down), on either backend.

The articles go in one commit, their text leaves the vocabulary's counts in the
same step, and readers see the index without them at their next search. An id
that names a republished copy merged into another article is not removed: the
copy is part of that article (its URL, its alias), and removing the article is
the caller's choice. Indexing the same source again brings an article back.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import backends
from .errors import LAST_WRITE_KEPT, VOCAB_REPAIRED_NEXT, IndexMissing, write_failures
from .index import LOCK_TIMEOUT, write_lock
from .ingest import open_vocabulary, repair_vocabulary

log = logging.getLogger(__name__)


@dataclass
class Removed:
    """What a removal did, id by id."""

    deleted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # A merged copy's id -> the article it belongs to (left in place).
    merged: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """As JSON."""
        return asdict(self)


def remove_articles(index_dir, ids, lock_timeout: float = LOCK_TIMEOUT) -> Removed:
    """Delete the articles stored under ``ids`` from the index at ``index_dir``."""
    index_dir = Path(index_dir)
    if not backends.has_index_files(index_dir):
        raise IndexMissing.at(index_dir)
    done = Removed()
    with (
        write_failures(
            f"không xóa được bài khỏi chỉ mục ở {index_dir}",
            LAST_WRITE_KEPT,
            f"không cập nhật được từ vựng của {index_dir}",
            VOCAB_REPAIRED_NEXT,
        ),
        write_lock(index_dir, lock_timeout),
    ):
        store = backends.open_store(index_dir)
        try:
            vocab = open_vocabulary(index_dir)
            try:
                # Counts that do not match the index are rebuilt first, so
                # that the texts taken out leave them exact.
                repair_vocabulary(store, vocab)
                _remove(store, vocab, list(dict.fromkeys(ids)), done, lock_timeout)
            finally:
                if vocab.pending:
                    vocab.discard()
                vocab.close()
        finally:
            store.close()
    log.info("%s: deleted %d article(s)", index_dir, len(done.deleted))
    return done


def _remove(store, vocab, ids: list[str], done: Removed, lock_timeout: float) -> None:
    owners = {alias: owner for owner, copies in store.merges()[1].items() for alias in copies}
    snapshot = store.snapshot()
    try:
        for article_id in ids:
            article = snapshot.article(article_id)
            if article is not None:
                vocab.add(article.text(), -1)
                done.deleted.append(article_id)
            elif article_id in owners:
                done.merged[article_id] = owners[article_id]
            else:
                done.missing.append(article_id)
    finally:
        snapshot.close()
    if done.deleted:
        store.delete(done.deleted, on_commit=vocab.commit, lock_timeout=lock_timeout)
