"""Whoosh posting lists read as arrays: W3 blocks decoded whole, positions on demand.

Whoosh decodes a posting list one Python call per posting; here each W3 block
is unpickled at once, and the result is numpy arrays. A block that vnsearch
wrote (whoosh_codec.CompactCodec) is cheap to unpickle and read whole; in one
that Whoosh's own codec wrote, the values (the encoded positions) cost nine
tenths of the block and are unpickled only when a phrase asks for them.
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter

import numpy as np
from whoosh.matching.wrappers import FilterMatcher

from ..scoring import TermPostings, decode_positions, decode_relative

try:  # the block layout of Whoosh's (and whoosh3's) W3 codec
    from whoosh.codec.whoosh3 import W3LeafMatcher
except ImportError:  # pragma: no cover - another codec: read posting by posting
    W3LeafMatcher = None

# A W3 block's length prefix (whoosh.system's int: signed, big-endian).
_INT = struct.Struct("!i")
_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


def _blocks(m, keep_values: bool) -> tuple[list, list, BlockValues, list]:
    # W3 blocks hold (delta-coded ids, weights or one weight or None, values),
    # pickled: take them whole instead of one posting per Python call, and
    # turn all of a term's blocks into arrays at once.
    deltas: list[int] = []
    weights: list[float] = []
    values = BlockValues()
    counts = []
    where = []
    for (d, w, v), at in _block_data(m):
        n = len(d)
        counts.append(n)
        where.append(at)
        deltas.extend(d)
        if w is None:
            weights.extend([1.0] * n)
        elif isinstance(w, float):
            weights.extend([w] * n)
        else:
            weights.extend(w)
        if keep_values:
            values.add(v, n)
    if not counts:
        return [], [], values, where
    # Each block's ids are deltas from 0: a running sum restarted at every block.
    sums = np.cumsum(np.asarray(deltas, dtype=np.int64))
    ends = np.cumsum(counts)
    before = np.concatenate(([0], sums[ends[:-1] - 1]))
    ids = sums - np.repeat(before, counts)
    return [ids], [np.asarray(weights, dtype=np.float32)], values, where


class BlockValues(Sequence):
    """The values (encoded positions) of a term's postings, block by block.

    A block still pickled is unpickled when one of its values is first asked
    for: a search needs the positions of a few candidates, or of the documents
    holding every syllable of a word, and most blocks of a common term hold
    neither.
    """

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._parts: list = []  # a block's values, or what reads them (Lazy)
        self._size = 0

    def add(self, part, n: int) -> None:
        """Append a block of ``n`` postings: its values, or its data still pickled."""
        if not n:
            return
        self._starts.append(self._size)
        self._parts.append(part)
        self._size += n

    def extend(self, other: BlockValues) -> None:
        """Append the blocks of ``other`` (the next segment's postings)."""
        for start, part, end in zip(other._starts, other._parts, [*other._starts[1:], len(other)]):
            self.add(part, end - start)

    def __len__(self) -> int:
        return self._size

    def _part(self, k: int) -> tuple:
        part = self._parts[k]
        if isinstance(part, Lazy):
            part = self._parts[k] = part.values()
        return part

    def __getitem__(self, j):  # one posting's value (j >= 0)
        k = bisect_right(self._starts, j) - 1
        return self._part(k)[j - self._starts[k]]

    def take(self, sel: list[int]) -> list[bytes]:
        """The values of the postings ``sel`` (ascending), a block at a time."""
        if not sel:
            return []
        at = np.asarray(sel, dtype=np.int64)
        starts = np.asarray(self._starts, dtype=np.int64)
        blocks = np.searchsorted(starts, at, side="right") - 1
        # Where each run of postings of one block begins in ``sel``.
        cuts = np.flatnonzero(np.diff(blocks)) + 1
        out: list[bytes] = []
        for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(sel)]):
            k = int(blocks[a])
            part = self._part(k)
            offsets = (at[a:b] - starts[k]).tolist()
            if len(offsets) == len(part):
                out.extend(part)
            elif len(offsets) == 1:
                out.append(part[offsets[0]])
            else:
                out.extend(itemgetter(*offsets)(part))
        return out


