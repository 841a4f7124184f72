"""Snippets with the matched words marked, computed from the stored text.

The text is re-analysed as the index analyses it (one regex scan, no pyvi); offsets
point into the stored (already NFC) text. What is marked is what matched: each
query word as a whole (its syllables next to each other), with the accents typed
where they were typed. A word typed without accents is marked in its restored
reading where the article has it, and with any accents where it does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import NamedTuple

from .analysis import (
    SYLLABLE_PATTERN,
    canonical_syllable,
    clause_pieces,
    clause_syllables,
    fold,
    fold_chars,
)
from .article import Article

SNIPPET_CHARS = 240
# A fragment: matches within this many characters, with context around them.
FRAGMENT_CHARS = SNIPPET_CHARS // 2
SURROUND = 40
# Distinct matched words get classes t0..t4, then t0 again.
TERM_CLASSES = 5
_SYLLABLE_RE = re.compile(SYLLABLE_PATTERN, re.UNICODE)


# One query word as marking sees it: (syllable, exact) pairs, the syllable
# tone-canonical when exact, folded otherwise.
Pattern = tuple[tuple[str, bool], ...]
# Syllables may be this many characters apart and still be one word (spaces,
# a hyphen, quotes), unless punctuation between them ends a clause, where the
# index leaves a position free (analysis.clause_syllables).
MAX_SEPARATOR = 20


@dataclass(frozen=True)
class Terms:
    """The query's words to mark, and the same words read with restored accents."""

    words: tuple[Pattern, ...] = ()
    restored: tuple[Pattern, ...] = ()  # parallel to ``words``, or empty

    def __bool__(self) -> bool:
        return bool(self.words)

    def for_text(self, text: str) -> Terms:
        """Each word in its restored reading where ``text`` has it, else as typed."""
        if not self.restored or len(self.restored) != len(self.words):
            return Terms(self.words)
        chosen = tuple(
            r if r != w and _matches(text, Terms((r,))) else w
            for w, r in zip(self.words, self.restored)
        )
        return Terms(chosen)


@lru_cache(maxsize=1 << 16)
def _exact_key(token: str) -> str:
    return canonical_syllable(token.lower())


@lru_cache(maxsize=1 << 16)
def _folded_key(token: str) -> str:
    return fold(_exact_key(token))


@lru_cache(maxsize=1024)
def _pattern(folded_words: frozenset[tuple[str, ...]]) -> re.Pattern:
    # Whole syllables as SYLLABLE_PATTERN cuts them: not followed by a letter
    # or a decimal part (the start is checked by _STARTS), separated as the
    # index separates them. The pattern begins with its literals, so that the
    # regex engine skips to the places a first letter stands. Every
    # alternative starts with a literal and its separators cannot match its
    # letters: one way to match at most, so the scan stays linear.
    sep = rf"[\W_]{{1,{MAX_SEPARATOR}}}"
    alternatives = "|".join(
        sep.join(re.escape(s) for s in w) for w in sorted(folded_words, key=lambda w: (-len(w), w))
    )
    return re.compile(rf"(?:{alternatives})(?![^\W_])(?![.,]\d)")


# Where a syllable may start: not inside a word, not in a number's decimal part.
_STARTS = re.compile(r"(?<![^\W_])(?<!\d[.,])")


def _places(pattern: re.Pattern, spelled: str, text: str) -> Iterator[re.Match]:
    """``pattern``'s matches in ``spelled`` (``text`` folded, offsets kept) that start where
    a syllable may start, left to right, each within one clause of ``text``: none goes on
    over punctuation that ends a clause, as no word does in the index."""
    yield from _places_in(pattern, spelled, text, 0, len(spelled))


def _places_in(
    pattern: re.Pattern, spelled: str, text: str, pos: int, end: int
) -> Iterator[re.Match]:
    # Only a match's own span can hold the clause end that rejects it (the
    # separators between its syllables): cutting the whole article into
    # clauses first cost more than the rest of the snippet. A match that goes
    # over one is sought again before that clause end (a shorter word may
    # stand there), then the scan goes on after it.
    while (m := pattern.search(spelled, pos, end)) is not None:
        if not _STARTS.match(spelled, m.start()):  # inside a word: may start after this letter
            pos = m.start() + 1
            continue
        first = _first_clause_end(text, m.start(), m.end())
        if first is None:
            yield m
            pos = m.end()
        else:
            yield from _places_in(pattern, spelled, text, m.start(), first)
            pos = first + 1  # past the punctuation


def _first_clause_end(text: str, start: int, end: int) -> int | None:
    """Where the first punctuation that ends a clause stands in ``text[start:end]``
    (a match's span, a syllable at each end), or None."""
    pieces = clause_pieces(text[start:end])
    return None if len(pieces) == 1 else start + len(pieces[0])


def _one_clause(text: str) -> bool:
    """True when no punctuation in ``text`` ends a clause between two syllables."""
    return None not in clause_syllables(text)


class _Token(NamedTuple):
    """A matched word: its pattern's key and where it stands in the text."""

    text: str
    startchar: int
    endchar: int


