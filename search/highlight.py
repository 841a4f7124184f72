"""Snippets with the matched words marked, computed from the stored text.

The text is re-analysed with the syllable analyzers (no pyvi), and the offsets
point into the stored (already NFC) text. When the query's accents are known
(typed, or restored by the suggester) the words with exactly those accents are
marked; otherwise, or where the text has none of them, every folded match is
(so an unaccented query still marks accented words).
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from whoosh import highlight as wh

from .analysis import VietnameseAnalyzer
from .article import Article

_FOLDED = VietnameseAnalyzer(fold=True)
_EXACT = VietnameseAnalyzer(fold=False)
SNIPPET_CHARS = 240


@dataclass(frozen=True)
class Terms:
    """What to mark: folded syllables, and the accented ones when the query's accents are known."""

    folded: frozenset[str] = frozenset()
    exact: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.folded)

    def for_text(self, text: str) -> "Terms":
        """These terms, without the exact ones when ``text`` contains none of them."""
        if self.exact and not self.exact & {t.text for t in _EXACT(text)}:
            return Terms(self.folded)
        return self


def _formatter() -> wh.HtmlFormatter:
    # A fresh formatter per call: HtmlFormatter keeps per-term state.
    return wh.HtmlFormatter(tagname="mark", classname="match", termclass="t", between=" … ")


def _fragmenter() -> wh.ContextFragmenter:
    return wh.ContextFragmenter(maxchars=SNIPPET_CHARS // 2, surround=40)


def _tokens(text: str, terms: Terms):
    analyzer, wanted = (_EXACT, terms.exact) if terms.exact else (_FOLDED, terms.folded)
    tokens = analyzer(text, chars=True, mode="query", removestops=False)
    return wh.set_matched_filter(tokens, wanted)


def _best(text: str, terms: Terms, top: int) -> str:
    fragments = list(_fragmenter().fragment_tokens(text, _tokens(text, terms)))
    scorer = wh.BasicFragmentScorer()
    # Whoosh breaks score ties by object identity, which makes snippets vary
    # from run to run: prefer the earlier fragment instead, then show in order.
    best = sorted(fragments, key=lambda f: (-scorer(f), f.startchar))[:top]
    best.sort(key=lambda f: f.startchar)
    return _formatter()(text, best) if best else ""


def mark(text: str, terms: Terms, top: int = 2) -> str:
    """Best fragments of ``text`` with ``terms`` marked, as safe HTML; '' if nothing matches."""
    if not text or not terms:
        return ""
    return (terms.exact and _best(text, terms, top)) or _best(text, Terms(terms.folded), top)


def mark_all(text: str, terms: Terms) -> str:
    """The whole of ``text`` with every occurrence of ``terms`` marked, as safe HTML.

    Call ``terms.for_text(whole_article)`` first so that all parts of one
    article are marked the same way.
    """
    if not text or not terms:
        return escape(text or "")
    fragment = wh.Fragment(text, [t.copy() for t in _tokens(text, terms) if t.matched],
                           startchar=0, endchar=len(text))
    return _formatter()(text, [fragment])


def snippet(article: Article, terms: Terms) -> str:
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