class WhooshPostings(TermPostings):
    """Postings whose encoded positions are unpickled only for the blocks asked."""

    values: BlockValues

    def positions(self, sel: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(index into ``sel``, position) of every position of the postings ``sel`` (ascending)."""
        return decode_positions(self.values.take(sel))


class RelativePostings(WhooshPostings):
    """An exact term without accents, whose positions are stored as which of its folded
    term's they are (RelativePositions): read through the folded term's postings."""

    def __init__(self, own: WhooshPostings, folded: Callable[[], TermPostings]):
        self.ids, self.weights, self.values, self.df = own.ids, own.weights, own.values, own.df
        self._folded_call = folded
        self._folded: TermPostings | None = None

    def positions(self, sel: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(index into ``sel``, position) of every position of the postings ``sel`` (ascending)."""
        if not sel:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if self._folded is None:
            self._folded = self._folded_call()
        folded = self._folded
        docs = self.ids[sel]
        at = np.searchsorted(folded.ids, docs)
        if int(at[-1]) >= len(folded.ids) or not np.array_equal(folded.ids[at], docs):
            raise ValueError("an exact posting has no folded posting in its document")
        owners, positions = folded.positions(at.tolist())
        return decode_relative(self.values.take(sel), owners, positions)


class Lazy:
    """A block's values not read yet (:class:`BlockValues` calls ``values()`` when asked)."""

    __slots__ = ()

    def values(self) -> tuple:
        """The block's values."""
        raise NotImplementedError


class _Pickled(Lazy):
    """A block's pickled data tuple (zlib-compressed or not), its values not yet unpickled."""

    __slots__ = ("at", "compressed", "data")

    def __init__(self, data: bytes, at: int, compressed: bool = False):
        # ``at``: where _codecs.encode is named in the (inflated) pickle.
        self.data, self.at, self.compressed = data, at, compressed

    def whole(self) -> bytes:
        """The block's pickle, inflated."""
        return zlib.decompress(self.data) if self.compressed else self.data

    def values(self) -> tuple:
        """The block's values, unpickled.

        Each value is made by ``bytes(text, "latin1")`` instead of
        ``_codecs.encode(text, "latin1")`` (the same bytes; half the cost
        of the call, which is made once per posting).
        """
        data = self.whole()
        at = self.at
        return pickle.loads(data[:at] + _BYTES_GLOBAL + data[at + len(_VALUES_GLOBAL) :])[2]


# A W3 block's data is the pickle of (ids, weights, values): protocol 3 where
# CompactCodec wrote it (unpickled whole: cheap), protocol 2 where Whoosh's own
# codec did (indexes written before it, and by other tools). There each value
# is a bytes object, which protocol 2 writes as a call of _codecs.encode:
# unpickling them is nine tenths of the block's cost. The ids and weights come
# first and are only ints, floats and tuples, whose opcodes (K, M, J, G, (, t,
# q, N, ...) occur at least every 9 bytes and are none of this global's bytes:
# its first occurrence is where the values start.
_VALUES_GLOBAL = b"c_codecs\nencode\n"
_BYTES_GLOBAL = b"cbuiltins\nbytes\n"
_TUPLE2_STOP = b"\x86."
_PROTOCOL_2 = b"\x80\x02"


def _ids_and_weights(data: bytes, count: int, compressed: bool = False) -> tuple:
    """(ids, weights, values) of a block's pickled data, zlib-compressed if ``compressed``:
    the values left pickled (:class:`_Pickled`) when they can be set apart, else unpickled
    with the rest.

    Compressed data of Whoosh's codec is inflated only as far as where the values
    start: most blocks of a common term are read for their ids and weights alone,
    and there the values are about two thirds of a block.
    """
    head, whole = _inflated_head(data, count) if compressed else (data, True)
    i = head.find(_VALUES_GLOBAL) if head.startswith(_PROTOCOL_2) else -1
    if i > 0:
        # A tuple of more than three items opens with a MARK; shorter ones do not.
        start = i - 1 if count > 3 else i
        if count <= 3 or head[start : start + 1] == b"(":
            try:
                got = pickle.loads(head[:start] + _TUPLE2_STOP)
            except Exception:  # noqa: BLE001 (not where the values start: read it all)
                got = None
            if (
                isinstance(got, tuple)
                and len(got) == 2
                and len(got[0]) == count
                and (got[1] is None or isinstance(got[1], float) or len(got[1]) == count)
            ):
                # Kept compressed when only its start was inflated.
                later = _Pickled(head, i) if whole else _Pickled(data, i, compressed=True)
                return got[0], got[1], later
    return pickle.loads(head if whole else zlib.decompress(data))


def _inflated_head(data: bytes, count: int) -> tuple[bytes, bool]:
    """The start of a compressed pickle, at least through the first naming of
    _codecs.encode; or all of it (True) when there is none."""
    d = zlib.decompressobj()
    step = 14 * count + 64  # about the ids' and weights' opcodes: 2-5 and 9 bytes each
    out = d.decompress(data, step)
    if not out.startswith(_PROTOCOL_2):
        # Written by CompactCodec (protocol 3): its values unpickle fast; all of it.
        return out + d.decompress(d.unconsumed_tail) + d.flush(), True
    seen = 0
    while out.find(_VALUES_GLOBAL, seen) < 0:
        if not d.unconsumed_tail:
            return out + d.flush(), True
        seen = max(0, len(out) - len(_VALUES_GLOBAL) + 1)
        out += d.decompress(d.unconsumed_tail, step)
    return out, False


def _block_data(m) -> Iterator[tuple[tuple, tuple[int, int, int, bool]]]:
    """The data tuple of the matcher's current block and of each block after it
    (values may be left pickled: see :class:`BlockValues`), each with where its
    data lies in the postings file: (offset, length, postings, compressed).

    A W3 block is its length (negative for the last block), its pickled info
    tuple, then its (compressed) pickled data. Whoosh unpickles the info from
    the file itself, which reads it a few bytes per call through the compound
    file: here the blocks after the first are read in one call (they end where
    the term's postings do) and unpickled from memory.
    """
    if not m.is_active():
        return
    at = (m._dataoffset, m._nextoffset - m._dataoffset, m._blocklength, bool(m._compression))
    if m._data is not None:
        yield m._data, at
    else:
        yield _ids_and_weights(m._postfile.get(at[0], at[1]), at[2], at[3]), at
    if m._lastblock:
        return
    # The term's other blocks, in one read: they end where its postings do.
    offset = m._nextoffset
    # Whoosh 2.7 reads a term's length as a 1-tuple (unpack_int without [0]).
    length = m._length[0] if isinstance(m._length, tuple) else m._length
    buf = m._postfile.get(offset, m._startoffset + length - offset)
    block = io.BytesIO(buf)
    pos, last = 0, False
    while not last:
        (size,) = _INT.unpack_from(buf, pos)
        last = size < 0
        end = pos + _INT.size + abs(size)
        if end > len(buf):
            raise EOFError(f"a posting block ends past its term's postings ({end} > {len(buf)})")
        block.seek(pos + _INT.size)
        info = pickle.load(block)  # (count, max id, max weight, compression, ...)
        start = block.tell()
        at = (offset + start, end - start, info[0], bool(info[3]))
        yield _ids_and_weights(buf[start:end], info[0], bool(info[3])), at
        pos = end


def _one_by_one(m, keep_values: bool) -> tuple[list, list, BlockValues, None]:
    ids, weights, kept = [], [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        if keep_values:
            kept.append(m.value())
        m.next()
    values = BlockValues()
    values.add(tuple(kept), len(kept))
    return [np.asarray(ids, dtype=np.int64)], [np.asarray(weights, dtype=np.float32)], values, None


def segment_postings(m, keep_values: bool) -> tuple[list, list, BlockValues, list | None]:
    """(ids, weights, values, where each block's data lies) of one segment's matcher,
    deleted documents included (the live mask removes them): W3 blocks whole,
    another codec one posting at a time (and no block locations: None)."""
    if isinstance(m, FilterMatcher):
        # The filter may have moved its child past deleted documents only;
        # whole blocks are read.
        m = m.child
    fast = W3LeafMatcher is not None and isinstance(m, W3LeafMatcher)
    return (_blocks if fast else _one_by_one)(m, keep_values)
