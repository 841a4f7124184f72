"""The Whoosh backend: the embedded default (one folder of Whoosh segments).

The files and their safety (damage detection) live in ``whoosh_index.py``, the
writer and rebuilds in ``whoosh_writing.py`` (the metadata and the write lock in
``search/index.py``), the posting-list reader in ``search/scoring.py``. This
module adapts them to the backend interfaces.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
from whoosh.index import FileIndex

from ..index import LOCK_TIMEOUT, Stamp
from ..scoring import TermPostings
from . import whoosh_index as wi
from . import whoosh_writing as ww
from .whoosh_cache import HotTerms, read_postings, segment_id
from .whoosh_postings import segment_postings


class WhooshReader:
    """A :class:`~search.backends.base.Reader` over one Whoosh searcher."""

    def __init__(self, path: Path, searcher, hot: HotTerms | None = None):
        self.path = path
        self.searcher = searcher
        self._hot = hot
        r = searcher.reader()
        self._reader = r
        self.size = r.doc_count_all()
        # The segments' random ids too: an index made again in the same folder
        # may reach the same generation and counts with other contents.
        leaves = searcher.leaf_searchers()
        segments = tuple(segment_id(leaf) for leaf, _ in leaves)
        self.key = ("whoosh", r.generation(), self.size, r.doc_count(), segments)
        self._segments = segments
        self._offsets = [offset for _, offset in leaves]

    def doc_count(self) -> int:
        """Number of live articles."""
        return self.searcher.doc_count()

    def live_ids(self) -> np.ndarray:
        """Document numbers of the live articles."""
        return np.fromiter(self._reader.all_doc_ids(), dtype=np.int64)

    def has_field(self, field: str) -> bool:
        """True when the schema has the field."""
        return field in self._reader.schema

    def postings(self, field: str, text: str) -> TermPostings:
        """One term's postings as arrays."""
        hot = self._hot if self._hot is not None and self._hot.budget else None
        return read_postings(self.searcher, field, text, hot, self.key, self._segments)

    def doc_frequency(self, field: str, text: str) -> int:
        """Number of documents holding the term."""
        return int(self._reader.doc_frequency(field, text))

    def frequency(self, field: str, text: str) -> float:
        """Total weight of the term."""
        return float(self.searcher.frequency(field, text))

    def field_terms(self, field: str) -> Iterator[str]:
        """Every term of the field."""
        if field in self._reader.schema:
            yield from self._reader.field_terms(field)

    def term_stats(self, field: str) -> Iterator[tuple[str, int, float]]:
        """(term, document frequency, total weight) of every term of the field, per segment."""
        for leaf, _ in self.searcher.leaf_searchers():
            r = leaf.reader()
            if field not in r.schema:
                continue
            for text, info in r.iter_field(field):
                text = text.decode("utf-8") if isinstance(text, bytes) else text
                yield text, info.doc_frequency(), info.weight()

    def term_docs(self, field: str) -> Iterator[tuple[str, np.ndarray]]:
        """(term, document numbers) per segment: one term look-up in one segment each
        (reading a term across the index looks it up in every segment)."""
        for leaf, offset in self.searcher.leaf_searchers():
            r = leaf.reader()
            if field not in r.schema:
                continue
            for text in r.field_terms(field):
                ids, _, _, _ = segment_postings(r.postings(field, text), False)
                if ids:
                    yield text, np.concatenate(ids) + offset

    def prefixed(self, field: str, prefix: str) -> Iterator[str]:
        """Terms of the field starting with ``prefix``."""
        for term in self._reader.expand_prefix(field, prefix):
            yield term.decode("utf-8") if isinstance(term, bytes) else term

    def stored(self, docnum: int) -> dict:
        """The stored fields of a document."""
        return self.searcher.stored_fields(docnum)

    def doc_key(self, docnum: int) -> tuple:
        """The document's segment and number in it: a segment never changes once written."""
        k = bisect_right(self._offsets, docnum) - 1
        segment = self._segments[k]
        return (segment, docnum - self._offsets[k]) if segment else (self.key, docnum)

    def docnum(self, field: str, value: str) -> int | None:
        """The document whose ``field`` holds ``value``."""
        return self.searcher.document_number(**{field: value})

    def lengths(self) -> np.ndarray:
        """Per-document lengths of the ``text`` field (one pass over Whoosh's length column)."""
        values = np.ones(self.size, dtype=np.float32)
        if "text" in self._reader.schema:
            dfl = self._reader.doc_field_length
            values[:] = [dfl(d, "text", 1) or 1 for d in range(self.size)]
        return values

    def up_to_date(self) -> bool:
        """False once another commit has happened."""
        return self.searcher.up_to_date()

    def close(self) -> None:
        """Close the searcher's files."""
        self.searcher.close()


class WhooshSource:
    """Opens readers of one Whoosh index folder."""

    backend = "whoosh"

    def __init__(self, path: Path, postings_cache_mb: int | None = None):
        self.path = Path(path)
        self._ix: FileIndex | None = None
        # Common terms' decoded postings, shared by the readers of every thread.
        self.hot = HotTerms() if postings_cache_mb is None else HotTerms(postings_cache_mb << 20)

    def reading(self, opening: bool = False) -> AbstractContextManager:
        """Errors of damaged index files inside this context become IndexDamaged."""
        return wi.reading(self.path, opening=opening)

    def reader(self) -> WhooshReader:
        """A new reader of the latest commit."""
        if self._ix is None:
            self._ix = wi.open_index(self.path)
        # A new searcher, not Whoosh's refresh(): refresh() reuses segment
        # readers and, with commits arriving while other threads search,
        # fails with ReaderClosed (seen under the load test).
        return WhooshReader(self.path, self._ix.searcher(), self.hot)


class WhooshStore:
    """The writing side of a Whoosh index (see ``whoosh_writing.py``)."""

    backend = "whoosh"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.ix, self.note = wi.open_for_writing(self.path)

    def stamp(self) -> Stamp:
        """Generation and document count of the latest commit."""
        return ww.stamp(self.ix)

    def known(self) -> dict[str, str]:
        """Article id -> content hash (merged copies included)."""
        return wi.stored_hashes(self.ix)

    def merges(self) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        """(fingerprint -> article id, article id -> {merged id: hash})."""
        return wi.stored_merges(self.ix)

    def snapshot(self):
        """A searcher over the index as it is now (close it when done)."""
        with wi.reading(self.path, opening=True):
            return _Snapshot(self.ix.searcher())

    def write(self, items, batch_size: int, on_commit=None, lock_timeout: float = LOCK_TIMEOUT):
        """Write (article, words, extra) items in committed batches; yields each article."""
        return ww.write_batches(
            self.ix, items, batch_size=batch_size, on_commit=on_commit, lock_timeout=lock_timeout
        )

    def delete(self, ids: list[str], on_commit=None, lock_timeout: float = LOCK_TIMEOUT):
        """Delete the articles stored under ``ids``, in one commit."""
        ww.delete_ids(self.ix, ids, lock_timeout, on_commit)

    def iter_stored(self):
        """Every live stored article."""
        return wi.iter_stored(self.ix)

    def close(self) -> None:
        """Nothing held open between batches."""


class _Snapshot:
    """The index as it was before a run: stored articles by id."""

    def __init__(self, searcher):
        self.searcher = searcher

    def article(self, article_id: str):
        """The article stored under exactly this id, or None."""
        return wi.stored_article(self.searcher, article_id)

    def close(self) -> None:
        """Close the searcher."""
        self.searcher.close()
