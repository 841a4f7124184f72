"""Syllable statistics of the indexed text, persisted next to the index for accent restoration.

The vocabulary is an SQLite file (``<index_dir>/vocab.sqlite``) with:

* ``fsyl``: folded syllables (``can``), one id each;
* ``syl``: accented, tone-canonical syllables (``cán``) with their folded id,
  occurrence count ``n`` and ``t``, the number of distinct syllables seen after
  them (kept up to date by triggers; Witten-Bell smoothing needs it);
* ``bi``: bigram counts keyed by the folded pair first, so that one indexed
  range read returns every accented reading of ``can bo``.

Counts are added (or, for the old text of a re-indexed article, subtracted) in
memory and written by :meth:`Vocabulary.commit`, one transaction per batch.
Bigrams never cross punctuation: a sentence or clause starts with ``<s>`` and
ends with ``</s>``. Every token with a digit counts as ``<num>``, so that
``năm 2017`` and ``năm 2015`` strengthen the same context.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import compress, pairwise
from pathlib import Path

from .analysis import SYLLABLE_PATTERN, canonical_syllable, fold, normalize_text

log = logging.getLogger(__name__)

VOCAB_FILE = "vocab.sqlite"
SCHEMA_VERSION = 1
BOS, EOS, NUM = "<s>", "</s>", "<num>"
# Tokens longer than this are URLs, hashes or glued words: one shared key.
MAX_TOKEN = 24
LONG = "<long>"

# A syllable token, or a character that ends a clause (context does not carry
# over it). One scan finds both, and "2.200" stays one token.
_SCAN_RE = re.compile(rf"({SYLLABLE_PATTERN})|[.,;:!?…()\[\]{{}}\"“”«»|•\n\r]", re.UNICODE)

_SCHEMA = f"""
PRAGMA user_version = {SCHEMA_VERSION};
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fsyl (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS syl (
    id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE, fid INTEGER NOT NULL,
    n INTEGER NOT NULL DEFAULT 0, t INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS syl_fid ON syl (fid);
CREATE TABLE IF NOT EXISTS bi (
    fa INTEGER NOT NULL, fb INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL,
    n INTEGER NOT NULL, PRIMARY KEY (fa, fb, a, b)) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS bi_new AFTER INSERT ON bi
    BEGIN UPDATE syl SET t = t + 1 WHERE id = NEW.a; END;
CREATE TRIGGER IF NOT EXISTS bi_gone AFTER DELETE ON bi
    BEGIN UPDATE syl SET t = t - 1 WHERE id = OLD.a; END;
INSERT OR IGNORE INTO meta VALUES ('generation', 0), ('tokens', 0), ('documents', 0);
"""


_DROP = """
DROP TRIGGER IF EXISTS bi_new; DROP TRIGGER IF EXISTS bi_gone; DROP TABLE IF EXISTS bi;
DROP TABLE IF EXISTS syl; DROP TABLE IF EXISTS fsyl; DROP TABLE IF EXISTS meta;
"""


def _statements(text: str) -> Iterator[str]:
    """The statements of an SQL script, one at a time (executescript would commit first)."""
    start = 0
    for i, ch in enumerate(text):
        if ch == ";" and sqlite3.complete_statement(text[start : i + 1]):
            yield text[start : i + 1]
            start = i + 1
    if text[start:].strip():
        yield text[start:]


@lru_cache(maxsize=1 << 17)
def token_key(token: str) -> str:
    """The vocabulary key of one raw token: canonical lower-case syllable, or a class."""
    if not token:
        return ""  # a clause boundary (see _SCAN_RE)
    if any(c.isdigit() for c in token):
        return NUM
    if len(token) > MAX_TOKEN:
        return LONG
    return canonical_syllable(token.lower())


def token_spans(text: str) -> Iterator[tuple[int, int, bool]]:
    """(start, end, starts_clause) of each syllable token of normalised ``text``."""
    new = True
    for m in _SCAN_RE.finditer(text):
        if m.group(1) is None:
            new = True
        else:
            yield m.start(), m.end(), new
            new = False


def clauses(text: str) -> list[list[str]]:
    """The keys of ``text`` cut into clauses at punctuation."""
    out: list[list[str]] = []
    clause: list[str] = []
    for token in _SCAN_RE.findall(normalize_text(text)):
        if token:
            clause.append(token_key(token))
        elif clause:
            out.append(clause)
            clause = []
    if clause:
        out.append(clause)
    return out


def count(text: str) -> tuple[Counter, Counter]:
    """Syllable and bigram counts of one article's text (pure: runs in worker processes)."""
    # Counted with C loops (map, Counter, compress): this runs for every
    # indexed article. Boundaries are "" in ``keys``; the pairs around them are
    # moved to </s> and <s>, and commit() ignores what is left on "".
    keys = ["", *map(token_key, _SCAN_RE.findall(normalize_text(text or ""))), ""]
    uni, bi = Counter(keys), Counter(pairwise(keys))
    for i in compress(range(len(keys)), map("".__eq__, keys)):
        if i > 0 and keys[i - 1]:
            bi[(keys[i - 1], "")] -= 1
            bi[(keys[i - 1], EOS)] += 1
            uni[EOS] += 1
        if i + 1 < len(keys) and keys[i + 1]:
            bi[("", keys[i + 1])] -= 1
            bi[(BOS, keys[i + 1])] += 1
            uni[BOS] += 1
    # What nets to zero on a boundary is never written: keep the pickle small.
    return (
        Counter({k: v for k, v in uni.items() if k}),
        Counter({k: v for k, v in bi.items() if k[0] and k[1] and v}),
    )


def vocab_path(index_dir) -> Path:
    """Where the vocabulary of the index at ``index_dir`` lives."""
    return Path(index_dir) / VOCAB_FILE


def open_read_only(path: Path) -> tuple[sqlite3.Connection, bool]:
    """(a read-only connection to the vocabulary at ``path`` that has read its meta
    table, whether it reads the file as immutable).

    Where SQLite cannot make the files beside a WAL database that even reading
    takes (a folder this process may not write: a read-only mount, a replica
    another user keeps), the file is read as it is (``immutable``): without what a
    writer still holds in its WAL, so until its next checkpoint such a reader sees
    the vocabulary as it was (suggestions only; it is read again once the file changes).
    """
    try:
        return _connect(path, "mode=ro"), False
    except sqlite3.OperationalError as e:
        if "unable to open" not in str(e):
            raise
        return _connect(path, "immutable=1"), True


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    # check_same_thread=False only so that another thread may close it.
    conn = sqlite3.connect(
        f"file:{path}?{mode}", uri=True, timeout=5.0, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute("SELECT 1 FROM meta LIMIT 1")  # not (yet) a vocabulary: raises
    except sqlite3.Error:
        conn.close()
        raise
    return conn


class Vocabulary:
    """The persisted syllable and bigram counts (single writer process)."""

    def __init__(self, index_dir, read_only: bool = False):
        self.path = vocab_path(index_dir)
        self._uni: Counter = Counter()
        self._bi: Counter = Counter()
        self._docs = 0
        # Writer-side id caches (this is the only process that assigns ids).
        self._ids: dict[str, tuple[int, int]] = {}
        self._fids: dict[str, int] = {}
        self._closed = False
        if read_only:  # to be checked: nothing written, on a folder that may not be writable
            self._db = open_read_only(self.path)[0]
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        # WAL: readers (the web server) keep reading while a batch is written.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA cache_size=-65536")  # 64 MB: batches touch many pages
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            pass
        elif version == 0:
            self._db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")
        else:  # written by another version of this module: start again
            log.warning(
                "vocabulary %s has schema version %s, not %s: starting it again",
                self.path,
                version,
                SCHEMA_VERSION,
            )
            self._drop()

    # --- counting ------------------------------------------------------------

    def add(self, text: str, sign: int = 1) -> None:
        """Count an article's text in (``sign=1``) or out (``sign=-1``, its old version)."""
        self.add_counts(count(text), sign)

    def add_counts(self, counts: tuple[Counter, Counter], sign: int = 1) -> None:
        """Add (or subtract) the :func:`count` of one article's text."""
        if sign not in (1, -1):
            raise ValueError("sign must be 1 or -1")
        uni, bi = counts
        if sign > 0:
            self._uni.update(uni)
            self._bi.update(bi)
        else:
            self._uni.subtract(uni)
            self._bi.subtract(bi)
        self._docs += sign

    @property
    def pending(self) -> bool:
        """True when there are counts not yet committed."""
        return bool(self._uni or self._docs)

    def commit(self, stamp=None) -> None:
        """Write the pending counts in one transaction, with the index commit they match.

        ``stamp`` (:class:`search.index.Stamp`) is the index commit these
        counts belong to; recording it lets the next run see a vocabulary
        that missed a commit (kill -9 in between) and rebuild it.
        """
        if not self.pending and stamp is None:
            return
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            self._flush()
            if stamp is not None:
                self._stamp(stamp)
            db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        log.debug(
            "vocabulary %s committed (index generation %s)", self.path, stamp and stamp.generation
        )

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        # Ids assigned in the failed transaction are gone with it.
        self._ids.clear()
        self._fids.clear()

    def _stamp(self, stamp) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [("index_generation", stamp.generation), ("index_documents", stamp.documents)],
        )

    def _flush(self) -> None:
        """Add the pending counts to the tables (inside a transaction) and clear them."""
        uni = {k: v for k, v in self._uni.items() if v and k}
        bi = {k: v for k, v in self._bi.items() if v and k[0] and k[1]}
        db = self._db
        if uni or bi or self._docs:
            # Every syllable of a changed pair, even one whose own count nets to 0.
            ids = self._resolve({k for pair in bi for k in pair} | uni.keys())
            db.executemany(
                "UPDATE syl SET n = n + ? WHERE id = ?", [(v, ids[k][0]) for k, v in uni.items()]
            )
            # In key order, so that the B-tree is walked once rather than at random.
            rows = sorted(
                (ids[a][1], ids[b][1], ids[a][0], ids[b][0], v) for (a, b), v in bi.items()
            )
            db.executemany(
                "INSERT INTO bi VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (fa, fb, a, b) DO UPDATE SET n = n + excluded.n",
                rows,
            )
            # Only rows that lost counts can have dropped to zero.
            db.executemany(
                "DELETE FROM bi WHERE fa = ? AND fb = ? AND a = ? AND b = ? AND n <= 0",
                [r[:4] for r in rows if r[4] < 0],
            )
            tokens = sum(v for k, v in uni.items() if k not in (BOS, EOS))
            db.execute("UPDATE meta SET value = value + ? WHERE key = 'tokens'", (tokens,))
            db.execute("UPDATE meta SET value = value + ? WHERE key = 'documents'", (self._docs,))
            db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        self._uni.clear()
        self._bi.clear()
        self._docs = 0

    # --- consistency with the index --------------------------------------------

    def matches(self, stamp) -> bool:
        """True when the committed counts are those of the index commit ``stamp``."""
        meta = dict(self._db.execute("SELECT key, value FROM meta"))
        return (
            meta.get("index_generation") == stamp.generation
            and meta.get("index_documents") == stamp.documents
            and meta.get("documents") == stamp.documents
        )

    def rebuild(
        self, counts: Iterable[tuple[Counter, Counter]], stamp, flush_every: int = 2000
    ) -> int:
        """Replace every count by those of ``counts`` (one per article) in one transaction.

        Readers keep the old vocabulary until it is complete; memory stays
        bounded (counts are flushed every ``flush_every`` articles). Returns
        the number of articles counted.
        """
        db = self._db
        self.discard()
        n = 0
        started = time.monotonic()
        log.debug("rebuilding the vocabulary %s from the index", self.path)
        db.execute("BEGIN IMMEDIATE")
        try:
            self._empty_tables()
            for c in counts:
                self.add_counts(c)
                n += 1
                if n % flush_every == 0:
                    self._flush()
            self._flush()
            self._stamp(stamp)
            db.execute("COMMIT")
        except BaseException:
            self.discard()
            self._rollback()
            log.warning("vocabulary rebuild of %s stopped; the old one stays", self.path)
            raise
        log.log(
            logging.INFO if n else logging.DEBUG,
            "vocabulary %s rebuilt from %d articles in %.1f s",
            self.path,
            n,
            time.monotonic() - started,
        )
        return n

    def copy_from(self, other: Path, stamp) -> None:
        """Replace every count by those of the vocabulary file ``other``, in one transaction."""
        db = self._db
        self.discard()
        log.info("vocabulary %s copied from %s", self.path, other)
        db.execute("ATTACH DATABASE ? AS other", (os.fspath(other),))
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._empty_tables()
                for table in ("fsyl", "syl", "bi"):
                    db.execute(f"INSERT INTO main.{table} SELECT * FROM other.{table}")
                db.execute(
                    "INSERT OR REPLACE INTO main.meta SELECT key, value FROM other.meta "
                    "WHERE key IN ('tokens', 'documents')"
                )
                self._stamp(stamp)
                db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        finally:
            db.execute("DETACH DATABASE other")

    def integrity(self) -> list[str]:
        """SQLite's ``PRAGMA integrity_check``: [] when the file is sound, else its findings."""
        rows = [r[0] for r in self._db.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    def _empty_tables(self) -> None:
        """Recreate empty tables (inside a transaction, so readers never see them missing)."""
        self._ids.clear()
        self._fids.clear()
        for statement in _statements(_DROP + _SCHEMA):
            self._db.execute(statement)
        # A random generation: readers compare generations, and a fresh
        # vocabulary must never repeat the one they cached.
        self._db.execute(
            "UPDATE meta SET value = ? WHERE key = 'generation'",
            (int.from_bytes(os.urandom(4), "big"),),
        )

    def _resolve(self, keys) -> dict[str, tuple[int, int]]:
        """(id, folded id) of the given syllables, inserting new ones (inside a transaction)."""
        db, ids, fids = self._db, self._ids, self._fids
        for k in keys:
            if k in ids:
                continue
            row = db.execute("SELECT id, fid FROM syl WHERE text = ?", (k,)).fetchone()
            f = fold(k)
            if row is None:
                if f not in fids:
                    db.execute("INSERT OR IGNORE INTO fsyl (text) VALUES (?)", (f,))
                    fids[f] = db.execute("SELECT id FROM fsyl WHERE text = ?", (f,)).fetchone()[0]
                row = (
                    db.execute("INSERT INTO syl (text, fid) VALUES (?, ?)", (k, fids[f])).lastrowid,
                    fids[f],
                )
            ids[k] = row
            fids[f] = row[1]
        return ids

    # --- housekeeping ----------------------------------------------------------

    def stats(self) -> dict:
        """Committed totals: documents, tokens, syllables, bigrams, generation."""
        meta = dict(self._db.execute("SELECT key, value FROM meta"))
        meta["syllables"] = self._db.execute("SELECT count(*) FROM syl WHERE n > 0").fetchone()[0]
        meta["bigrams"] = self._db.execute("SELECT count(*) FROM bi").fetchone()[0]
        return meta

    def reset(self) -> None:
        """Forget every count (the index is being rebuilt from scratch)."""
        log.info("vocabulary %s reset", self.path)
        self.discard()
        self._drop()

    def _drop(self) -> None:
        """Recreate empty tables in one transaction."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._empty_tables()
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def discard(self) -> None:
        """Drop the counts not yet committed (their index batch was cancelled)."""
        self._uni.clear()
        self._bi.clear()
        self._docs = 0

    def close(self) -> None:
        """Close the file; counts not committed are discarded, as by a cancelled writer."""
        if not self._closed:
            self.discard()
            self._db.close()  # any later use raises sqlite3.ProgrammingError
            self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.commit()
        self.close()
