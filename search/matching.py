"""What a query plan matches and how its matches rank, over posting arrays.

A word matches as its syllables side by side (``phrase_ids``), a clause as
any of its words; ranking is BM25 over the plan's score terms, then a bonus
for the whole query as a phrase and for its words close together, over the
best ``RESCORE_WINDOW``. The matchers answer the engine's questions (what
matches, under which filters, how many, facet counts) either with numpy
masks over any backend's posting arrays or with the backend's own queries
(Xapian). Nothing here talks to a search engine directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import facets as facets_mod
from . import plan as plan_mod
from .columns import FacetColumns
from .facets import NAMES as FACETS
from .scoring import (
    Lengths,
    TermPostings,
    bm25,
    common_ids,
    key_docs,
    key_positions,
    phrase_ids,
    phrase_keys,
    top,
)

if TYPE_CHECKING:  # the engine's record of one query, passed back to the matchers
    from .engine import _Found

# The field of each facet's values.
FACET_FIELD = {f.name: f.field for f in facets_mod.FACETS}


def word_lists(postings: TermCache, word: plan_mod.Word, field: str = "text") -> list:
    """The posting lists of a word's syllables: exact ones from ``exact``, the rest folded."""
    return [
        postings.get("exact", s.text)
        if s.exact and field == "text"
        else postings.get(field, s.folded)
        for s in word.syllables
    ]


def word_ids(
    postings: TermCache, word: plan_mod.Word, within: np.ndarray | None = None
) -> np.ndarray:
    """Document numbers where the word occurs (adjacent syllables; a reference by key too).

    ``within`` (sorted document numbers): where to look for the adjacent
    syllables; a reference found by its key counts anywhere.
    """
    return _with_reference(postings, word, phrase_ids(word_lists(postings, word), within))


def loose_ids(postings: TermCache, word: plan_mod.Word) -> np.ndarray:
    """Document numbers holding every syllable of the word, side by side or not (and its
    reference by key): where :func:`word_ids` can find it."""
    return _with_reference(postings, word, common_ids(word_lists(postings, word)))


def _with_reference(postings: TermCache, word: plan_mod.Word, ids: np.ndarray) -> np.ndarray:
    if word.ref_key:
        # The reference field first; the phrase is a fallback for a reference
        # the extractor missed in a document.
        ids = np.union1d(ids, postings.get("policy_refs", word.ref_key).ids)
    return ids


def _clauses_held(plan: plan_mod.Plan, size: int, find: Callable) -> np.ndarray:
    """Per document, how many of the plan's required clauses ``find(word)`` finds in it."""
    counts = np.zeros(size, dtype=np.int16)
    for clause in plan.required:
        m = np.zeros(size, dtype=bool)
        for word in clause:
            m[find(word)] = True
        counts += m
    return counts


def recall_mask(plan: plan_mod.Plan, cols: FacetColumns, postings: TermCache) -> np.ndarray:
    """The live documents the plan matches (before filters)."""
    size = cols.size
    if not plan.clauses:
        matched = cols.live.copy()
    else:
        # Syllables side by side are looked for only in the documents that
        # hold enough clauses' syllables at all: the same matches, with the
        # positions of far fewer documents read when one clause is rare.
        loose = _clauses_held(plan, size, lambda w: loose_ids(postings, w))
        maybe = np.flatnonzero((loose >= plan.min_match) & cols.live)
        counts = _clauses_held(plan, size, lambda w: word_ids(postings, w, maybe))
        matched = counts >= plan.min_match
    for word in plan.excluded:
        # Only what is still matched can be excluded.
        matched[word_ids(postings, word, np.flatnonzero(matched & cols.live))] = False
    return matched & cols.live


