"""A general Vietnamese syllable bigram model shipped with the package (counts, not text).

The model holds the same keys as the index's own vocabulary (:mod:`search.vocab`:
tone-canonical lower-case syllables, ``<num>``, ``<long>``, ``<s>``/``</s>``) with
their occurrence counts ``n``, their number of distinct successors ``t`` (for
Witten-Bell smoothing) and the counts of syllable pairs, pruned to the pairs
seen at least a few times. It is built by ``tools/build_lm.py`` from a large
news corpus and stored as one compressed ``.npz``:

* ``syllables``: the keys, UTF-8, joined by ``\\n`` (uint8), ids in that order;
* ``n``, ``t``: per key, uint32;
* ``indptr`` (uint32, one more than the keys), ``succ`` (uint32 ids) and
  ``count`` (uint32): the pairs as a compressed sparse row matrix, successors
  sorted within each row, so one binary search finds a pair;
* ``meta``: JSON (uint8) describing the corpus and the pruning.

:func:`general` loads the shipped model once per process; lookups are
read-only and safe to share between threads.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import zipfile
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from .analysis import fold
from .vocab import BOS, EOS, LONG, NUM

__all__ = ["GENERAL_LM_PATH", "LMBuilder", "LanguageModel", "general"]

log = logging.getLogger(__name__)

GENERAL_LM_PATH = Path(__file__).resolve().parent / "data" / "general_lm.npz"
FORMAT = 1
# Ids must fit the builder's packed pair keys (a << ID_BITS | b).
ID_BITS = 24
_SPECIAL = (BOS, EOS, NUM, LONG)


class LanguageModel:
    """Read-only syllable unigram and bigram counts (see the module docstring)."""

    def __init__(
        self,
        syllables: list[str],
        n: np.ndarray,
        t: np.ndarray,
        indptr: np.ndarray,
        succ: np.ndarray,
        count: np.ndarray,
        meta: dict,
    ):
        self.syllables = syllables
        self.n, self.t = n, t
        self.indptr, self.succ, self.count = indptr, succ, count
        self.meta = meta
        self.ids = {s: i for i, s in enumerate(syllables)}
        self.tokens = int(meta.get("tokens", int(n.sum())))
        # Readings of every folded syllable, most frequent first.
        by_fold: dict[str, list[int]] = {}
        for i in np.argsort(-n.astype(np.int64), kind="stable").tolist():
            by_fold.setdefault(fold(syllables[i]), []).append(i)
        self.by_fold = {k: tuple(v) for k, v in by_fold.items()}

    # --- loading and saving ----------------------------------------------------

    @classmethod
    def load(cls, path) -> LanguageModel:
        """Read a model written by :meth:`save` (ValueError when it is not one)."""
        try:
            # Our own handle: numpy leaves its own open when the zip is damaged.
            with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
                arrays = {
                    k: z[k] for k in ("syllables", "n", "t", "indptr", "succ", "count", "meta")
                }
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as e:
            raise ValueError(f"{path}: not a language model file ({e})") from e
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(
                f"{path}: language model format {meta.get('format')}, expected {FORMAT}"
            )
        syllables = arrays.pop("syllables").tobytes().decode("utf-8").split("\n")
        if len(syllables) != len(arrays["n"]) or len(arrays["indptr"]) != len(syllables) + 1:
            raise ValueError(f"{path}: language model arrays do not agree")
        return cls(syllables, meta=meta, **arrays)

    def save(self, path) -> None:
        """Write the model as one compressed ``.npz`` (atomically)."""
        path = Path(path)
        blob = np.frombuffer("\n".join(self.syllables).encode("utf-8"), dtype=np.uint8)
        meta = np.frombuffer(
            json.dumps({**self.meta, "format": FORMAT}, ensure_ascii=False).encode("utf-8"),
            dtype=np.uint8,
        )
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            np.savez_compressed(
                f,
                syllables=blob,
                n=self.n,
                t=self.t,
                indptr=self.indptr,
                succ=self.succ,
                count=self.count,
                meta=meta,
            )
        os.replace(tmp, path)

    # --- lookups -----------------------------------------------------------------

    def readings(self, folded: str) -> tuple[int, ...]:
        """Ids of the syllables that fold to ``folded``, most frequent first."""
        return self.by_fold.get(folded, ())

    def bigram(self, a: int, b: int) -> int:
        """How often id ``b`` follows id ``a`` (0 when pruned or unseen)."""
        lo, hi = int(self.indptr[a]), int(self.indptr[a + 1])
        row = self.succ[lo:hi]
        j = int(np.searchsorted(row, b))
        return int(self.count[lo + j]) if j < len(row) and row[j] == b else 0

    def bigrams(self, prev: Iterable[int], cur: Iterable[int]) -> dict[tuple[int, int], int]:
        """Counts of every pair (a in ``prev``, b in ``cur``) seen in the model."""
        cur = np.fromiter(cur, dtype=np.int64)
        out: dict[tuple[int, int], int] = {}
        if not len(cur):
            return out
        for a in prev:
            lo, hi = int(self.indptr[a]), int(self.indptr[a + 1])
            if lo == hi:
                continue
            row = self.succ[lo:hi]
            j = np.minimum(np.searchsorted(row, cur), len(row) - 1)
            hit = row[j] == cur
            for b, k in zip(cur[hit].tolist(), (lo + j[hit]).tolist()):
                out[(a, b)] = int(self.count[k])
        return out

    def prob(self, a: str, b: str, pseudo: float = 0.5) -> float:
        """P(b | a), Witten-Bell smoothed with the unigram distribution (for inspection)."""
        ia, ib = self.ids.get(a), self.ids.get(b)
        pu = ((int(self.n[ib]) if ib is not None else 0) + pseudo) / (
            self.tokens + pseudo * len(self.syllables)
        )
        if ia is None or ib is None or int(self.n[ia]) + int(self.t[ia]) == 0:
            return pu
        na, ta = int(self.n[ia]), int(self.t[ia])
        return (self.bigram(ia, ib) + ta * pu) / (na + ta)

    def size(self) -> tuple[int, int]:
        """(syllables, bigrams) kept."""
        return len(self.syllables), len(self.succ)


class LMBuilder:
    """Accumulates :func:`search.vocab.count` results and prunes them into a model."""

    def __init__(self):
        self.ids: dict[str, int] = {}
        self.uni = np.zeros(1 << 16, dtype=np.int64)
        self._pending: Counter = Counter()
        self._keys = np.zeros(0, dtype=np.int64)
        self._vals = np.zeros(0, dtype=np.int64)
        self.documents = 0
        self.tokens = 0

    def _id(self, key: str) -> int:
        i = self.ids.get(key)
        if i is None:
            i = self.ids[key] = len(self.ids)
            if i >= 1 << ID_BITS:
                raise ValueError("too many distinct syllables for the model")
            if i >= len(self.uni):
                self.uni = np.concatenate([self.uni, np.zeros_like(self.uni)])
        return i

    def add(self, counts: tuple[Counter, Counter]) -> None:
        """Add one article's (unigram, bigram) counts."""
        uni, bi = counts
        ids = self._id
        for k, v in uni.items():
            i = ids(k)  # first: it may grow (replace) self.uni
            self.uni[i] += v
            if k not in (BOS, EOS):
                self.tokens += v
        pending = self._pending
        for (a, b), v in bi.items():
            pending[(ids(a) << ID_BITS) | ids(b)] += v
        self.documents += 1
        if len(pending) > 2_000_000:  # keep memory bounded: merge into sorted arrays
            self._merge()

    def _merge(self) -> None:
        if not self._pending:
            return
        keys = np.fromiter(self._pending.keys(), dtype=np.int64, count=len(self._pending))
        vals = np.fromiter(self._pending.values(), dtype=np.int64, count=len(self._pending))
        self._pending.clear()
        keys = np.concatenate([self._keys, keys])
        vals = np.concatenate([self._vals, vals])
        self._keys, inverse = np.unique(keys, return_inverse=True)
        self._vals = np.bincount(inverse, weights=vals, minlength=len(self._keys)).astype(np.int64)

    def model(
        self, min_unigram: int = 3, min_bigram: int = 2, meta: dict | None = None
    ) -> LanguageModel:
        """The pruned model: syllables seen ``min_unigram`` times, pairs ``min_bigram`` times."""
        self._merge()
        names = [""] * len(self.ids)  # ids are 0 .. len - 1: every slot is filled
        for k, i in self.ids.items():
            names[i] = k
        uni = self.uni[: len(names)]
        a_all, b_all = self._keys >> ID_BITS, self._keys & ((1 << ID_BITS) - 1)
        # Distinct successors before pruning: the escape mass of Witten-Bell
        # reflects how varied the contexts really were.
        t_all = np.bincount(a_all, minlength=len(names))
        keep = uni >= min_unigram
        for s in _SPECIAL:
            if s in self.ids:
                keep[self.ids[s]] = True
        old = np.flatnonzero(keep)
        # New ids in key order, so that the file is deterministic.
        old = old[
            np.argsort(np.array([names[i] for i in old.tolist()], dtype=object), kind="stable")
        ]
        remap = np.full(len(names), -1, dtype=np.int64)
        remap[old] = np.arange(len(old))
        sel = (self._vals >= min_bigram) & (remap[a_all] >= 0) & (remap[b_all] >= 0)
        na, nb, nv = remap[a_all[sel]], remap[b_all[sel]], self._vals[sel]
        order = np.lexsort((nb, na))
        na, nb, nv = na[order], nb[order], nv[order]
        indptr = np.zeros(len(old) + 1, dtype=np.int64)
        np.cumsum(np.bincount(na, minlength=len(old)), out=indptr[1:])
        info = {
            "documents": self.documents,
            "tokens": int(self.tokens),
            "min_unigram": min_unigram,
            "min_bigram": min_bigram,
            "syllables_seen": len(names),
            "bigrams_seen": len(self._keys),
            **(meta or {}),
        }
        return LanguageModel(
            [names[i] for i in old.tolist()],
            n=np.minimum(uni[old], 2**32 - 1).astype(np.uint32),
            t=np.minimum(t_all[old], 2**32 - 1).astype(np.uint32),
            indptr=indptr.astype(np.uint32),
            succ=nb.astype(np.uint32),
            count=np.minimum(nv, 2**32 - 1).astype(np.uint32),
            meta=info,
        )


_general_lock = threading.Lock()


@lru_cache(maxsize=1)
def _load_general() -> LanguageModel | None:
    try:
        return LanguageModel.load(GENERAL_LM_PATH)
    except (ValueError, OSError) as e:  # a broken install: restore from the index alone
        log.warning("general language model unavailable: %s", e)
        return None


def general() -> LanguageModel | None:
    """The shipped general model, loaded once per process (None if it is missing)."""
    with _general_lock:
        return _load_general()
