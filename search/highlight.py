"""Snippets with the matched words marked, computed from the stored text.

The text is re-analysed with the folded syllable analyzer (no pyvi), so an
unaccented query marks accented words, and the offsets point into the stored
(already NFC) text.
"""
from __future__ import annotations

from html import escape
from whoosh import highlight as wh

from .analysis import VietnameseAnalyzer
from .article import Article

_ANALYZER = VietnameseAnalyzer(fold=True)
SNIPPET_CHARS = 240


def _formatter() -> wh.HtmlFormatter:
    # A fresh formatter per call: HtmlFormatter keeps per-term state.
    return wh.HtmlFormatter(tagname="mark", classname="match", termclass="t", between=" … ")


def _fragmenter() -> wh.ContextFragmenter:
    return wh.ContextFragmenter(maxchars=SNIPPET_CHARS // 2, surround=40)


def mark(text: str, terms: set[str], top: int = 2) -> str:
    """Best fragments of ``text`` with ``terms`` (folded) marked, as safe HTML; '' if none."""
    if not text or not terms:
        return ""
    return wh.highlight(text, frozenset(terms), _ANALYZER, _fragmenter(), _formatter(), top=top)


def mark_all(text: str, terms: set[str]) -> str:
    """The whole of ``text`` with every occurrence of ``terms`` marked, as safe HTML."""
    if not text or not terms:
        return escape(text or "")
    return wh.highlight(text, frozenset(terms), _ANALYZER, wh.WholeFragmenter(),
                        _formatter(), top=1) or escape(text)


def snippet(article: Article, terms: set[str]) -> str:
    """A short excerpt for a result list: matched text first, captions next, else the lead."""
    for text in (article.lead + "\n" + article.body, "\n".join(article.captions)):
        marked = mark(text.strip(), terms)
        if marked:
            return marked
    start = (article.lead or article.body).strip()
    cut = start[:SNIPPET_CHARS]
    if len(start) > SNIPPET_CHARS:
        cut = cut.rsplit(" ", 1)[0] + " …"
    return escape(cut)
