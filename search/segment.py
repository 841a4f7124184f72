"""pyvi word segmentation, run once per article at ingest (never at query time)."""
from __future__ import annotations

import re

from .analysis import normalize_text

_tokenizer = None
# pyvi's CRF works sentence by sentence; long inputs are cut at sentence ends
# so that one run of the model never sees more than a paragraph.
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def _pyvi():
    global _tokenizer
    if _tokenizer is None:
        from pyvi import ViTokenizer  # imported lazily: loading the model takes ~1 s

        _tokenizer = ViTokenizer
    return _tokenizer


def segment(text: str) -> str:
    """pyvi's segmentation of ``text``: words joined by ``_``, separated by spaces."""
    tok = _pyvi()
    parts = (p.strip() for p in _SENTENCE_END.split(normalize_text(text)))
    return " ".join(tok.tokenize(p) for p in parts if p)