@dataclass(frozen=True)
class _Fragment:
    """A stretch of the text (``startchar``..``endchar``) and the matches in it, in order."""

    startchar: int
    endchar: int
    matches: list[_Token]

    def score(self) -> int:
        """Matches times distinct words (Whoosh's BasicFragmentScorer)."""
        return len(self.matches) * len({t.text for t in self.matches})


def _fits(tokens: list[str], pattern: Pattern) -> bool:
    """True when the syllable tokens are the pattern's word, accents where required."""
    return len(tokens) == len(pattern) and all(
        (_exact_key(t) == key) if exact else (_folded_key(t) == key)
        for t, (key, exact) in zip(tokens, pattern)
    )


@lru_cache(maxsize=32)
def _spelled(text: str) -> str:
    """``text`` lower-cased and folded; kept, as a snippet scans one article's text
    once per word of the query whose accents were restored, then once for them all."""
    return fold_chars(text.lower())


def _matches(text: str, terms: Terms) -> list[_Token]:
    """The places of ``text`` where a word of ``terms`` stands, found by one regex scan.

    Folding and lower-casing map one character to one for Vietnamese text, so
    offsets in the folded text are offsets in ``text``; where they do not
    (rare scripts), the syllables are compared one by one.
    """
    if not terms.words:
        return []
    spelled = _spelled(text)
    if len(spelled) != len(text):
        return _matches_by_token(text, terms)
    by_folded: dict[tuple[str, ...], list[Pattern]] = {}
    for w in terms.words:
        by_folded.setdefault(tuple(fold(k) for k, _ in w), []).append(w)
    out = []
    for m in _places(_pattern(frozenset(by_folded)), spelled, text):
        tokens = _SYLLABLE_RE.findall(text, m.start(), m.end())
        folded = tuple(map(_folded_key, tokens))
        for w in by_folded.get(folded, ()):
            if _fits(tokens, w):
                out.append(_Token(" ".join(k for k, _ in w), m.start(), m.end()))
                break
    return out


def _matches_by_token(text: str, terms: Terms) -> list[_Token]:
    spans = [(m.start(), m.end(), m.group()) for m in _SYLLABLE_RE.finditer(text)]
    out, i = [], 0
    while i < len(spans):
        for w in sorted(terms.words, key=len, reverse=True):
            group = spans[i : i + len(w)]
            if _fits([t for _, _, t in group], w) and _one_clause(text[group[0][0] : group[-1][1]]):
                out.append(_Token(" ".join(k for k, _ in w), group[0][0], group[-1][1]))
                i += len(w) - 1
                break
        i += 1
    return out


def _html(text: str, fragments: list[_Fragment]) -> str:
    """The fragments as escaped HTML joined by " … ", each match in ``<mark class="match tN">``.

    N numbers the distinct matched surfaces in order of appearance, cycling
    through TERM_CLASSES (the markup Whoosh's HtmlFormatter gave, which the
    stylesheet colours by).
    """
    seen: dict[str, int] = {}
    out = []
    for f in fragments:
        parts, at = [], f.startchar
        for t in f.matches:
            if t.startchar < at:  # overlaps the previous match
                continue
            parts.append(escape(text[at : t.startchar], quote=False))
            surface = escape(text[t.startchar : t.endchar], quote=False)
            n = seen.setdefault(surface, len(seen) % TERM_CLASSES)
            parts.append(f'<mark class="match t{n}">{surface}</mark>')
            at = t.endchar
        parts.append(escape(text[at : f.endchar], quote=False))
        out.append("".join(parts))
    return " … ".join(out)


def _fragments(text: str, matches: list[_Token]) -> list[_Fragment]:
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
        out.append(_Fragment(start, end, group))
        i = j
    return out


def _best(text: str, terms: Terms, top: int) -> str:
    fragments = _fragments(text, _matches(text, terms))
    # Ties go to the earlier fragment, so snippets never vary from run to run.
    best = sorted(fragments, key=lambda f: (-f.score(), f.startchar))
    best = sorted(best[:top], key=lambda f: f.startchar)
    return _html(text, best) if best else ""


def mark(text: str, terms: Terms, top: int = 2) -> str:
    """Best fragments of ``text`` with ``terms`` marked, as safe HTML; '' if nothing matches."""
    if not text or not terms:
        return ""
    return _best(text, terms, top)


def mark_all(text: str, terms: Terms) -> str:
    """The whole of ``text`` with every occurrence of ``terms`` marked, as safe HTML.

    Call ``terms.for_text(whole_article)`` first so that all parts of one
    article are marked the same way.
    """
    if not text or not terms:
        return escape(text or "")
    return _html(text, [_Fragment(0, len(text), _matches(text, terms))])


def snippet(article: Article, terms: Terms) -> str:
    """A short excerpt for a result list: matched text first, captions next, else the lead."""
    terms = terms.for_text(article.text()) if terms else terms
    for text in (article.lead + "\n" + article.body, "\n".join(article.captions)):
        marked = mark(text.strip(), terms)
        if marked:
            return marked
    start = (article.lead or article.body).strip()
    cut = start[:SNIPPET_CHARS]
    if len(start) > SNIPPET_CHARS:
        cut = cut.rsplit(" ", 1)[0] + " …"
    return escape(cut)
