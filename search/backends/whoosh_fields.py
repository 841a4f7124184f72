"""Whoosh field types for pre-analysed text and compact positions formats.

Indexing analyses each article once, in a worker process, into the postings
Whoosh would have computed itself (:func:`postings`); the single writer
process only adds them. Whoosh's own ``Positions`` format pickles a list of
deltas per posting; :class:`CompactPositions` stores one byte per delta (two
or four when a gap is wider), which is smaller and decodes with C loops.
:class:`RelativePositions` stores an exact syllable without accents (never
read for its positions) as which of its folded syllable's positions it holds:
a byte when all of them, else a bit per position.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Sequence
from itertools import accumulate

from whoosh.fields import TEXT
from whoosh.formats import Format, Frequency
from whoosh.system import pack_uint

from ..analysis import fold

# Leading byte of an encoded position list: the width of each delta.
_WIDTHS = ((0xFF, b"B"), (0xFFFF, b"H"), (0xFFFFFFFF, b"I"))


class CompactPositions(Format):
    """Positions stored as deltas of the smallest fitting width, with no pickle."""

    def __init__(self, field_boost=1.0, **options):
        self.field_boost = field_boost
        self.options = options

    def word_values(self, value, analyzer, **kwargs):
        poses = defaultdict(list)
        kwargs["positions"] = True
        for t in analyzer(value, **kwargs) if isinstance(value, str) else ():
            poses[t.text].append(t.pos)
        fb = self.field_boost
        for word, poslist in poses.items():
            yield word, len(poslist), len(poslist) * fb, self.encode(poslist)

    @staticmethod
    def encode(poslist) -> bytes:
        """The bytes stored for one posting's (sorted) positions."""
        deltas = [b - a for a, b in zip([0, *poslist], poslist)]
        top = max(deltas)
        for limit, code in _WIDTHS:
            if top <= limit:
                return code + array(code.decode(), deltas).tobytes()
        raise ValueError("position out of range")

    @staticmethod
    def decode_positions(valuestring: bytes) -> list[int]:
        """The positions of one posting."""
        return list(accumulate(array(chr(valuestring[0]), valuestring[1:])))

    @staticmethod
    def decode_frequency(valuestring: bytes) -> int:
        """The number of positions of one posting."""
        return (len(valuestring) - 1) // array(chr(valuestring[0])).itemsize

    def decode_weight(self, valuestring: bytes) -> float:
        """The weight of one posting: its frequency times the field boost."""
        return self.decode_frequency(valuestring) * self.field_boost

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        """Positions with a boost of 1 each (for Whoosh's span queries)."""
        return [(pos, 1.0) for pos in self.decode_positions(valuestring)]

    def combine(self, vs):
        """One posting from several (the same term twice in a document)."""
        s = set()
        for v in vs:
            s.update(self.decode_positions(v))
        return self.encode(sorted(s))


