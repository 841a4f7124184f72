"""The Xapian backend: one or several Xapian databases ("shards"), local or served over TCP.

Layout of an index folder::

    vnsearch.json        {"schema_version": ..., "backend": "xapian", "shards": N}
    shards/0 .. N-1      plain Xapian databases (each can be served by xapian-tcpsrv)
    vocab.sqlite         the vocabulary (as with Whoosh)

An article lives in the shard given by a hash of its id, under the unique term
``Q:<id>``, so indexing again replaces it in place. Terms are ``<prefix>:<text>``
of the same fields and analysis as the Whoosh schema (search/backends/schema.py); the
positional fields keep the same positions, so phrases, accents and words mean
the same on both backends. Several shards (local paths or ``tcp://host:port``)
open as one database with index-wide statistics: Xapian numbers the documents
of N shards ``(docid - 1) * N + shard + 1``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

try:
    import xapian
except ImportError:  # pragma: no cover - the optional extra is not installed
    xapian = None

from ..errors import (
    IndexChanged,
    IndexDamaged,
    IndexLocked,
    IndexMissing,
    SearchError,
    ShardUnavailable,
    WriteFailed,
)
from ..facets import STORED
from ..scoring import TermPostings
from .base import parse_shard_url, shard_urls_mismatch
from .whoosh_fields import CompactPositions, PositionedTerms, RelativePositions

if TYPE_CHECKING:
    from .xapian_query import Native

log = logging.getLogger(__name__)

SHARDS_DIR = "shards"
# How long a reader waits for a rebuilt index's shards to be swapped in (a few renames).
SWAP_WAIT = 5.0
# Field -> term prefix. One letter and a colon: no prefix is a prefix of another.
PREFIX = {
    "id": "Q",
    "hash": "H",
    "text": "T",
    "title": "S",
    "exact": "E",
    "words": "W",
    "policy_refs": "R",
    "defines": "D",
    "province": "P",
    "province_2025": "N",
    "district": "I",
    "commune": "C",
    "topics": "K",
    "date": "A",
    "author": "U",
    "outlet": "O",
    "url": "L",
    "fingerprint": "F",
    "aliases": "J",
}
POSITIONAL = ("text", "title", "exact")
# An exact syllable without accents is the folded one at the same positions:
# a query asks for exact syllables only where it has accents (search/plan.py),
# so such a term keeps its frequency (scoring) and no positions (a tenth of them).
# The prose fields whose terms workers turn into a serialised document (worker_fields).
WORKER_FIELDS = ("text", "title", "exact", "words")
TERMS = "xapian_terms"  # its key among the prepared fields
# Whoosh scales these fields' weights (policy references count more); the
# same factor keeps the two backends' scores equal.
FIELD_BOOST = {"policy_refs": 3.0}
# Xapian refuses longer terms (245 bytes with the prefix, glass backend).
MAX_TERM_BYTES = 240
SLOT_LENGTH = 0  # the text length in syllables (BM25's document length)
SLOT_DATE = 1  # ISO date: date filters and sorting
SLOT_ID = 2  # the article id: the order of ties in listings
SLOT_MONTH = 3  # YYYY-MM: the timeline's counts
SLOT_YEAR = 4  # YYYY: the year facet and filter
# Newest first, undated last, ties by article id, as one ascending key (the
# remote backend sorts by one value only): the date's digits complemented.
SLOT_NEWEST = 10
_COMPLEMENT = str.maketrans("0123456789", "9876543210")
# Facets counted by Xapian's ValueCountMatchSpy: facet field -> value slot.
# A multi-valued field holds its values joined by FACET_SEP.
FACET_SLOTS: dict[str, int] = {f.field: f.slot for f in STORED if f.slot is not None}
FACET_SEP = "\x1f"
# Each shard's count of commits, in its user metadata: a remote shard tells no
# revision, and a reader's key must change when an article is replaced.
COMMITS = b"vnsearch:commits"
# Remote shards: milliseconds to connect, and to wait for an answer.
CONNECT_TIMEOUT_MS = 2000
TIMEOUT_MS = 10000
# A reader that searched without some shards (--allow-partial) tries them again
# after this many seconds: a restarted server is back in its results.
MISSING_RETRY_S = 15.0


def _require() -> None:
    if xapian is None:
        raise SearchError(
            "backend xapian cần gói xapian-bindings-binary: pip install 'vnsearch[xapian]'"
        )


def positional(field: str, text: str) -> bool:
    """True when the term ``field:text`` is indexed with its positions (an exact one
    without accents is never read for them: the rule Whoosh stores by, RelativePositions)."""
    return field in POSITIONAL and not (field == "exact" and RelativePositions.relative(text))


def term(field: str, text: str) -> str:
    """The Xapian term of ``field:text``.

    Xapian refuses terms over MAX_TERM_BYTES; a longer one (an article id of a
    long URL, say) is cut, and ends with a NUL and a hash of the whole, so it
    still names exactly one text: an article under such an id is found,
    replaced and deleted as any other.
    """
    t = f"{PREFIX[field]}:{text}"
    if len(t) * 4 <= MAX_TERM_BYTES:  # no UTF-8 character is longer than 4 bytes
        return t
    raw = t.encode("utf-8")
    if len(raw) <= MAX_TERM_BYTES:
        return t
    digest = hashlib.sha1(raw).hexdigest()
    head = raw[: MAX_TERM_BYTES - len(digest) - 1].decode("utf-8", "ignore")
    return f"{head}\0{digest}"


def shard_of(article_id: str, shards: int) -> int:
    """The shard an article lives in (stable across runs and machines)."""
    return zlib.crc32(article_id.encode("utf-8")) % shards


# --- errors ----------------------------------------------------------------------


@contextmanager
def _translated(path, opening: bool = False):
    """Xapian's errors as the library's named errors."""
    try:
        yield
    except SearchError:
        raise
    except (zlib.error, json.JSONDecodeError, UnicodeDecodeError, KeyError) as e:
        # A stored article that does not decode (its JSON header, its compressed copy);
        # not any ValueError: a caller's wrong argument is no damage.
        raise IndexDamaged(
            f"chỉ mục ở {path} bị hỏng: {type(e).__name__}: {str(e)[:160]} (`vnsearch check` "
            "liệt kê những gì hỏng)"
        ) from e
    except Exception as e:
        if xapian is None or not isinstance(e, xapian.Error):
            raise
        name = type(e).__name__
        if isinstance(e, xapian.DatabaseModifiedError):
            # Not damage: commits overtook this reader. The engine reopens and retries.
            raise IndexChanged(f"chỉ mục ở {path} thay đổi trong lúc đọc ({name})") from e
        if isinstance(e, xapian.NetworkError):
            raise ShardUnavailable(
                f"một phần chỉ mục (shard) ở {path} không trả lời ({name}: {e}); "
                "hãy kiểm tra xapian-tcpsrv"
            ) from e
        if isinstance(e, xapian.DatabaseLockError):
            raise IndexLocked(f"một tiến trình khác đang ghi vào {path}: {e}") from e
        if isinstance(e, xapian.DatabaseOpeningError) and opening:
            raise IndexMissing.at(path, e) from e
        raise IndexDamaged(
            f"chỉ mục ở {path} bị hỏng: {name}: {str(e)[:160]} (`vnsearch check` "
            "liệt kê những gì hỏng)"
        ) from e


# --- stored fields ---------------------------------------------------------------


def _data(stored: dict) -> bytes:
    """A document's data: a JSON header, a NUL byte, then the compressed article."""
    header = {k: stored[k] for k in ("id", "hash", "fingerprint", "alias_hashes") if k in stored}
    return json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\0" + stored["doc"]


