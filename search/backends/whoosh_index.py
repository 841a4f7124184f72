"""A Whoosh index's files: create, open, version check, read back; damage as named errors.

The folder's metadata, write lock and rebuild folders are the backends' common
ones (search/index.py); commits and rebuilds are search/backends/whoosh_writing.py's.
A Whoosh index that cannot be used is refused, never deleted: ``vnsearch index
--rebuild`` builds a fresh one beside it from every stored article it can read
and swaps it in only when complete.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any

import whoosh
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex
from whoosh.reading import SegmentReader, TermNotFound

from ..article import Article
from ..errors import (
    ArticleNotFound,
    IndexDamaged,
    IndexMissing,
    IndexOutdated,
    SearchError,
)
from ..index import (
    META_FILE,
    REBUILD_HINT,
    _meta_path,
    read_meta,
    write_meta,
)
from ..stored import load_article
from .base import SCHEMA_VERSION
from .schema import build_schema

log = logging.getLogger(__name__)

INDEX_NAME = "MAIN"
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
    pickle.UnpicklingError,
    TermNotFound,
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
