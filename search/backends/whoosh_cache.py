"""Common terms' decoded postings kept per segment, and reading a term through them.

A common syllable's posting list costs milliseconds to decode in Python; its
ids and weights are kept decoded (:class:`HotTerms`), one entry per segment,
so that a commit (which adds a segment, deletes or merges) keeps what the
other segments hold. Positions are still read from the blocks a phrase asks.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections import OrderedDict

import numpy as np
from whoosh.matching.wrappers import FilterMatcher

from ..scoring import TermPostings
from .base import HOT_BUDGET
from .whoosh_fields import RelativePositions
from .whoosh_postings import (
    _EMPTY,
    BlockValues,
    Lazy,
    RelativePostings,
    WhooshPostings,
    _ids_and_weights,
    _Pickled,
    segment_postings,
)

log = logging.getLogger(__name__)


def read_postings(
    searcher, field: str, text: str, hot: HotTerms | None = None, key=None, segments=None
):
    """One term's postings across the index's segments, as arrays.

    Deleted documents may be included: callers combine with the live mask.
    Positions are kept (encoded) for fields that have them, for phrase checks.
    ``hot``: the cache of common terms' decoded postings, kept per segment
    (segments never change once written), followed by the reader ``key``;
    ``segments``: the leaves' segment ids, when the caller knows them.
    """
    fmt = searcher.schema[field].format
    got = _read(searcher, field, text, hot, key, segments, fmt.supports("positions"))
    if (
        isinstance(got, WhooshPostings)
        and isinstance(fmt, RelativePositions)
        and fmt.relative(text)
    ):
        # Positions kept as which of the folded syllable's they are (search/backends/whoosh_fields.py):
        # without accents, the term is its own folded syllable.
        return RelativePostings(
            got, lambda: read_postings(searcher, fmt.base, text, hot, key, segments)
        )
    return got


def _read(searcher, field, text, hot, key, segments, keep_values: bool) -> TermPostings:
    leaves = searcher.leaf_searchers()
    if segments is None:
        segments = [segment_id(leaf) for leaf, _ in leaves]
    if hot is not None:
        hot.follow(key, segments)
        cached = [hot.get(seg, field, text) if seg else None for seg in segments]
        if all(e is not None for e in cached):
            return _from_cache(
                cached, [offset for _, offset in leaves], searcher, field, text, keep_values
            )
    else:
        cached = [None] * len(leaves)
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    values = BlockValues()
    read: list = [None] * len(leaves)  # what each segment gave: (ids, weights, blocks)
    for k, (leaf, offset) in enumerate(leaves):
        entry = cached[k]
        if entry is not None:  # this segment's part is kept (another was added since)
            if entry.size:
                ids.append(entry.ids() + offset)
                weights.append(entry.weights32())
                if keep_values:
                    stored = _StoredValues(entry.table(k), searcher, field, text)
                    for b, count in enumerate(entry.blocks[:, 3].tolist()):
                        values.add(_Deferred(stored, b), count)
            continue
        reader = leaf.reader()
        if (field, text) not in reader:
            read[k] = (_EMPTY[0], _EMPTY[1], [])
            continue
        i, w, v, where = segment_postings(reader.postings(field, text), keep_values)
        seg_ids, seg_weights = (np.concatenate(i), np.concatenate(w)) if i else _EMPTY
        ids.append(seg_ids + offset)
        weights.append(seg_weights)
        values.extend(v)
        read[k] = (seg_ids, seg_weights, where) if where is not None else None
    if not ids:
        got = TermPostings(_EMPTY[0], _EMPTY[1], [])
        total = 0
    else:
        got = WhooshPostings(np.concatenate(ids), np.concatenate(weights), values)
        total = len(got.ids)
    if hot is not None and total >= hot.min_postings:
        for seg, part in zip(segments, read):
            if seg and part is not None:
                hot.put(seg, field, text, _Hot(*part) if len(part[0]) else _ABSENT)
    return got


def segment_id(leaf) -> str:
    """The random id of a leaf searcher's segment ("" when it has none)."""
    seg = leaf.reader().segment()
    return seg.segment_id() if seg is not None else ""


