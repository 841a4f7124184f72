"""The query entry point: plain values in, a :class:`SearchResult` out.

An :class:`Engine` is a read-only view of one index that threads can share:
each thread gets its own backend reader (a Whoosh searcher or a Xapian database
is not to be shared), refreshed when another process commits, while facet
columns are built once per index generation and shared. The engine never
talks to a search engine directly: see ``search/backends``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

import numpy as np

from . import abbrev, backends, geo, matching, names, segment, spell
from . import plan as plan_mod
from . import query as vq
from . import related as related_mod
from .analysis import canonical_syllable, fold, normalize_text
from .article import Article
from .backends import article_at, find_article
from .backends.base import Unsupported
from .columns import FacetColumns
from .dates import parse_bound
from .errors import ArticleNotFound, BadQuery, IndexChanged, IndexMissing, ShardUnavailable
from .facets import NAMES as FACETS
from .highlight import Terms, snippet
from .plan import ACCENTS
from .results import FacetValue, Hit, SearchResult
from .scoring import Lengths
from .suggest import _LRU, Suggester

MAX_PER_PAGE = 100
MAX_PAGE = 1000
# Most rows an export (CSV) carries.
EXPORT_LIMIT = 10_000
SORTS = ("relevance", "date")
# "auto": when the query read with its accents finds fewer than this many
# articles and the folded reading finds more (any, when the exact one finds
# none; at least FALLBACK_MANY otherwise), the folded results are shown.
FALLBACK_BELOW = 3
FALLBACK_MANY = 10
# A query with typos (or Telex) that finds fewer than CORRECT_BELOW articles is
# searched corrected when that finds nothing less than CORRECT_TIMES as many
# (and FALLBACK_MANY): "cai cach hanh chin" finds 4 scattered matches, "cải
# cách hành chính" 61. Nothing found at all: any correction that finds one.
CORRECT_BELOW = 10
CORRECT_TIMES = 10
# Two adjacent query syllables are one word when pyvi joined them into one word
# (of two syllables, or longer and starting with them) in at least this share
# of their occurrences in the indexed articles.
WORD_SHARE = 0.5
# ... and at least this many times: one join is pyvi's accident ("Lai Châu Điện
# Biên" is no word "châu điện").
WORD_MIN = 2
# A unit's type typed before a name stands beside it when the articles write the name
# after other types at least this many times as often as after this one, in the
# first PLACE_SAMPLE articles holding it: "xã Tân Phú" ("quận", "huyện" and others
# far more often), not "quận Bình Tân" (mostly "quận"), where the articles' lists
# ("các quận Tân Phú và Bình Tân") would be lost for little.
PLACE_SHARE = 1.0
PLACE_SAMPLE = 30
# ... and only when the index holds the type and the name side by side at least
# this many times.
PLACE_MIN = 3
# A pair of lone query syllables stays one term when its articles (the
# syllables side by side) are at least PAIR_SHARE of those with both syllables,
# or PAIR_ENOUGH in number; else it is read apart ("cấp xã": 61 of 789, kept;
# "nhà cháy": 1 of 106, apart).
PAIR_SHARE = 0.05
PAIR_ENOUGH = 1000
# Two lone query syllables are read as one term when they stand side by side
# at least this often in the indexed text (search/plan.py, _pair_lone_syllables).
PAIR_MIN = 2
# Syllable, function word, syllable typed as a run ("người có công") are one term
# when the articles holding them side by side are at least BRIDGE_SHARE of the
# occurrences of the rarer of its two pairs ("có công": 145 of 1,601, kept; "hộ
# có công": 3 of 515, and "đất của dân": 31 of 676, read apart), and at least
# BRIDGE_MIN ("lũ về nhanh": 2 articles, a way of saying, not a term).
BRIDGE_SHARE = 0.05
BRIDGE_MIN = 10
# A run typed in small letters is a name when the first NAME_SAMPLE articles
# holding it write it with a capital on every syllable in NAME_WRITTEN_SHARE of
# its occurrences there, and at least NAME_SEEN times (search/names.py).
NAME_SAMPLE = 20
NAME_WRITTEN_SHARE = 0.8
NAME_SEEN = 3
# ... and the start of a person's name when a capitalised syllable follows it in
# at least NAME_OPEN_SHARE of its capitalised occurrences there.
NAME_OPEN_SHARE = 0.5
# Articles whose positions are read at a time while looking for those samples.
NAME_CHUNK = 256
# A bridge's articles are counted up to this many (a phrase count in Xapian
# stops there).
BRIDGE_COUNT_CAP = 1000
# Reads of one request that may meet an index changed under them (IndexChanged)
# before it is reported: commits are seconds apart, a read milliseconds long.
READ_ATTEMPTS = 4
# Queries whose stories the pages past COLLAPSE_MAX_END results keep (per engine).
DEEP_QUERIES = 64
log = logging.getLogger(__name__)
# Facet name in results -> field in the index (search/facets.py).


def _as_list(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (str, int)):
        return [str(value)]
    return [str(v) for v in value if v not in (None, "")]


def _as_date(value, name: str) -> dt.date | None:
    # dd/mm/yyyy, yyyy-mm-dd, yyyy-mm or yyyy; a month or year ends on its last day.
    return parse_bound(value, name, end=name == "date_to")


def guarded(method=None, *, opening: bool = False):
    """Decorator for Engine methods: errors of damaged index files become IndexDamaged."""
    if method is None:
        return lambda m: guarded(m, opening=opening)

    @wraps(method)
    def wrapper(self, *args, **kwargs):
        for attempt in range(1, READ_ATTEMPTS + 1):
            try:
                with self.source().reading(opening=opening):
                    return method(self, *args, **kwargs)
            except IndexChanged:
                if attempt == READ_ATTEMPTS:
                    raise
                log.info("index changed while reading (attempt %d): reopening", attempt)
                self.close()  # this thread's reader: the next one opens the new revision
        raise AssertionError("unreachable")

    return wrapper


# _restored_free: the restored reading says nothing of the query's pairs.
_UNJUDGED = object()


class Engine:
    """Searches one index (local, or Xapian shards served over TCP with ``shard_urls``)."""

    def __init__(
        self,
        path,
        suggester=None,
        shard_urls=None,
        allow_partial: bool = False,
        postings_cache_mb: int | None = None,
    ):
        self.path = Path(path)
        self.suggester = suggester
        self.shard_urls = list(shard_urls or [])
        self.allow_partial = allow_partial
        self.postings_cache_mb = postings_cache_mb
        self._source = None
        self._lock = threading.Lock()
        self._local = threading.local()
        # Every thread's open reader (each holds files or connections open),
        # so that close() releases them all, whichever thread opened them.
        self._open: set = set()
        # An engine dropped without close() still closes its files.
        weakref.finalize(self, _close_searchers, self._open, self._lock)
        self._columns: tuple = (None, None, None)
        self._vocab: Suggester | None = None  # the vocabulary, when no suggester was given
        self._words = _LRU(8192)  # is_word answers, keyed on the index generation
        self._shingles = _LRU(16384)  # near-duplicate signatures, by Reader.doc_key
        # The first COLLAPSE_MAX_END stories of a query and the ranking they were
        # read from, for the pages past them (paging on re-read them each time).
        self._deep = _LRU(DEEP_QUERIES)
        self._definitions: tuple = (None, {})  # _learned() of one generation

    # --- plumbing ----------------------------------------------------------

    def source(self):
        """The backend's reading side (chosen from the index's metadata when first needed)."""
        with self._lock:
            if self._source is None:
                self._source = backends.open_source(
                    self.path,
                    self.shard_urls,
                    allow_partial=self.allow_partial,
                    postings_cache_mb=self.postings_cache_mb,
                )
            return self._source

    def _follow_backend(self) -> None:
        """Read with the index's backend again after a rebuild moved it to another one
        (``vnsearch index --rebuild --backend``): checked only when the index changed."""
        if self.shard_urls:
            return
        with self._lock:
            now = backends.backend_of(self.path)
            if self._source is not None and self._source.backend != now:
                log.info("index %s: now held by %s", self.path, now)
                self._source = None

    @property
    def backend(self) -> str:
        """The name of the index's backend ("whoosh" or "xapian")."""
        return self.source().backend

    @property
    def partial(self) -> list[str]:
        """Shards that did not answer when this thread's reader was opened (``allow_partial``)."""
        reader = getattr(self._local, "searcher", None)
        return list(getattr(reader, "missing", []))

    @guarded(opening=True)  # a damaged index file raises IndexDamaged, not an engine's error
    def searcher(self):
        """This thread's reader, refreshed if the index changed since it was opened."""
        reader = getattr(self._local, "searcher", None)
        if reader is not None and reader.up_to_date():
            return reader
        if reader is not None:
            # Dropped before the new one opens: a reader that said it was behind may have
            # moved itself (Xapian's reopen()) to an index it cannot read whole.
            self._local.searcher = None
            with self._lock:
                self._open.discard(reader)
            reader.close()
        self._follow_backend()
        try:
            new = self.source().reader()
        except IndexMissing:
            with self._lock:  # the index may be created later, by either backend
                self._source = None
            raise
        with self._lock:
            self._open.add(new)
        self._local.searcher = new
        log.debug("index %s: new %s reader %s", self.path, self.source().backend, new.key)
        return new

    reader = searcher

    def _generation(self, reader) -> tuple:
        """Per-document arrays of the reader's index generation (built once, shared)."""
        key = reader.key
        with self._lock:
            if self._columns[0] != key:
                started = time.monotonic()
                cols = FacetColumns(reader)
                self._columns = (key, cols, Lengths(reader, np.flatnonzero(cols.live)))
                log.info(
                    "index %s: facet columns of %d articles built in %.2f s",
                    self.path,
                    int(cols.live.sum()),
                    time.monotonic() - started,
                )
            return self._columns

    def columns(self, reader) -> FacetColumns:
        """Facet columns of the reader's index generation."""
        return self._generation(reader)[1]

    def lengths(self, reader) -> Lengths:
        """Article lengths (for BM25) of the reader's index generation."""
        return self._generation(reader)[2]

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close_all()

    def close(self) -> None:
        """Close this thread's reader and suggester connection (they reopen when needed)."""
        reader = getattr(self._local, "searcher", None)
        if reader is not None:
            with self._lock:
                self._open.discard(reader)
            reader.close()
            self._local.searcher = None
        if self.suggester is not None:
            self.suggester.close()

    def close_all(self) -> None:
        """Close every thread's reader and connection (at shutdown, when none is searching)."""
        _close_searchers(self._open, self._lock)
        self._local.searcher = None
        if self.suggester is not None:
            self.suggester.close_all()

    # --- reading -----------------------------------------------------------

    @guarded
    def article(self, article_id: str) -> Article:
        """The stored article with this id (raises ArticleNotFound; ShardUnavailable when
        it is not found while a shard does not answer, as it may be there)."""
        return _find(self.searcher(), article_id)

    def terms(self, q: str, accents: str = "auto", expand: bool = True) -> Terms:
        """What to mark in an article found by query ``q`` (restored accents included)."""
        _, plan, _, restored = self._understand(self.searcher(), q, accents, expand)
        return _terms(plan, restored)

    @guarded
    def count(self) -> int:
        """Number of articles in the index."""
        return self.searcher().doc_count()

    @guarded
    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles most like this one: shared significant words, then place and topic.

        The article itself and its near-duplicates (the same story elsewhere)
        are left out; see search/related.py.
        """
        s = self.searcher()
        article = _find(s, article_id)
        docnum = s.docnum("id", article_id)
        if docnum is None:
            docnum = s.docnum("aliases", article_id)
        _, cols, lengths = self._generation(s)
        with self._lock:
            if getattr(self, "_frequencies", None) is None:
                self._frequencies = related_mod.Frequencies()
        found = related_mod.related_docnums(
            s, cols, lengths, article, docnum, limit, self._frequencies.get(s)
        )
        return [self._hit(article_at(s, d), Terms(), score) for d, score in found]

    # --- searching ---------------------------------------------------------

    @guarded
    def search(
        self,
        q: str = "",
        *,
        province=None,
        province_2025=None,
        topic=None,
        year=None,
        date_from=None,
        date_to=None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 10,
        accents: str = "auto",
        expand: bool = True,
        collapse: bool | None = None,
        outlet=None,
        district=None,
        map_level: str | None = None,
        correct: bool = True,
    ) -> SearchResult:
        """Search the index: hits of one page, total, facets and a suggestion.

        Every filter takes one value or a list (any of them matches); facets are
        counted under all the other filters. ``accents``: "auto" (syllables typed
        with accents match exactly; when that finds almost nothing, the folded
        reading is shown instead), "exact" (never fall back) or "any" (fold all).
        ``expand``: an abbreviation also finds what it stands for, and back.
        ``collapse``: near-duplicates (one story from several outlets) are folded
        into the best-ranked one (``Hit.similar``); default on for relevance.
        ``map_level``: the provinces the map counts, "province" (as published)
        or "province_2025"; by default the 2025 ones when that filter is used.
        ``correct``: a query with typos or Telex that finds little is searched
        corrected when that finds much more (``SearchResult.corrected``).
        """
        page, per_page = int(page), int(per_page)
        if map_level not in (None, *geo.LEVELS):
            raise BadQuery(
                f"map_level: phải là một trong {', '.join(geo.LEVELS)}", code="bad_map_level"
            )
        if not 1 <= page <= MAX_PAGE:
            raise BadQuery(f"page: số trang phải từ 1 đến {MAX_PAGE}", code="bad_page")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise BadQuery(
                f"per_page: số kết quả mỗi trang phải từ 1 đến {MAX_PER_PAGE}", code="bad_per_page"
            )
        if sort not in SORTS:
            raise BadQuery(
                f"sort: cách sắp xếp phải là một trong {', '.join(SORTS)}", code="bad_sort"
            )
        s = self.searcher()
        found = self._find(
            s,
            q,
            accents,
            province=province,
            province_2025=province_2025,
            topic=topic,
            year=year,
            date_from=date_from,
            date_to=date_to,
            expand=expand,
            outlet=outlet,
            district=district,
            correct=correct,
        )
        filters, plan = found.filters, found.plan
        # Facets count under the other filters; the timeline under all but the
        # dates (its bars set them). Counted meanwhile where the backend can.
        counting = found.matcher.facets_later(found)

        first = (page - 1) * per_page
        terms = _terms(plan, found.restored)
        if collapse is None:  # by default, ranked results of a query (not a listing)
            collapse = sort == "relevance" and bool(plan.clauses)
        collapse = bool(collapse)
        loaded: dict[int, Article] = {}  # stored articles already read by this search
        if collapse:
            page_hits = self._stories(s, found, sort, first, per_page, loaded)
        else:
            page_hits = [
                (d, score, [])
                for d, score in self._order(s, found, sort, first + per_page)[
                    first : first + per_page
                ]
            ]
        hits = []

        def article(d: int) -> Article:
            return loaded[d] if d in loaded else article_at(s, d)

        for d, score, similar in page_hits:
            hits.append(self._hit(article(d), terms, score))
            hits[-1].similar = [related_mod.summary(article(o)) for o in similar]
        counted_facets, timeline, total = counting()
        facets = {}
        for name in FACETS:
            chosen = set(filters.get(name, []))
            counted = counted_facets[name]
            facets[name] = [FacetValue(v, c, v in chosen) for v, c in counted]
            # A selected value that no longer matches still shows, to be removable.
            facets[name] += [FacetValue(v, 0, True) for v in chosen if v not in dict(counted)]
        level = map_level or ("province_2025" if filters["province_2025"] else "province")
        placed = [(v, geo.locate(v.value, level)) for v in facets[level] if v.count]
        province_map = {
            "level": level,
            "counts": [
                {"value": v.value, "count": v.count, "lat": round(p.lat, 4), "lon": round(p.lon, 4)}
                for v, p in placed
                if p is not None
            ],
        }

        return SearchResult(
            query=found.typed,
            total=total,
            page=page,
            per_page=per_page,
            sort=sort,
            hits=hits,
            facets=facets,
            filters=filters,
            suggestion=found.suggestion,
            accents=plan.accents,
            fallback=found.fallback,
            exact_total=found.exact_total,
            words=plan.describe(),
            expanded=[{"typed": typed, "also": also} for typed, also in plan.aliases.values()],
            corrected=found.corrected,
            typed_total=found.typed_total,
            missing=found.missing or [],
            timeline=timeline,
            map=province_map,
            collapsed=collapse,
            partial=list(getattr(s, "missing", [])),
        )

    @guarded
    def export(
        self,
        q: str = "",
        *,
        limit: int = EXPORT_LIMIT,
        sort: str = "relevance",
        accents: str = "auto",
        expand: bool = True,
        **filters,
    ) -> Iterator[dict]:
        """The first ``limit`` matching articles in the search page's order, as plain rows.

        Rows carry id, title, date, outlet, province, province_2025, topics and
        url (no snippets). The arguments are checked and the order computed
        now; the stored fields are read as the rows are consumed.
        """
        if sort not in SORTS:
            raise BadQuery(
                f"sort: cách sắp xếp phải là một trong {', '.join(SORTS)}", code="bad_sort"
            )
        limit = max(0, min(int(limit), EXPORT_LIMIT))
        s = self.searcher()
        found = self._find(s, q, accents, expand=expand, **filters)
        docnums = [d for d, _ in self._order(s, found, sort, limit)] if limit else []
        return self._rows_read(s, docnums)

    def _rows_read(self, s, docnums: list[int]) -> Iterator[dict]:
        """:func:`_rows`, read as the engine reads (named errors): they are read lazily,
        after export() has returned."""
        with self.source().reading():
            yield from _rows(s, docnums)

    def _order(self, s, found: _Found, sort: str, limit: int) -> Sequence[tuple[int, float | None]]:
        """(docnum, score) of the first ``limit`` results in page order."""
        plan, allowed = found.plan, found.allowed
        native = found.matcher.native
        if sort == "date" or not plan.clauses:
            if native is not None:
                return [(d, None) for d in native.newest(allowed, limit)]
            docnums = found.cols.newest_first(np.flatnonzero(allowed))[:limit]
            return [(int(d), None) for d in docnums]
        # Keyword queries only: a question's many words are often cut
        # otherwise by pyvi in the answer (ALQAC MRR@10 0.870 -> 0.845).
        multi = (
            []
            if plan.relaxed
            else [
                w
                for w in plan.words
                if not w.ref_key
                and not w.question
                and len(w.syllables) > 1
                and not w.bridged  # pyvi never joins a function word: no boundary to read
                and not matching.aliased(plan, w)
            ]
        )
        if native is not None:
            return self._order_candidates(s, found, multi, limit)
        true_words = self._true_words(found.postings, multi)
        return matching.ranked(
            s, plan, found.restored, allowed, found.lengths, found.postings, limit, true_words
        )

    def _order_candidates(
        self, s, found: _Found, multi: list, limit: int
    ) -> list[tuple[int, float | None]]:
        """Page order where Xapian's BM25 picks the candidates, scored as on any backend.

        They are picked and scored a window at a time (Xapian's best 100, then its next
        100, ...): a deeper page asks for more, and the pages before it stay as they were.
        """
        window = plan_mod.RESCORE_WINDOW
        native = found.matcher.native
        terms = plan_mod.candidate_terms(found.plan, found.restored)
        picked = native.candidates(found.allowed, terms, window * -(-max(limit, 1) // window))
        out: list[tuple[int, float | None]] = []
        for start in range(0, len(picked), window):
            block = picked[start : start + window]
            postings = native.window(block)
            allowed = np.zeros(found.cols.size, dtype=bool)
            allowed[block] = True
            true_words = self._true_words(postings, multi)
            out += matching.ranked(
                s,
                found.plan,
                found.restored,
                allowed,
                found.lengths,
                postings,
                len(block),
                true_words,
            )
            if len(out) >= limit:
                break
        return out[:limit]

    def match_ids(
        self, q: str = "", *, accents: str = "auto", expand: bool = True, **filters
    ) -> list[str]:
        """The ids of every article the search matches (all pages; the recall of ``total``)."""
        s = self.searcher()
        found = self._find(s, q, accents, expand=expand, **filters)
        return [s.stored(int(d))["id"] for d in found.matcher.ids(found.allowed)]

    def _find(
        self,
        s,
        q: str,
        accents: str,
        *,
        province=None,
        province_2025=None,
        topic=None,
        year=None,
        date_from=None,
        date_to=None,
        expand: bool = True,
        outlet=None,
        district=None,
        correct: bool = True,
    ) -> _Found:
        """Read the query and filters and compute what matches (before ranking)."""
        if accents not in ACCENTS:
            raise BadQuery(
                f"accents: chế độ dấu phải là một trong {', '.join(ACCENTS)}", code="bad_accents"
            )
        filters = {
            "province": _as_list(province),
            "province_2025": _as_list(province_2025),
            "topic": _as_list(topic),
            "year": _as_list(year),
            "outlet": _as_list(outlet),
            "district": _as_list(district),
        }
        for y in filters["year"]:
            if not y.isdigit():
                raise BadQuery(f"year: năm phải là một số, không phải {y!r}", code="bad_year")
        start, end = _as_date(date_from, "date_from"), _as_date(date_to, "date_to")
        if start and end and start > end:
            raise BadQuery(
                f"date_from ({start.isoformat()}) sau date_to ({end.isoformat()}): "
                "ngày bắt đầu phải trước ngày kết thúc",
                code="bad_date_range",
            )
        _, cols, lengths = self._generation(s)
        pq, plan, suggestion, restored = self._understand(s, q, accents, expand)
        postings = matching.TermCache(s)
        native = getattr(s, "native", None)
        m: matching.Matcher
        if native is not None:
            try:
                native.recall(plan)  # a plan Xapian cannot answer takes the generic path
                m = matching.Queries(native, filters, start, end)
            except Unsupported:
                native = None
        if native is None:
            masks = {
                name: cols.mask_for(matching.FACET_FIELD[name], values)
                for name, values in filters.items()
                if values
            }
            if start or end:
                masks["date"] = cols.date_mask(start, end)
            m = matching.Masks(cols, postings, masks)
        recall, within, count = m.recall, m.within, m.count

        matched = recall(plan)
        allowed = within(matched)
        fallback, exact_total = False, None
        # Decisions need only know "fewer than k?": a match stops at k. The
        # total comes with the facets (counted meanwhile, see search()).
        at_least = m.at_least
        paired = any(w.paired for w in plan.words)
        # How the pairs were read, for the folded reading below to read them alike.
        reading: dict = {"pairs": True, "apart": frozenset()}
        if paired:
            # Side by side in too few of the articles that hold both syllables, a
            # pair is a free combination ("nhà cháy"), not a term: read it apart
            # (the words shown say how the query was read).
            apart = self._pairs_apart(s, pq, plan, allowed, expand, m, suggestion)
            if apart is not None:
                plan, matched, allowed, free = apart
                reading = {"pairs": bool(free), "apart": free}
        # Then numbers that label the word before them ("Quận 1"), when that finds
        # anything: the pairs above are judged without them, so that a label found
        # nowhere never splits a term nor leaves one out ("hộ nghèo phường 3").
        labelled = self._labelled(s, pq, plan, expand, reading, m)
        if labelled is not None:
            plan, matched, allowed = labelled
            reading = {**reading, "labels": True}
        if accents == "auto" and plan.has_exact:
            n = at_least(allowed, FALLBACK_BELOW)  # exact below FALLBACK_BELOW
            if n < FALLBACK_BELOW:
                # Pairs as the typed reading left them: a word that its accents made
                # ("tay đua") is a pair folded, not syllables apart.
                folded = self._build(s, pq, "any", expand, **reading)
                matched_any = recall(folded)
                allowed_any = within(matched_any)
                # Better by the folded reading: more than n, and (unless n is 0)
                # at least FALLBACK_MANY.
                k = max(n + 1, FALLBACK_MANY) if n else 1
                if at_least(allowed_any, k) >= k:
                    plan, matched, allowed = folded, matched_any, allowed_any
                    fallback, exact_total = True, n
        corrected, missing, typed, typed_total = None, [], pq.text, None
        fixed = self._corrected(s, pq)
        if fixed is not None:
            # Offered in any case; searched when asked and the typed query finds little.
            searched, suggestion = fixed
            n = at_least(allowed, CORRECT_BELOW) if correct else CORRECT_BELOW
            if n < CORRECT_BELOW:
                pq2, plan2, _, restored2 = self._understand(s, searched, accents, expand)
                matched2 = recall(plan2)
                allowed2 = within(matched2)
                labelled = self._labelled(s, pq2, plan2, expand, {}, m)
                if labelled is not None:
                    plan2, matched2, allowed2 = labelled
                # Anything, when the typed query finds nothing; else many times
                # more, and not by turning a name or a rare word into a common one.
                k = max(CORRECT_TIMES * n, FALLBACK_MANY) if n else 1
                if (not n or _bold_enough(pq, searched)) and at_least(allowed2, k) >= k:
                    pq, plan, restored, matched, allowed = pq2, plan2, restored2, matched2, allowed2
                    corrected, typed_total = searched, n or None
                    # Its accents restored where it has none: offered, as for any query.
                    suggestion = suggestion if suggestion != searched else None
        if not at_least(allowed, 1) and len(plan.required) > 1 and not plan.long:
            # Nothing has every word: leave out the rarest words, one at a time,
            # until something is found, and say which (as search engines do).
            counts = {
                i: count(within(recall(plan_mod.Plan([c], accents=plan.accents))))
                for i, c in enumerate(plan.clauses)
                if c in plan.required
            }
            drop: set[int] = set()
            for i in sorted(counts, key=lambda i: (counts[i], i))[:-1]:
                drop.add(i)
                # What is left must name something: not a type or a title alone
                # ("huyện" of ``huyện Xyzabc``, 8,864 articles), which finds noise.
                kept = [
                    c for j, c in enumerate(plan.clauses) if j not in drop and c in plan.required
                ]
                if plan_mod.names_nothing(kept, pq.accented):
                    break
                rescued = plan_mod.without(plan, drop)
                matched2 = recall(rescued)
                if at_least(within(matched2), 1):
                    missing = [
                        " ".join(w.text for w in plan.clauses[j] if not w.alias)
                        for j in sorted(drop)
                    ]
                    plan, matched, allowed = rescued, matched2, within(matched2)
                    break
        return _Found(
            pq,
            plan,
            suggestion,
            restored,
            cols,
            lengths,
            postings,
            filters,
            m,
            matched,
            allowed,
            fallback,
            exact_total,
            corrected,
            missing,
            typed,
            (start, end),
            typed_total,
        )

    def _corrected(self, s, pq) -> tuple[str, str] | None:
        """(the query with typos and Telex/VNI read back, the same with accents restored), or None.

        What is searched keeps the syllables the correction left alone as they
        were typed: one typed without accents still matches any ("cans booj
        nam" is "cán bộ nam", not "cán bộ năm").
        """
        syls = plan_mod.plain(pq)
        if not syls:
            return None
        stats = self.suggester if self.suggester is not None else self._stats()

        def known(f: str) -> int:
            return s.doc_frequency("text", f)

        def known_exact(t: str) -> int:
            return s.doc_frequency("exact", canonical_syllable(t))

        fixed = spell.correct(syls, known, stats.pair_count, known_exact)
        if fixed is None:
            return None
        text = " ".join(fixed)
        restored = self.suggester.restore(text) if self.suggester is not None else text
        if restored == normalize_text(pq.text):
            return None
        shown = restored.split()
        if len(shown) != len(fixed):
            return text, restored
        searched = [r if f != typed else typed for typed, f, r in zip(syls, fixed, shown)]
        return " ".join(searched), restored

    def _understand(self, s, q: str, accents: str, expand: bool = True):
        """(parsed query, plan, suggestion, restored accents) of ``q``."""
        pq = vq.parse(q)
        mode = "any" if accents == "any" else "exact"
        plan = self._build(s, pq, mode, expand)
        suggestion, restored = None, None
        if self.suggester is not None and pq.positive_syllables and not _all_accented(plan):
            suggestion, restored = self.suggester.suggest(pq)
            if plan_mod.read_restored(pq, restored):
                # Read again as restored in context: a syllable taken for a function
                # word may be another ("duoi nuoc": đuối nước), a question word one.
                plan = self._build(s, pq, mode, expand)
        return pq, plan, suggestion, restored

    def _labelled(self, s, pq, plan: plan_mod.Plan, expand: bool, reading: dict, m):
        """(plan, matched, allowed) of ``pq`` read as ``plan`` was, with its numbers
        bound to the words they label (plan._bind_labels), when that finds anything;
        else None."""
        if not plan_mod.has_labels(pq):
            return None
        labelled = self._build(s, pq, plan.accents, expand, **{**reading, "labels": True})
        if labelled.clauses == plan.clauses and labelled.excluded == plan.excluded:
            return None
        matched = m.recall(labelled)
        allowed = m.within(matched)
        return (labelled, matched, allowed) if m.at_least(allowed, 1) else None

    def _restored_plan(
        self, s, pq, plan: plan_mod.Plan, suggestion, expand: bool, whole: bool = False
    ):
        """The parsed restored reading of a query typed without accents and its plan, when
        it pairs the same syllables as ``plan`` (``whole``: or, pairing none, holds each
        of its pairs in one word of the index); else None."""
        if pq.accented or not suggestion or suggestion == pq.text:
            return None
        typed = vq.parse(suggestion)
        restored = self._build(s, typed, "exact", expand)
        paired = [w.folded for w in plan.words if w.paired]
        if [w.folded for w in restored.words if w.paired] != paired and not (
            whole
            and not any(w.paired for w in restored.words)
            and set(paired) <= {w.folded for w in restored.words}
        ):
            return None  # read otherwise: nothing to judge by
        return typed, restored

    def _restored_free(self, s, pq, plan: plan_mod.Plan, suggestion, expand: bool, m):
        """A query typed without accents, its pairs judged as the reading the index
        restores would be, typed so ("gia lua tang" as "giá lúa tăng"): None to keep
        them, the links to read apart (see _free_words), or _UNJUDGED. Folded, a pair's
        syllables stand for many words each (*gia*: giá, già, giả; *lua*: lúa, lửa,
        lụa) that meet far more often than the pair's, which drowns the share that
        tells a term from a free combination (``gia lua`` 1,826 articles apart, 24
        side by side; ``giá lúa`` is a term)."""
        found = self._restored_plan(s, pq, plan, suggestion, expand, whole=True)
        if found is None:
            return _UNJUDGED
        typed, restored = found
        allowed = m.within(m.recall(restored))
        if not m.at_least(allowed, 1):
            return _UNJUDGED
        if not any(w.paired for w in restored.words):
            # Words of the index, which no reading splits ("phu quy": *phú quý*, 43
            # articles, not 6,042 with *phu* and *quy* anywhere).
            return None
        # As a query typed with accents is judged.
        apart = self._pairs_apart(s, typed, restored, allowed, expand, m, None)
        return None if apart is None else apart[3]

    def _pairs_apart(self, s, pq, plan: plan_mod.Plan, allowed, expand: bool, m, suggestion):
        """(plan, matched, allowed, links read apart) of ``pq`` with its free combinations
        read apart, when the paired reading ``plan`` (matching ``allowed``) finds too few
        to hold them together; else None. ``suggestion``: the restored reading of a query
        typed without accents, which judges its pairs (see _restored_free)."""
        at_least = m.at_least
        n = at_least(allowed, PAIR_ENOUGH)
        # Nothing side by side: apart, if that finds anything at all.
        limit = max(FALLBACK_BELOW, math.floor(n / PAIR_SHARE) + 1) if n else 1
        # The apart reading finds no more articles than its rarest paired
        # syllable's: when those are fewer than the limit, the pair stays
        # without counting it (most terms: "hộ nghèo" 36 of at most 150).
        rarest = min(
            s.doc_frequency("text", syl.folded)
            for w in plan.words
            if w.paired
            for syl in w.syllables
        )
        # A person's name found nowhere is read apart too ("Nguyễn Văn Hà Nội").
        if n >= PAIR_ENOUGH or rarest < limit or (n and self._person(s, plan)):
            return None
        if n:
            # Typed without accents: as the reading the index restores is judged.
            judged = self._restored_free(s, pq, plan, suggestion, expand, m)
            free = self._free_words(s, plan) if judged is _UNJUDGED else judged
            tries = [] if free is None else [free]
        else:
            # Nothing found together: the free combinations apart, when the
            # others are terms ("giá vàng trang sức": *giá*, *vàng* and *trang
            # sức*), else every pair, if that finds anything.
            found = self._restored_plan(s, pq, plan, suggestion, expand)
            judged = plan if found is None else found[1]
            some = None if self._person(s, plan) else self._free_words(s, judged)
            tries = [some] if some else []
            tries.append(frozenset())
        for free in tries:
            # Every pair apart (pairs=False also reads names apart), or some.
            apart = self._build(s, pq, plan.accents, expand, pairs=bool(free), apart=free)
            if free and _new_pairs(plan, apart):
                # A pair formed anew where one went apart ("công an huyện" once
                # "huyện bắt" is read apart) is judged by nothing: not taken.
                continue
            matched = m.recall(apart)
            allowed_apart = m.within(matched)
            # Some pairs apart, judged free combinations by the whole index:
            # when that finds more. Every one: when it finds many more.
            k = (max(n + 1, FALLBACK_BELOW) if n else 1) if free else limit
            if at_least(allowed_apart, k) >= k:
                return apart, matched, allowed_apart, free
        return None

    def _free_words(self, s, plan: plan_mod.Plan) -> frozenset | None:
        """What to read apart when the plan's paired words together are rare: the links
        (folded syllable pairs) of some of them, empty for all, or None for none.

        A word of pyvi's dictionary stays, however common its syllables (see
        _is_lexical), as does a name the articles write as one. Of the others, one alone
        goes apart (as the caller's test of the query says); of several, only those the whole index holds side by side too
        seldom to be terms ("nhà cháy"), each judged on its own: "hộ nghèo cấp xã" keeps
        both terms, though they meet in few of the articles holding their four syllables.
        """
        paired = [w for w in plan.words if w.paired]
        # Nor a name of two syllables that the articles write with a capital on each,
        # however common its syllables ("Kỳ Anh": side by side in 4.7% of the 3,161
        # articles holding both); not after a type or a title, which a sentence's
        # first capital makes look like one ("Quận Nam Từ Liêm", "Ông Lương Văn
        # Luận"), nor names joined from parts, which two names that meet are too.
        written = self._is_written_name_test(s)
        words = [
            w
            for w in paired
            if not self._is_lexical(w)
            and (
                len(w.syllables) != 2
                or w.head
                or plan_mod.is_name_opener(w.syllables[0].text, w.syllables[0].accented)
                or not written(w.folded).name
            )
        ]
        if len(paired) < 2:
            free = words
        else:
            free = [w for w in words if not self._is_term_word(s, w)]
        if not free:
            return None
        if len(free) == len(paired):
            return frozenset()
        return frozenset(link for w in free for link in zip(w.folded, w.folded[1:]))

    def _is_lexical(self, word: plan_mod.Word) -> bool:
        """Is the pair ``word`` a word of pyvi's dictionary: as typed with accents, or in
        most of the index's occurrences of it without? "máy ảnh" stands side by side in 29
        of the 2,317 articles holding both syllables, too few for the share that tells
        a free combination, yet it is a word ("nhà cháy" is none)."""
        if len(word.syllables) != 2 or word.head:
            return False
        a, b = word.syllables
        lexicon = segment.lexical_pairs()
        if a.accented or b.accented:
            # Typed with accents: as typed, a plain syllable too ("trang sức", not
            # "tình trạng sức khỏe").
            return (a.text, b.text) in lexicon
        # Typed without: the readings the index holds side by side, mostly words.
        stats = self.suggester if self.suggester is not None else self._stats()
        readings = stats.pair_readings(a.folded, b.folded)
        words = sum(n for r, n in readings.items() if r in lexicon)
        return words > 0 and 2 * words >= sum(readings.values())

    def _is_term_word(self, s, word: plan_mod.Word) -> bool:
        """Does the whole index hold ``word``'s parts side by side in at least PAIR_SHARE
        of the articles holding them all (or PAIR_ENOUGH)? A name is split where its
        last part begins, a pair between its syllables (as the name test asks)."""
        # Split where the pair rule joined it: before a name's last part, before the
        # lone syllable a word took (plan._trailing), else after the first syllable.
        cut = len(word.syllables) - 1 if word.tail else (word.head or 1)
        return self._is_name_test(s)(word.folded[:cut], word.folded[cut:])

    def _build(
        self,
        s,
        pq,
        accents: str,
        expand: bool,
        pairs: bool = True,
        apart: frozenset = frozenset(),
        labels: bool = False,
    ) -> plan_mod.Plan:
        """The plan of ``pq`` with the index's tests; ``pairs`` False reads pairs and
        names apart (what ``OR`` and ``-`` bind stays bound), ``apart`` those folded
        syllable pairs only; ``labels``: numbers bound to the word they label (else apart,
        as the readings are judged; see search())."""
        is_pair = self._is_pair_test(s)
        if apart:
            joined = is_pair

            def is_pair(a: str, b: str) -> int:
                return 0 if (a, b) in apart else joined(a, b)

        return plan_mod.build(
            pq,
            self._is_word_test(s),
            accents,
            self._aliases(s) if expand else None,
            is_pair if pairs else None,
            self._is_bridge_test(s),
            bind=self._is_pair_test(s),
            is_name=self._is_name_test(s),
            written=self._is_written_name_test(s),
            labels=labels,
            lexical=self._is_lexical,
            is_place=self._is_place_test(s),
            holds=self._holds_test(s),
        )

    def _is_word_test(self, s):
        """The index's test of whether two adjacent query syllables are one word."""
        stats = self.suggester if self.suggester is not None else self._stats()
        key = self._generation(s)[0]

        def is_word(before, a, b, after, exact=(None, None)) -> bool:
            cache_key = (key, before, a, b, exact)
            hit = self._words.get(cache_key)
            if hit is None:
                total = _occurrences(stats, a, b, exact)
                hit = total > 0 and _joined(s, a, b, before) >= max(WORD_MIN, WORD_SHARE * total)
                self._words.put(cache_key, hit)
            return hit

        return is_word

    def _holds_test(self, s):
        """The index's test of whether a run of syllables stands side by side in any
        article (a word chained from overlapping pairs, see plan.build)."""
        key = self._generation(s)[0]

        def holds(folded: tuple[str, ...]) -> bool:
            cache_key = (key, "holds", folded)
            hit = self._words.get(cache_key)
            if hit is None:
                word = plan_mod.Word(tuple(plan_mod.Syllable(x, False) for x in folded))
                hit = bool(self._phrase_ids(s, word, 1))
                self._words.put(cache_key, hit)
            return hit

        return holds

    def _stories(self, s, found, sort, first: int, per_page: int, loaded: dict) -> list:
        """The page ``[first, first + per_page)`` of the ranking with near-duplicates folded.

        The first COLLAPSE_MAX_END results are stories (each copy folded into the
        best-ranked one); past them, the ranking goes on without the articles
        those stories hold, so that every page follows the one before it.
        """
        end = min(first + per_page, related_mod.COLLAPSE_MAX_END)
        # Pages past the stories start from all of them: the same for every such
        # page of the query, so kept (not when shards are missing: they may return).
        deep = end == related_mod.COLLAPSE_MAX_END and not getattr(s, "missing", None)
        key = (
            (s.key, repr(found.plan), repr(found.filters), found.dates, sort, repr(found.restored))
            if deep
            else None
        )
        kept = self._deep.get(key) if key is not None else None
        if kept is not None:
            window, stories, want = kept
        else:
            # Read further down the ranking while copies leave the stories short (bounded).
            want = end + related_mod.COLLAPSE_WINDOW
            while True:
                window = self._order(s, found, sort, want)
                stories = related_mod.collapse(s, window, 0, end, self._signature(s, loaded))
                if (
                    len(stories) == end
                    or len(window) < want
                    or want >= related_mod.COLLAPSE_MAX_READ
                ):
                    break
                want = min(2 * want, related_mod.COLLAPSE_MAX_READ)
            if key is not None:
                self._deep.put(key, (window, stories, want))
        if first + per_page <= len(stories) or len(window) < want:
            return stories[first : first + per_page]
        held = {d for head, _, folded in stories for d in (head, *folded)}
        need = first + per_page + len(held)
        # The window read for the stories is the ranking's head: ranked again only past it.
        ranked = window if len(window) >= need else self._order(s, found, sort, need)
        rest: list = [(d, score, []) for d, score in ranked if d not in held]
        return (stories + rest)[first : first + per_page]

    def _is_place_test(self, s):
        """The articles' test of whether a unit's type tells apart places of the name after
        it: of the first PLACE_SAMPLE articles holding the name, those with other types
        right before it are at least PLACE_SHARE times those with this one (see
        plan._bind_places)."""
        key = self._generation(s)[0]

        def is_place(unit: plan_mod.Word, name: plan_mod.Word) -> bool:
            cache_key = (key, "place", _pattern(unit), _pattern(name))
            hit = self._words.get(cache_key)
            if hit is None:
                typed = " ".join(unit.folded)
                texts = (
                    "\n".join(x for x in (a.title, a.lead, a.body) if x)
                    for d in self._phrase_ids(s, name, PLACE_SAMPLE)
                    for a in [article_at(s, d)]
                )
                # As typed: with accents, the name as written ("Phú Mỹ", not "Phù Mỹ").
                written = (
                    tuple(x.text for x in name.syllables)
                    if all(x.exact for x in name.syllables)
                    else None
                )
                counts = names.preceding(texts, name.folded, plan_mod.PLACE_TYPES, written)
                own = sum(n for t, n in counts.items() if fold(t) == typed)
                others = sum(counts.values()) - own
                # None after this type in the sample, others often: the rarer place,
                # when the index names it so at least PLACE_MIN times ("thành phố Thủ
                # Đức" once: the articles predate it, and say "quận Thủ Đức").
                hit = (
                    others > 0
                    and others >= PLACE_SHARE * own
                    and self._phrase_docs(
                        s, [plan_mod.Word(unit.syllables + name.syllables)], PLACE_MIN
                    )
                    >= PLACE_MIN
                )
                self._words.put(cache_key, hit)
            return hit

        return is_place

    def _is_pair_test(self, s):
        """The index's test of whether two lone query syllables stand side by side in it."""
        stats = self.suggester if self.suggester is not None else self._stats()

        def is_pair(a: str, b: str) -> int:
            n = stats.pair_count(a, b)
            return n if n >= PAIR_MIN else 0

        return is_pair

    def _is_bridge_test(self, s):
        """The index's test of whether "syllable, function word, syllable" is one term
        (see BRIDGE_SHARE), counted over the whole index whatever the filters."""
        stats = self.suggester if self.suggester is not None else self._stats()
        key = self._generation(s)[0]

        def is_bridge(word: plan_mod.Word, before: str | None, after: str | None) -> int:
            cache_key = (key, "bridge", _pattern(word))
            held = self._words.get(cache_key)
            if held is None:
                a, f, b = word.folded
                rarer = min(stats.pair_count(a, f), stats.pair_count(f, b))
                need = max(BRIDGE_MIN, math.ceil(BRIDGE_SHARE * rarer))
                held = 0
                if rarer >= need:
                    # Counted further than the test needs: two bridges sharing a
                    # syllable are told apart by it (see plan._overtaken).
                    held = self._phrase_docs(s, [word], max(need, BRIDGE_COUNT_CAP))
                    held = held if held >= need else 0
                self._words.put(cache_key, held)
            if not held:
                return 0
            # A term the syllable beside makes with an end keeps it ("tàu cá bị chìm").
            if (before is not None and self._is_term_pair(s, before, word.folded[0])) or (
                after is not None and self._is_term_pair(s, word.folded[-1], after)
            ):
                return 0
            return held

        return is_bridge

    def _is_name_test(self, s):
        """The index's test of whether capitalised syllables typed under ``OR`` or ``-``
        are one name: side by side in at least PAIR_SHARE of the articles holding them
        all (or PAIR_ENOUGH), as the pair rule reads a pair or a name elsewhere."""
        key = self._generation(s)[0]

        def is_name(first: tuple[str, ...], then: tuple[str, ...]) -> bool:
            cache_key = (key, "name", first, then)
            hit = self._words.get(cache_key)
            if hit is None:
                hit = self._side_by_side(s, first, then)
                self._words.put(cache_key, hit)
            return hit

        return is_name

    def _is_written_name_test(self, s):
        """The articles' test of how a run is written (plan.Writing): as a name, with a
        capital on every syllable in at least NAME_WRITTEN_SHARE of its occurrences
        (at least NAME_SEEN) in the first NAME_SAMPLE articles holding it; as the start
        of a longer name (NAME_OPEN_SHARE)."""
        key = self._generation(s)[0]

        def written(folded: tuple[str, ...]) -> plan_mod.Writing:
            cache_key = (key, "written", folded)
            hit = self._words.get(cache_key)
            if hit is None:
                word = plan_mod.Word(tuple(plan_mod.Syllable(x, False) for x in folded))
                texts = (
                    text
                    for d in self._phrase_ids(s, word, NAME_SAMPLE)
                    for a in [article_at(s, d)]
                    for text in (a.title, a.body)
                )
                capital, seen, continued = names.capitals(texts, folded)
                hit = plan_mod.Writing(
                    name=seen >= NAME_SEEN and capital >= NAME_WRITTEN_SHARE * seen,
                    opens=capital >= NAME_SEEN and continued >= NAME_OPEN_SHARE * capital,
                )
                self._words.put(cache_key, hit)
            return hit

        return written

    def _person(self, s, plan: plan_mod.Plan) -> bool:
        """True when a name of the plan is a person's, kept together however rarely it
        is found: its first part is one the articles go on with a given name
        ("Nguyễn Hoàng Sang": 3 articles, its syllables in 1,285), unlike two names
        that merely meet ("Hà Nội Đà Nẵng"), read apart when rare."""
        return any(self._is_person(s, w) for w in plan.words)

    def _is_person(self, s, word: plan_mod.Word) -> bool:
        """True when ``word`` is a name whose first part the articles go on with a given name."""
        return bool(word.head) and self._is_written_name_test(s)(word.folded[: word.head]).opens

    def _phrase_ids(self, s, word: plan_mod.Word, k: int) -> list[int]:
        """The first ``k`` articles (document order) holding ``word``'s syllables side by side."""
        plan = plan_mod.Plan([[word]], accents="any")
        native = getattr(s, "native", None)
        if native is not None:
            try:
                return native.ids(native.recall(plan), k)
            except Unsupported:
                pass
        _, cols, _ = self._generation(s)
        postings = matching.TermCache(s)
        maybe = matching.loose_ids(postings, word)
        maybe = maybe[cols.live[maybe]]
        # Positions are read for a few hundred articles at a time, until k are found.
        found: list[int] = []
        for start in range(0, len(maybe), NAME_CHUNK):
            found += matching.word_ids(postings, word, maybe[start : start + NAME_CHUNK]).tolist()
            if len(found) >= k:
                break
        return found[:k]

    def _side_by_side(self, s, first: tuple[str, ...], then: tuple[str, ...]) -> bool:
        """Do the folded runs ``first`` and ``then`` (each side by side) stand one after
        the other in at least PAIR_SHARE of the articles holding both (or PAIR_ENOUGH)?"""

        def word(xs: tuple[str, ...]) -> plan_mod.Word:
            return plan_mod.Word(tuple(plan_mod.Syllable(x, False) for x in xs))

        together = self._phrase_docs(s, [word(first + then)], PAIR_ENOUGH)
        if not together:
            return False
        if together >= PAIR_ENOUGH:
            return True
        # Both in more than together / PAIR_SHARE articles: a free combination.
        limit = math.floor(together / PAIR_SHARE) + 1
        return self._phrase_docs(s, [word(first), word(then)], limit) < limit

    def _is_term_pair(self, s, a: str, b: str) -> bool:
        """Do the folded syllables ``a b`` stand side by side in at least PAIR_SHARE of
        the articles holding both (or PAIR_ENOUGH): a term, as the pair rule has it?"""
        cache_key = (self._generation(s)[0], "term", a, b)
        hit = self._words.get(cache_key)
        if hit is None:
            stats = self.suggester if self.suggester is not None else self._stats()
            hit = stats.pair_count(a, b) >= PAIR_MIN and self._side_by_side(s, (a,), (b,))
            self._words.put(cache_key, hit)
        return hit

    def _phrase_docs(self, s, words: list[plan_mod.Word], k: int | None) -> int:
        """How many articles hold every one of ``words`` (each word's syllables side by
        side), up to ``k`` (None: all)."""
        plan = plan_mod.Plan([[w] for w in words], accents="exact")
        native = getattr(s, "native", None)
        if native is not None:
            try:
                q = native.recall(plan)
                return native.count(q) if k is None else native.at_least(q, k)
            except Unsupported:
                pass
        _, cols, _ = self._generation(s)
        n = int(matching.recall_mask(plan, cols, matching.TermCache(s)).sum())
        return n if k is None else min(n, k)

    @staticmethod
    def _true_words(postings, words: list[plan_mod.Word]) -> list[np.ndarray]:
        """For each word of several syllables: the documents where pyvi found it as a word.

        Longer pyvi words that merely contain it are nearly all mis-joined
        ("Khánh Hoà_giải_đáp"); a word of three or more syllables also counts
        where pyvi cut it into a word of its first or last two.
        """
        out = []
        for w in words:
            f = w.folded
            terms = {"_".join(f)}
            if len(f) > 2:
                terms |= {f"{f[0]}_{f[1]}", f"{f[-2]}_{f[-1]}"}
            ids = [postings.get("words", t).ids for t in sorted(terms)]
            out.append(np.unique(np.concatenate(ids)))
        return out

    def _aliases(self, s):
        """The index's lookup of a form's other forms (curated table and learned definitions)."""
        learned = self._learned(s)
        table = abbrev.curated()

        def lookup(k: tuple, typed_as_abbreviation: bool) -> list[tuple[tuple, str]]:
            if len(k) == 1 and not typed_as_abbreviation:
                return []  # a plain syllable ("tan"), not an abbreviation
            found = dict(table.get(k, ()))
            for other in learned.get(k, ()):
                found.setdefault(other, " ".join(other))
            return sorted(found.items(), key=lambda kv: (len(kv[0]), kv[0]))

        return lookup

    def _learned(self, s) -> dict[tuple, list[tuple]]:
        """Form -> other forms, from the definitions articles make (most frequent expansion)."""
        key = self._generation(s)[0]
        with self._lock:
            if self._definitions[0] == key:
                return self._definitions[1]
        best: dict[tuple, tuple[int, tuple]] = {}
        counts: dict[str, int] = {}
        for text, n, _ in s.term_stats("defines"):  # per segment: summed
            counts[text] = counts.get(text, 0) + n
        for text, n in sorted(counts.items()):
            a, e = abbrev.decode(text)
            if n >= abbrev.MIN_LEARNED and n > best.get(a, (0, ()))[0]:
                best[a] = (n, e)
        out: dict[tuple, list[tuple]] = {}
        for a, (n, e) in best.items():
            out.setdefault(a, []).append(e)
            # One article's "Dự án (DA)" must not make every "dự án" search
            # match đã and Đà, nor one "Giám đốc (GD)" every "giám đốc" search
            # match GD (giáo dục): such a form is searched for only as typed.
            if abbrev.found_by_its_words(a, n):
                out.setdefault(e, []).append(a)
        with self._lock:
            self._definitions = (key, out)
        return out

    def _stats(self):
        with self._lock:
            if self._vocab is None:
                from .suggest import Suggester

                self._vocab = Suggester(self.path)
            return self._vocab

    def _signature(self, s, loaded: dict[int, Article]):
        """Near-duplicate shingles of a document, cached on its stored contents
        (:meth:`Reader.doc_key`: across commits where the backend can tell).

        Reading and folding a stored article for them is most of a collapsed
        search's time; popular results come back in search after search. The
        articles read are left in ``loaded``, for the page to show them.
        """

        def signature(d: int) -> np.ndarray:
            key = s.doc_key(d)
            found = self._shingles.get(key)
            if found is None:
                loaded[d] = article = article_at(s, d)
                found = related_mod.signature(article)
                self._shingles.put(key, found)
            return found

        return signature

    @staticmethod
    def _hit(article: Article, terms: Terms, score: float | None) -> Hit:
        return Hit(
            id=article.id,
            title=article.title,
            url=article.url,
            date=article.date.isoformat() if article.date else None,
            province=article.province,
            province_2025=article.province_2025,
            topics=list(article.topics),
            snippet=snippet(article, terms),
            score=round(score, 4) if score is not None else None,
            outlet=article.outlet,
            author=article.author,
            indexed=article.indexed,
        )


@dataclass
class _Found:
    """What one query and its filters match, with what ranking needs next."""

    pq: vq.ParsedQuery
    plan: plan_mod.Plan
    suggestion: str | None
    restored: list[str] | None
    cols: FacetColumns
    lengths: Lengths
    postings: matching.TermCache
    filters: dict
    matcher: matching.Matcher
    matched: Any  # a mask (numpy) or a Xapian query
    allowed: Any
    fallback: bool
    exact_total: int | None
    corrected: str | None = None
    missing: list | None = None
    typed: str = ""
    dates: tuple = (None, None)
    typed_total: int | None = None  # what the typed query found, when a correction found more


def _bold_enough(pq: vq.ParsedQuery, searched: str) -> bool:
    """A correction that may replace a typed query that found something: it changes no
    capitalised word (a name the index may not know: "Nam Nhun") into another, and
    makes no function word ("taxi" is not "tại")."""
    typed = [(u, syl) for c in pq.clauses for u in c for syl in u.syllables]
    fixed = searched.split()
    if len(typed) != len(fixed):
        return False
    for (unit, syl), new in zip(typed, fixed, strict=True):
        if fold(new) == fold(syl):
            continue
        if unit.raw[:1].isupper() or plan_mod.is_function_word(new):
            return False
    return True


def _all_accented(plan: plan_mod.Plan) -> bool:
    # Nothing to restore: each typed syllable has its accents, or means its letters ("DA").
    return all(
        s.accented or s.exact
        for w in plan.words
        if not w.ref_key and not w.alias
        for s in w.syllables
    )


def _terms(plan: plan_mod.Plan, restored: list[str] | None) -> Terms:
    """What snippets mark: the query's words as matched, and their restored reading."""
    words = [w for w in plan.words if not w.ref_key and not w.question]
    return Terms(
        words=tuple(_pattern(w) for w in words),
        restored=tuple(_pattern(w) for w in plan_mod.with_accents(plan, restored)),
    )


def _pattern(word: plan_mod.Word) -> tuple[tuple[str, bool], ...]:
    return tuple((s.text if s.exact else s.folded, s.exact) for s in word.syllables)


def _new_pairs(plan: plan_mod.Plan, reread: plan_mod.Plan) -> bool:
    """Does ``reread`` hold a paired word that ``plan`` did not?"""
    before = {w.folded for w in plan.words if w.paired}
    return any(w.paired and w.folded not in before for w in reread.words)


def _occurrences(stats, a: str, b: str, exact: tuple[str | None, str | None]) -> int:
    """How often the folded pair ``a b`` stands in the index, in the readings ``exact``
    asks for (see plan.WordTest) when pyvi's joins can be theirs: the pair's only
    readings in pyvi's dictionary. "chính quy" is joined in 137 of its 155
    occurrences, though "chỉnh quy" (điều chỉnh quy hoạch, 547) folds alike; the
    joins of "đó hội" (8) are of another reading."""
    if exact == (None, None):
        return stats.pair_count(a, b)
    readings = stats.pair_readings(a, b)
    lexicon = segment.lexical_pairs()
    words = [r for r in readings if r in lexicon]
    # The pair as typed, a plain syllable as itself: "vàng trang" is no "vàng trắng",
    # whose joins would otherwise count for it.
    literal = tuple(want or plain for want, plain in zip(exact, (a, b)))

    def typed(r: tuple[str, str]) -> bool:
        return all(want is None or want == got for want, got in zip(exact, r))

    if words and all(r == literal for r in words):
        return sum(n for r, n in readings.items() if typed(r))
    return sum(readings.values())


def _joined(s, a: str, b: str, before: str | None = None) -> int:
    """How often pyvi put the folded syllables ``a b`` inside one word.

    Counted: ``a_b``, the longer words starting with it (``a_b_…``), and the
    word of three with the query's syllable before (``hop_tac_xa`` for "tác
    xã" in "hợp tác xã"). Other longer words holding the pair
    ("thanh_hoa_giai_trinh") are nearly all pyvi's mis-joins, and finding them
    would mean reading the whole lexicon.
    """
    pair = f"{a}_{b}"
    n = s.frequency("words", pair)
    if before:
        n += s.frequency("words", f"{before}_{pair}")
    for term in s.prefixed("words", pair + "_"):
        n += s.frequency("words", term)
    return int(n)


def _find(s, article_id: str) -> Article:
    """The article with this id; ShardUnavailable rather than ArticleNotFound when a
    shard did not answer (``allow_partial``): it may be there."""
    try:
        return find_article(s, article_id)
    except ArticleNotFound:
        missing = list(getattr(s, "missing", []))
        if missing:
            raise ShardUnavailable(
                f"không tìm thấy bài {article_id!r} trên các shard còn trả lời; có thể nó "
                f"ở shard không trả lời: {', '.join(missing)}"
            ) from None
        raise


def _rows(s, docnums: list[int]) -> Iterator[dict]:
    """Export rows of ``docnums``, read from the stored fields one at a time."""
    for d in docnums:
        a = article_at(s, d)
        yield {
            "id": a.id,
            "title": a.title,
            "date": a.date.isoformat() if a.date else None,
            "outlet": a.outlet,
            "province": a.province,
            "province_2025": a.province_2025,
            "topics": list(a.topics),
            "url": a.url,
        }


def _close_searchers(searchers: set, lock: threading.Lock) -> None:
    with lock:
        for searcher in searchers:
            searcher.close()
        searchers.clear()


def open_engine(
    index_dir, shard_urls=None, allow_partial: bool = False, postings_cache_mb: int | None = None
) -> Engine:
    """An Engine over ``index_dir`` with the index's accent-restoring suggester.

    ``shard_urls`` (``tcp://host:port``, in shard order) read the index's Xapian
    shards from servers instead of ``index_dir/shards``; the vocabulary stays
    in ``index_dir``. ``allow_partial``: search the shards that answer.
    ``postings_cache_mb``: memory for common terms' decoded postings (Whoosh;
    None: the default, 0: none).
    """
    from .suggest import Suggester

    return Engine(
        index_dir,
        suggester=Suggester(index_dir),
        shard_urls=shard_urls,
        allow_partial=allow_partial,
        postings_cache_mb=postings_cache_mb,
    )


def search(index_dir, q: str = "", **kwargs) -> SearchResult:
    """One-shot search of the index at ``index_dir`` (see :meth:`Engine.search`)."""
    engine = open_engine(index_dir)
    try:
        return engine.search(q, **kwargs)
    finally:
        engine.close_all()
