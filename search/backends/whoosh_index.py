"""A Whoosh index's files: create, open, version check, write in batches, read back.

The folder's metadata, write lock and rebuild folders are the backends' common
ones (search/index.py). A Whoosh index that cannot be used is refused, never
deleted; ``vnsearch index --rebuild`` builds a fresh one beside it from every
stored article it can read and swaps it in only when complete
(:func:`recover_articles`, :func:`swap_in`).
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

import whoosh
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import writing as whoosh_writing
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, LockError, clean_files
from whoosh.reading import SegmentReader

from ..article import Article
from ..errors import (
    ArticleNotFound,
    IndexDamaged,
    IndexMissing,
    IndexOutdated,
    SearchError,
    WriteFailed,
    write_reason,
)
from ..index import (
    LOCK_TIMEOUT,
    META_FILE,
    REBUILD_HINT,
    Stamp,
    _fsync_dir,
    _locked,
    _meta_path,
    read_meta,
    write_meta,
)
from ..stored import load_article
from .base import SCHEMA_VERSION
from .schema import build_schema, document
from .whoosh_codec import CompactCodec

log = logging.getLogger(__name__)

INDEX_NAME = "MAIN"
WRITER_MB = 48
# At the end of a run, when at least TIDY_SEGMENTS segments each hold less than
# TIDY_SHARE of the index, they are merged into one: Whoosh's own policy leaves
# a tail of batch-sized segments after a bulk run (19 segments after 100k
# articles), and searches and related articles read every term once per
# segment. Such a merge rewrites at most TIDY_SHARE x TIDY_SEGMENTS of the
# index; single small runs rarely leave that many (Whoosh merges tiny ones).
TIDY_SHARE = 0.1
TIDY_SEGMENTS = 3
_TEMP_TOC = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc\.[0-9.]+$")

# What a damaged file makes Whoosh, pickle, zlib or json raise while reading.
READ_ERRORS = (
    OSError,
    EOFError,
    struct.error,
    zlib.error,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    ImportError,
    MemoryError,
    RecursionError,
    whoosh_index.IndexError,
)
# Of those, the ones only damaged bytes raise, wherever they come from.
DAMAGE_ERRORS = (
    OSError,
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    UnicodeDecodeError,
    json.JSONDecodeError,
    whoosh_index.IndexError,
)
_WHOOSH_DIR = os.path.dirname(whoosh.__file__) + os.sep


# --- what is in the folder -----------------------------------------------------

# Files opened by this thread inside reading(), to close if the read fails.
_opened = threading.local()


class _Storage(FileStorage):
    """Whoosh's file storage, able to close what a failed read left open (Whoosh does not)."""

    def __init__(self, path):
        # No mmap: Whoosh copies each mapped segment into a BytesIO per searcher
        # (filedb.structfile.BufferFile), so every thread's searcher held a
        # copy of the whole index (3.5 GB for 8 threads at 20k articles).
        # Plain reads share the OS page cache instead.
        super().__init__(str(path), supports_mmap=False)

    def open_file(self, name, **kwargs):
        return _track(super().open_file(name, **kwargs))

    def create_file(self, name, **kwargs):
        f = super().create_file(name, **kwargs)
        if name.endswith(".seg") or ".toc." in name:
            # A commit's segment and table of contents reach the disk before
            # the table of contents is renamed in (Whoosh never fsyncs), so a
            # power cut cannot leave a table naming a segment that is not there.
            f.onclose = _fsync_before(f.onclose)
        return _track(f)


def _fsync_before(onclose):
    def close(structfile):
        if onclose:
            onclose(structfile)
        structfile.file.flush()
        os.fsync(structfile.file.fileno())

    return close


def _track(f):
    files = getattr(_opened, "files", None)
    if files is not None:
        files.append(f)
    return f


@contextmanager
def _collecting():
    """Collect the index files this thread opens or creates inside the block."""
    outer = getattr(_opened, "files", None)
    files: list[Any] = []  # Whoosh's StructFiles
    _opened.files = files
    try:
        yield files
    finally:
        _opened.files = outer
        if outer is not None:
            outer.extend(files)


def _close_files(files) -> None:
    for f in files:
        if not f.is_closed:
            try:
                f.close()
            except Exception:  # noqa: BLE001, S110 - closing what is already broken (or a full disk)
                pass


