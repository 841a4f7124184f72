"""Suggestions as you type: complete the last word of a query from the index's vocabulary.

The last, possibly unfinished, token of the query is a prefix. Folded
(``can b``), it matches every syllable of the vocabulary (:mod:`search.vocab`)
whose folded form starts with it; typed with diacritics (``cá``, ``bộ``), only
syllables with those letters and, when a tone is typed, that tone. Completions
after a syllable of the same clause are the pairs the index has seen, ranked by
their bigram count (``can b`` → ``cán bộ``, ``cần bán``); the first word of a
clause, or a prefix never seen after its neighbour, is ranked by its own count.
The words before it are restored as :meth:`Suggester.restore` does.

Folded syllables are kept in memory in one sorted list per vocabulary
generation (a few tens of thousands of short strings), so a prefix is two
bisections; the successors of a syllable are one range read of the ``bi``
primary key (``fa`` first), cached. A :class:`Completer` is a
:class:`~search.suggest.Suggester` and shares its per-thread read-only SQLite
connections and generation check, so it is safe to share between threads.
"""

from __future__ import annotations

import heapq
import logging
import sqlite3
import threading
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from .analysis import TONE_MARKS, fold, has_diacritics, normalize_text, well_formed
from .query import MAX_QUERY_CHARS
from .suggest import _LRU, CACHE_SIZE, Suggester
from .vocab import MAX_TOKEN, token_key, token_spans

__all__ = ["MAX_COMPLETIONS", "Completer", "Completion", "Suggestions"]

log = logging.getLogger(__name__)

MAX_COMPLETIONS = 8
# Successor lists kept per process (one per previous syllable typed), and their length:
# the most frequent pairs after a syllable, enough for a prefix of one or two letters.
FOLLOW_CACHE = 1024
RANKED = 1000
# A token that is no Vietnamese syllable is offered only when seen this often.
MIN_ODD = 20
# A prefix matching at most this many folded syllables reads their pairs alone.
NARROW = 64


class Completion(NamedTuple):
    """One completed query and how often its last word occurs (after its neighbour if seen)."""

    text: str
    # Shadows tuple.count on purpose: the name the API's JSON and the templates use.
    count: int  # type: ignore[assignment]


@dataclass
class Suggestions:
    """What to offer while ``query`` is being typed."""

    query: str
    completions: list[Completion] = field(default_factory=list)
    restored: str | None = None

    def to_dict(self) -> dict:
        """The JSON shape of ``/api/suggest``."""
        return {
            "query": self.query,
            "completions": [{"text": c.text, "count": c.count} for c in self.completions],
            "restored": self.restored,
        }


class _Syl(NamedTuple):
    folded: str
    text: str  # canonical lower-case syllable
    n: int
    sid: int
    fid: int


class _Table(NamedTuple):
    """Every real syllable of one vocabulary generation, sorted by folded form."""

    generation: object
    keys: list[str]  # folded forms, sorted (parallel to ``syls``)
    syls: list[_Syl]
    by_id: dict[int, _Syl]
    by_text: dict[str, int]  # syllable -> its id
    fids: dict[str, int]  # folded form -> folded id (classes such as <s> included)


@lru_cache(maxsize=1 << 16)
def _split_tone(text: str) -> tuple[str, str]:
    """(``text`` without tone marks (keeping ă â ê ô ơ ư đ), its last tone mark or "")."""
    decomposed = unicodedata.normalize("NFD", text)
    tones = [c for c in decomposed if c in TONE_MARKS]
    base = "".join(c for c in decomposed if c not in TONE_MARKS)
    return unicodedata.normalize("NFC", base), (tones[-1] if tones else "")


def _accents_fit(syllable: tuple[str, str], base: str, tone: str) -> bool:
    """True when a syllable (split by :func:`_split_tone`) has the letters and tone typed."""
    return syllable[0].startswith(base) and (not tone or syllable[1] == tone)


def _cased(syllable: str, typed: str) -> str:
    """``syllable`` (lower case) written with the capitalisation of ``typed``."""
    if len(typed) > 1 and typed.isupper():
        return syllable.upper()
    if typed[:1].isupper():
        return syllable[:1].upper() + syllable[1:]
    return syllable


