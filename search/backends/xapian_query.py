"""Query plans answered by Xapian itself: recall, filters, counts, facets and candidates.

The generic path (search/engine.py over any backend's posting arrays) reads
every posting of every query term into Python; Xapian iterates them in C++.
Here a :class:`~search.plan.Plan` becomes a Xapian query with the same meaning
(a word is an ``OP_PHRASE`` of its syllables' exact or folded terms, which
share positions), filters become boolean terms and value ranges, facet and
timeline counts come from ``ValueCountMatchSpy``, and Xapian's BM25 picks the
candidates that the engine then scores exactly as on the Whoosh backend.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from itertools import combinations
from math import comb

import numpy as np
import xapian

from .. import plan as plan_mod
from ..facets import STORED
from ..scoring import TermPostings
from .base import Unsupported
from .xapian import (
    FACET_SEP,
    FACET_SLOTS,
    FIELD_BOOST,
    SLOT_DATE,
    SLOT_ID,
    SLOT_MONTH,
    SLOT_NEWEST,
    SLOT_YEAR,
    XapianPostings,
    positional,
    read_postlist,
    term,
)

# A relaxed plan ("at least k of n clauses") is the OR of every k-subset's
# AND; past this many subsets the engine's generic path answers instead.
MAX_SUBSETS = 256
# Facet name in results -> its field.
FACET_FIELD = {f.name: f.field for f in STORED}
# Counts of recent queries kept per reader.
COUNTED = 64
# A query matching more than this share of what its filters allow has its facets
# counted over the other documents (see Native._counts); filters' counts kept.
COMPLEMENT_SHARE = 0.5
BASES = 16
_LEAF_TERM = 100  # Query.get_type() of a single term (Xapian's Query::LEAF_TERM)
_EPOCH = dt.date(1970, 1, 1).toordinal()


def spy_counts(spy: xapian.ValueCountMatchSpy) -> dict[str, int]:
    """{value: count} of a spy: Xapian's iterator, not the bindings' ``values()``, which
    makes an item object per value (a page counts thousands, in the facets' thread)."""
    it = xapian._xapian.ValueCountMatchSpy_values_begin(spy)
    end = xapian._xapian.ValueCountMatchSpy_values_end(spy)
    out = {}
    while it != end:
        out[it.get_term().decode("utf-8")] = it.get_termfreq()
        next(it)
    return out


class Native:
    """Plans, filters and counts of one Xapian reader."""

    def __init__(self, reader, db=None):
        self.reader = reader
        self.db = reader.db if db is None else db
        # Facets counted in another thread, on a second database handle.
        self._side: Native | None = None
        self._thread: threading.Thread | None = None
        self.remote = bool(getattr(reader, "remote", False))
        # docid -> article id of the last candidates (a remote shard names
        # them in the match itself, through the collapse key).
        self._ids: dict[int, str] = {}
        self._counted: dict[str, int] = {}  # query description -> matches
        # (filter query, slots) -> (total, counts) of every document the filters allow.
        self._bases: dict[tuple, tuple[int, dict]] = {}
        self._slots: dict[int, bool] = {}  # value slot -> filled by some document

    # --- queries -------------------------------------------------------------

    def word(self, word: plan_mod.Word) -> xapian.Query:
        """A word: its syllables one after another; a reference also by its key."""
        terms = [
            term("exact", s.text) if s.exact else term("text", s.folded) for s in word.syllables
        ]
        if len(terms) == 1:
            q = xapian.Query(terms[0])
        else:
            q = xapian.Query(xapian.Query.OP_PHRASE, terms, len(terms))
        if word.ref_key:
            q = xapian.Query(xapian.Query.OP_OR, q, xapian.Query(term("policy_refs", word.ref_key)))
        return q

    def recall(self, plan: plan_mod.Plan) -> xapian.Query:
        """The documents the plan matches (before filters)."""
        if not plan.clauses:
            # A new object, not Query.MatchAll: Xapian's reference counts are not
            # atomic, and a search may build queries in two threads (facets_later).
            q = xapian.Query("")
        else:
            clauses = [
                xapian.Query(xapian.Query.OP_OR, [self.word(w) for w in c]) for c in plan.required
            ]
            k, n = plan.min_match, len(clauses)
            if k >= n:
                q = xapian.Query(xapian.Query.OP_AND, clauses)
            elif k <= 1:
                q = xapian.Query(xapian.Query.OP_OR, clauses)
            elif comb(n, k) <= MAX_SUBSETS:
                q = xapian.Query(
                    xapian.Query.OP_OR,
                    [xapian.Query(xapian.Query.OP_AND, list(s)) for s in combinations(clauses, k)],
                )
            else:
                raise Unsupported(f"{k} of {n} clauses")
        if plan.excluded:
            q = xapian.Query(
                xapian.Query.OP_AND_NOT,
                q,
                xapian.Query(xapian.Query.OP_OR, [self.word(w) for w in plan.excluded]),
            )
        return q

    @staticmethod
    def filters(filters: dict, start: dt.date | None, end: dt.date | None, skip: str = ""):
        """The boolean query of the filters (all but ``skip``), or None for none."""
        parts = []
        for name, values in filters.items():
            if not values or name == skip:
                continue
            if name == "year":
                alts = [
                    xapian.Query(xapian.Query.OP_VALUE_RANGE, SLOT_YEAR, y, y)
                    for y in (f"{int(v):04d}" for v in values)
                ]
            else:
                field = FACET_FIELD[name]
                alts = [xapian.Query(term(field, v)) for v in values]
            parts.append(xapian.Query(xapian.Query.OP_OR, alts))
        if (start or end) and skip != "date":
            lo = start.isoformat() if start else "0000-01-01"
            hi = end.isoformat() if end else "9999-12-31"
            parts.append(xapian.Query(xapian.Query.OP_VALUE_RANGE, SLOT_DATE, lo, hi))
        if not parts:
            return None
        return xapian.Query(xapian.Query.OP_AND, parts)

    @staticmethod
    def within(q: xapian.Query, fq) -> xapian.Query:
        """``q`` restricted by the filter query ``fq``."""
        return q if fq is None else xapian.Query(xapian.Query.OP_FILTER, q, fq)

    def _enquire(self, q: xapian.Query) -> xapian.Enquire:
        e = xapian.Enquire(self.db)
        e.set_query(q)
        return e

    def count(self, q: xapian.Query) -> int:
        """The exact number of documents matching ``q``."""
        key = str(q)
        if key not in self._counted and q.get_type() == _LEAF_TERM:
            # One term: the documents holding it, which Xapian keeps (no match).
            (t,) = (bytes(x) for x in q)
            self._remember(key, self.db.get_termfreq(t) if t else self.db.get_doccount())
        if key not in self._counted:
            e = self._enquire(q)
            e.set_weighting_scheme(xapian.BoolWeight())
            self._remember(key, e.get_mset(0, 0, self.db.get_doccount()).get_matches_estimated())
        return self._counted[key]

    def at_least(self, q: xapian.Query, k: int) -> int:
        """``min(count(q), k)``: the match stops once it has seen k documents."""
        key = str(q)
        if key in self._counted or q.get_type() == _LEAF_TERM:
            return min(self.count(q), k)
        e = self._enquire(q)
        e.set_weighting_scheme(xapian.BoolWeight())
        return min(int(e.get_mset(0, 0, k).get_matches_lower_bound()), k)

    def _remember(self, key: str, total: int) -> None:
        # A search counts the same query for its total, its timeline and its
        # facets; the reader (so this cache) is renewed when the index changes.
        if len(self._counted) >= COUNTED:
            self._counted.clear()
        self._counted[key] = int(total)

    # --- facets --------------------------------------------------------------

    def _spied(self, q: xapian.Query, slots: list[int]) -> tuple[int, dict[int, dict[str, int]]]:
        e = self._enquire(q)
        e.set_weighting_scheme(xapian.BoolWeight())
        # A slot no document fills (an index of undated articles: no months)
        # counts nothing, yet its spy would look it up in every match.
        spies = {slot: xapian.ValueCountMatchSpy(slot) for slot in slots if self._filled(slot)}
        for spy in spies.values():
            e.add_matchspy(spy)
        total = e.get_mset(0, 0, self.db.get_doccount()).get_matches_estimated()
        self._remember(str(q), total)
        counts: dict[int, dict[str, int]] = {slot: {} for slot in slots}
        for slot, spy in spies.items():
            counts[slot] = spy_counts(spy)
        return int(total), counts

    def _filled(self, slot: int) -> bool:
        """True when some document has a value in ``slot`` (asked once per reader)."""
        if slot not in self._slots:
            self._slots[slot] = self.db.get_value_freq(slot) > 0
        return self._slots[slot]

    def facets(
        self, matched: xapian.Query, filters: dict, start, end, complement: bool | None = None
    ) -> tuple[dict, dict, int]:
        """({facet: [(value, count)]}, timeline, total) of ``matched``, each facet under the
        others; the total under every filter.

        A facet with a filter of its own is counted without it (so its other
        values stay choosable); the timeline without the dates. ``complement``:
        see :meth:`_counts`.
        """
        out: dict[str, list[tuple[str, int]]] = {}
        full = self.filters(filters, start, end)
        own = [n for n in (*FACET_FIELD, "year") if filters.get(n)]
        shared = [n for n in (*FACET_FIELD, "year") if n not in own]
        slots = [_slot(n) for n in shared] + ([] if (start or end) else [SLOT_MONTH])
        # Years are the months summed when both are counted under the same
        # filters: one value read per document less.
        by_month = SLOT_YEAR in slots and SLOT_MONTH in slots
        if by_month:
            slots.remove(SLOT_YEAR)
        total, counts = self._counts(matched, full, slots, complement)
        if by_month:
            counts[SLOT_YEAR] = _years(counts[SLOT_MONTH])
        allowed_total = total
        for name in shared:
            out[name] = _pairs(name, counts[_slot(name)])
        for name in own:
            _, c = self._spied(
                self.within(matched, self.filters(filters, start, end, name)), [_slot(name)]
            )
            out[name] = _pairs(name, c[_slot(name)])
        if start or end:
            total, c = self._spied(
                self.within(matched, self.filters(filters, None, None)), [SLOT_MONTH]
            )
            months = c[SLOT_MONTH]
        else:
            months = counts[SLOT_MONTH]
        return out, timeline(months, total), allowed_total

    def _counts(self, matched, full, slots: list[int], complement: bool | None = None):
        """(total, {slot: {value: count}}) of ``matched`` under the filter query ``full``.

        A query that matches most of what the filters allow (a common word) is
        counted over the rest, which is fewer documents, and subtracted from
        the filters' own counts (kept per reader): the same numbers, exactly.
        ``complement``: force one way (None: the cheaper by Xapian's estimate).
        """
        allowed = self.within(matched, full)
        base = xapian.Query("") if full is None else full
        if complement is None:
            complement = _estimate(self._enquire(allowed)) > COMPLEMENT_SHARE * _estimate(
                self._enquire(base)
            )
        if not complement:
            return self._spied(allowed, slots)
        key = (str(base), tuple(slots))
        if key not in self._bases:
            if len(self._bases) >= BASES:
                self._bases.clear()
            self._bases[key] = self._spied(base, slots)
        whole, every = self._bases[key]
        rest, others = self._spied(xapian.Query(xapian.Query.OP_AND_NOT, base, matched), slots)
        self._remember(str(allowed), whole - rest)
        return whole - rest, {slot: _minus(every[slot], others[slot]) for slot in slots}

    def facets_later(self, plan, filters: dict, start, end) -> Callable[[], tuple[dict, dict, int]]:
        """A call giving :meth:`facets` of ``plan``'s matches, counted meanwhile.

        The counting runs in a thread of its own on a second handle of the same
        revision (local shards) or a second connection to each server (remote
        ones; Xapian releases the GIL while it matches or waits), so it overlaps
        the ranking and the snippets; else (the index changed since this reader
        opened) now. The thread builds its own queries from the plan: Xapian's
        objects are not shared between threads.
        """
        self.join()
        side = self._side
        if side is None and plan.clauses:
            twin = self.reader.twin()
            side = self._side = Native(self.reader, twin) if twin is not None else None
        if side is None or not plan.clauses:
            counted = self.facets(self.recall(plan), filters, start, end)
            return lambda: counted
        box: dict = {}

        def run() -> None:
            try:
                box["counted"] = side.facets(side.recall(plan), filters, start, end)
            except Exception as e:  # noqa: BLE001 (raised again in the search's thread)
                box["error"] = e

        self._thread = threading.Thread(target=run, name="vnsearch-facets", daemon=True)
        self._thread.start()

        def result() -> tuple[dict, dict, int]:
            self.join()
            if "error" in box:
                raise box["error"]
            return box["counted"]

        return result

    def join(self) -> None:
        """Wait for facets counting in the other thread, if any."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    # --- ranking -------------------------------------------------------------

    def ids(self, q: xapian.Query, limit: int | None = None) -> list[int]:
        """Document numbers matching ``q`` in document order (all, or the first ``limit``)."""
        e = self._enquire(q)
        e.set_weighting_scheme(xapian.BoolWeight())
        e.set_docid_order(xapian.Enquire.ASCENDING)
        n = self.db.get_doccount() if limit is None else limit
        return [m.docid - 1 for m in e.get_mset(0, n)]

    def newest(self, q: xapian.Query, limit: int) -> list[int]:
        """Document numbers of the first ``limit`` matches, newest first, ties by id."""
        e = self._enquire(q)
        e.set_weighting_scheme(xapian.BoolWeight())
        e.set_sort_by_value(SLOT_NEWEST, False)
        return [m.docid - 1 for m in e.get_mset(0, limit)]

    def window(self, docnums: list[int]) -> WindowPostings:
        """Postings of the candidates ``docnums`` only."""
        return WindowPostings(self, docnums)

    def candidates(self, allowed: xapian.Query, terms: list, limit: int) -> list[int]:
        """The ``limit`` best of ``allowed`` by Xapian's BM25 over the scoring terms."""
        scoring = [
            xapian.Query(xapian.Query.OP_SCALE_WEIGHT, xapian.Query(term(t.field, t.text)), t.boost)
            for t in terms
            if t.text
        ]
        q = xapian.Query(xapian.Query.OP_SCALE_WEIGHT, allowed, 0.0)
        if scoring:
            q = xapian.Query(
                xapian.Query.OP_AND_MAYBE, q, xapian.Query(xapian.Query.OP_OR, scoring)
            )
        e = self._enquire(q)
        e.set_weighting_scheme(xapian.BM25Weight(1.2, 0.0, 1.0, 0.75, 0.5))
        if not self.remote:
            return [m.docid - 1 for m in e.get_mset(0, limit)]
        # Ids are unique, so collapsing on them drops nothing; it brings each
        # candidate's id back with the match instead of a round trip per document.
        e.set_collapse_key(SLOT_ID, 1)
        mset = e.get_mset(0, limit)
        self._ids = {m.docid: m.collapse_key.decode("utf-8") for m in mset}
        return [m.docid - 1 for m in mset]

    def article_ids(self, docids: list[int]) -> list[str]:
        """The article ids of ``docids`` (Xapian's), known or read from their documents."""
        out = []
        for d in docids:
            if d not in self._ids:
                self._ids[d] = self.db.get_document(d).get_value(SLOT_ID).decode("utf-8")
            out.append(self._ids[d])
        return out


def _estimate(e: xapian.Enquire) -> int:
    """Xapian's estimate of a query's matches (no match is run through)."""
    e.set_weighting_scheme(xapian.BoolWeight())
    return int(e.get_mset(0, 0).get_matches_estimated())


def _minus(whole: dict[str, int], part: dict[str, int]) -> dict[str, int]:
    """Counts of ``whole`` less those of ``part`` (a subset), values left at zero dropped."""
    out = {v: n - part.get(v, 0) for v, n in whole.items()}
    return {v: n for v, n in out.items() if n > 0}


def _years(months: dict[str, int]) -> dict[str, int]:
    """Counts per YYYY from counts per YYYY-MM."""
    out: dict[str, int] = {}
    for m, c in months.items():
        out[m[:4]] = out.get(m[:4], 0) + c
    return out


def _slot(name: str) -> int:
    return SLOT_YEAR if name == "year" else FACET_SLOTS[FACET_FIELD[name]]


def _pairs(name: str, counts: dict[str, int]) -> list[tuple[str, int]]:
    """(value, count) as the generic facet columns give them."""
    if name == "year":
        return sorted(((y, c) for y, c in counts.items() if c), key=lambda p: p[0], reverse=True)
    if name == "topic":
        split: dict[str, int] = {}
        for joined, c in counts.items():
            for v in joined.split(FACET_SEP):
                split[v] = split.get(v, 0) + c
        counts = split
    return sorted(((v, c) for v, c in counts.items() if c), key=lambda p: (-p[1], p[0]))


def timeline(months: dict[str, int], total: int, max_months: int = 36) -> dict:
    """The timeline of :meth:`search.columns.FacetColumns.timeline` from counts per YYYY-MM."""
    idx = {int(m[:4]) * 12 + int(m[5:7]) - 1 - 1970 * 12: c for m, c in months.items() if c}
    undated = total - sum(idx.values())
    if not idx:
        return {"unit": "month", "bins": [], "undated": undated}
    lo, hi = min(idx), max(idx)
    if hi - lo < max_months:
        bins = [
            {"period": f"{1970 + m // 12:04d}-{m % 12 + 1:02d}", "count": idx.get(m, 0)}
            for m in range(lo, hi + 1)
        ]
        return {"unit": "month", "bins": bins, "undated": undated}
    years: dict[int, int] = {}
    for m, c in idx.items():
        years[m // 12] = years.get(m // 12, 0) + c
    bins = [
        {"period": f"{1970 + y:04d}", "count": years.get(y, 0)}
        for y in range(min(years), max(years) + 1)
    ]
    return {"unit": "year", "bins": bins, "undated": undated}


class WindowPostings:
    """Postings of a few documents (the ranking's candidates), each term read once.

    Locally each posting list is read by skipping to the candidates, not in
    full. A remote shard sends a posting list whole, so there one match per
    term, limited to the candidates by their id terms and weighted by the raw
    within-document frequency, brings exactly those postings in one exchange.
    The document frequency of the whole index goes with them (BM25's idf).
    """

    def __init__(self, native: Native, docnums: list[int]):
        self.native = native
        self.db = native.db
        self.docids = sorted(d + 1 for d in docnums)
        self._cache: dict[tuple[str, str], TermPostings] = {}
        self._only: xapian.Query | None = None
        if native.remote and self.docids:
            ids = native.article_ids(self.docids)
            self._only = xapian.Query(
                xapian.Query.OP_OR, [xapian.Query(term("id", i)) for i in ids]
            )

    def _read(self, t: str) -> tuple[list, list, int]:
        """(docids, wdfs, document frequency) of the term ``t`` in the candidates."""
        if self._only is None:
            ids, wdfs = read_postlist(self.db, t, self.docids)
            return ids, wdfs, int(self.db.get_termfreq(t))
        e = xapian.Enquire(self.db)
        e.set_query(xapian.Query(xapian.Query.OP_FILTER, xapian.Query(t), self._only))
        # "nnn": weight = wdf (no idf, no normalisation), so each match's weight is
        # the term's frequency in that document.
        e.set_weighting_scheme(xapian.TfIdfWeight("nnn"))
        e.set_docid_order(xapian.Enquire.ASCENDING)
        mset = e.get_mset(0, len(self.docids))
        pairs = sorted((m.docid, round(m.weight)) for m in mset)
        return [d for d, _ in pairs], [w for _, w in pairs], int(mset.get_termfreq(t))

    def get(self, field: str, text: str) -> TermPostings:
        """The candidates' postings of ``field:text``."""
        key = (field, text)
        if key not in self._cache:
            t = term(field, text)
            ids, wdfs, df = self._read(t)
            p = XapianPostings(
                np.asarray(ids, dtype=np.int64) - 1,
                np.asarray(wdfs, dtype=np.float32) * FIELD_BOOST.get(field, 1.0),
                self.db,
                t,
                positional(field, text),
            )
            p.df = df
            self._cache[key] = p
        return self._cache[key]

    def group_df(self, words: list[plan_mod.Word]) -> int:
        """Documents holding any of ``words`` (an abbreviation and its expansions)."""
        q = xapian.Query(xapian.Query.OP_OR, [self.native.word(w) for w in words])
        return self.native.count(q)