def _from_cache(entries: list, offsets: list, searcher, field, text, keep_values) -> TermPostings:
    """A term's postings from its kept parts, one per segment (positions read on demand)."""
    live = [(k, e, off) for k, (e, off) in enumerate(zip(entries, offsets)) if e.size]
    if not live:
        return TermPostings(_EMPTY[0], _EMPTY[1], [])
    ids = np.concatenate([e.ids() + off for _, e, off in live])
    weights = np.concatenate([e.weights32() for _, e, _ in live])
    if not keep_values:
        return WhooshPostings(ids, weights, BlockValues())
    tables = [e.table(k) for k, e, _ in live]
    if len(tables) > 1:
        # Each segment's block starts count from the term's first posting.
        sizes = np.array([e.size for _, e, _ in live], dtype=np.int64)
        shift = np.cumsum(sizes) - sizes
        tables = [t + np.array([0, s, 0, 0, 0, 0]) for t, s in zip(tables, shift.tolist())]
    return WhooshPostings(
        ids, weights, _StoredValues(np.concatenate(tables), searcher, field, text)
    )


# Terms with fewer postings are read again when asked: that costs little.
HOT_MIN_POSTINGS = 512


class _Hot:
    """One segment's part of a common term: its ids (in the segment) and weights,
    kept small, and where each of its blocks lies (to read a block's positions
    again when a phrase asks). A term the segment lacks is kept as empty."""

    __slots__ = ("blocks", "deltas", "first", "nbytes", "size", "weights")

    def __init__(self, ids: np.ndarray, weights: np.ndarray, blocks: list[tuple]):
        self.size = len(ids)
        # Ids ascend: kept as the first and the gaps, two bytes each where they fit.
        self.first = int(ids[0]) if len(ids) else 0
        gaps = np.diff(ids)
        self.deltas = gaps.astype(np.uint16 if not len(gaps) or gaps.max() < 1 << 16 else np.int64)
        half = weights.astype(np.float16)
        same = np.array_equal(half.astype(np.float32), weights)
        self.weights = half if same else weights
        # (posting where the block starts, offset, length, postings, compressed)
        counts = np.array([b[2] for b in blocks], dtype=np.int64)
        starts = np.cumsum(counts) - counts
        self.blocks = np.array(
            [(st, *b) for b, st in zip(blocks, starts.tolist())], dtype=np.int64
        ).reshape(-1, 5)
        self.nbytes = self.deltas.nbytes + self.weights.nbytes + self.blocks.nbytes + _ENTRY_BYTES

    def ids(self) -> np.ndarray:
        """The ids in the segment."""
        ids = np.empty(self.size, dtype=np.int64)
        if self.size:
            ids[0] = self.first
            np.cumsum(self.deltas, dtype=np.int64, out=ids[1:])
            ids[1:] += self.first
        return ids

    def weights32(self) -> np.ndarray:
        """The weights, as read."""
        return self.weights.astype(np.float32)

    def table(self, leaf: int) -> np.ndarray:
        """The blocks as :class:`_StoredValues` reads them, in the searcher's ``leaf``."""
        return np.column_stack([np.full(len(self.blocks), leaf, dtype=np.int64), self.blocks])


# What an entry holds besides its arrays' data (measured with tracemalloc: the
# object, three arrays, the key and its place in the table), and an absent one's.
_ENTRY_BYTES = 600
_ABSENT_BYTES = 200
# A term a segment lacks: one entry shared by every such (segment, term).
_ABSENT = _Hot(*_EMPTY, [])
_ABSENT.nbytes = _ABSENT_BYTES