class RelativePositions(CompactPositions):
    """Exact syllables without accents: positions as a subset of the folded syllable's.

    A query asks for exact syllables only where it has accents (search/plan.py),
    so an exact syllable without accents (``exact:hoa``, beside ``text:hoa``
    at a superset of its positions) is never read for its positions. Its value
    is :data:`SAME` when the two lists are equal (most postings), else
    :data:`SUBSET` and a bitmap over the folded positions, least significant
    bit first; reading it takes the folded term's positions
    (search/backends/whoosh_cache.py). Accented syllables keep their own
    positions (CompactPositions): reading them through the folded syllable's,
    whose blocks are several times more, made searches 20% slower.
    """

    SAME = b"="
    SUBSET = b"~"

    def __init__(self, base: str = "text", field_boost=1.0, **options):
        super().__init__(field_boost=field_boost, **options)
        self.base = base  # the field of the folded syllables

    @staticmethod
    def relative(text: str) -> bool:
        """True when the term ``text`` is stored relative to its folded syllable's."""
        return fold(text) == text

    @classmethod
    def encode_relative(cls, positions: Sequence[int], base: Sequence[int]) -> bytes:
        """The value of ``positions`` (sorted) among ``base``, the folded term's (sorted)."""
        if len(positions) == len(base):
            return cls.SAME
        bits = bytearray((len(base) + 7) // 8)
        i = 0
        for p in positions:
            while base[i] != p:  # positions is a subset of base: the walk ends
                i += 1
            bits[i >> 3] |= 1 << (i & 7)
            i += 1
        return cls.SUBSET + bytes(bits)

    def word_values(self, value, analyzer, **kwargs):
        raise TypeError("the exact field is indexed from prepared terms only")

    def decode_positions(self, valuestring: bytes) -> list[int]:  # type: ignore[override]
        """An accented term's positions; TypeError for a relative value (not readable alone)."""
        if valuestring[:1] in (self.SAME, self.SUBSET):
            raise TypeError("relative positions are read with the folded term's (read_postings)")
        return CompactPositions.decode_positions(valuestring)

    def decode_frequency(self, valuestring: bytes) -> int:  # type: ignore[override]
        """An accented term's frequency; TypeError for a relative value (its weight holds it)."""
        if valuestring[:1] in (self.SAME, self.SUBSET):
            raise TypeError("the frequency of a relative posting is its weight")
        return CompactPositions.decode_frequency(valuestring)

    def combine(self, vs):
        raise TypeError("exact positions cannot be combined")


class AnalysedTerms(tuple):
    """A field value analysed beforehand: (term bytes, frequency, weight, value bytes) items."""

    __slots__ = ()


class PositionedTerms(tuple):
    """A positional field analysed beforehand, positions not yet encoded:
    (term bytes, frequency, weight, sorted positions) items.

    The Xapian backend adds the positions as they are; Whoosh stores them
    encoded (:meth:`encoded`, done in the worker processes).
    """

    __slots__ = ()

    def encoded(self) -> AnalysedTerms:
        """The same postings with their positions in CompactPositions bytes."""
        encode = CompactPositions.encode
        return AnalysedTerms((w, n, weight, encode(p)) for w, n, weight, p in self)


class RelativeTerms(PositionedTerms):
    """The accent-exact field's :class:`PositionedTerms`: those without accents encoded
    relative to the folded syllables' positions (:class:`RelativePositions`), which
    the field gives too (a folded syllable's are those of all its exact forms)."""

    __slots__ = ()

    def encoded(self) -> AnalysedTerms:
        """The same postings with their positions encoded."""
        texts = [w.decode("utf-8") for w, _, _, _ in self]
        base: dict[str, list[int]] = defaultdict(list)
        for text, (_, _, _, p) in zip(texts, self):
            base[fold(text)].extend(p)
        out = []
        for t, (w, n, weight, p) in zip(texts, self):
            if RelativePositions.relative(t):  # then t is its own folded syllable
                out.append((w, n, weight, RelativePositions.encode_relative(p, sorted(base[t]))))
            else:
                out.append((w, n, weight, CompactPositions.encode(p)))
        return AnalysedTerms(out)


def encoded(fields: dict) -> dict:
    """``fields`` with each :class:`PositionedTerms` value encoded for Whoosh's writer."""
    return {k: v.encoded() if isinstance(v, PositionedTerms) else v for k, v in fields.items()}


class PreparedText(TEXT):
    """A TEXT field that also takes :class:`AnalysedTerms` computed outside the writer."""

    def __init__(
        self,
        analyzer,
        positions: bool = True,
        field_boost: float = 1.0,
        relative: str | None = None,
        **kwargs,
    ):
        super().__init__(analyzer=analyzer, phrase=positions, field_boost=field_boost, **kwargs)
        if positions:
            self.format = (
                RelativePositions(relative, field_boost=field_boost)
                if relative
                else CompactPositions(field_boost=field_boost)
            )

    def index(self, value, **kwargs):
        """Whoosh's postings of ``value``: as given when already analysed, else analysed now."""
        if isinstance(value, AnalysedTerms):
            return iter(value)
        if isinstance(value, PositionedTerms):
            return iter(value.encoded())
        return super().index(value, **kwargs)


# Pickled into every table of contents with the schema: named where they were
# first defined (search/fields.py finds them here), as search/backends/whoosh_analysis.py
# does for the analyzers.
for _cls in (CompactPositions, RelativePositions, PreparedText):
    _cls.__module__ = "search.fields"


def analysed_terms(
    field: PreparedText, tokens: Sequence[str | None]
) -> AnalysedTerms | PositionedTerms:
    """The postings Whoosh would index for a field whose analyzer yields ``tokens``
    (with their positions as lists, for a positional field).

    A None in ``tokens`` takes a position but indexes nothing (a gap between parts).
    """
    fb = field.format.field_boost
    if isinstance(field.format, CompactPositions):
        poses = defaultdict(list)
        for pos, tok in enumerate(tokens):
            if tok is not None:
                poses[tok].append(pos)
        kind = RelativeTerms if isinstance(field.format, RelativePositions) else PositionedTerms
        return kind((w.encode("utf-8"), len(p), len(p) * fb, p) for w, p in poses.items())
    assert isinstance(field.format, Frequency)
    freqs = defaultdict(int)
    for tok in tokens:
        freqs[tok] += 1
    return AnalysedTerms((w.encode("utf-8"), n, n * fb, pack_uint(n)) for w, n in freqs.items())
