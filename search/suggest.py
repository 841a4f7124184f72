"""“Did you mean”: restore the accents of a query typed without them.

The restorer is a bigram language model over the index's own syllables
(:mod:`search.vocab`), interpolated with a general model of Vietnamese news
shipped with the package (:mod:`search.lm`), decoded with Viterbi: each folded
syllable of the query may be any accented syllable of either vocabulary that
folds to it, and the most probable sequence wins. ``can bo cap xa`` becomes
``cán bộ cấp xã`` because those neighbours occur together in the indexed
articles (and in news at large). Each model is smoothed by Witten-Bell
interpolation with its unigram distribution, so an unseen pair falls back to
the more frequent syllable.

The two estimates of P(b | a) are mixed linearly with a weight for the index of
``w·n_idx(a) / (w·n_idx(a) + n_lm(a))``: the weight a merge of the two count
tables would give, so the index rules the syllables it has seen often (its own
domain, its place names), and the general model takes over where the index
knows a syllable only a few times or not at all (a small or young index, text
unlike it). The index keeps at least half of the say for every context it has
seen (``INDEX_FLOOR``), so that a pair it holds even once is not outvoted by
news at large, and a reading it has never seen costs a factor
(``UNSEEN_READING``) when it has seen another reading of the same letters. ``w`` (``index_weight``) was chosen on held-out sentences that
the benchmark does not score (see ``bench/accents.py``).

Numbers (one ``<num>`` class, as counted) and syllables neither vocabulary has
seen are kept as typed; their neighbours are scored by unigram frequency on
that side. Without an index vocabulary (or with an empty one) nothing is
restored: suggestions speak for what the index holds.

A :class:`Suggester` is shared by the threads of a web server: every thread has
its own SQLite connection, while the small LRU caches of candidates and bigram
rows are shared and dropped whenever the writer commits a new generation.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import threading
from collections import OrderedDict
from itertools import pairwise
from typing import NamedTuple

from . import lm as _lm
from .analysis import canonical_syllable, fold, has_diacritics, normalize_text
from .policy import find_refs
from .vocab import BOS, EOS, open_read_only, token_key, token_spans, vocab_path

__all__ = ["Suggester"]

log = logging.getLogger(__name__)

# Accented readings of one folded syllable kept for decoding (by frequency).
MAX_CANDIDATES = 12
# How much one occurrence in the index outweighs one in the general model.
INDEX_WEIGHT = 8.0
# The index's least share for a context it has seen at all: what it says
# about its own text is kept even where it has seen that text only once.
INDEX_FLOOR = 0.5
# Probability factor of a reading the index has never seen when it has seen
# another reading of the same letters: the index holds what users look for.
UNSEEN_READING = 0.2
CACHE_SIZE = 8192
# Added to every unigram count so that unseen syllables keep a small probability.
UNIGRAM_PSEUDO = 0.5


class Cand(NamedTuple):
    """One accented reading of a query token, with its counts in the index and the model."""

    sid: int | None  # syllable id, None when unknown to the vocabulary
    text: str  # canonical lower-case syllable (or the key, for classes)
    n: int  # occurrences
    t: int  # distinct successors
    lid: int | None = None  # id in the general model, None when unknown to it
    ln: int = 0  # occurrences in the general model
    lt: int = 0  # distinct successors in the general model


class _LRU:
    """A small thread-safe LRU mapping."""

    def __init__(self, size: int):
        self.size = size
        self._d: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._d.get(key)
            if value is not None:
                self._d.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._d[key] = value
            if len(self._d) > self.size:
                self._d.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()


class _Token(NamedTuple):
    start: int
    end: int
    new_clause: bool
    key: str  # vocabulary key of the typed token


class Suggester:
    """Accent restoration from the vocabulary next to an index; safe to share between threads."""

    def __init__(
        self,
        index_dir,
        cache_size: int = CACHE_SIZE,
        lm="general",
        index_weight: float = INDEX_WEIGHT,
    ):
        """``lm``: the general model (default the shipped one, loaded on first use), a
        :class:`search.lm.LanguageModel`, or None for the index alone; ``index_weight``
        0 decodes with the general model alone (benchmarks)."""
        if index_weight < 0:
            raise ValueError("index_weight must be >= 0")
        self.path = vocab_path(index_dir)
        self._lm_arg = lm
        self._lm_model: _lm.LanguageModel | None = None
        self._lm_loaded = lm is None
        self.index_weight = float(index_weight)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[sqlite3.Connection] = []  # every thread's, for close()
        self._reported: set = set()  # errors already logged at WARNING (see _swallowed)
        self._generation = None
        self._totals = (0, 1)  # tokens, syllables
        self._cands = _LRU(cache_size)
        self._index_cands = _LRU(cache_size)
        self._pairs = _LRU(cache_size)
        self._lm_pairs = _LRU(cache_size)  # never stale: the model does not change

    @property
    def lm(self) -> _lm.LanguageModel | None:
        """The general model in use (loaded on first use), or None."""
        if not self._lm_loaded:
            model = _lm.general() if isinstance(self._lm_arg, str) else self._lm_arg
            with self._lock:
                self._lm_model, self._lm_loaded = model, True
        return self._lm_model

    # --- storage -------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection | None:
        """This thread's connection, reopened when the file was replaced; None if missing."""
        try:
            st = os.stat(self.path)
        except OSError:
            self._drop_connection()
            return None
        ident = (st.st_dev, st.st_ino)
        stamp = (st.st_mtime_ns, st.st_size)
        conn = getattr(self._local, "conn", None)
        if (
            conn is not None
            and self._local.ident == ident
            # A file read as immutable is read again once it changed.
            and (self._local.stamp is None or self._local.stamp == stamp)
        ):
            return conn
        self._drop_connection()
        try:
            conn, immutable = open_read_only(self.path)
        except sqlite3.Error as e:
            self._swallowed(e, ident)
            return None
        self._local.conn, self._local.ident = conn, ident
        self._local.stamp = stamp if immutable else None
        with self._lock:
            self._open.append(conn)
        return conn

    def _swallowed(self, error: sqlite3.Error, ident) -> None:
        """Log a vocabulary error answered with "no suggestion", once per file and error."""
        # A file the indexer has only just created has no tables yet: not worth a warning.
        young = "no such table" in str(error)
        key = (ident, type(error), str(error))
        with self._lock:
            first = key not in self._reported
            if first:
                if len(self._reported) >= 64:  # a few distinct errors; never unbounded
                    self._reported.clear()
                self._reported.add(key)
        level = logging.DEBUG if young or not first else logging.WARNING
        log.log(
            level,
            "vocabulary %s unusable, no accent suggestions until it is readable "
            "(`vnsearch check` says what to do): %s: %s",
            self.path,
            type(error).__name__,
            error,
            # The traceback only when debugging: the line says what happened.
            exc_info=error if log.isEnabledFor(logging.DEBUG) else None,
        )

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            with self._lock:
                if conn in self._open:
                    self._open.remove(conn)
            conn.close()
            self._local.conn = None

    def _refresh(self, conn: sqlite3.Connection) -> bool:
        """Drop the caches if another process committed; False when the vocabulary is empty."""
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        with self._lock:
            if meta.get("generation") != self._generation:
                self._cands.clear()
                self._index_cands.clear()
                self._pairs.clear()
                syls = conn.execute("SELECT max(id) FROM syl").fetchone()[0] or 0
                self._totals = (max(meta.get("tokens", 0), 0), max(syls, 1))
                self._generation = meta.get("generation")
        return self._totals[0] > 0

    def _index_candidates(self, conn, folded: str) -> tuple[int | None, tuple[Cand, ...]]:
        """(folded id, the index's readings by decreasing frequency) of one folded syllable."""
        hit = self._index_cands.get(folded)
        if hit is None:
            row = conn.execute("SELECT id FROM fsyl WHERE text = ?", (folded,)).fetchone()
            cands: tuple[Cand, ...] = ()
            if row is not None:
                cands = tuple(
                    Cand(*r)
                    for r in conn.execute(
                        "SELECT id, text, n, t FROM syl WHERE fid = ? AND n > 0 "
                        "ORDER BY n DESC LIMIT ?",
                        (row[0], MAX_CANDIDATES),
                    )
                )
            hit = (row[0] if row else None, cands)
            self._index_cands.put(folded, hit)
        return hit

    def _candidates(self, conn, folded: str) -> tuple[int | None, tuple[Cand, ...]]:
        """(folded id, readings of the index and the general model) of one folded syllable."""
        hit = self._cands.get(folded)
        if hit is None:
            fid, icands = self._index_candidates(conn, folded)
            model = self.lm
            if model is None:
                hit = (fid, icands)
            else:
                w = self.index_weight
                if w == 0:
                    icands = ()
                merged = {c.text: c for c in icands}
                for i in model.readings(folded)[:MAX_CANDIDATES]:
                    text = model.syllables[i]
                    c = merged.get(text, Cand(None, text, 0, 0))
                    merged[text] = c._replace(lid=i, ln=int(model.n[i]), lt=int(model.t[i]))
                # The most frequent readings of either source, counted as merged counts.
                cands = sorted(merged.values(), key=lambda c: -(w * c.n + c.ln))
                hit = (fid, tuple(cands[:MAX_CANDIDATES]))
            self._cands.put(folded, hit)
        return hit

    def _lm_bigrams(
        self,
        model: _lm.LanguageModel,
        fa: str,
        prev: tuple[Cand, ...],
        fb: str,
        cur: tuple[Cand, ...],
    ) -> dict[tuple[int, int], int]:
        """The general model's counts of the pairs of readings of ``fa fb``."""
        key = (fa, fb, tuple(c.lid for c in prev), tuple(c.lid for c in cur))
        hit = self._lm_pairs.get(key)
        if hit is None:
            hit = model.bigrams(
                [c.lid for c in prev if c.lid is not None],
                [c.lid for c in cur if c.lid is not None],
            )
            self._lm_pairs.put(key, hit)
        return hit

    def _bigrams(self, conn, fa: int, fb: int) -> dict[tuple[int, int], int]:
        """Counts of every accented pair whose folded form is (fa, fb)."""
        hit = self._pairs.get((fa, fb))
        if hit is None:
            hit = {
                (a, b): n
                for a, b, n in conn.execute(
                    "SELECT a, b, n FROM bi WHERE fa = ? AND fb = ?", (fa, fb)
                )
            }
            self._pairs.put((fa, fb), hit)
        return hit

    def pair_count(self, a: str, b: str) -> int:
        """How often the folded syllables ``a b`` stand next to each other in the index."""
        return sum(self._pair(a, b, False).values())

    def pair_readings(self, a: str, b: str) -> dict[tuple[str, str], int]:
        """How often each accented reading of the folded syllables ``a b`` stands next
        to each other in the index."""
        return self._pair(a, b, True)

    def _pair(self, a: str, b: str, texts: bool) -> dict:
        """The counts of the readings of the folded pair ``a b``, keyed by syllable ids,
        or by texts when ``texts``; empty when unknown or unreadable."""
        conn = self._connection()
        if conn is None:
            return {}
        try:
            self._refresh(conn)
            fa, _ = self._index_candidates(conn, a)
            fb, _ = self._index_candidates(conn, b)
            if fa is None or fb is None:
                return {}
            pairs = self._bigrams(conn, fa, fb)
            if not texts or not pairs:
                return pairs
            hit = self._pairs.get(("texts", fa, fb))
            if hit is None:
                ids = sorted({i for pair in pairs for i in pair})
                marks = ",".join("?" * len(ids))
                text = dict(conn.execute(f"SELECT id, text FROM syl WHERE id IN ({marks})", ids))
                hit = {(text[x], text[y]): n for (x, y), n in pairs.items() if n > 0}
                self._pairs.put(("texts", fa, fb), hit)
            return hit
        except sqlite3.Error as e:
            self._swallowed(e, self._local.ident)
            self._drop_connection()
            return {}

    # --- decoding ------------------------------------------------------------

    def _lattice(self, conn, key: str) -> tuple[int | None, tuple[Cand, ...], str]:
        """(folded id, the readings a typed token may take, folded key)."""
        folded = fold(key)
        fid, cands = self._candidates(conn, folded)
        # Classes (<num>) stay themselves; a syllable typed with accents is
        # not second-guessed.
        if key.startswith("<") or has_diacritics(key):
            cands = tuple(c for c in cands if c.text == key)
        if not cands:
            return None, (Cand(None, key, 0, 0),), folded
        return fid, cands, folded

    def _decode(self, conn, keys: list[str]) -> list[str]:
        """Most probable accented reading of one clause of keys."""
        tokens, syllables = self._totals
        denom = tokens + UNIGRAM_PSEUDO * syllables
        model = self.lm
        w = self.index_weight if model is not None else 1.0
        if model is not None:
            lm_denom = model.tokens + UNIGRAM_PSEUDO * len(model.syllables)
            # The index's share for a context neither source knows.
            lam0 = w * tokens / (w * tokens + model.tokens) if w * tokens + model.tokens else 0.0

        lattice = [self._lattice(conn, k) for k in [BOS, *keys, EOS]]
        scores = [0.0] * len(lattice[0][1])
        back: list[list[int]] = []  # per step, the best predecessor of each candidate
        for (fa, prev, sa), (fb, cur, sb) in pairwise(lattice):
            pairs = self._bigrams(conn, fa, fb) if fa is not None and fb is not None else {}
            lpairs = self._lm_bigrams(model, sa, prev, sb, cur) if model is not None else {}
            # Per predecessor: the index's share and each model's Witten-Bell terms.
            ctx = []
            for p in prev:
                # The ids to look its pairs up with; None where a source has no context for it.
                idx_sid = p.sid if p.n + p.t > 0 else None
                lm_lid = p.lid if p.ln + p.lt > 0 else None
                if model is None:
                    lam = 1.0
                elif w == 0:
                    lam = 0.0
                elif p.n > 0:
                    lam = max(INDEX_FLOOR, w * p.n / (w * p.n + p.ln))
                elif p.ln > 0:
                    lam = 0.0
                else:
                    lam = lam0
                ctx.append((lam, idx_sid, lm_lid))
            step, ptrs = [], []
            index_knows = model is not None and w > 0 and any(c.n > 0 for c in cur)
            for c in cur:
                pu = (c.n + UNIGRAM_PSEUDO) / denom
                penalty = math.log(UNSEEN_READING) if index_knows and c.n == 0 else 0.0
                lpu = (c.ln + UNIGRAM_PSEUDO) / lm_denom if model is not None else 0.0
                top, arg = -math.inf, 0
                for i, p in enumerate(prev):
                    lam, idx_sid, lm_lid = ctx[i]
                    if lam > 0:  # Witten-Bell: unseen pairs share t/(n+t) of the mass
                        if idx_sid is not None and c.sid is not None:
                            pi = (pairs.get((idx_sid, c.sid), 0) + p.t * pu) / (p.n + p.t)
                        else:
                            pi = pu
                    else:
                        pi = 0.0
                    if lam < 1:
                        if lm_lid is not None and c.lid is not None:
                            pl = (lpairs.get((lm_lid, c.lid), 0) + p.lt * lpu) / (p.ln + p.lt)
                        else:
                            pl = lpu
                        prob = lam * pi + (1 - lam) * pl
                    else:
                        prob = pi
                    score = scores[i] + math.log(prob) + penalty
                    if score > top:
                        top, arg = score, i
                step.append(top)
                ptrs.append(arg)
            scores = step
            back.append(ptrs)
        j = max(range(len(scores)), key=scores.__getitem__)
        path = []
        for (_, cands, _), ptrs in zip(reversed(lattice[1:]), reversed(back)):
            path.append(cands[j].text)
            j = ptrs[j]
        return path[::-1][:-1]  # without </s>

    def _restore(self, text: str) -> tuple[str, list[str]] | None:
        """(restored text, its syllables in lower case) or None without a vocabulary."""
        conn = self._connection()
        if conn is None:
            return None
        try:
            if not self._refresh(conn):
                return None
            text = normalize_text(text)
            tokens = [_Token(s, e, new, token_key(text[s:e])) for s, e, new in token_spans(text)]
            restored: list[str] = []
            clause: list[str] = []
            for i, tok in enumerate(tokens):
                clause.append(tok.key)
                if i + 1 == len(tokens) or tokens[i + 1].new_clause:
                    restored += self._decode(conn, clause)
                    clause = []
        except sqlite3.Error as e:
            # A vocabulary being rebuilt under us, or damaged: no suggestion this time.
            self._swallowed(e, self._local.ident)
            self._drop_connection()
            return None
        out, last, syls = [], 0, []
        for tok, syl in zip(tokens, restored):
            typed = text[tok.start : tok.end]
            new = typed if syl.startswith("<") or syl == tok.key else _with_case(syl, typed)
            out += [text[last : tok.start], new]
            last = tok.end
            syls.append(new.lower())
        out.append(text[last:])
        return "".join(out), syls

    # --- public ----------------------------------------------------------------

    def restore(self, text: str) -> str:
        """``text`` with accents restored from the vocabulary (unchanged without one)."""
        result = self._restore(text)
        return text if result is None else result[0]

    def suggest(self, pq) -> tuple[str | None, list[str] | None]:
        """(accented query text, accented positive syllables) for a ParsedQuery, or (None, None)."""
        # Policy references ("70/2009/QD-TTG") are identifiers, never restored.
        pieces, syls, last = [], [], 0
        text = normalize_text(pq.text)
        for _, start, end in find_refs(text, query=True):
            pieces += [("text", text[last:start]), ("ref", text[start:end])]
            last = end
        pieces.append(("text", text[last:]))
        restored = ""
        for kind, piece in pieces:
            result = self._restore(piece) if kind == "text" and piece.strip() else None
            if result is None:
                restored += piece
            else:
                restored += result[0]
                syls += result[1]
        if not syls:
            return None, None
        if restored == normalize_text(pq.text):
            return None, None
        # Align the parsed query's syllables (operators and exclusions removed)
        # with the restored tokens, in order, by their folded form.
        accents, j = [], 0
        for s in pq.positive_syllables:
            f = fold(s)
            k = j
            while k < len(syls) and fold(syls[k]) != f:
                k += 1
            if k < len(syls):
                accents.append(canonical_syllable(syls[k]))
                j = k + 1
            else:
                accents.append(s)
        return restored, accents

    def close(self) -> None:
        """Close this thread's connection (it reopens on the next call)."""
        self._drop_connection()

    def close_all(self) -> None:
        """Close every thread's connection (at shutdown, when no thread is using it)."""
        with self._lock:
            conns, self._open = self._open, []
        for conn in conns:
            conn.close()
        self._local = threading.local()


def _with_case(syllable: str, typed: str) -> str:
    """``syllable`` (lower case) with the capitalisation of ``typed``."""
    if typed.islower():
        return syllable
    if len(typed) > 1 and typed.isupper():
        return syllable.upper()
    if len(syllable) == len(typed):
        return "".join(c.upper() if t.isupper() else c for c, t in zip(syllable, typed))
    return syllable[:1].upper() + syllable[1:] if typed[:1].isupper() else syllable
