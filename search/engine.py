"""The query entry point: plain values in, a :class:`SearchResult` out.

An :class:`Engine` is a read-only view of one index that threads can share:
each thread gets its own Whoosh searcher (Whoosh searchers are not to be shared),
refreshed when another process commits, while facet columns are built once per
index generation and shared.
"""
from __future__ import annotations

import datetime as dt
import threading
import weakref
from pathlib import Path

import numpy as np

from . import query as vq
from .analysis import fold
from .article import Article
from .columns import FacetColumns
from .errors import BadQuery
from .highlight import Terms, snippet
from .index import get_article, open_index
from .results import FACETS, FacetValue, Hit, SearchResult
from .schema import load_article
from .scoring import Lengths, TermPostings, bm25, phrase_docs, top
from .scoring import postings as read_postings

MAX_PER_PAGE = 100
MAX_PAGE = 1000
SORTS = ("relevance", "date")
# Facet name in results -> field in the index.
_FACET_FIELD = {"province": "province", "province_2025": "province_2025", "topic": "topics",
                "year": "year"}


def _as_list(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (str, int)):
        return [str(value)]
    return [str(v) for v in value if v not in (None, "")]


def _as_date(value, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise BadQuery(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None


class Engine:
    """Searches one on-disk index."""

    def __init__(self, path, suggester=None):
        self.path = Path(path)
        self.suggester = suggester
        self._ix = None
        self._lock = threading.Lock()
        self._local = threading.local()
        # Every thread's open searcher (each holds its segment files open), so
        # that close() releases them all, whichever thread opened them.
        self._open: set = set()
        # An engine dropped without close() still closes its files.
        weakref.finalize(self, _close_searchers, self._open, self._lock)
        self._columns: tuple = (None, None, None)

    # --- plumbing ----------------------------------------------------------

    def _index(self):
        with self._lock:
            if self._ix is None:
                self._ix = open_index(self.path)
            return self._ix

    def searcher(self):
        """This thread's searcher, refreshed if the index changed since it was opened."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None and searcher.up_to_date():
            return searcher
        # A new searcher, not Whoosh's refresh(): refresh() reuses segment
        # readers and, with commits arriving while other threads search,
        # fails with ReaderClosed (seen under the load test).
        new = self._index().searcher()
        with self._lock:
            self._open.add(new)
            if searcher is not None:
                self._open.discard(searcher)
                searcher.close()
        self._local.searcher = new
        return new

    def _generation(self, searcher) -> tuple:
        """Per-document arrays of the searcher's index generation (built once, shared)."""
        reader = searcher.reader()
        key = (reader.generation(), reader.doc_count_all(), reader.doc_count())
        with self._lock:
            if self._columns[0] != key:
                self._columns = (key, FacetColumns(reader), Lengths(reader))
            return self._columns

    def columns(self, searcher) -> FacetColumns:
        """Facet columns of the searcher's index generation."""
        return self._generation(searcher)[1]

    def lengths(self, searcher) -> Lengths:
        """Article lengths (for BM25) of the searcher's index generation."""
        return self._generation(searcher)[2]

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close_all()

    def close(self) -> None:
        """Close this thread's searcher and suggester connection (they reopen when needed)."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            with self._lock:
                self._open.discard(searcher)
            searcher.close()
            self._local.searcher = None
        if self.suggester is not None:
            self.suggester.close()

    def close_all(self) -> None:
        """Close every thread's searcher and connection (at shutdown, when none is searching)."""
        _close_searchers(self._open, self._lock)
        self._local.searcher = None
        if self.suggester is not None:
            self.suggester.close_all()

    # --- reading -----------------------------------------------------------

    def article(self, article_id: str) -> Article:
        """The stored article with this id (raises ArticleNotFound)."""
        return get_article(self.searcher(), article_id)

    def terms(self, q: str) -> Terms:
        """What to mark in an article found by query ``q`` (restored accents included)."""
        pq = vq.parse(q)
        accents = None
        if self.suggester is not None and pq.positive_syllables and not pq.accented:
            accents = self.suggester.suggest(pq)[1]
        return vq.highlight_terms(pq, accents)

    def count(self) -> int:
        """Number of articles in the index."""
        return self.searcher().doc_count()

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles most like this one (shared significant terms)."""
        s = self.searcher()
        article = get_article(s, article_id)
        docnum = s.document_number(id=article_id)
        results = s.more_like(docnum, "text", text=f"{article.title}\n{article.body}",
                              top=limit, numterms=25)
        return [self._hit(load_article(r.fields()), Terms(), r.score) for r in results]

    # --- searching ---------------------------------------------------------

    def search(self, q: str = "", *, province=None, province_2025=None, topic=None, year=None,
               date_from=None, date_to=None, sort: str = "relevance", page: int = 1,
               per_page: int = 10) -> SearchResult:
        """Search the index: hits of one page, total, facets and a suggestion.

        Every filter takes one value or a list (any of them matches); facets are
        counted under all the other filters.
        """
        page, per_page = int(page), int(per_page)
        if not 1 <= page <= MAX_PAGE:
            raise BadQuery(f"page must be between 1 and {MAX_PAGE}")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise BadQuery(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if sort not in SORTS:
            raise BadQuery(f"sort must be one of {', '.join(SORTS)}")
        filters = {"province": _as_list(province), "province_2025": _as_list(province_2025),
                   "topic": _as_list(topic), "year": _as_list(year)}
        for y in filters["year"]:
            if not y.isdigit():
                raise BadQuery(f"year must be a number, not {y!r}")
        start, end = _as_date(date_from, "date_from"), _as_date(date_to, "date_to")

        pq = vq.parse(q)
        suggestion, accents = None, None
        if self.suggester is not None and pq.positive_syllables and not pq.accented:
            suggestion, accents = self.suggester.suggest(pq)
        s = self.searcher()
        _, cols, lengths = self._generation(s)
        postings = _Postings(s)
        matched = cols.live.copy() if pq.is_empty else self._matched(s, pq, cols, postings)

        masks = {name: cols.mask_for(_FACET_FIELD[name], values)
                 for name, values in filters.items() if values}
        if start or end:
            masks["date"] = cols.date_mask(start, end)
        allowed = matched.copy()
        for m in masks.values():
            allowed &= m

        facets = {}
        for name in FACETS:
            base = matched.copy()
            for other, m in masks.items():
                if other != name:
                    base &= m
            chosen = set(filters.get(name, []))
            counted = cols.counts(_FACET_FIELD[name], base)
            facets[name] = [FacetValue(v, c, v in chosen) for v, c in counted]
            # A selected value that no longer matches still shows, to be removable.
            facets[name] += [FacetValue(v, 0, True) for v in chosen if v not in dict(counted)]

        total = int(allowed.sum())
        first = (page - 1) * per_page
        terms = vq.highlight_terms(pq, accents)
        if sort == "date" or not pq.clauses:
            docnums = cols.newest_first(np.flatnonzero(allowed))[first:first + per_page]
            ranked = [(int(d), None) for d in docnums]
        else:
            ranked = self._ranked(s, pq, accents, allowed, lengths, postings,
                                  first + per_page)[first:first + per_page]
        hits = [self._hit(load_article(s.stored_fields(d)), terms, score) for d, score in ranked]
        return SearchResult(query=pq.text, total=total, page=page, per_page=per_page, sort=sort,
                            hits=hits, facets=facets, filters=filters, suggestion=suggestion)

    def _matched(self, s, pq: vq.ParsedQuery, cols: FacetColumns, postings) -> np.ndarray:
        """The live documents the query matches (its recall, before filters)."""
        size = cols.size
        clause_masks = []
        for clause in pq.clauses:
            m = np.zeros(size, dtype=bool)
            for unit in clause:
                if len(unit.syllables) == 1 and not unit.ref_key:
                    m[postings.get("text", fold(unit.syllables[0])).ids] = True
                else:  # a phrase or a policy reference: Whoosh checks positions
                    m |= self._mask(s, vq.unit_query(unit), size)
            clause_masks.append(m)
        if not clause_masks:  # only exclusions: everything else
            matched = cols.live.copy()
        elif pq.is_long:  # a question: enough of its syllables must match
            counts = np.sum(clause_masks, axis=0, dtype=np.int16)
            matched = counts >= vq.min_should_match(len(clause_masks))
        else:
            matched = np.logical_and.reduce(clause_masks)
        for unit in pq.excluded:
            matched &= ~self._mask(s, vq.exclusion_query(unit), size)
        return matched & cols.live

    @staticmethod
    def _ranked(s, pq, accents, allowed: np.ndarray, lengths: Lengths, postings,
                limit: int) -> list[tuple[int, float]]:
        """(docnum, score) of the best ``limit`` allowed documents, best first."""
        size = len(allowed)
        scores = np.zeros(size, dtype=np.float32)
        for term in vq.score_terms(pq, accents):
            p = postings.get(term.field, term.text)
            if len(p):
                scores[p.ids] += bm25(p.ids, p.weights, size, lengths, term)
        ranked = top(scores, allowed, max(limit, vq.RESCORE_WINDOW))
        words = vq.phrase_words(pq)
        if words and ranked:
            # The query's words as a phrase: a bonus worth their mean idf,
            # once in the text and once more in the title.
            window = [d for d, _ in ranked[:vq.RESCORE_WINDOW]]
            idf = float(np.mean([np.log(size / (len(postings.get("text", w)) + 1)) + 1
                                 for w in words]))
            bonus = dict.fromkeys(window, 0.0)
            for field in ("text", "title"):
                decode = s.schema[field].format.decode_positions
                for d in phrase_docs([postings.get(field, w) for w in words], decode, window):
                    bonus[d] += vq.PHRASE_BOOST * idf
            rescored = [(d, sc + bonus[d]) for d, sc in ranked[:vq.RESCORE_WINDOW]]
            rescored.sort(key=lambda x: -x[1])  # stable: ties keep the first order
            ranked = rescored + ranked[vq.RESCORE_WINDOW:]
        return ranked[:limit]

    @staticmethod
    def _mask(searcher, q, size: int) -> np.ndarray:
        mask = np.zeros(size, dtype=bool)
        ids = np.fromiter(searcher.docs_for_query(q), dtype=np.int64)
        mask[ids] = True
        return mask

    @staticmethod
    def _hit(article: Article, terms: Terms, score: float | None) -> Hit:
        return Hit(id=article.id, title=article.title, url=article.url,
                   date=article.date.isoformat() if article.date else None,
                   province=article.province, province_2025=article.province_2025,
                   topics=list(article.topics), snippet=snippet(article, terms),
                   score=round(score, 4) if score is not None else None,
                   outlet=article.outlet, author=article.author)


def _close_searchers(searchers: set, lock: threading.Lock) -> None:
    with lock:
        for searcher in searchers:
            searcher.close()
        searchers.clear()


class _Postings:
    """The posting arrays of the terms of one search, each read once."""

    def __init__(self, searcher):
        self.searcher = searcher
        self._cache: dict[tuple[str, str], TermPostings] = {}

    def get(self, field: str, text: str) -> TermPostings:
        """The postings of ``field:text``."""
        key = (field, text)
        if key not in self._cache:
            self._cache[key] = read_postings(self.searcher, field, text)
        return self._cache[key]


def open_engine(index_dir) -> Engine:
    """An Engine over ``index_dir`` with the index's accent-restoring suggester."""
    from .suggest import Suggester

    return Engine(index_dir, suggester=Suggester(index_dir))


def search(index_dir, q: str = "", **kwargs) -> SearchResult:
    """One-shot search of the index at ``index_dir`` (see :meth:`Engine.search`)."""
    engine = open_engine(index_dir)
    try:
        return engine.search(q, **kwargs)
    finally:
        engine.close_all()

