"""Query syntax, and what a query matches and scores by.

The syntax is what people type into a search box: words (diacritics optional),
``"quoted phrases"``, ``-word`` or ``-"phrase"`` to exclude, ``OR`` between two
alternatives, and policy references (``70/2009/QĐ-TTg``) as exact identifiers.
Anything else (unbalanced quotes, brackets, ``title:(``) is read as plain words:
parsing never raises.

Recall comes only from folded syllables, so a query matches whenever its
syllables occur in the text, however pyvi segmented either side. Ranking adds
terms that only reorder (:func:`score_terms`): exact-diacritic syllables, the
title, pyvi words; and the query's words as a contiguous phrase re-rank the
best hits (:func:`phrase_words`). Scores are computed by ``search.scoring``;
Whoosh queries remain for phrases, references and exclusions.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from whoosh import query as wq

from .analysis import canonical_syllable, fold, has_diacritics, syllables
from .highlight import Terms
from .policy import find_refs
from .schema import EXACT_BOOST, TITLE_BOOST, WORD_BOOST
from .scoring import ScoreTerm

# A question of this many syllables or more is searched as ranked OR with a
# minimum number of matching syllables, so that it never returns nothing.
LONG_QUERY = 10
LONG_QUERY_MIN_SHOULD = 0.5
MAX_QUERY_CHARS = 1000
# Syllables beyond this are ignored: each costs a posting-list walk, and no
# real question needs more (the ALQAC questions have at most ~40).
MAX_QUERY_SYLLABLES = 64
# Weight of the query's words found as a phrase (title or text), added to the
# best RESCORE_WINDOW hits only.
PHRASE_BOOST = 2.0
RESCORE_WINDOW = 100


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


def unit_query(unit: Unit) -> wq.Query:
    """The Whoosh query of the documents one unit matches (phrases, references)."""
    folded = [fold(s) for s in unit.syllables]
    q = wq.Term("text", folded[0]) if len(folded) == 1 else wq.Phrase("text", folded)
    if unit.ref_key:
        # The reference field first; the phrase is a fallback for a reference
        # the extractor missed in a document.
        q = _or([wq.Term("policy_refs", unit.ref_key), q])
    return q


def exclusion_query(unit: Unit) -> wq.Query:
    """The Whoosh query of the documents an excluded unit removes."""
    # "-Háng" excludes Háng, not every hàng/hạng: an accented exclusion is exact.
    if unit.ref_key or not has_diacritics(" ".join(unit.syllables)):
        return unit_query(unit)
    exact = [wq.Term("exact", canonical_syllable(s)) for s in unit.syllables]
    return wq.And([unit_query(unit), *exact])


def score_terms(pq: ParsedQuery, accents: list[str] | None = None) -> list[ScoreTerm]:
    """The terms whose BM25 scores add up to a document's score.

    Folded syllables in the text (what recall matched), policy references, and
    ranking signals: exact-diacritic syllables (typed, or ``accents`` restored
    by the suggester), syllables in the title, and adjacent syllables that pyvi
    found as one word in the article.
    """
    syls = pq.positive_syllables
    folded = list(dict.fromkeys(fold(s) for s in syls))
    exact = accents if accents is not None else (syls if pq.accented else None)
    terms = [ScoreTerm("text", f) for f in folded]
    terms += [ScoreTerm("policy_refs", u.ref_key, normalize=False)
              for c in pq.clauses for u in c if u.ref_key]
    if exact:
        terms += [ScoreTerm("exact", canonical_syllable(s), EXACT_BOOST)
                  for s in dict.fromkeys(exact)]
    if not pq.is_long:
        # A keyword in the title is a strong signal; a question's syllables in
        # a title are mostly its function words (measured on ALQAC: MRR@10
        # 0.83 with the title boost, 0.85 without).
        terms += [ScoreTerm("title", f, TITLE_BOOST, normalize=False) for f in folded]
    # A query word that is a whole word of the article ranks higher than the
    # same syllables across a word boundary.
    order = [fold(s) for s in syls]
    for n in (3, 2):
        for i in range(len(order) - n + 1):
            terms.append(ScoreTerm("words", "_".join(order[i:i + n]), WORD_BOOST * n / 2))
    return terms


def phrase_words(pq: ParsedQuery) -> list[str] | None:
    """The query's plain words, folded, when they should also rank as a phrase.

    Position checks cost a walk per document, so they re-rank only the best
    hits of the other terms (see ``Engine.search``), never every match.
    """
    plain = [fold(s) for c in pq.clauses if len(c) == 1 and not c[0].ref_key
             for s in c[0].syllables]
    return plain if len(plain) > 1 else None


def min_should_match(n_clauses: int) -> int:
    """How many of a long query's syllables a document must contain."""
    return max(1, math.ceil(n_clauses * LONG_QUERY_MIN_SHOULD))


def highlight_terms(pq: ParsedQuery, accents: list[str] | None = None) -> Terms:
    """What snippets mark: folded syllables, and the accented ones when known."""
    exact = accents if accents is not None else (pq.positive_syllables if pq.accented else [])
    return Terms(folded=frozenset(fold(s) for s in pq.positive_syllables),
                 exact=frozenset(canonical_syllable(s) for s in exact))