def ranked(
    s,
    plan: plan_mod.Plan,
    restored,
    allowed: np.ndarray,
    lengths: Lengths,
    postings: TermCache,
    limit: int,
    true_words: Sequence[np.ndarray] = (),
) -> list[tuple[int, float]]:
    """(docnum, score) of the best ``limit`` allowed documents, best first.

    ``true_words``: for each query word of several syllables, the documents
    where pyvi found it as a word; elsewhere its syllables only stand side by
    side across a word boundary ("Khánh Hòa | giải đáp"), which ranks lower.
    """
    size = len(allowed)
    scores = np.zeros(size, dtype=np.float32)
    for term in plan_mod.score_terms(plan, restored):
        p = postings.get(term.field, term.text)
        if len(p):
            scores[p.ids] += bm25(p.ids, p.weights, lengths.count, lengths, term, p.df)
    for i in plan.aliases:
        # Every form of an abbreviation counts as one term ("ranks them alike").
        ids, tf = occurrences(postings, plan.clauses[i])
        if len(ids):
            term = plan_mod.ScoreTerm("text", "", plan_mod.ALIAS_BOOST)
            df = postings.group_df(plan.clauses[i])
            scores[ids] += bm25(ids, tf, lengths.count, lengths, term, df)
    ranked = top(scores, allowed, max(limit, plan_mod.RESCORE_WINDOW))
    if not ranked:
        return []
    window_list = ranked[: plan_mod.RESCORE_WINDOW]
    window = np.array(sorted(d for d, _ in window_list), dtype=np.int64)
    bonus = dict.fromkeys((d for d, _ in window_list), 0.0)
    content = [w for w in plan.words if not w.ref_key and not w.question and not aliased(plan, w)]
    idf = (
        float(
            np.mean(
                [
                    np.log(lengths.count / (postings.get("text", s.folded).doc_frequency + 1)) + 1
                    for w in content
                    for s in w.syllables
                ]
            )
        )
        if content
        else 0.0
    )
    whole = plan_mod.phrase(plan)
    if whole:
        # The query as typed, as one phrase: in the text, and again in the title.
        word = plan_mod.Word(tuple(whole))
        for field in ("text", "title"):
            for d in phrase_ids(word_lists(postings, word, field), window).tolist():
                bonus[d] += plan_mod.PHRASE_BOOST * idf
    if len(content) > 1:
        for d, gap in gaps(postings, content, window).items():
            bonus[d] += plan_mod.PROXIMITY_BOOST * idf / (1.0 + gap / 4.0)
    factor = dict.fromkeys(bonus, 1.0)
    for docs in true_words:
        for d in np.setdiff1d(window, docs, assume_unique=True).tolist():
            factor[d] *= plan_mod.BOUNDARY_FACTOR
    rescored = sorted(
        ((d, (sc + bonus[d]) * factor[d]) for d, sc in window_list), key=lambda x: -x[1]
    )
    return (rescored + ranked[plan_mod.RESCORE_WINDOW :])[:limit]


def aliased(plan: plan_mod.Plan, word: plan_mod.Word) -> bool:
    """True for the words of a clause of several forms (an abbreviation and its expansion)."""
    return any(word is w for i in plan.aliases for w in plan.clauses[i])


def occurrences(postings: TermCache, words: list[plan_mod.Word]) -> tuple:
    """(document numbers, occurrences) of any of ``words``, summed per document."""
    ids, counts = [], []
    for w in words:
        lists = word_lists(postings, w)
        if len(lists) == 1:
            ids.append(lists[0].ids)
            counts.append(lists[0].weights.astype(np.float32))
        else:
            docs, n = np.unique(key_docs(phrase_keys(lists)), return_counts=True)
            ids.append(docs)
            counts.append(n.astype(np.float32))
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    all_ids = np.concatenate(ids)
    docs, inverse = np.unique(all_ids, return_inverse=True)
    tf = np.zeros(len(docs), dtype=np.float32)
    np.add.at(tf, inverse, np.concatenate(counts))
    return docs, tf


def gaps(postings: TermCache, words: list[plan_mod.Word], window: np.ndarray) -> dict:
    """For each document of ``window`` holding every word: the fewest syllables between them.

    0 when the words stand next to each other (in any order).
    """
    places = []
    for i, word in enumerate(words):
        keys = phrase_keys(word_lists(postings, word), window)
        places.append((key_docs(keys), key_positions(keys), len(word.syllables)))
    covered = sum(length for _, _, length in places)
    need = len(words)
    out: dict[int, float] = {}
    for d in window.tolist():
        events = []
        for i, (docs, pos, length) in enumerate(places):
            lo, hi = np.searchsorted(docs, [d, d + 1])
            events += [(int(p), length, i) for p in pos[lo:hi]]
        events.sort()
        # The shortest stretch of text holding every word: a sliding window.
        seen: dict[int, int] = {}
        best, left = None, 0
        for start, length, i in events:
            seen[i] = seen.get(i, 0) + 1
            while len(seen) == need:
                first, _, j = events[left]
                gap = max(0, start + length - first - covered)
                best = gap if best is None else min(best, gap)
                seen[j] -= 1
                if not seen[j]:
                    del seen[j]
                left += 1
        if best is not None:
            out[d] = float(best)
    return out


