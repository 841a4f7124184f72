"""pyvi word segmentation (run once per article at ingest, never at query time); its dictionary."""

from __future__ import annotations

import re
from functools import lru_cache

from . import pyvi_fast
from .analysis import canonical_syllable, ensure_normalized, new_style
from .extract.text import bounded_chunks
from .pyvi_crf import read_pyvi_ngrams

# pyvi's CRF works sentence by sentence; long inputs are cut at sentence ends
# so that one run of the model never sees more than a paragraph.
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
# pyvi's own syllable regex rescans a run of e-mail characters from each of its
# positions, and it builds its output by repeated concatenation: both quadratic
# in the length of what it is given (pyvi_fast avoids the second, and the first
# unless the run holds an "@"). A longer sentence is cut at spaces into pieces
# of at most this many characters (a few real sentences are; only the compound
# word across a cut is lost), so the cost stays linear in the text. The pieces
# must stay what they were: pyvi_fast reproduces pyvi's output piece by piece.
MAX_SENTENCE_CHARS = 1000


def load_model() -> None:
    """Load pyvi's model now (about 0.1 s) rather than at the first segmentation."""
    pyvi_fast.load()


def sentences(text: str) -> list[str]:
    """The pieces of ``text`` that pyvi segments one at a time (each bounded in length)."""
    parts = (p.strip() for p in _SENTENCE_END.split(ensure_normalized(text)))
    return [c for p in parts if p for c in bounded_chunks(p, MAX_SENTENCE_CHARS)]


def segment(text: str) -> str:
    """pyvi's segmentation of ``text``: words joined by ``_``, separated by spaces."""
    # In the tone placement pyvi's model knows best (see analysis.new_style).
    # pyvi_fast.tokenize is pyvi's ViTokenizer.tokenize, output for output.
    return " ".join([pyvi_fast.tokenize(new_style(p)) for p in sentences(text)])


def segment_with_pyvi(text: str) -> str:
    """:func:`segment` by pyvi's own ``ViTokenizer.tokenize``: the reference it must equal."""
    from pyvi import ViTokenizer

    return " ".join([ViTokenizer.tokenize(new_style(p)) for p in sentences(text)])


@lru_cache(maxsize=1)
def lexical_pairs() -> frozenset[tuple[str, str]]:
    """The words of two syllables in pyvi's dictionary, tone-canonical and lower-case:
    the only pairs its model joins, as a rule (read once, about 0.1 s)."""
    bigrams, _ = read_pyvi_ngrams()
    return frozenset(
        (canonical_syllable(a), canonical_syllable(b))
        for a, b in (entry.lower().split(" ") for entry in bigrams)
    )