class _StoredValues(BlockValues):
    """A cached term's values: each block read again from its segment's postings
    file (this thread's searcher) when one of its values is first asked for."""

    def __init__(self, blocks: np.ndarray, searcher, field: str, text: str):
        super().__init__()
        self._blocks = blocks
        self._starts = blocks[:, 1].tolist()
        self._parts = [None] * len(blocks)
        self._size = int(blocks[-1, 1] + blocks[-1, 4])
        self._searcher, self._field, self._text = searcher, field, text
        self._files: dict[int, object] = {}

    def _part(self, k: int) -> tuple:
        part = self._parts[k]
        if part is None:
            leaf, _, offset, length, count, compressed = self._blocks[k].tolist()
            data = self._file(leaf).get(offset, length)
            if compressed:
                data = zlib.decompress(data)
            got = _ids_and_weights(data, count)
            part = got[2].values() if isinstance(got[2], _Pickled) else got[2]
            self._parts[k] = part
        return part

    def _file(self, leaf: int):
        # The segment's postings file as this thread's searcher opened it.
        if leaf not in self._files:
            reader = self._searcher.leaf_searchers()[leaf][0].reader()
            m = reader.postings(self._field, self._text)
            self._files[leaf] = (m.child if isinstance(m, FilterMatcher) else m)._postfile
        return self._files[leaf]


class _Deferred(Lazy):
    """A kept block's values, read through its :class:`_StoredValues` when asked."""

    __slots__ = ("block", "stored")

    def __init__(self, stored: _StoredValues, block: int):
        self.stored, self.block = stored, block

    def values(self) -> tuple:
        """The block's values."""
        return self.stored._part(self.block)


class HotTerms:
    """Common terms' decoded postings, one entry per segment, shared by every
    thread's reader (a least recently used set within a memory budget).

    A common syllable's posting list costs milliseconds to decode in Python
    (its blocks unpickled) and most queries hold some: they are decoded once,
    not once per search. Segments never change once written, so a commit
    (a new segment, deletions, a merge) leaves the other segments' entries
    in place: only those of segments gone from the index are dropped.
    """

    def __init__(self, budget: int = HOT_BUDGET, min_postings: int | None = None):
        self.budget = budget
        self.min_postings = HOT_MIN_POSTINGS if min_postings is None else min_postings
        self._lock = threading.Lock()
        self._key = None
        self._live: frozenset[str] | None = None  # the segments of the reader followed
        self._entries: OrderedDict[tuple[str, str, str], _Hot] = OrderedDict()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def follow(self, key, segments) -> None:
        """Keep to the segments of the reader ``key`` (the one that asks): drop the others'."""
        with self._lock:
            if key == self._key:
                return
            self._key, self._live = key, frozenset(segments)
            gone = [k for k in self._entries if k[0] not in self._live]
            for k in gone:
                self.nbytes -= self._entries.pop(k).nbytes
            if gone:
                log.debug(
                    "postings cache: %d entries of segments no longer read dropped", len(gone)
                )

    def get(self, segment: str, field: str, text: str) -> _Hot | None:
        """The segment's part of the term, if kept."""
        with self._lock:
            entry = self._entries.get((segment, field, text))
            if entry is not None:
                self._entries.move_to_end((segment, field, text))
            return entry

    def put(self, segment: str, field: str, text: str, entry: _Hot) -> None:
        """Keep the segment's part of the term (not for a segment the reader followed lacks)."""
        if entry.nbytes > self.budget:
            return
        with self._lock:
            if self._live is not None and segment not in self._live:
                return  # a reader older than the one followed: its segment may be gone
            old = self._entries.pop((segment, field, text), None)
            if old is not None:
                self.nbytes -= old.nbytes
            self._entries[(segment, field, text)] = entry
            self.nbytes += entry.nbytes
            while self.nbytes > self.budget:
                _, dropped = self._entries.popitem(last=False)
                self.nbytes -= dropped.nbytes
