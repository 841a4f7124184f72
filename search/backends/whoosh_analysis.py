"""Vietnamese analysis as Whoosh analyzers (the Whoosh schema's text fields).

The same steps as :func:`search.analysis.syllables`, :func:`~search.analysis.analyze`
and :func:`~search.analysis.compound_words`, as tokenizer and filter classes that
compose with ``|``. Every class is defined at module level because Whoosh pickles
the schema, analyzers included.
"""

from __future__ import annotations

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer

from ..analysis import SYLLABLE_PATTERN, WORD_PATTERN, canonical_syllable, fold, normalize_text

__all__ = [
    "CompoundFilter",
    "FoldFilter",
    "ToneFilter",
    "VietnameseAnalyzer",
    "VietnameseTokenizer",
    "WordsAnalyzer",
]


class VietnameseTokenizer(RegexTokenizer):
    """RegexTokenizer that normalises (NFC, look-alikes, spaces) before matching."""

    def __init__(self, expression=SYLLABLE_PATTERN, gaps=False):
        super().__init__(expression=expression, gaps=gaps)

    def __call__(self, value, **kwargs):
        return super().__call__(normalize_text(value), **kwargs)


class ToneFilter(Filter):
    """Rewrites each (lower-case) token to the canonical tone placement."""

    def __call__(self, tokens):
        for t in tokens:
            if "_" in t.text:
                t.text = "_".join(canonical_syllable(s) for s in t.text.split("_"))
            else:
                t.text = canonical_syllable(t.text)
            yield t


class FoldFilter(Filter):
    """Removes every diacritic from each token (``đ`` -> ``d``)."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = fold(t.text)
            yield t


class CompoundFilter(Filter):
    """Keeps only words of several syllables (``cán_bộ``); single syllables are elsewhere."""

    def __call__(self, tokens):
        for t in tokens:
            if "_" in t.text:
                yield t


def VietnameseAnalyzer(fold=True):
    """Syllable analyzer: normalise, lower-case, canonical tones, then fold if asked.

    :param fold: remove diacritics (the recall fields) or keep them (the exact field).
    """
    chain = VietnameseTokenizer() | LowercaseFilter() | ToneFilter()
    return chain | FoldFilter() if fold else chain


def WordsAnalyzer():
    """Analyzer for pyvi output (``cán_bộ cấp xã``): one folded token per compound word."""
    return VietnameseTokenizer(WORD_PATTERN) | CompoundFilter() | LowercaseFilter() | FoldFilter()


# Whoosh pickles the schema, these classes included, into every table of contents.
# They keep the name of the module they were first defined in (which finds them
# here), so the files stay the same as before they moved: an index written now
# opens in every vnsearch of its schema version, older ones too.
for _cls in (VietnameseTokenizer, ToneFilter, FoldFilter, CompoundFilter):
    _cls.__module__ = "search.analysis"