def _stored(data: bytes) -> dict:
    header, _, doc = data.partition(b"\0")
    out = json.loads(header.decode("utf-8"))
    out["doc"] = doc
    return out


def _add_terms(xdoc, doc: dict) -> int:
    """Add the terms (with positions where kept) of ``doc``'s indexed fields; the text's length."""
    from .schema import SCHEMA as schema

    length = 0
    for name, value in doc.items():
        if name not in PREFIX:
            continue
        field = schema[name]
        with_positions = isinstance(field.format, CompactPositions)
        # Positions come as lists from the analysis (PositionedTerms), else encoded.
        items = value if isinstance(value, PositionedTerms) else field.index(value)
        for btext, freq, _weight, positions in items:
            text = btext.decode("utf-8") if isinstance(btext, bytes) else btext
            t = term(name, text)
            if name == "text":
                length += freq
            if with_positions and positional(name, text):
                if isinstance(positions, bytes):
                    # Encoded for Whoosh: an exact term here has its own positions
                    # (one without accents, stored relative, is not positional).
                    positions = field.format.decode_positions(positions)
                for pos in positions:
                    xdoc.add_posting(t, pos)
            else:
                xdoc.add_term(t, int(freq))
    return length


def worker_fields(fields: dict) -> dict:
    """An article's analysed fields with the prose ones (most of its terms and positions)
    as one serialised Xapian document: built in the worker processes, so the writer
    only unserialises it."""
    prose = {n: fields[n] for n in WORKER_FIELDS if n in fields}
    xdoc = xapian.Document()
    length = _add_terms(xdoc, prose)
    xdoc.add_value(SLOT_LENGTH, xapian.sortable_serialise(max(1, length)))
    rest = {k: v for k, v in fields.items() if k not in prose}
    return {**rest, TERMS: xdoc.serialise()}


