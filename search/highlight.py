"""Snippets with the matched words marked, computed from the stored text.

The text is re-analysed as the index analyses it (one regex scan, no pyvi); offsets
point into the stored (already NFC) text. When the query's accents are known
(typed, or restored by the suggester) the words with exactly those accents are
marked; otherwise, or where the text has none of them, every folded match is
(so an unaccented query still marks accented words).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html import escape

from whoosh import highlight as wh

from .analysis import (FOLD_TABLE, SYLLABLE_PATTERN, TONE_MARKS, canonical_syllable, fold,
                       syllables)
from .article import Article

SNIPPET_CHARS = 240
# A fragment: matches within this many characters, with context around them.
FRAGMENT_CHARS = SNIPPET_CHARS // 2
SURROUND = 40
_SYLLABLE_RE = re.compile(SYLLABLE_PATTERN, re.UNICODE)


@dataclass(frozen=True)
class Terms:
    """What to mark: folded syllables, and the accented ones when the query's accents are known."""

    folded: frozenset[str] = frozenset()
    exact: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.folded)

    def for_text(self, text: str) -> "Terms":
        """These terms, without the exact ones when ``text`` contains none of them."""
        if self.exact and not self.exact.intersection(syllables(text)):
            return Terms(self.folded)
        return self


@lru_cache(maxsize=1 << 16)
def _exact_key(token: str) -> str:
    return canonical_syllable(token.lower())


@lru_cache(maxsize=1 << 16)
def _folded_key(token: str) -> str:
    return fold(_exact_key(token))


@lru_cache(maxsize=4096)
def _spellings(term: str) -> tuple[str, ...]:
    """Every lower-case spelling of an exact term: the tone on any vowel that canonicalises to it."""
    decomposed = unicodedata.normalize("NFD", term)
    tones = [c for c in decomposed if c in TONE_MARKS]
    if len(tones) != 1:
        return (term,)
    base = [c for c in decomposed if c != tones[0]]
    out = {term}
    for i, c in enumerate(base):
        if c in _VOWEL_BASES:
            candidate = unicodedata.normalize("NFC", "".join(base[:i + 1] + tones + base[i + 1:]))
            if canonical_syllable(candidate) == term:
                out.add(candidate)
    return tuple(sorted(out))


_VOWEL_BASES = set("aeiouy")


@lru_cache(maxsize=1024)
def _pattern(words: frozenset[str]) -> re.Pattern:
    # A whole syllable as SYLLABLE_PATTERN cuts them: not inside a word, and
    # not a part of a decimal number ("2" does not match in "2.200").
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?<!\d[.,])(?:{alternatives})(?![^\W_])(?![.,]\d)")


class _Token:
    """The little of a Whoosh Token that formatters read: a matched syllable."""

    __slots__ = ("text", "startchar", "endchar", "matched", "boost")

    def __init__(self, text, startchar, endchar):
        self.text, self.startchar, self.endchar = text, startchar, endchar
        self.matched, self.boost = True, 1.0


def _matches(text: str, terms: Terms) -> list[_Token]:
    """The syllables of ``text`` that ``terms`` match, found by one regex scan.

    Folding and lower-casing map one character to one for Vietnamese text, so
    offsets in the folded text are offsets in ``text``; where they do not
    (rare scripts), every syllable is analysed as the index does.
    """
    if terms.exact:
        key, spelled = _exact_key, text.lower()
        words = frozenset(w for t in terms.exact for w in _spellings(t))
    else:
        key, spelled = _folded_key, text.lower().translate(FOLD_TABLE)
        words = terms.folded
    if len(spelled) != len(text):
        wanted = terms.exact or terms.folded
        return [_Token(k, m.start(), m.end()) for m in _SYLLABLE_RE.finditer(text)
                if (k := key(m.group())) in wanted]
    return [_Token(key(text[m.start():m.end()]), m.start(), m.end())
            for m in _pattern(words).finditer(spelled)]


def _formatter() -> wh.HtmlFormatter:
    # A fresh formatter per call: HtmlFormatter keeps per-term state.
    return wh.HtmlFormatter(tagname="mark", classname="match", termclass="t", between=" … ")


def _fragments(text: str, matches: list[_Token]) -> list[wh.Fragment]:
    """Groups of nearby matches, each widened by some context to whole words."""
    out, i = [], 0
    while i < len(matches):
        j = i + 1
        while j < len(matches) and matches[j].endchar - matches[i].startchar <= FRAGMENT_CHARS:
            j += 1
        group = matches[i:j]
        start = max(0, group[0].startchar - SURROUND)
        if start > 0:  # begin at a word, not inside one
            space = text.find(" ", start, group[0].startchar)
            start = space + 1 if space >= 0 else group[0].startchar
        end = min(len(text), group[-1].endchar + SURROUND)
        if end < len(text):
            space = text.rfind(" ", group[-1].endchar, end)
            end = space if space >= 0 else group[-1].endchar
        out.append(wh.Fragment(text, group, startchar=start, endchar=end))
        i = j
    return out


def _best(text: str, terms: Terms, top: int) -> str:
    fragments = _fragments(text, _matches(text, terms))
    # Whoosh's BasicFragmentScorer: matches times distinct terms. Ties go to
    # the earlier fragment, so snippets never vary from run to run.
    best = sorted(fragments, key=lambda f: (-len(f.matches) * len(f.matched_terms), f.startchar))
    best = sorted(best[:top], key=lambda f: f.startchar)
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
    fragment = wh.Fragment(text, _matches(text, terms), startchar=0, endchar=len(text))
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
