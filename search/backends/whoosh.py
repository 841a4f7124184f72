"""The Whoosh backend: the embedded default (one folder of Whoosh segments).

The files, their safety (atomic metadata, locks, damage detection, rebuilds)
and the writer live in ``search/index.py``; the posting-list reader in
``search/scoring.py``. This module adapts them to the backend interfaces.
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from operator import itemgetter
from pathlib import Path

import numpy as np
from whoosh.index import FileIndex
from whoosh.matching.wrappers import FilterMatcher

from .. import index as wi
from ..scoring import TermPostings, decode_positions

try:  # the block layout of Whoosh's (and whoosh3's) W3 codec
    from whoosh.codec.whoosh3 import W3LeafMatcher
except ImportError:  # pragma: no cover - another codec: read posting by posting
    W3LeafMatcher = None

# A W3 block's length prefix (whoosh.system's int: signed, big-endian).
_INT = struct.Struct("!i")
_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


def _blocks(m, keep_values: bool) -> tuple[list, list, BlockValues]:
    # W3 blocks hold (delta-coded ids, weights or one weight or None, values),
    # pickled: take them whole instead of one posting per Python call, and
    # turn all of a term's blocks into arrays at once.
    deltas: list[int] = []
    weights: list[float] = []
    values = BlockValues()
    counts = []
    for d, w, v in _block_data(m):
        n = len(d)
        counts.append(n)
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
        return [], [], values
    # Each block's ids are deltas from 0: a running sum restarted at every block.
    sums = np.cumsum(np.asarray(deltas, dtype=np.int64))
    ends = np.cumsum(counts)
    before = np.concatenate(([0], sums[ends[:-1] - 1]))
    ids = sums - np.repeat(before, counts)
    return [ids], [np.asarray(weights, dtype=np.float32)], values


class BlockValues(Sequence):
    """The values (encoded positions) of a term's postings, block by block.

    A block still pickled is unpickled when one of its values is first asked
    for: a search needs the positions of a few candidates, or of the documents
    holding every syllable of a word, and most blocks of a common term hold
    neither.
    """

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._parts: list = []  # a block's values, or its data still pickled (_Pickled)
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
        if isinstance(part, _Pickled):
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


class _Pickled:
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


# A W3 block's data is the protocol-2 pickle of (ids, weights, values). Each
# value is a bytes object, which protocol 2 writes as a call of _codecs.encode:
# unpickling them is nine tenths of the block's cost. The ids and weights come
# first and are only ints, floats and tuples, whose opcodes (K, M, J, G, (, t,
# q, N, ...) occur at least every 9 bytes and are none of this global's bytes:
# its first occurrence is where the values start.
_VALUES_GLOBAL = b"c_codecs\nencode\n"
_BYTES_GLOBAL = b"cbuiltins\nbytes\n"
_TUPLE2_STOP = b"\x86."


def _ids_and_weights(data: bytes, count: int, compressed: bool = False) -> tuple:
    """(ids, weights, values) of a block's pickled data, zlib-compressed if ``compressed``:
    the values left pickled (:class:`_Pickled`) when they can be set apart, else unpickled
    with the rest.

    Compressed data is inflated only as far as where the values start: most
    blocks of a common term are read for their ids and weights alone, and the
    values are about two thirds of a block.
    """
    head, whole = _inflated_head(data, count) if compressed else (data, True)
    i = head.find(_VALUES_GLOBAL)
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
    seen = 0
    while out.find(_VALUES_GLOBAL, seen) < 0:
        if not d.unconsumed_tail:
            return out + d.flush(), True
        seen = max(0, len(out) - len(_VALUES_GLOBAL) + 1)
        out += d.decompress(d.unconsumed_tail, step)
    return out, False


def _block_data(m) -> Iterator[tuple]:
    """The data tuple of the matcher's current block and of each block after it
    (values may be left pickled: see :class:`BlockValues`).

    A W3 block is its length (negative for the last block), its pickled info
    tuple, then its (compressed) pickled data. Whoosh unpickles the info from
    the file itself, which reads it a few bytes per call through the compound
    file: here each block is read in one call and unpickled from memory.
    """
    if not m.is_active():
        return
    if m._data is not None:
        yield m._data
    else:
        data = m._postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
        yield _ids_and_weights(data, m._blocklength, bool(m._compression))
    last, offset, postfile = m._lastblock, m._nextoffset, m._postfile
    while not last:
        postfile.seek(offset)
        (length,) = _INT.unpack(postfile.read(_INT.size))
        last, length = length < 0, abs(length)
        block = io.BytesIO(postfile.read(length))
        info = pickle.load(block)  # (count, max id, max weight, compression, ...)
        data = block.read()
        yield _ids_and_weights(data, info[0], bool(info[3]))
        offset += _INT.size + length


def _one_by_one(m, keep_values: bool) -> tuple[list, list, BlockValues]:
    ids, weights, kept = [], [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        if keep_values:
            kept.append(m.value())
        m.next()
    values = BlockValues()
    values.add(tuple(kept), len(kept))
    return [np.asarray(ids, dtype=np.int64)], [np.asarray(weights, dtype=np.float32)], values


def _segment_postings(m, keep_values: bool) -> tuple[list, list, BlockValues]:
    """(ids, weights, values) of one segment's matcher, deleted documents included
    (the live mask removes them): W3 blocks whole, another codec one posting at a time."""
    if isinstance(m, FilterMatcher):
        # The filter may have moved its child past deleted documents only;
        # whole blocks are read.
        m = m.child
    fast = W3LeafMatcher is not None and isinstance(m, W3LeafMatcher)
    return (_blocks if fast else _one_by_one)(m, keep_values)


def read_postings(searcher, field: str, text: str) -> TermPostings:
    """One term's postings across the index's segments, as arrays.

    Deleted documents may be included: callers combine with the live mask.
    Positions are kept (encoded) for fields that have them, for phrase checks.
    """
    keep_values = searcher.schema[field].format.supports("positions")
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    values = BlockValues()
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        if (field, text) not in reader:
            continue
        i, w, v = _segment_postings(reader.postings(field, text), keep_values)
        ids += [a + offset for a in i]
        weights += w
        values.extend(v)
    if not ids:
        return TermPostings(_EMPTY[0], _EMPTY[1], [])
    return WhooshPostings(np.concatenate(ids), np.concatenate(weights), values)


class WhooshReader:
    """A :class:`~search.backends.base.Reader` over one Whoosh searcher."""

    def __init__(self, path: Path, searcher):
        self.path = path
        self.searcher = searcher
        r = searcher.reader()
        self._reader = r
        self.size = r.doc_count_all()
        self.key = ("whoosh", r.generation(), self.size, r.doc_count())

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
        return read_postings(self.searcher, field, text)

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
                ids, _, _ = _segment_postings(r.postings(field, text), False)
                if ids:
                    yield text, np.concatenate(ids) + offset

    def prefixed(self, field: str, prefix: str) -> Iterator[str]:
        """Terms of the field starting with ``prefix``."""
        for term in self._reader.expand_prefix(field, prefix):
            yield term.decode("utf-8") if isinstance(term, bytes) else term

    def stored(self, docnum: int) -> dict:
        """The stored fields of a document."""
        return self.searcher.stored_fields(docnum)

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

    def __init__(self, path: Path):
        self.path = Path(path)
        self._ix: FileIndex | None = None

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
        return WhooshReader(self.path, self._ix.searcher())


class WhooshStore:
    """The writing side of a Whoosh index (see ``search/index.py``)."""

    backend = "whoosh"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.ix, self.note = wi.open_for_writing(self.path)

    def stamp(self) -> wi.Stamp:
        """Generation and document count of the latest commit."""
        return wi.stamp(self.ix)

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

    def write(self, items, batch_size: int, on_commit=None, lock_timeout: float = wi.LOCK_TIMEOUT):
        """Write (article, words, extra) items in committed batches; yields each article."""
        return wi.write_batches(
            self.ix, items, batch_size=batch_size, on_commit=on_commit, lock_timeout=lock_timeout
        )

    def delete(self, ids: list[str], on_commit=None, lock_timeout: float = wi.LOCK_TIMEOUT):
        """Delete the articles stored under ``ids``, in one commit."""
        wi.delete_ids(self.ix, ids, lock_timeout, on_commit)

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