class Matcher:
    """How the query layer asks what matches: numpy masks or backend queries."""

    native: Any = None

    def recall(self, plan: plan_mod.Plan) -> Any:
        """What the plan matches."""
        raise NotImplementedError

    def within(self, matched: Any) -> Any:
        """Those of ``matched`` that every filter lets through."""
        raise NotImplementedError

    def count(self, allowed: Any) -> int:
        """How many."""
        raise NotImplementedError

    def facets(self, found: _Found) -> tuple[dict, dict]:
        """Facet counts, each under the other filters, and the timeline under all but dates."""
        raise NotImplementedError

    def at_least(self, allowed: Any, k: int) -> int:
        """``min(count(allowed), k)``, which may stop at the k-th match."""
        return min(self.count(allowed), k)

    def facets_later(self, found: _Found) -> Callable[[], tuple[dict, dict, int]]:
        """A call giving :meth:`facets` and the total, counted meanwhile where the backend can."""
        counted = (*self.facets(found), self.count(found.allowed))
        return lambda: counted

    def ids(self, allowed: Any) -> list[int]:
        """Document numbers, in order."""
        raise NotImplementedError


class Masks(Matcher):
    """Matches as boolean arrays over the documents (any backend's posting arrays)."""

    def __init__(self, cols: FacetColumns, postings: TermCache, masks: dict):
        self.cols, self.postings, self.masks = cols, postings, masks

    def recall(self, plan):
        return recall_mask(plan, self.cols, self.postings)

    def within(self, matched):
        allowed = matched.copy()
        for m in self.masks.values():
            allowed &= m
        return allowed

    def count(self, allowed) -> int:
        return int(allowed.sum())

    def facets(self, found):
        out = {}
        for name in FACETS:
            base = found.matched.copy()
            for other, m in self.masks.items():
                if other != name:
                    base &= m
            out[name] = self.cols.counts(FACET_FIELD[name], base)
        dated = found.matched.copy()
        for other, m in self.masks.items():
            if other != "date":
                dated &= m
        return out, self.cols.timeline(dated)

    def ids(self, allowed) -> list[int]:
        return np.flatnonzero(allowed).tolist()


class Queries(Matcher):
    """Matches as queries the backend runs itself (Xapian)."""

    def __init__(self, native, filters: dict, start, end):
        self.native = native
        self.filters, self.start, self.end = filters, start, end
        self.fq = native.filters(filters, start, end)
        self._counts: dict[int, tuple] = {}

    def recall(self, plan):
        return self.native.recall(plan)

    def within(self, matched):
        return self.native.within(matched, self.fq)

    def count(self, allowed) -> int:
        # Counted once per query (the engine asks again as it decides).
        hit = self._counts.get(id(allowed))
        if hit is None or hit[0] is not allowed:
            hit = (allowed, self.native.count(allowed))
            self._counts[id(allowed)] = hit
        return hit[1]

    def facets(self, found):
        return self.native.facets(found.matched, self.filters, self.start, self.end)[:2]

    def at_least(self, allowed, k: int) -> int:
        hit = self._counts.get(id(allowed))
        if hit is not None and hit[0] is allowed:
            return min(hit[1], k)
        return self.native.at_least(allowed, k)

    def facets_later(self, found):
        return self.native.facets_later(found.plan, self.filters, self.start, self.end)

    def ids(self, allowed) -> list[int]:
        return self.native.ids(allowed)


class TermCache:
    """The posting arrays of the terms of one search, each read once."""

    def __init__(self, searcher):
        self.searcher = searcher
        self._cache: dict[tuple[str, str], TermPostings] = {}

    def get(self, field: str, text: str) -> TermPostings:
        """The postings of ``field:text``."""
        key = (field, text)
        if key not in self._cache:
            self._cache[key] = self.searcher.postings(field, text)
        return self._cache[key]

    def group_df(self, words: list[plan_mod.Word]) -> int | None:
        """Documents holding any of ``words``: None, the postings read here tell."""
        return None
