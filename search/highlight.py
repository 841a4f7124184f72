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
    tokens = _ANALYZER(text, chars=True, mode="query", removestops=False)
    tokens = wh.set_matched_filter(tokens, frozenset(terms))
    fragments = list(_fragmenter().fragment_tokens(text, tokens))
    scorer = wh.BasicFragmentScorer()
    # Whoosh breaks score ties by object identity, which makes snippets vary
    # from run to run: prefer the earlier fragment instead, then show in order.
    best = sorted(fragments, key=lambda f: (-scorer(f), f.startchar))[:top]
    best.sort(key=lambda f: f.startchar)
    return _formatter()(text, best) if best else ""


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
