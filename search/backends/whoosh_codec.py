"""Whoosh's W3 codec writing its posting blocks in half the bytes, read by Whoosh as they are.

A W3 block is the pickle of (ids, weights, values). Whoosh pickles it with
protocol 2, which writes each value (a posting's encoded positions, a few
bytes) as a call of ``_codecs.encode`` on a text: about 20 bytes a posting
before compression, and a Python call each to read. Protocol 3 writes a bytes
object as its length and its bytes. The blocks stay standard pickles of the
same tuples, so Whoosh (2.7 and whoosh3) and older vnsearch read them as they
read their own; only what the index takes on disk, and the time to read it,
change.
"""

from __future__ import annotations

import io
import pickle
import zlib

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3PostingsWriter
from whoosh.util.numeric import length_to_byte

# Under this many bytes zlib's header and checksum outweigh what it saves
# (whoosh3 measured 80; Whoosh 2.7 compresses every block).
COMPRESS_MIN = 80


def dumps(obj) -> bytes:
    """``obj`` pickled with protocol 3 and no memo (nothing in a block is shared)."""
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, 3)
    # No memo: a block's values are distinct objects, and a memo entry costs
    # 2 bytes each (5 past the 256th).
    pickler.fast = True
    pickler.dump(obj)
    return buf.getvalue()


def _weights(weights):
    # Frequencies (field boost 1) are whole numbers: 2 bytes an int, against 9 a float.
    if isinstance(weights, tuple) and all(w.is_integer() for w in weights):
        return tuple(int(w) for w in weights)
    return weights


class CompactPostingsWriter(W3PostingsWriter):
    """W3's postings writer, its blocks pickled by :func:`dumps`.

    (Whoosh 2.7 never inlines a term's postings in its info with the default
    ``inlinelimit`` of 1: every term has blocks.)
    """

    def _write_block(self, last: bool = False) -> None:
        # W3PostingsWriter._write_block, but for the pickling and COMPRESS_MIN.
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = dumps((self._mini_ids(), _weights(self._mini_weights()), self._mini_values()))
        comp = self._compression if len(data) >= COMPRESS_MIN else 0
        if comp:
            data = zlib.compress(data, comp)
        ids = self._ids
        # The block's info: read (by Whoosh too) before deciding to read the data.
        info = pickle.dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                comp,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        length = len(info) + len(data)
        self._postfile.write_int(-length if last else length)
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()


class CompactCodec(W3Codec):
    """The W3 codec with :class:`CompactPostingsWriter` (segments written and merged)."""

    def postings_writer(self, dbfile, byteids: bool = False) -> CompactPostingsWriter:
        """The writer of one field's postings."""
        return CompactPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )
