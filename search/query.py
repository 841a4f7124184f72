"""Query syntax and its translation into Whoosh queries.

The syntax is what people type into a search box: words (diacritics optional),
``"quoted phrases"``, ``-word`` or ``-"phrase"`` to exclude, ``OR`` between two
alternatives, and policy references (``70/2009/QĐ-TTg``) as exact identifiers.
Anything else (unbalanced quotes, brackets, ``title:(``) is read as plain words:
parsing never raises.

Recall comes only from folded syllables, so a query matches whenever its
syllables occur in the text, however pyvi segmented either side. Ranking adds
optional clauses: exact-diacritic syllables, pyvi words, and the query's
syllables as a contiguous phrase.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from whoosh import query as wq

from .analysis import canonical_syllable, fold, has_diacritics, syllables
from .highlight import Terms
from .policy import find_refs
from .schema import EXACT_BOOST, TEXT_FIELDS, WORD_BOOST

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


@dataclass
class ParsedQuery:
    """A query as clauses (all required; each is a list of OR-alternatives) and exclusions."""

    text: str
    clauses: list[list[Unit]] = field(default_factory=list)
    excluded: list[Unit] = field(default_factory=list)
    accented: bool = False

    @property
    def is_empty(self) -> bool:
        """True when the query asks for nothing (every article matches)."""
        return not self.clauses and not self.excluded

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


def parse(text: str) -> ParsedQuery:
    """Read a query string; never raises."""
    text = (text or "")[:MAX_QUERY_CHARS]
    text = "".join(c if c.isprintable() else " " for c in text)
    pq = ParsedQuery(text=text, accented=has_diacritics(text))
    # Policy references first, before any tokenizer can shred them.
    units_at: list[tuple[int, Unit, bool]] = []
    rest = list(text)
    for ref, start, end in find_refs(text, query=True):
        negated = start > 0 and text[start - 1] == "-"
        units_at.append((start, Unit(syllables(ref.ref), ref_key=ref.key), negated))
        rest[start - (1 if negated else 0):end] = " " * (end - start + (1 if negated else 0))
    rest = "".join(rest)
    if rest.count('"') % 2:  # an unbalanced quote is just a character
        rest = rest.replace('"', " ")
    for m in _TOKEN.finditer(rest):
        if m.group(3) is not None:
            raw, negated, quoted = m.group(3), False, False
            if raw == "OR":
                units_at.append((m.start(), None, False))
                continue
            if raw.startswith("-") and len(raw) > 1:
                raw, negated = raw[1:], True
        else:
            raw, negated, quoted = m.group(2), bool(m.group(1)), True
        syls = syllables(raw)
        if syls:
            units_at.append((m.start(), Unit(syls, phrase=quoted or len(syls) > 1), negated))
    units_at.sort(key=lambda u: u[0])
    budget = MAX_QUERY_SYLLABLES
    for i, (_, unit, _) in enumerate(units_at):
        if unit is not None:
            budget -= len(unit.syllables)
            if budget < 0:
                del units_at[i:]
                break
    pending_or = False
    for _, unit, negated in units_at:
        if unit is None:
            pending_or = bool(pq.clauses)
            continue
        if negated:
            pq.excluded.append(unit)
        elif pending_or:
            pq.clauses[-1].append(unit)
        else:
            pq.clauses.append([unit])
        pending_or = False
    return pq


# --- building Whoosh queries --------------------------------------------------

def _or(queries: list[wq.Query]) -> wq.Query:
    # Whoosh reads and scores every posting of every clause into arrays up
    # front when the index is small (under 5,000 documents); its union tree
    # instead skips to the documents the other clauses need, and behaves the
    # same at every index size.
    q = wq.Or(queries)
    q.matcher_type = wq.Or.DEFAULT_MATCHER
    return q


def _recall(unit: Unit) -> wq.Query:
    folded = [fold(s) for s in unit.syllables]
    if len(folded) == 1:
        q = _or([wq.Term(f, folded[0]) for f in TEXT_FIELDS])
    else:
        q = _or([wq.Phrase(f, folded) for f in TEXT_FIELDS])
    if unit.ref_key:
        # The reference field first; the phrase is a fallback for a reference
        # the extractor missed in a document.
        q = _or([wq.Term("policy_refs", unit.ref_key), q])
    return q


def _exclusion(unit: Unit) -> wq.Query:
    # "-Háng" excludes Háng, not every hàng/hạng: an accented exclusion is exact.
    if unit.ref_key or not has_diacritics(" ".join(unit.syllables)):
        return _recall(unit)
    exact = [wq.Term("exact", canonical_syllable(s)) for s in unit.syllables]
    return wq.And([_recall(unit), *exact])


def _clause(clause: list[Unit]) -> wq.Query:
    return _recall(clause[0]) if len(clause) == 1 else _or([_recall(u) for u in clause])


def _ranking(pq: ParsedQuery, accents: list[str] | None) -> list[wq.Query]:
    """Optional clauses that only reorder what the required ones matched."""
    boosts: list[wq.Query] = []
    syls = pq.positive_syllables
    exact = accents if accents is not None else (syls if pq.accented else None)
    if exact:
        for s in dict.fromkeys(exact):
            boosts.append(wq.Term("exact", canonical_syllable(s), boost=EXACT_BOOST))
    folded = [fold(s) for s in syls]
    # pyvi words: a query word that is a whole word of the article ranks higher
    # than the same syllables across a word boundary.
    for n in (3, 2):
        for i in range(len(folded) - n + 1):
            boosts.append(wq.Term("words", "_".join(folded[i:i + n]), boost=WORD_BOOST * n / 2))
    # The plain words of the query, contiguous in the title or text.
    plain = [fold(s) for c in pq.clauses if len(c) == 1 and not c[0].ref_key
             for s in c[0].syllables]
    if 1 < len(plain) <= LONG_QUERY:
        boosts.append(_or([wq.Phrase(f, plain, boost=2.0) for f in ("title", "body")]))
    return boosts


def build(pq: ParsedQuery, accents: list[str] | None = None
          ) -> tuple[wq.Query, wq.Query, list[wq.Query]]:
    """Whoosh queries for ``pq``: (scored, recall, long-query clauses).

    ``scored`` ranks, ``recall`` (the required part with exclusions) decides
    which documents match. ``accents`` are accented syllables to rank by when the
    query itself had none (restored by the suggester). For a long question the
    third value lists the per-syllable clauses of which a minimum number must
    match; it is empty otherwise.
    """
    if pq.is_empty:
        return wq.NullQuery, wq.NullQuery, []
    clauses = [_clause(c) for c in pq.clauses]
    if not clauses:  # only exclusions: everything else
        required, long_clauses = wq.Every(), []
    elif pq.is_long:
        required, long_clauses = _or(clauses), clauses
    else:
        required, long_clauses = (clauses[0] if len(clauses) == 1 else wq.And(clauses)), []
    boosts = _ranking(pq, accents) if clauses else []
    scored = wq.AndMaybe(required, _or(boosts)) if boosts else required
    recall = required
    if pq.excluded:
        excluded = _or([_exclusion(u) for u in pq.excluded])
        scored, recall = wq.AndNot(scored, excluded), wq.AndNot(required, excluded)
    return scored, recall, long_clauses


def min_should_match(n_clauses: int) -> int:
    """How many of a long query's syllables a document must contain."""
    return max(1, math.ceil(n_clauses * LONG_QUERY_MIN_SHOULD))


def highlight_terms(pq: ParsedQuery, accents: list[str] | None = None) -> Terms:
    """What snippets mark: folded syllables, and the accented ones when known."""
    exact = accents if accents is not None else (pq.positive_syllables if pq.accented else [])
    return Terms(folded=frozenset(fold(s) for s in pq.positive_syllables),
                 exact=frozenset(canonical_syllable(s) for s in exact))
