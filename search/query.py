"""Query syntax, and what a query matches and scores by.

The syntax is what people type into a search box: words (diacritics optional),
``"quoted phrases"``, ``-word`` or ``-"phrase"`` to exclude, ``OR`` between two
alternatives, and policy references (``70/2009/QĐ-TTg``) as exact identifiers.
Anything else (unbalanced quotes, brackets, ``title:(``) is read as plain words:
parsing never raises.

This module is syntax only. What the parsed query means (accents, words,
questions) is :mod:`search.plan`; how it is answered is :mod:`search.engine`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from .analysis import (
    SYLLABLE_PATTERN,
    clause_pieces,
    clause_syllables,
    ensure_normalized,
    has_diacritics,
    syllables,
)
from .policy import find_refs

# A question of this many syllables or more is searched as ranked OR with a
# minimum number of matching syllables, so that it never returns nothing.
LONG_QUERY = 10
LONG_QUERY_MIN_SHOULD = 0.5
MAX_QUERY_CHARS = 1000
# Syllables beyond this are ignored: each costs a posting-list walk, and no
# real question needs more (the ALQAC questions have at most ~40).
MAX_QUERY_SYLLABLES = 64


@dataclass
class Unit:
    """One thing to match: a word, a phrase (several syllables) or a policy reference."""

    syllables: list[str]  # lower-case, tone-canonical, accents as typed
    phrase: bool = False
    ref_key: str | None = None
    raw: str = ""  # as typed (its capitals tell an abbreviation)
    pause: bool = False  # punctuation follows it: no word goes on past it
    joined: bool = False  # words joined by OR or "-" (search/plan.py), not a quoted phrase
    # A syllable typed without accents: its reading in the query's restored accents,
    # when the engine restored them (see plan.read_restored).
    restored: str | None = None


@dataclass
class ParsedQuery:
    """A query as clauses (all required; each is a list of OR-alternatives) and exclusions."""

    text: str
    clauses: list[list[Unit]] = field(default_factory=list)
    excluded: list[Unit] = field(default_factory=list)
    accented: bool = False
    # Excluded unit -> the clause typed right after it (``-Hà Nội``: "nội"), for
    # the plan to read a word over the two.
    excluded_then: dict[int, int] = field(default_factory=dict)

    @property
    def positive_syllables(self) -> list[str]:
        """Every syllable of the positive clauses, in order."""
        return [s for clause in self.clauses for u in clause for s in u.syllables]

    @property
    def is_long(self) -> bool:
        """A natural-language question rather than a keyword query."""
        plain = all(len(c) == 1 and not c[0].phrase and not c[0].ref_key for c in self.clauses)
        return plain and len(self.positive_syllables) >= LONG_QUERY


_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
# Typographic double quotes (phones and word processors type “…”) quote as '"' does;
# one character for one, so spans are kept.
_QUOTES = str.maketrans(dict.fromkeys("“”„‟«»＂", '"'))
_SYLLABLE_RE = re.compile(SYLLABLE_PATTERN)


def parse(text: str) -> ParsedQuery:
    """Read a query string; never raises."""
    text = (text or "")[:MAX_QUERY_CHARS]
    text = "".join(c if c.isprintable() else " " for c in text)
    # Normalised first: references are found, and their spans given, in normal text.
    text = ensure_normalized(text)
    pq = ParsedQuery(text=text, accented=has_diacritics(text))
    # Policy references first, before any tokenizer can shred them.
    units_at: list[tuple[int, Unit | None, bool]] = []  # None: an OR between two units
    chars = list(text)
    for ref, start, end in find_refs(text, query=True):
        negated = start > 0 and text[start - 1] == "-"
        units_at.append((start, Unit(syllables(ref.ref), ref_key=ref.key), negated))
        chars[start - (1 if negated else 0) : end] = " " * (end - start + (1 if negated else 0))
    rest = "".join(chars).translate(_QUOTES)
    if rest.count('"') % 2:  # an unbalanced quote is just a character
        rest = rest.replace('"', " ")
    for m in _TOKEN.finditer(rest):
        if m.group(3) is not None:
            raw, at, negated, quoted = m.group(3), m.start(3), False, False
            if raw == "OR":
                units_at.append((m.start(), None, False))
                continue
            if raw.startswith("-") and len(raw) > 1:
                raw, at, negated = raw[1:], at + 1, True
        else:
            raw, at, negated, quoted = m.group(2), m.start(2), bool(m.group(1)), True
        # Punctuation that ends a clause parts words, quoted or not: the index
        # never puts a phrase over it ("Hà Nội,Đà Nẵng" is two places, not "nội đà").
        for piece in clause_pieces(raw):
            syls = syllables(piece)
            if syls:
                units_at.append(
                    (at, Unit(syls, phrase=quoted or len(syls) > 1, raw=piece), negated)
                )
            at += len(piece) + 1
    units_at.sort(key=lambda u: u[0])
    # A unit before such punctuation (within its token, or standing alone):
    # no word goes on past it. (Its raw text keeps an abbreviation's full stop.)
    for (at, before, _), (after, following, _) in pairwise(units_at):
        if before is not None and following is not None:
            # From its last syllable to the next unit's first, read as the index reads
            # an article (an abbreviation's full stop, a comma before a capital).
            last = [m.start() for m in _SYLLABLE_RE.finditer(before.raw)][-1:] or [0]
            first = _SYLLABLE_RE.search(following.raw)
            span = text[at + last[0] : after + (first.end() if first else 0)]
            before.pause = None in clause_syllables(span)
    budget = MAX_QUERY_SYLLABLES
    for i, (_, unit, _) in enumerate(units_at):
        if unit is not None:
            budget -= len(unit.syllables)
            if budget < 0:
                del units_at[i:]
                break
    pending_or = False
    last_excluded: int | None = None  # the unit just before was this excluded one
    for _, unit, negated in units_at:
        if unit is None:
            pending_or = bool(pq.clauses)
            last_excluded = None
            continue
        if negated:
            pq.excluded.append(unit)
        elif pending_or:
            pq.clauses[-1].append(unit)
        else:
            if last_excluded is not None:
                pq.excluded_then[last_excluded] = len(pq.clauses)
            pq.clauses.append([unit])
        last_excluded = len(pq.excluded) - 1 if negated else None
        pending_or = False
    return pq