class Completer(Suggester):
    """Completions of the last word of a query, plus the query with accents restored."""

    def __init__(self, index_dir, cache_size: int = CACHE_SIZE, **restorer):
        """``restorer``: further arguments of :class:`~search.suggest.Suggester`."""
        super().__init__(index_dir, cache_size, **restorer)
        self._table: _Table | None = None
        self._build_lock = threading.Lock()
        self._follow = _LRU(FOLLOW_CACHE)
        self._pair_cache = _LRU(cache_size)

    # --- storage -------------------------------------------------------------

    def _current_table(self, conn: sqlite3.Connection) -> _Table | None:
        """The syllable table of the committed generation (built once per generation)."""
        if not self._refresh(conn):
            return None
        generation = self._generation
        table = self._table
        if table is not None and table.generation == generation:
            return table
        with self._build_lock:  # one thread builds, the others wait for it
            table = self._table
            if table is None or table.generation != generation:
                table = self._build(conn, generation)
                self._follow.clear()
                self._pair_cache.clear()
                self._table = table
        return table

    @staticmethod
    def _build(conn: sqlite3.Connection, generation) -> _Table:
        fids = dict(conn.execute("SELECT text, id FROM fsyl"))
        syls = []
        for text, n, sid, fid, folded in conn.execute(
            "SELECT s.text, s.n, s.id, s.fid, f.text FROM syl s JOIN fsyl f ON f.id = s.fid "
            "WHERE s.n > 0"
        ):
            if text.startswith("<"):  # <s>, </s>, <num>, <long> are no words
                continue
            if n < MIN_ODD and not well_formed(folded):
                continue  # glued words ("hòabà") of badly extracted pages; "tp", "ubnd" stay
            syls.append(_Syl(folded, text, n, sid, fid))
        syls.sort()
        log.debug("completion table of generation %s: %d syllables", generation, len(syls))
        return _Table(
            generation,
            [s.folded for s in syls],
            syls,
            {s.sid: s for s in syls},
            {s.text: s.sid for s in syls},
            fids,
        )

    def _ranked(
        self, conn, table: _Table, fa: int, a: int | None = None
    ) -> list[tuple[int, str, str, int, int]]:
        """(count, folded b, b, a, b) of the most frequent pairs after the folded syllable
        ``fa`` (after its reading ``a`` alone if given), best first. SQLite sorts the key
        range; LIMIT bounds what Python reads."""
        hit = self._follow.get((fa, a))
        if hit is None:
            by_id = table.by_id
            sql = (
                "SELECT a, b, n FROM bi WHERE fa = ? AND n > 0 "
                + ("" if a is None else "AND a = ? ")
                + "ORDER BY n DESC, b LIMIT ?"
            )
            args = (fa, RANKED) if a is None else (fa, a, RANKED)
            hit = []
            for ra, b, n in conn.execute(sql, args):
                syl = by_id.get(b)
                if syl is not None:  # </s>, <num> and odd tokens are no completions
                    hit.append((n, syl.folded, syl.text, ra, b))
            hit.sort(key=lambda r: (-r[0], r[1], r[2], r[3]))
            self._follow.put((fa, a), hit)
        return hit

    def _pair_rows(self, conn, fa: int, fb: int) -> tuple[tuple[int, int, int], ...]:
        """(a, b, count) of every pair whose folded form is (fa, fb): one primary-key range."""
        hit = self._pair_cache.get((fa, fb))
        if hit is None:
            hit = tuple(
                conn.execute("SELECT a, b, n FROM bi WHERE fa = ? AND fb = ? AND n > 0", (fa, fb))
            )
            self._pair_cache.put((fa, fb), hit)
        return hit

    # --- matching ------------------------------------------------------------

    @staticmethod
    def _matching(table: _Table, prefix: str) -> list[_Syl]:
        """The syllables a typed prefix may become (accents typed are kept)."""
        folded = fold(prefix)
        lo = bisect_left(table.keys, folded)
        hi = bisect_left(table.keys, folded + "\U0010ffff", lo)
        found = table.syls[lo:hi]
        if has_diacritics(prefix):
            base, tone = _split_tone(prefix)
            found = [s for s in found if _accents_fit(_split_tone(s.text), base, tone)]
        return found

    # --- public ----------------------------------------------------------------

    def complete(self, text: str, limit: int = MAX_COMPLETIONS) -> Suggestions:
        """Completions of the last word of ``text`` (at most ``limit``) and its restored form."""
        text = normalize_text((text or "")[:MAX_QUERY_CHARS])
        out = Suggestions(text)
        if not text.strip():
            return out
        restored = self.restore(text)
        out.restored = restored if restored != text else None
        conn = self._connection()
        if conn is None:
            return out
        try:
            table = self._current_table(conn)
            if table is not None:
                out.completions = self._complete(conn, table, text, max(0, limit))
        except sqlite3.Error:
            # A vocabulary being rebuilt under us: nothing to offer this time.
            self._drop_connection()
        return out

    def _complete(self, conn, table: _Table, text: str, limit: int) -> list[Completion]:
        spans = list(token_spans(text))
        if not spans or not limit:
            return []
        start, end, new_clause = spans[-1]
        if end < len(text):
            # The last word is finished: offer the word after it, unless punctuation
            # since closed its clause (what a next token would be told).
            after_clause = list(token_spans(text + " a"))[-1][2]
            prev, prefix, head_end = (None if after_clause else spans[-1]), "", len(text)
        else:
            prev = None if new_clause else spans[-2]
            prefix, head_end = text[start:end], start
        if prefix and (token_key(prefix).startswith("<") or len(prefix) > MAX_TOKEN):
            return []  # a number or a glued string: nothing to complete
        matches = self._matching(table, prefix.lower()) if prefix else []
        head = self.restore(text[:head_end])
        typed = prefix or " "
        if len(typed) == 1 and text.isupper() and sum(map(str.isalpha, text)) > 1:
            typed = text.strip()  # "CAN B" is typed in capitals: so is its completion
        out: dict[str, int] = {}
        if prev is not None:
            out = self._pairs_after(
                conn,
                table,
                head,
                prev[2],
                token_key(text[prev[0] : prev[1]]),
                matches,
                typed,
                limit,
            )
        if not out and prefix:
            # Never seen after its neighbour (or first of its clause): its own frequency decides.
            for s in heapq.nsmallest(limit + 1, matches, key=lambda s: (-s.n, s.folded, s.text)):
                out.setdefault(head + _cased(s.text, typed), s.n)
        out.pop(text, None)  # what is typed already is no suggestion
        return [Completion(t, n) for t, n in list(out.items())[:limit]]

    def _pairs_after(
        self,
        conn,
        table: _Table,
        head: str,
        prev_new_clause: bool,
        key: str,
        matches: list[_Syl],
        typed: str,
        limit: int,
    ) -> dict[str, int]:
        """Completed text -> pair count for the syllables seen after the previous one."""
        fa = table.fids.get(fold(key))
        if fa is None:
            return {}
        h_spans = list(token_spans(head))
        h_start, h_end, _ = h_spans[-1]
        typed_prev = head[h_start:h_end]
        folded = fold(key)
        readings = [s.sid for s in self._matching(table, folded) if s.folded == folded]
        # Typed accents are never changed, nor what no syllable of the table reads
        # (a number, an odd token): it is kept as typed.
        fixed = has_diacritics(key) or not readings
        by_id = table.by_id
        # The weight of each reading ``a`` of the previous syllable (None: 1 for any).
        weights: dict[int, float] | None = None
        if not readings:
            pass  # any pair after it
        elif fixed:
            weights = {table.by_text[key]: 1.0} if key in table.by_text else {}
        else:
            if not prev_new_clause and len(h_spans) > 1:
                # P(a | the syllable before it), as restored: c(pp, a) / n(a), so that
                # "can bo " goes on with "cán bộ …", not "cán bổ …".
                p_start, p_end, _ = h_spans[-2]
                pp = token_key(head[p_start:p_end])
                pp_fid = table.fids.get(fold(pp))
                pp_sid = table.by_text.get(pp)
                if pp_fid is not None and (pp_sid is not None or pp.startswith("<")):
                    counts: dict[int, int] = {}
                    for a, b, n in self._pair_rows(conn, pp_fid, fa):
                        if (a == pp_sid or pp_sid is None) and b in by_id:
                            counts[b] = counts.get(b, 0) + n
                    if counts:
                        weights = {a: c / max(by_id[a].n, 1) for a, c in counts.items()}
            if weights is None:
                weights = dict.fromkeys(readings, 1.0)
        ok = {s.sid for s in matches} if typed.strip() else None
        fbs = {s.fid for s in matches} if ok is not None else ()
        if ok is not None and len(fbs) <= NARROW:
            # A narrow prefix: only the pairs of its folded syllables, each one key range.
            rows = [
                (n, by_id[b].folded, by_id[b].text, a, b)
                for fb in fbs
                for a, b, n in self._pair_rows(conn, fa, fb)
                if b in ok
            ]
            rows.sort(key=lambda r: (-r[0], r[1], r[2], r[3]))
        else:
            only = next(iter(weights)) if weights is not None and len(weights) == 1 else None
            rows = self._ranked(conn, table, fa, only)
        out: dict[str, int] = {}
        for _, n, a, b in self._best(rows, ok, weights, limit * 2):
            new_prev = typed_prev if fixed else _cased(by_id[a].text, typed_prev)
            completed = head[:h_start] + new_prev + head[h_end:] + _cased(by_id[b].text, typed)
            out.setdefault(completed, n)
            if len(out) > limit:
                break
        return out

    @staticmethod
    def _best(rows, ok, weights, k: int) -> list[tuple[float, int, int, int]]:
        """The ``k`` best (score, count, a, b) of ``rows`` (by count, then text), scored
        count × weight of ``a``; stops as soon as no later row can enter."""
        top_w = 1.0 if weights is None else max(weights.values(), default=0.0)
        if top_w <= 0:
            return []
        found: list[tuple[float, int, int, int, int]] = []  # (score, -order, count, a, b)
        heap: list[float] = []  # the k best scores so far (a min-heap)
        for order, (n, _, _, a, b) in enumerate(rows):
            if len(heap) == k and heap[0] >= n * top_w:
                break  # rows come by decreasing count: none left can beat the k-th
            if ok is not None and b not in ok:
                continue
            w = 1.0 if weights is None else weights.get(a, 0.0)
            if w <= 0:
                continue
            score = n * w
            found.append((score, -order, n, a, b))
            if len(heap) < k:
                heapq.heappush(heap, score)
            elif score > heap[0]:
                heapq.heapreplace(heap, score)
        found.sort(reverse=True)  # ties keep the rows' order (count, then alphabetical)
        return [(score, n, a, b) for score, _, n, a, b in found[:k]]