@contextmanager
def _closing_on_error():
    """Close the index files opened inside the block if it raises."""
    with _collecting() as files:
        try:
            yield
        except BaseException:
            _close_files(files)
            raise


def read_toc(storage, schema=None, generation: int | None = None):
    """Whoosh's table of contents of the index in ``storage`` (files closed even on error)."""
    with _closing_on_error():
        return TOC.read(storage, INDEX_NAME, gen=generation, schema=schema)


def _generations(path: Path) -> list[int]:
    """Generations of the tables of contents in the folder, newest first."""
    pattern = TOC._pattern(INDEX_NAME)
    return sorted(
        (int(m.group(1)) for m in map(pattern.match, os.listdir(path)) if m), reverse=True
    )


def open_segment(storage, schema, segment) -> SegmentReader:
    """A reader of one segment (files closed even when opening fails)."""
    with _closing_on_error():
        return SegmentReader(storage, schema, segment)


def _storage(path) -> _Storage:
    return _Storage(path)


def _segment_files(path: Path) -> list[str]:
    pattern = TOC._segment_pattern(INDEX_NAME)
    return sorted(f.name for f in path.iterdir() if pattern.match(f.name))


def _has_toc(path) -> bool:
    # From the file names only: Whoosh's exists_in() reads the TOC, and
    # leaves it open when it is damaged.
    pattern = TOC._pattern(INDEX_NAME)
    return Path(path).is_dir() and any(pattern.match(n) for n in os.listdir(path))


def has_index_files(path) -> bool:
    """True when ``path`` holds any file of an index (metadata, table of contents, segment)."""
    path = Path(path)
    if not path.is_dir():
        return False
    return _meta_path(path).exists() or _has_toc(path) or bool(_segment_files(path))


def _damaged(path, what: str, e: BaseException | None = None) -> IndexDamaged:
    detail = f" ({type(e).__name__}: {str(e)[:120]})" if e is not None else ""
    return IndexDamaged(
        f"chỉ mục ở {path} bị hỏng: {what}{detail}; {REBUILD_HINT} "
        f"(`vnsearch check` liệt kê những gì hỏng)"
    )


@contextmanager
def reading(path, what: str = "không đọc được", storage=None, opening: bool = False):
    """Turn any error raised while reading index files into IndexDamaged (never a traceback).

    With ``opening`` (the block opens an index, reader or searcher it returns),
    index files a failed open left open are closed; Whoosh does not.
    """
    try:
        if opening:
            with _closing_on_error():
                yield
        else:
            yield
    except SearchError:
        raise
    except READ_ERRORS as e:
        if not _is_damage(e):
            raise  # a bug in the code reading, not a damaged file: keep its traceback
        log.debug("reading the index at %s failed", path, exc_info=True)
        raise _damaged(path, what, e) from e


def _is_damage(e: BaseException) -> bool:
    """True when ``e`` comes from reading index bytes, not from a bug in vnsearch's own code.

    Errors only bytes cause (I/O, truncation, decompression, decoding) always
    count; a generic one (KeyError, TypeError, ...) only when raised inside
    Whoosh, which raises those on damaged files too.
    """
    if isinstance(e, DAMAGE_ERRORS):
        return True
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_filename.startswith(_WHOOSH_DIR)


def guarded(method=None, *, opening: bool = False):
    """Decorator for methods of objects with a ``path``: read errors become IndexDamaged.

    ``opening=True`` for a method that opens and returns a searcher (see :func:`reading`).
    """
    if method is None:
        return lambda m: guarded(m, opening=opening)

    @wraps(method)
    def wrapper(self, *args, **kwargs):
        with reading(self.path, opening=opening):
            return method(self, *args, **kwargs)

    return wrapper


def _check_segments(path: Path, storage, segments) -> None:
    for seg in segments:
        if seg.is_compound():
            name = seg.make_filename(".seg")
            if not storage.file_exists(name) or storage.file_length(name) == 0:
                raise _damaged(path, f"tệp phân đoạn {name} bị thiếu hoặc rỗng")
        elif not seg.list_files(storage):
            raise _damaged(path, f"thiếu các tệp của phân đoạn {seg.segment_id()}")


