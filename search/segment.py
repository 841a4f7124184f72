"""pyvi word segmentation, run once per article at ingest (never at query time)."""

from __future__ import annotations

import re

from .analysis import new_style, normalize_text
from .extract.text import bounded_chunks

_tokenizer = None
# pyvi's CRF works sentence by sentence; long inputs are cut at sentence ends
# so that one run of the model never sees more than a paragraph.
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
# pyvi's own syllable regex rescans a run of e-mail characters from each of its
# positions, and it builds its output by repeated concatenation: both quadratic
# in the length of what it is given. A longer sentence is cut at spaces into
# pieces of at most this many characters (a few real sentences are; only the
# compound word across a cut is lost), so its cost stays linear in the text.
MAX_SENTENCE_CHARS = 1000


def load_model():
    """pyvi's tokenizer, its model loaded on first use (about 1 s)."""
    global _tokenizer
    if _tokenizer is None:
        from pyvi import ViTokenizer  # imported lazily: loading the model takes ~1 s

        _tokenizer = ViTokenizer
    return _tokenizer


def sentences(text: str) -> list[str]:
    """The pieces of ``text`` that pyvi segments one at a time (each bounded in length)."""
    parts = (p.strip() for p in _SENTENCE_END.split(normalize_text(text)))
    return [c for p in parts if p for c in bounded_chunks(p, MAX_SENTENCE_CHARS)]


def segment(text: str) -> str:
    """pyvi's segmentation of ``text``: words joined by ``_``, separated by spaces."""
    tok = load_model()
    # In the tone placement pyvi's model knows best (see analysis.new_style).
    return " ".join(tok.tokenize(new_style(p)) for p in sentences(text))
