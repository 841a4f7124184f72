"""Writing a Whoosh index: batched commits, merges, deletions, and rebuilds.

The files and how they are opened and read are search/backends/whoosh_index.py's;
the run-level write lock and the metadata are search/index.py's. A commit that
fails is cancelled whole (its files closed and removed); a rebuild writes a new
index beside the old one and swaps it in only when complete.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from whoosh import query as wq
from whoosh import writing as whoosh_writing
from whoosh.index import TOC, LockError, clean_files
from whoosh.reading import SegmentReader

from ..article import Article
from ..errors import (
    WriteFailed,
    write_reason,
)
from ..index import (
    LOCK_TIMEOUT,
    Stamp,
    _fsync_dir,
    _locked,
    backup_folder,
    write_meta,
)
from ..stored import load_article
from .base import Recovered
from .schema import build_schema, document
from .whoosh_codec import CompactCodec
from .whoosh_index import (
    _TEMP_TOC,
    INDEX_NAME,
    READ_ERRORS,
    _close_files,
    _collecting,
    _damaged,
    _generations,
    _is_damage,
    _segment_files,
    _storage,
    open_index,
    open_segment,
    read_toc,
)

log = logging.getLogger(__name__)

WRITER_MB = 48
# At the end of a run, when at least TIDY_SEGMENTS segments each hold less than
# TIDY_SHARE of the index, they are merged into one: Whoosh's own policy leaves
# a tail of batch-sized segments after a bulk run (19 segments after 100k
# articles), and searches and related articles read every term once per
# segment. Such a merge rewrites at most TIDY_SHARE x TIDY_SEGMENTS of the
# index; single small runs rarely leave that many (Whoosh merges tiny ones).
TIDY_SHARE = 0.1
TIDY_SEGMENTS = 3

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
        try:
            _commit(ix, lock_timeout, on_commit, lambda writer: writer.commit(optimize=True))
        except OSError:
            raise  # writing: a full disk is said as such (upkeep's write_failures)
        except READ_ERRORS as e:
            if not _is_damage(e):
                raise
            # A segment that cannot be read back: nothing was committed.
            raise _damaged(Path(path), "không gộp được các phân đoạn", e) from e
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


# --- rebuilding ----------------------------------------------------------------


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
    old_files = index_files(path)
    toc = move_in(new, path)
    write_meta(path)
    backup = None
    if keep_old and old_files:
        backup = backup_folder(path)
        for name in old_files:
            os.rename(path / name, backup / name)
    remove_leftovers(path)
    return Stamp(toc.generation, sum(s.doc_count() for s in toc.segments)), backup


def move_in(new: Path, path: Path):
    """Move the complete index in ``new`` into ``path``: its segment files, then its table
    of contents under a generation above every one there (the commit point for readers of
    a Whoosh index at ``path``); its TOC. Safe to run again after a kill: a second run
    finds the table of contents already written and moves nothing."""
    new, path = Path(new), Path(path)
    generations = _generations(new)
    if not generations:
        return read_toc(_storage(path))  # moved already
    toc = read_toc(_storage(new), generation=generations[0])
    for name in _segment_files(new):
        os.rename(new / name, path / name)
    _fsync_dir(path)
    old_generation = TOC._latest_generation(_storage(path), INDEX_NAME)
    toc.generation = max(old_generation, toc.generation) + 1
    toc.write(_storage(path), INDEX_NAME)
    _fsync_dir(path)
    for generation in generations:
        (new / TOC._filename(INDEX_NAME, generation)).unlink(missing_ok=True)
    return toc


def segment_files(path: Path) -> list[str]:
    """The names of the segment files in ``path``."""
    return sorted(_segment_files(Path(path)))


def is_index_file(name: str) -> bool:
    """True when ``name`` is the name of a Whoosh table of contents or segment file."""
    return bool(
        TOC._pattern(INDEX_NAME).match(name) or TOC._segment_pattern(INDEX_NAME).match(name)
    )


def toc_uses(path: Path, segments: list[str]) -> bool:
    """True when the newest table of contents in ``path`` uses exactly these segment files."""
    try:
        toc = read_toc(_storage(Path(path)))
    except Exception:  # noqa: BLE001 - none, or none readable: not these
        return False
    return sorted(f"{s.segment_id()}.seg" for s in toc.segments) == sorted(segments)


def has_toc(path: Path) -> bool:
    """True when ``path`` holds a table of contents (an index not yet moved by move_in)."""
    return bool(_generations(Path(path)))


def index_files(path: Path) -> list[str]:
    """The names of a Whoosh index's tables of contents and segment files in ``path``."""
    return [n for n in os.listdir(path) if is_index_file(n)]


def retire(path, backup: Path | None) -> None:
    """Move the files of a Whoosh index that another backend's index replaced in ``path``
    into ``backup`` (a rebuild that kept them for rescue), or delete them."""
    path = Path(path)
    for name in index_files(path):
        if backup is not None:
            os.rename(path / name, backup / name)
        else:
            (path / name).unlink(missing_ok=True)
    for name in os.listdir(path):
        if _TEMP_TOC.match(name) or name.startswith(f"{INDEX_NAME}_WRITELOCK"):
            (path / name).unlink(missing_ok=True)