def open_index(path):
    """Open an existing index; raise IndexMissing, IndexOutdated or IndexDamaged."""
    path = Path(path)
    if not has_index_files(path):
        raise IndexMissing.at(path)
    meta = read_meta(path)
    has_toc = _has_toc(path)
    if not has_toc:
        if _segment_files(path):
            raise _damaged(path, "thiếu mục lục (_MAIN_*.toc)")
        raise IndexMissing.at(path)
    if meta is None:
        raise _damaged(path, f"thiếu tệp siêu dữ liệu {META_FILE}")
    version = meta["schema_version"]
    if version != SCHEMA_VERSION:
        raise IndexOutdated(
            f"chỉ mục ở {path} được tạo với lược đồ phiên bản {version}, vnsearch này "
            f"dùng phiên bản {SCHEMA_VERSION}: {REBUILD_HINT}"
        )
    storage = _storage(path)
    with reading(path, "không đọc được mục lục", opening=True):
        ix = FileIndex(storage, indexname=INDEX_NAME)
        segments = ix._segments()
    _check_segments(path, storage, segments)
    return ix


def open_for_writing(path) -> tuple[FileIndex, str | None]:
    """Open the index for writing, creating one in a new or index-free folder.

    Returns (index, note). Never deletes anything: an index that cannot be
    opened raises (see :func:`open_index`).
    """
    path = Path(path)
    if has_index_files(path) and _has_toc(path):
        return open_index(path), None
    if has_index_files(path):
        # Metadata alone is a creation cut short: carry on. Segments without a
        # table of contents are a damaged index: open_index says so.
        if _segment_files(path):
            open_index(path)
        read_meta(path)  # raises on unreadable metadata
    path.mkdir(parents=True, exist_ok=True)
    # Metadata first: a crash in between leaves metadata alone, which the
    # next run completes, never an index without its schema version.
    write_meta(path)
    ix = FileIndex.create(_storage(path), build_schema(), INDEX_NAME)
    return ix, None


# --- writing -------------------------------------------------------------------


def stamp(ix) -> Stamp:
    """The generation and document count of the index's latest commit."""
    toc = ix._read_toc()
    return Stamp(toc.generation, sum(s.doc_count() for s in toc.segments))