def _document(doc: dict) -> tuple[object, str]:
    """The Xapian document of a Whoosh-schema document dict (search/backends/schema.document)."""
    terms = doc.get(TERMS)
    xdoc = xapian.Document() if terms is None else xapian.Document.unserialise(terms)
    length = _add_terms(xdoc, doc)
    if terms is None:
        xdoc.add_value(SLOT_LENGTH, xapian.sortable_serialise(max(1, length)))
    xdoc.add_value(SLOT_ID, doc["id"])
    date = doc.get("date") or ""
    if len(date) == 10:  # YYYY-MM-DD
        xdoc.add_value(SLOT_DATE, date)
        xdoc.add_value(SLOT_MONTH, date[:7])
        xdoc.add_value(SLOT_YEAR, date[:4])
    newest = date.translate(_COMPLEMENT) if len(date) == 10 else "~"
    xdoc.add_value(SLOT_NEWEST, f"{newest}\0{doc['id']}")
    for name, slot in FACET_SLOTS.items():
        value = doc.get(name) or ""
        if name == "topics":
            value = FACET_SEP.join(sorted({t.strip() for t in value.split(",") if t.strip()}))
        if value:
            xdoc.add_value(slot, value)
    xdoc.set_data(_data(doc))
    return xdoc, term("id", doc["id"])


# --- reading ---------------------------------------------------------------------


def read_postlist(db, xterm: str, docids: list[int] | None = None) -> tuple[list, list]:
    """(docids, wdfs) of a term: all, or those of the sorted ``docids`` that hold it.

    Xapian's iterator, not the bindings' PostingItem, which asks each document's
    length too (a round trip per posting on a remote shard).
    """
    it, end = db._postlist_begin(xterm), db._postlist_end(xterm)
    ids, wdfs = [], []
    if docids is None:
        while it != end:
            ids.append(it.get_docid())
            wdfs.append(it.get_wdf())
            next(it)
        return ids, wdfs
    for d in docids:
        it.skip_to(d)
        if it == end:
            break
        if it.get_docid() == d:
            ids.append(d)
            wdfs.append(it.get_wdf())
    return ids, wdfs


def read_positions(db, docid: int, xterm: str) -> np.ndarray:
    """The positions of a term in a document: Xapian's iterator, not the bindings'
    generator (a Python call less per position)."""
    it, end = db._positionlist_begin(docid, xterm), db._positionlist_end(docid, xterm)
    out = []
    while it != end:
        out.append(it.get_termpos())
        next(it)
    return np.array(out, dtype=np.int64)


