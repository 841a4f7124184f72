"""Ranking with numpy over posting lists: term arrays, BM25, phrases, top-k.

Whoosh scores one matching document at a time through a tree of matcher
objects, tens of microseconds per document and clause: a query whose words
are in most articles then costs hundreds of milliseconds. Here each term's
posting list, as a backend reads it (document numbers, weights, positions),
is an array, and recall masks, BM25 scores and the top hits are array
operations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .plan import ScoreTerm

# Okapi BM25, as Whoosh's BM25F defaults.
K1, B = 1.2, 0.75


@dataclass
class TermPostings:
    """One term's postings: document numbers, weights, and encoded values (positions)."""

    ids: np.ndarray
    weights: np.ndarray
    values: Sequence[bytes]  # empty for fields without positions
    # Positions already decoded (one array per posting), where a backend has them so.
    decoded: list[np.ndarray] | None = None
    # The term's document frequency when these are only some of its postings
    # (a ranking window's), else None: the postings count.
    df: int | None = None

    @property
    def doc_frequency(self) -> int:
        """The term's document frequency (BM25's df)."""
        return len(self.ids) if self.df is None else self.df

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def has_positions(self) -> bool:
        """True when every posting carries its positions."""
        if self.decoded is not None:
            return len(self.decoded) == len(self.ids)
        return len(self.values) == len(self.ids)

    def positions(self, sel: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(index into ``sel``, position) of every position of the postings ``sel``."""
        if self.decoded is None:
            return decode_positions([self.values[j] for j in sel])
        parts = [self.decoded[j] for j in sel]
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        owners = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
        return owners, np.concatenate(parts).astype(np.int64)


class Lengths:
    """Each document's length in syllables (the ``text`` field) and the average."""

    def __init__(self, reader, live: np.ndarray | None = None):
        # One pass per index generation, shared by every search of it.
        self.values = reader.lengths()
        known = self.values[live] if live is not None else self.values
        self.average = float(known.mean()) if len(known) else 1.0
        # BM25's N: the live articles (a backend's document numbers may have gaps).
        self.count = max(1, len(known))


def bm25(
    ids: np.ndarray,
    weights: np.ndarray,
    n_docs: int,
    lengths: Lengths,
    term: ScoreTerm,
    df: int | None = None,
) -> np.ndarray:
    """BM25 scores of one term's postings (Whoosh's idf: log(N / (df + 1)) + 1).

    ``df``: the term's document frequency, when ``ids`` are only some of its postings.
    """
    idf = math.log(n_docs / ((len(ids) if df is None else df) + 1)) + 1.0
    if term.normalize:
        norm = K1 * ((1 - B) + B * lengths.values[ids] / lengths.average)
    else:
        norm = K1
    return (idf * term.boost * (K1 + 1)) * weights / (weights + norm)


def top(scores: np.ndarray, allowed: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (docnum, score) among ``allowed``: higher score first, then lower docnum."""
    docs = np.flatnonzero(allowed)
    if not len(docs) or k <= 0:
        return []
    s = scores[docs]
    if k < len(docs):
        # Everything tied with the k-th score is kept, so that ties are broken
        # by docnum and never by the partition's arbitrary order.
        kth = np.partition(-s, k - 1)[k - 1]
        keep = -s <= kth
        docs, s = docs[keep], s[keep]
    order = np.lexsort((docs, -s))[:k]
    return [(int(docs[i]), float(s[i])) for i in order]


# Positions of one document are packed below this bit, its number above.
_SHIFT = np.int64(32)
# CompactPositions' width codes, as stored (native byte order, like array).
_WIDTH_TYPES = tuple((ord(code), np.dtype(code)) for code in "BHI")


def decode_positions(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(posting index, position) of every position in ``values`` (CompactPositions bytes),
    in posting and position order.

    Decoded with array operations, one pass per delta width (1, 2 or 4 bytes).
    """
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lens, buf, starts = _joined(values)
    codes = buf[starts]
    groups = []
    per_posting = np.zeros(n, dtype=np.int64)
    for code, dtype in _WIDTH_TYPES:
        idx = np.flatnonzero(codes == code)
        if not len(idx):
            continue
        nbytes = lens[idx] - 1
        # The bytes of these postings but their leading width byte, in order:
        # each posting's part is a whole number of deltas, so the run can be
        # read as one array of deltas.
        take = np.repeat(starts[idx] + 1, nbytes) + _ranges(nbytes)
        deltas = buf[take].view(dtype).astype(np.int64)
        counts = nbytes // dtype.itemsize
        sums = np.cumsum(deltas)
        first = np.cumsum(counts) - counts
        before = np.concatenate(([0], sums))[first]
        per_posting[idx] = counts
        groups.append((idx, counts, sums - np.repeat(before, counts)))
    owners = np.repeat(np.arange(n, dtype=np.int64), per_posting)
    if len(groups) == 1 and len(groups[0][0]) == n:
        return owners, groups[0][2]  # one width: already in order
    # Several widths: each group's positions go to their postings' places.
    out_start = np.cumsum(per_posting) - per_posting
    positions = np.empty(len(owners), dtype=np.int64)
    for idx, counts, pos in groups:
        positions[np.repeat(out_start[idx], counts) + _ranges(counts)] = pos
    return owners, positions


# RelativePositions' leading bytes (search/backends/whoosh_fields.py).
_SAME, _SUBSET = ord("="), ord("~")


def decode_relative(
    values: list[bytes], owners: np.ndarray, positions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(posting index, position) of every position in ``values`` (RelativePositions bytes),
    given (posting index, position) of each posting's folded term, in posting and
    position order (as :func:`decode_positions` gives them).

    A value is ``=`` (all the folded positions) or ``~`` and a bitmap over them,
    least significant bit first (search/backends/whoosh_fields.py); ValueError for any other
    (damaged) value.
    """
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    counts = np.bincount(owners, minlength=n)
    lens, buf, starts = _joined(values)
    if len(counts) != n or not lens.all():
        raise ValueError("an exact posting does not fit its folded syllable's positions")
    codes = buf[starts]
    subset = codes == _SUBSET
    expected = np.where(subset, 1 + (counts + 7) // 8, 1)
    if not ((codes == _SAME) | subset).all() or (lens != expected).any():
        raise ValueError("an exact posting does not fit its folded syllable's positions")
    keep = np.ones(len(owners), dtype=bool)
    rows = np.flatnonzero(subset[owners])
    if len(rows):
        # Each folded position's rank among its posting's: its bit in the bitmap.
        rank = np.arange(len(owners), dtype=np.int64) - (np.cumsum(counts) - counts)[owners]
        k, r = owners[rows], rank[rows]
        keep[rows] = ((buf[starts[k] + 1 + (r >> 3)] >> (r & 7).astype(np.uint8)) & 1) == 1
    return owners[keep], positions[keep]


def _joined(values: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lengths, all the bytes as one array, where each value starts) of posting values."""
    lens = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    return lens, np.frombuffer(b"".join(values), dtype=np.uint8), np.cumsum(lens) - lens


def _ranges(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each c in ``counts``, concatenated."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    return np.arange(total, dtype=np.int64) - np.repeat(ends - counts, counts)


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """The distinct values of ``a``, sorted (a sort and one comparison: no hashing)."""
    if len(a) > 1 and bool((a[1:] > a[:-1]).all()):
        # Already so: a phrase's keys come in document and position order
        # whenever the positions were decoded in that order.
        return a
    return _distinct(np.sort(a))


def _distinct(a: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array."""
    if len(a) < 2:
        return a
    return a[np.concatenate(([True], a[1:] != a[:-1]))]


def intersect_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values in both sorted, duplicate-free arrays, sorted.

    A binary search of the shorter in the longer: no concatenation and sort of
    both, as np.intersect1d does; a posting list is already in order.
    """
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return a
    i = np.searchsorted(b, a)
    np.minimum(i, len(b) - 1, out=i)
    return a[b[i] == a]


def common_ids(lists: list[TermPostings]) -> np.ndarray:
    """Document numbers present in every one of ``lists`` (each sorted, as read)."""
    if not lists:
        return np.zeros(0, dtype=np.int64)
    ids = lists[0].ids
    for p in lists[1:]:
        ids = intersect_sorted(ids, p.ids)
    return ids


def phrase_keys(words: list[TermPostings], within: np.ndarray | None = None) -> np.ndarray:
    """(docnum << 32 | start position) of every place the terms occur one after another.

    ``words`` are the phrase's terms in order, with positions; ``within``
    limits the search to those document numbers.
    """
    k = len(words)
    if not k or any(not len(w) or not w.has_positions for w in words):
        return np.zeros(0, dtype=np.int64)
    cand = common_ids(words)
    if within is not None:
        cand = intersect_sorted(cand, _sorted_unique(within))
    keys: np.ndarray | None = None
    # The rarest terms first: their positions span fewer blocks, and once two
    # terms are placed, the rest are read only where the phrase still holds.
    order = sorted(range(k), key=lambda i: len(words[i]))
    for n, i in enumerate(order):
        w = words[i]
        sel = np.searchsorted(w.ids, cand)  # cand holds only ids of w
        owner, pos = w.positions(sel.tolist())
        # Shifted so that term i at position p means "a phrase starts at p - i";
        # k - 1 keeps every key non-negative.
        here = _sorted_unique((w.ids[sel][owner] << _SHIFT) + pos + (k - 1 - i))
        keys = here if keys is None else intersect_sorted(keys, here)
        if not len(keys):
            break
        if n and n + 1 < k:
            cand = _distinct(keys >> _SHIFT)
    assert keys is not None  # k >= 1 words: the loop ran
    return keys - (k - 1)


def phrase_ids(words: list[TermPostings], within: np.ndarray | None = None) -> np.ndarray:
    """Document numbers where the terms occur one after another (sorted)."""
    if len(words) == 1:
        ids = words[0].ids
        return ids if within is None else intersect_sorted(ids, _sorted_unique(within))
    return np.unique(phrase_keys(words, within) >> _SHIFT)


def key_docs(keys: np.ndarray) -> np.ndarray:
    """The document number of each key of :func:`phrase_keys`."""
    return keys >> _SHIFT


def key_positions(keys: np.ndarray) -> np.ndarray:
    """The position of each key of :func:`phrase_keys`."""
    return keys & ((np.int64(1) << _SHIFT) - 1)