def write_batches(
    ix,
    prepared: Iterable[tuple],
    batch_size: int = 500,
    on_commit=None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> Iterator[Article]:
    """Write (article, words[, extra fields]) items, committing every ``batch_size``.

    Yields each article once its batch is committed. Extra fields are
    :func:`schema.document`'s keyword arguments (fingerprint, aliases, prepared).
    An article whose id is already indexed replaces it, so re-indexing never
    duplicates; a crash loses at most the batch in progress. ``on_commit`` is
    called with the :class:`Stamp` of each commit.
    """
    batch: list[tuple] = []
    wrote = False
    for item in prepared:
        batch.append(item)
        if len(batch) >= batch_size:
            yield from _write_batch(ix, batch, lock_timeout, on_commit)
            batch, wrote = [], True
    if batch:
        yield from _write_batch(ix, batch, lock_timeout, on_commit)
        wrote = True
    if wrote and _small_segments(ix._read_toc().segments):
        _commit(ix, lock_timeout, on_commit, lambda w: w.commit(mergetype=_policy(_merge_tail)))


def _write_batch(ix, batch: list[tuple], lock_timeout: float, on_commit) -> Iterator[Article]:
    _commit(ix, lock_timeout, on_commit, lambda writer: _fill(writer, batch))
    for article, *_ in batch:
        yield article


def _commit(ix, lock_timeout: float, on_commit, work) -> None:
    """Run ``work(writer)`` (which commits) safely: a failure leaves the last commit intact."""
    writer = None
    try:
        with _collecting() as files:
            # The segment's files are created with the writer: collected too.
            writer = _writer(ix, lock_timeout)
            work(writer)
        _fsync_dir(Path(ix.storage.folder))  # the renamed table of contents
    except BaseException as e:
        if writer is not None:
            _cancel(ix, writer, files)
        else:
            _close_files(files)
        if isinstance(e, OSError):
            raise _write_failed(ix.storage.folder, e) from e
        raise
    if on_commit:
        on_commit(stamp(ix))


def _small_segments(segments) -> list:
    """The segments the end of a run merges into one: those under TIDY_SHARE of the index."""
    total = sum(seg.doc_count_all() for seg in segments)
    small = [seg for seg in segments if seg.doc_count_all() < total * TIDY_SHARE]
    return small if len(small) >= TIDY_SEGMENTS else []


def _merge_tail(writer, segments):
    """Merge policy: the small segments into one, the others unchanged."""
    small = {id(seg) for seg in _small_segments(segments)}
    for seg in segments:
        if id(seg) in small:
            reader = SegmentReader(writer.storage, writer.schema, seg)
            writer.add_reader(reader)
            reader.close()
    return [seg for seg in segments if id(seg) not in small]


def optimize(path, lock_timeout: float = LOCK_TIMEOUT, on_commit=None) -> int:
    """Merge the index's segments into one, deleted articles left out: how many segments
    there were. The caller holds the run-level write lock."""
    ix = open_index(Path(path))
    segments = ix._segments()
    if len(segments) > 1 or any(seg.has_deletions() for seg in segments):
        _commit(ix, lock_timeout, on_commit, lambda writer: writer.commit(optimize=True))
    return len(segments)


# Called as each commit starts merging segments (see announce_merges).
_merge_listener: ContextVar = ContextVar("merge_listener", default=None)


@contextmanager
def announce_merges(callback):
    """Call ``callback()`` whenever a commit in this context starts merging index segments."""
    token = _merge_listener.set(callback)
    try:
        yield
    finally:
        _merge_listener.reset(token)


def _policy(merge):
    """The merge policy ``merge``, announced to the listener of announce_merges if any."""
    callback = _merge_listener.get()
    return merge if callback is None else _announced(callback, merge)


def _announced(callback, merge):
    """The merge policy ``merge``, calling ``callback`` when it starts a merge."""

    def policy(writer, segments):
        started = False
        add_reader = writer.add_reader

        def announcing(reader):
            # The policy adds the segments it merges one by one: the first is the start.
            nonlocal started
            if not started:
                started = True
                callback()
            add_reader(reader)

        writer.add_reader = announcing
        try:
            return merge(writer, segments)
        finally:
            del writer.add_reader

    return policy


def _fill(writer, batch: list[tuple]) -> None:
    """Replace or add the batch's documents and commit."""
    # Whoosh's update_document opens a reader over every segment for each
    # document (the cost grows with the index); one look-up and one delete
    # per batch do the same job.
    ids = [article.id for article, *_ in batch]
    with writer.searcher() as s:
        old = [i for i in ids if s.document_number(id=i) is not None]
    if old:
        writer.delete_by_query(wq.Or([wq.Term("id", i) for i in old]))
    for article, words, *extra in batch:
        writer.add_document(**document(article, words, **(extra[0] if extra else {})))
    writer.commit(mergetype=_policy(whoosh_writing.MERGE_SMALL))
    log.debug("committed %d article(s)", len(batch))


def delete_ids(ix, ids: list[str], lock_timeout: float = LOCK_TIMEOUT, on_commit=None) -> None:
    """Delete the articles stored under ``ids``, in one commit."""

    def work(writer) -> None:
        writer.delete_by_query(wq.Or([wq.Term("id", i) for i in ids]))
        writer.commit(mergetype=_policy(whoosh_writing.MERGE_SMALL))

    _commit(ix, lock_timeout, on_commit, work)
    log.debug("deleted %d article(s)", len(ids))


def _write_failed(folder, e: OSError) -> WriteFailed:
    return WriteFailed(
        f"không ghi được vào chỉ mục ở {folder}: {write_reason(e)}; không giữ lại gì của "
        "đợt đang ghi, lần ghi đã hoàn tất gần nhất của chỉ mục vẫn nguyên vẹn"
    )


def _cancel(ix, writer, files=()) -> None:
    """Cancel a writer and remove the partial files of its segment, even on a full disk."""
    try:
        if not writer.is_closed:
            writer.cancel()
    except Exception:  # closing its files failed too (a full disk): finish by hand
        log.debug("cancelling the writer failed", exc_info=True)
        try:
            writer._tempstorage.destroy()
        except Exception:  # noqa: BLE001, S110 - best effort: a full disk may have half-written it
            pass
        if writer.writelock:
            writer.writelock.release()
        writer.is_closed = True
    # Whoosh leaves the files of a failed segment assembly open (their disk
    # space too, until collected): close them, then delete them.
    _close_files(files)
    remove_leftovers(ix.storage.folder)


def remove_leftovers(path) -> list[str]:
    """Delete segment and table-of-contents files the current commit does not use."""
    path = Path(path)
    storage = _storage(path)
    try:
        toc = read_toc(storage, build_schema())
    except Exception:  # noqa: BLE001 - never clean against a table of contents we cannot read
        return []
    before = set(os.listdir(path))
    clean_files(storage, INDEX_NAME, toc.generation, toc.segments)
    for name in os.listdir(path):
        if _TEMP_TOC.match(name):
            try:
                os.unlink(path / name)
            except OSError:
                pass
    return sorted(before - set(os.listdir(path)))


def _writer(ix, lock_timeout: float):
    try:
        # Whoosh holds postings in memory up to limitmb (its own estimate, well
        # under what the Python objects take) before sorting them on disk;
        # segment merges go through the same pool. Segments (merged ones too)
        # are written with compactly pickled posting blocks (CompactCodec).
        return ix.writer(timeout=lock_timeout, delay=0.1, limitmb=WRITER_MB, codec=CompactCodec())
    except LockError as e:
        raise _locked(ix.storage.folder, lock_timeout) from e


# --- reading -------------------------------------------------------------------


def uninvert(reader, field: str) -> dict[int, list[str]]:
    """docnum -> the field's terms in that (live) document, from the postings."""
    out: dict[int, list[str]] = {}
    if field not in reader.schema:
        return out
    for text in reader.field_terms(field):
        if not text:
            continue
        for docnum in reader.postings(field, text).all_ids():
            out.setdefault(docnum, []).append(text)
    return out


def stored_hashes(ix) -> dict[str, str]:
    """Map of article id to content hash (merged copies included), from the term lists."""
    with reading(ix.storage.folder, opening=True), ix.reader() as reader:
        ids = uninvert(reader, "id")
        hashes = uninvert(reader, "hash")
        out = {i[0]: hashes.get(d, [""])[0] for d, i in ids.items()}
        for docnum in uninvert(reader, "aliases"):  # few: only republished articles
            out.update(reader.stored_fields(docnum).get("alias_hashes") or {})
    return out


def stored_merges(ix) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(fingerprint -> article id, article id -> {merged id: hash}) of the index."""
    with reading(ix.storage.folder, opening=True), ix.reader() as reader:
        ids = uninvert(reader, "id")
        owners = {fp[0]: ids[d][0] for d, fp in uninvert(reader, "fingerprint").items() if d in ids}
        aliases = {
            ids[d][0]: reader.stored_fields(d).get("alias_hashes") or {}
            for d in uninvert(reader, "aliases")
            if d in ids
        }
    return owners, aliases


def stored_article(searcher, article_id: str) -> Article | None:
    """The article stored under exactly this id, or None (merged ids are not followed)."""
    with reading(_folder(searcher), f"không đọc được bài đã lưu {article_id!r}"):
        docnum = searcher.document_number(id=article_id)
        return None if docnum is None else load_article(searcher.stored_fields(docnum))


def _folder(searcher) -> str:
    """The folder of a searcher's index, for messages."""
    storage = getattr(getattr(searcher, "_ix", None), "storage", None)
    return getattr(storage, "folder", None) or "the index"


def get_article(searcher, article_id: str) -> Article:
    """The stored article with this id, or the one it was merged into; raise ArticleNotFound."""
    with reading(_folder(searcher), f"không đọc được bài đã lưu {article_id!r}"):
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            docnum = searcher.document_number(aliases=article_id)
        if docnum is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return load_article(searcher.stored_fields(docnum))


def iter_stored(ix) -> Iterator[Article]:
    """Every live stored article of the index (raises IndexDamaged on a broken one)."""
    with (
        reading(ix.storage.folder, "không đọc được một bài đã lưu", opening=True),
        ix.reader() as reader,
    ):
        for docnum in reader.all_doc_ids():
            yield load_article(reader.stored_fields(docnum))


def index_stats(path) -> dict:
    """Article count, fields, size on disk and schema version of the index at ``path``."""
    ix = open_index(path)
    size = sum(f.stat().st_size for f in Path(path).iterdir() if f.is_file())
    with reading(path, opening=True), ix.searcher() as s:
        count = s.doc_count()
        segments = len(ix._segments())
    return {
        "path": os.fspath(path),
        "articles": count,
        "fields": sorted(ix.schema.names()),
        "size_bytes": size,
        "schema_version": SCHEMA_VERSION,
        "segments": segments,
    }


# --- rebuilding ----------------------------------------------------------------


@dataclass
class Recovered:
    """One stored article read back from an index being rebuilt."""

    article: Article
    aliases: dict[str, str]


def recover_articles(path, lost: list[str]) -> Iterator[Recovered]:
    """Every stored article that can be read from the (possibly damaged) index at ``path``.

    Reads segment by segment and document by document, so one broken file or
    document loses only itself; what could not be read is appended to ``lost``.
    """
    path = Path(path)
    if not path.is_dir():
        return
    storage = _storage(path)
    schema = build_schema()  # the stored form (`doc`) is the same in every version
    segments = None
    for generation in _generations(path):  # the newest readable (an older one may remain)
        try:
            segments = read_toc(storage, schema, generation).segments
            break
        except Exception as e:  # noqa: BLE001 - any failure: try the one before
            lost.append(f"mục lục {generation} không đọc được ({type(e).__name__})")
    if segments is None:
        if _segment_files(path):
            # Segment files hold no document count: without the table of
            # contents they cannot be read (swap_in keeps them aside).
            lost.append("không có mục lục nào đọc được: không đọc được bài của các phân đoạn")
        return
    seen: set[str] = set()
    # Newest segments first: an article replaced later wins over its old copy.
    for seg in reversed(segments):
        try:
            reader = open_segment(storage, schema, seg)
        except Exception as e:  # noqa: BLE001 - whatever a damaged segment raises is reported
            lost.append(f"phân đoạn {seg.segment_id()}: {type(e).__name__}: {str(e)[:80]}")
            continue
        try:
            for docnum in range(reader.doc_count_all()):
                if reader.is_deleted(docnum):
                    continue
                try:
                    stored = reader.stored_fields(docnum)
                    article = load_article(stored)
                except Exception as e:  # noqa: BLE001 - one damaged article is reported, not fatal
                    lost.append(
                        f"phân đoạn {seg.segment_id()}, bài số {docnum}: {type(e).__name__}"
                    )
                    continue
                if article.id in seen:
                    continue
                seen.add(article.id)
                yield Recovered(article, dict(stored.get("alias_hashes") or {}))
        except Exception as e:  # noqa: BLE001 - the stored-fields file itself is cut short
            lost.append(f"phân đoạn {seg.segment_id()}: {type(e).__name__}: {str(e)[:80]}")
        finally:
            try:
                reader.close()
            except Exception:  # noqa: BLE001, S110 - a damaged reader may not close cleanly
                pass


def swap_in(new: Path, path: Path, keep_old: bool = False) -> tuple[Stamp, Path | None]:
    """Make the complete index in ``new`` the index at ``path``; return (its stamp, backup).

    Segment files move first (unused by the old table of contents), then the
    new table of contents, renamed in under a generation above every old one,
    switches readers over at once; old index files are deleted only after,
    or, with ``keep_old`` (something could not be read), moved into a
    ``damaged-*`` folder for later rescue. Nothing else in ``path`` is touched.
    """
    new, path = Path(new), Path(path)
    toc = read_toc(_storage(new))
    old_files = [
        n
        for n in os.listdir(path)
        if TOC._pattern(INDEX_NAME).match(n) or TOC._segment_pattern(INDEX_NAME).match(n)
    ]
    for name in _segment_files(new):
        os.rename(new / name, path / name)
    _fsync_dir(path)
    old_generation = TOC._latest_generation(_storage(path), INDEX_NAME)
    toc.generation = max(old_generation, toc.generation) + 1
    toc.write(_storage(path), INDEX_NAME)
    _fsync_dir(path)
    write_meta(path)
    backup = None
    if keep_old and old_files:
        backup = path / time.strftime("damaged-%Y%m%d-%H%M%S")
        backup.mkdir(exist_ok=True)
        for name in old_files:
            os.rename(path / name, backup / name)
    remove_leftovers(path)
    return Stamp(toc.generation, sum(s.doc_count() for s in toc.segments)), backup