class XapianPostings(TermPostings):
    """Postings whose positions are read from Xapian only for the documents asked."""

    def __init__(self, ids, weights, db, xterm: str, positional: bool):
        super().__init__(ids, weights, [])
        self._db, self._term, self._positional = db, xterm, positional
        # Positions already read, by posting: a query's phrase, proximity and
        # word checks ask for the same documents' positions again (a round trip
        # each on a remote shard).
        self._read: dict[int, np.ndarray] = {}

    @property
    def has_positions(self) -> bool:
        """True for the positional fields."""
        return self._positional

    def positions(self, sel: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(index into ``sel``, position) of every position of the postings ``sel``."""
        owners, positions = [], []
        for k, j in enumerate(sel):
            pos = self._read.get(j)
            if pos is None:
                pos = self._read[j] = read_positions(self._db, int(self.ids[j]) + 1, self._term)
            owners.append(np.full(len(pos), k, dtype=np.int64))
            positions.append(pos)
        if not owners:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(owners), np.concatenate(positions)


class XapianReader:
    """A :class:`~search.backends.base.Reader` over one (combined) Xapian database."""

    def __init__(
        self,
        path: Path,
        db,
        missing: list[str] | None = None,
        remote: bool = False,
        shards: list[Path] | None = None,
        revs: tuple | None = None,
        urls: list[str] | None = None,
        folders: tuple | None = None,
    ):
        self.path = path
        self.db = db
        self.missing = missing or []
        self._opened = time.monotonic()
        # Remote shards answer per call: a posting list comes whole, not skipped through.
        self.remote = remote
        self._native: Native | None = None
        self.size = int(db.get_lastdocid())
        # Each local shard's revision (a combined database tells none), and the
        # shards' ids: a replaced article keeps the size, a compacted shard
        # starts its revisions again.
        self.key = ("xapian", self.size, db.get_doccount(), revs or _revisions(db), db.get_uuid())
        self._shards = list(shards or [])
        # Which folders were opened: a rebuild or a compaction puts new ones in their
        # place, which Xapian's reopen() need not notice (a new database's revision
        # may equal the old one's).
        self._folders = folders if folders is not None else _folders(self._shards)
        # The shard servers that answered, in shard order (remote).
        self._urls = list(urls or [])
        self._revs = revs
        self._twin: xapian.Database | None = None
        # The second handle was refused once: the index changed first, or a shard
        # did not answer.
        self._no_twin = False

    def twin(self):
        """A second handle on the same revision of the shards, local or remote (for a
        second thread of one search), or None: the index changed since."""
        if self._twin is None and not self._no_twin:
            self._twin = self._open_twin()
            self._no_twin = self._twin is None
        return self._twin

    def _open_twin(self):
        if self.remote:
            return self._open_remote_twin()
        if not self._shards or not self._revs:
            return None
        try:
            db, revs = open_shards(self._shards)
        except xapian.Error as e:  # counted in the search's thread instead
            log.debug("no second handle on %s: %s", self.path, e)
            return None
        if revs != self._revs:
            db.close()
            return None
        return db

    def _open_remote_twin(self):
        # A second connection to each server that answered, in the same order (so
        # the same document numbers), each at the same count of commits.
        if not self._urls or not self._revs:
            return None
        db, commits = xapian.Database(), []
        try:
            for url in self._urls:
                part, count = open_remote(url)
                commits.append(count)
                db.add_database(part)
        except xapian.Error as e:  # counted in the search's thread instead
            log.debug("no second connection to the shards of %s: %s", self.path, e)
            db.close()
            return None
        if tuple(commits) != self._revs:
            db.close()
            return None
        return db

    def doc_count(self) -> int:
        """Number of live articles."""
        return int(self.db.get_doccount())

    @property
    def native(self):
        """Plans answered by Xapian itself (see xapian_query.py)."""
        if self._native is None:
            from .xapian_query import Native

            self._native = Native(self)
        return self._native

    def live_ids(self) -> np.ndarray:
        """Document numbers of the live articles."""
        return np.fromiter((p.docid - 1 for p in self.db.postlist("")), dtype=np.int64)

    def has_field(self, field: str) -> bool:
        """Every schema field exists in a Xapian index."""
        return field in PREFIX

    def postings(self, field: str, text: str) -> TermPostings:
        """One term's postings (positions fetched lazily)."""
        t = term(field, text)
        ids, wdfs = read_postlist(self.db, t)
        weights = np.asarray(wdfs, dtype=np.float32) * FIELD_BOOST.get(field, 1.0)
        return XapianPostings(
            np.asarray(ids, dtype=np.int64) - 1, weights, self.db, t, positional(field, text)
        )

    def doc_frequency(self, field: str, text: str) -> int:
        """Number of articles holding the term."""
        return int(self.db.get_termfreq(term(field, text)))

    def frequency(self, field: str, text: str) -> float:
        """Total occurrences of the term (times the field's boost)."""
        return float(self.db.get_collection_freq(term(field, text))) * FIELD_BOOST.get(field, 1.0)

    def prefixed(self, field: str, prefix: str) -> Iterator[str]:
        """Terms of the field starting with ``prefix``."""
        start = len(PREFIX[field]) + 1
        for item in self.db.allterms(term(field, prefix)):
            yield item.term.decode("utf-8")[start:]

    def field_terms(self, field: str) -> Iterator[str]:
        """Every term of the field."""
        return self.prefixed(field, "")

    def term_docs(self, field: str) -> Iterator[tuple[str, np.ndarray]]:
        """(term, document numbers) of every term of the field."""
        for text in self.field_terms(field):
            yield text, self.postings(field, text).ids

    def term_stats(self, field: str) -> Iterator[tuple[str, int, float]]:
        """(term, document frequency, total occurrences) of every term of the field."""
        start = len(PREFIX[field]) + 1
        boost = FIELD_BOOST.get(field, 1.0)
        for item in self.db.allterms(term(field, "")):
            t = item.term
            yield (
                t.decode("utf-8")[start:],
                int(item.termfreq),
                float(self.db.get_collection_freq(t)) * boost,
            )

    def stored(self, docnum: int) -> dict:
        """The stored fields of a document."""
        return _stored(self.db.get_document(int(docnum) + 1).get_data())

    def doc_key(self, docnum: int) -> tuple:
        """The document in this revision (a replaced document keeps its docid)."""
        return (self.key, docnum)

    def docnum(self, field: str, value: str) -> int | None:
        """The document whose ``field`` (id, aliases) holds ``value``."""
        for p in self.db.postlist(term(field, value)):
            return p.docid - 1
        return None

    def lengths(self) -> np.ndarray:
        """Text lengths from the length value slot."""
        values = np.ones(self.size, dtype=np.float32)
        for item in self.db.valuestream(SLOT_LENGTH):
            values[item.docid - 1] = xapian.sortable_unserialise(item.value)
        return values

    def up_to_date(self) -> bool:
        """False when a shard has a newer revision (the database then re-reads it), or
        its folder was replaced, or a shard that did not answer may answer by now."""
        if self._shards and _folders(self._shards) != self._folders:
            return False
        if self.missing and time.monotonic() - self._opened > MISSING_RETRY_S:
            return False
        try:
            return not self.db.reopen()
        except xapian.Error:
            return False

    def close(self) -> None:
        """Close the database handles."""
        if self._native is not None:
            self._native.join()
        self.db.close()
        if self._twin is not None:
            self._twin.close()


def _folders(shards: list[Path], top: tuple | None = None) -> tuple:
    """The identity (device, inode) of the shards' folder and of each local shard in it
    (``top``: the folder's, taken before its metadata was read)."""
    if not shards:
        return ()
    try:
        top = top or _identity(shards[0].parent)
        return (top, *map(_identity, shards))
    except OSError:  # in the middle of being replaced
        return ()


def _identity(folder: Path) -> tuple:
    st = os.stat(folder)
    return (st.st_dev, st.st_ino)


def open_shards(shards: list[Path]) -> tuple[xapian.Database, tuple | None]:
    """The local ``shards`` as one database, and the revision each was opened at."""
    db, revs = xapian.Database(), []
    for shard in shards:
        part = xapian.Database(str(shard))
        try:
            revs.append(int(part.get_revision()))
        except xapian.Error:
            revs = None  # type: ignore[assignment]
        db.add_database(part)
    return db, (tuple(revs) if revs is not None else None)


def open_remote(url: str) -> tuple[xapian.Database, str]:
    """The shard served at ``url`` and its count of commits (a remote shard tells no revision)."""
    host, port = parse_shard_url(url)
    part = xapian.remote_open(host, port, TIMEOUT_MS, CONNECT_TIMEOUT_MS)
    return part, part.get_metadata(COMMITS).decode("ascii", "replace")


def _revisions(db) -> tuple:
    """The revision of each shard, where Xapian tells it (not for a combined remote one)."""
    try:
        return (int(db.get_revision()),)
    except xapian.Error:
        return ()


def _same_schema(path: Path, meta: dict) -> None:
    """Raise IndexOutdated when the index was built by another schema version."""
    from ..errors import IndexOutdated
    from ..index import REBUILD_HINT
    from .base import SCHEMA_VERSION, XAPIAN_SCHEMA_VERSIONS

    if meta.get("schema_version") not in XAPIAN_SCHEMA_VERSIONS:
        raise IndexOutdated(
            f"chỉ mục ở {path} được tạo với lược đồ phiên bản {meta.get('schema_version')}, "
            f"vnsearch này dùng phiên bản {SCHEMA_VERSION}: {REBUILD_HINT}"
        )


def shard_mismatch(path: Path, n: int) -> str | None:
    """What is wrong when the shards' folder does not hold exactly the ``n`` shards the
    metadata counts (a rebuild into another number of shards stopped half-way, or a shard
    removed by hand), else None."""
    folder = Path(path) / SHARDS_DIR
    names = os.listdir(folder) if folder.is_dir() else []
    found = sorted((d for d in names if d.isdigit()), key=int)
    if found == [str(k) for k in range(n)]:
        return None
    return (
        f"siêu dữ liệu ghi {n} shard, thư mục {folder} có {len(found)} "
        f"({', '.join(found[:8]) or 'không có'})"
    )


def counted_shards(path: Path, n: int) -> list[Path]:
    """The ``n`` shard folders the metadata counts; IndexDamaged when there are others:
    reading or writing only some of them would lose articles without a word."""
    from ..index import REBUILD_HINT

    wrong = shard_mismatch(path, n)
    if wrong:
        raise IndexDamaged(f"chỉ mục ở {path} bị hỏng: {wrong}: {REBUILD_HINT}")
    return [Path(path) / SHARDS_DIR / str(k) for k in range(n)]


class XapianSource:
    """Opens readers of a Xapian index: its local shards, or shards served over TCP."""

    backend = "xapian"

    def __init__(self, path: Path, shard_urls: list[str] | None = None, allow_partial=False):
        _require()
        self.path = Path(path)
        self.shard_urls = list(shard_urls or [])
        self.allow_partial = allow_partial
        for url in self.shard_urls:
            parse_shard_url(url)

    def reading(self, opening: bool = False):
        """Xapian's errors inside this context become the library's named errors."""
        return _translated(self.path, opening)

    def _shard_paths(self) -> list[Path]:
        """The local shards the metadata counts; while a rebuilt index is being swapped in
        (search/backends/swap.py), waits up to SWAP_WAIT seconds for it."""
        from ..index import JOURNAL_FILE

        deadline = time.monotonic() + SWAP_WAIT
        while True:
            try:
                return self._counted_shards()
            except (IndexMissing, IndexDamaged):
                if not (self.path / JOURNAL_FILE).exists():
                    raise
                if time.monotonic() >= deadline:
                    raise IndexDamaged(
                        f"chỉ mục ở {self.path} đang được thay bằng bản xây dựng lại, hoặc lần "
                        "thay đó đã dừng giữa chừng: hãy chạy `vnsearch check --repair` để "
                        "hoàn tất"
                    ) from None
                time.sleep(0.02)

    def _counted_shards(self) -> list[Path]:
        from ..index import read_meta

        meta = read_meta(self.path)
        if meta is None or not (self.path / SHARDS_DIR).is_dir():
            raise IndexMissing.at(self.path)
        _same_schema(self.path, meta)
        return counted_shards(self.path, meta.get("shards", 1))

    def _check_urls(self) -> None:
        """Where this host has the index's metadata, it must count one shard per URL (a
        rebuild may have changed the shards, or the backend)."""
        problem = shard_urls_mismatch(self.path, len(self.shard_urls))
        if problem:
            raise ShardUnavailable(problem)

    def reader(self) -> XapianReader:
        """A reader of every shard as one database."""
        db = xapian.Database()
        missing: list[str] = []
        if self.shard_urls:
            self._check_urls()
            commits, answered = [], []
            for url in self.shard_urls:
                try:
                    part, count = open_remote(url)
                    commits.append(count)
                    db.add_database(part)
                    answered.append(url)
                except xapian.NetworkError as e:
                    if not self.allow_partial:
                        raise ShardUnavailable(
                            f"shard {url} không trả lời ({e}); hãy kiểm tra xapian-tcpsrv, "
                            "hoặc dùng --allow-partial để tìm trên các shard còn lại"
                        ) from e
                    log.warning("shard %s did not answer (%s): searching the others", url, e)
                    missing.append(url)
            if len(missing) == len(self.shard_urls):
                raise ShardUnavailable("không shard nào trả lời: " + ", ".join(missing))
            return XapianReader(
                self.path, db, missing, remote=True, revs=tuple(commits), urls=answered
            )
        try:
            # Before the metadata is read: a swap after this makes the reader a stale one.
            top = _identity(self.path / SHARDS_DIR)
        except OSError:
            top = None
        shards = self._shard_paths()
        with _translated(self.path, opening=True):
            db, revs = open_shards(shards)
        folders = _folders(shards, top) if top else ()
        return XapianReader(self.path, db, shards=shards, revs=revs, folders=folders)


# --- writing ---------------------------------------------------------------------


class XapianStore:
    """The writing side of a Xapian index: N shard databases, batched commits."""

    backend = "xapian"

    def __init__(self, path: Path, shards: int | None = None):
        _require()
        from ..index import read_meta, write_meta
        from .base import SCHEMA_VERSION

        self.path = Path(path)
        self.note = None
        meta = read_meta(self.path) if (self.path / "vnsearch.json").exists() else None
        if meta is not None:
            _same_schema(self.path, meta)
            n = meta.get("shards", 1)
            if shards not in (None, n):
                raise SearchError(
                    f"chỉ mục ở {self.path} có {n} shard, không phải {shards}: hãy chạy "
                    f"`vnsearch index --rebuild --shards {shards}` để chia lại các bài đã lưu"
                )
            if meta["schema_version"] != SCHEMA_VERSION:
                # An older version's index now gets copies only this version reads
                # (search/stored.py): older code must refuse it, not find it damaged.
                write_meta(self.path, **{k: v for k, v in meta.items() if k != "schema_version"})
        else:
            n = shards or 1
            if n < 1:
                raise SearchError("--shards phải từ 1 trở lên")
            self.path.mkdir(parents=True, exist_ok=True)
            write_meta(self.path, backend="xapian", shards=n)
        self.shards = n
        self.dbs = []
        if meta is None or not (self.path / SHARDS_DIR).exists():
            # A new index (or one whose first run stopped before making its shards).
            folders = [self.path / SHARDS_DIR / str(k) for k in range(n)]
            folders[0].parent.mkdir(parents=True, exist_ok=True)
        else:
            # Never a missing shard created anew: its articles would be lost without a word.
            folders = counted_shards(self.path, n)
        with _translated(self.path):
            for folder in folders:
                self.dbs.append(xapian.WritableDatabase(str(folder), xapian.DB_CREATE_OR_OPEN))

    def stamp(self):
        """Sum of the shards' revisions and the article count (what the vocabulary records)."""
        from ..index import Stamp

        return Stamp(
            sum(int(db.get_revision()) for db in self.dbs),
            sum(int(db.get_doccount()) for db in self.dbs),
        )

    def _headers(self) -> Iterator[dict]:
        for db in self.dbs:
            for p in db.postlist(""):
                header, _, _ = db.get_document(p.docid).get_data().partition(b"\0")
                yield json.loads(header.decode("utf-8"))

    def known(self) -> dict[str, str]:
        """Article id -> content hash (merged copies included)."""
        out: dict[str, str] = {}
        with _translated(self.path):
            for h in self._headers():
                out[h["id"]] = h.get("hash", "")
                out.update(h.get("alias_hashes") or {})
        return out

    def merges(self) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        """(fingerprint -> article id, article id -> {merged id: hash})."""
        owners: dict[str, str] = {}
        aliases: dict[str, dict[str, str]] = {}
        with _translated(self.path):
            for h in self._headers():
                if h.get("fingerprint"):
                    owners[h["fingerprint"]] = h["id"]
                if h.get("alias_hashes"):
                    aliases[h["id"]] = h["alias_hashes"]
        return owners, aliases

    def snapshot(self):
        """Stored articles by id, as the writer sees them."""
        return _Snapshot(self)

    def article(self, article_id: str):
        """The article stored under exactly this id, or None."""
        from .base import load_article

        db = self.dbs[shard_of(article_id, self.shards)]
        for p in db.postlist(term("id", article_id)):
            return load_article(_stored(db.get_document(p.docid).get_data()))
        return None

    def write(self, items, batch_size: int, on_commit=None, lock_timeout: float = 0.0):
        """Write (article, words, extra) items in committed batches; yields each article."""
        from .schema import document

        batch = []
        for article, words, *extra in items:
            doc = document(article, words, **(extra[0] if extra else {}))
            batch.append((article, doc))
            if len(batch) >= batch_size:
                yield from self._commit(batch, on_commit)
                batch = []
        if batch:
            yield from self._commit(batch, on_commit)

    def _commit(self, batch, on_commit):
        def work() -> None:
            for article, doc in batch:
                xdoc, idterm = _document(doc)
                self.dbs[shard_of(article.id, self.shards)].replace_document(idterm, xdoc)

        self._transaction(work, on_commit)
        log.debug("%s: committed %d article(s) to %d shard(s)", self.path, len(batch), self.shards)
        for article, _ in batch:
            yield article

    def delete(self, ids: list[str], on_commit=None, lock_timeout: float = 0.0) -> None:
        """Delete the articles stored under ``ids``, in one commit."""

        def work() -> None:
            for article_id in ids:
                self.dbs[shard_of(article_id, self.shards)].delete_document(term("id", article_id))

        self._transaction(work, on_commit)
        log.debug("%s: deleted %d article(s)", self.path, len(ids))

    def _transaction(self, work, on_commit) -> None:
        # One transaction per shard: a failure (or a kill) leaves every shard
        # at its last commit; shards that committed before stay (re-indexing
        # is idempotent, and the vocabulary notices the mismatch).
        begun = []
        try:
            for db in self.dbs:
                db.begin_transaction()
                begun.append(db)
            work()
            for db in self.dbs:
                db.set_metadata(COMMITS, str(int(db.get_metadata(COMMITS) or 0) + 1))
            while begun:
                begun[0].commit_transaction()
                begun.pop(0)
        except BaseException as e:
            for db in begun:
                try:
                    db.cancel_transaction()
                except xapian.Error:
                    log.debug("cancelling a shard's transaction failed", exc_info=True)
            if isinstance(e, xapian.Error):
                raise WriteFailed(
                    f"không ghi được vào chỉ mục ở {self.path}: {e}; lần ghi đã hoàn tất gần "
                    "nhất của chỉ mục vẫn nguyên vẹn"
                ) from e
            raise
        if on_commit is not None:
            on_commit(self.stamp())

    def iter_stored(self):
        """Every live stored article."""
        from .base import load_article

        with _translated(self.path):
            for db in self.dbs:
                for p in db.postlist(""):
                    yield load_article(_stored(db.get_document(p.docid).get_data()))

    def close(self) -> None:
        """Close the shard databases (uncommitted changes are dropped)."""
        for db in self.dbs:
            db.close()
        self.dbs = []


class _Snapshot:
    def __init__(self, store: XapianStore):
        self.store = store

    def article(self, article_id: str):
        """The article stored under exactly this id, or None."""
        return self.store.article(article_id)

    def close(self) -> None:
        """Nothing to close."""


def _database_folder(shard: Path) -> Path:
    """The folder of the database a shard's folder holds: a replica made by
    ``xapian-replicate`` is a stub file (XAPIANDB, "auto replica_N") naming the copy
    in use, which Xapian opens through the stub but checks only where it is."""
    stub = shard / "XAPIANDB"
    if stub.is_file():
        for line in stub.read_text("utf-8", "replace").splitlines():
            kind, _, where = line.strip().partition(" ")
            if kind in ("auto", "glass") and where and not Path(where).is_absolute():
                return shard / where
    return shard


def check(path: Path) -> tuple[int, int, int, int, list[str]]:
    """(shards, articles, terms, postings, problems) of a Xapian index: Xapian's own
    checker on each shard, then every term and stored article read back."""
    _require()
    from ..index import read_meta
    from .base import load_article

    meta = read_meta(Path(path)) or {}
    n = meta.get("shards", 1)
    problems: list[str] = []
    wrong = shard_mismatch(Path(path), n) if (Path(path) / SHARDS_DIR).is_dir() else None
    if wrong:
        problems.append(wrong)
    articles = terms = postings = 0
    for k in range(n):
        shard = Path(path) / SHARDS_DIR / str(k)
        try:
            errors = xapian.Database.check(str(_database_folder(shard)), 0)
            if errors:
                problems.append(f"shard {k}: bộ kiểm tra của Xapian thấy {errors} lỗi")
                continue
            db = xapian.Database(str(shard))
            for t in db.allterms():
                terms += 1
                postings += t.termfreq
            for p in db.postlist(""):
                try:
                    load_article(_stored(db.get_document(p.docid).get_data()))
                    articles += 1
                except (ValueError, zlib.error, KeyError, TypeError) as e:
                    problems.append(f"shard {k}: không đọc được bài đã lưu số {p.docid} ({e})")
            db.close()
        except xapian.Error as e:
            problems.append(f"shard {k}: Xapian báo lỗi ({type(e).__name__}: {e})")
    return n, articles, terms, postings, problems


def read_stamp(path: Path):
    """The :class:`~search.index.Stamp` of the index's latest commit, read-only."""
    from ..index import Stamp, read_meta

    meta = read_meta(Path(path))
    # Shards the metadata counts and that are not there are damage, not "no index yet".
    shards = (
        counted_shards(Path(path), meta.get("shards", 1))
        if meta is not None
        else [Path(path) / SHARDS_DIR / "0"]
    )
    revision = documents = 0
    with _translated(path, opening=meta is None):
        for shard in shards:
            db = xapian.Database(str(shard))
            revision += int(db.get_revision())
            documents += int(db.get_doccount())
            db.close()
    return Stamp(revision, documents)


def index_stats(path: Path) -> dict:
    """What `vnsearch stats` shows of a Xapian index (``segments``: its shards)."""
    from .base import SCHEMA_VERSION

    source = XapianSource(Path(path))
    with source.reading(opening=True):
        reader = source.reader()
        try:
            count = reader.doc_count()
        finally:
            reader.close()
    files = [f for f in Path(path).rglob("*") if f.is_file()]
    return {
        "path": str(path),
        "articles": count,
        "fields": sorted(PREFIX),
        "size_bytes": sum(f.stat().st_size for f in files),
        "schema_version": SCHEMA_VERSION,
        "segments": len(source._shard_paths()),
        "backend": "xapian",
    }
