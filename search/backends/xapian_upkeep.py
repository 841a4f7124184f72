"""Upkeep of a Xapian index: compacting its shards, copying it into more or fewer shards,
and what a rebuild needs of it (every stored article read back; old shards retired).

Xapian's B-trees as written keep their blocks about half full: an index is a
third larger than it needs to be (5.71x the text at 100k, 4.25x compacted,
bench/results/backends-100k.json). Each shard is rewritten by Xapian's
compactor and swapped in. Resharding copies the documents as they are (terms,
positions, values, stored article: nothing is analysed again) into N new
shards, each article where ``shard_of`` places it, in a folder of its own.
A rebuild (``vnsearch index --rebuild``) analyses the stored articles again,
so it reads them back one by one, whatever else of a shard is damaged.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import multiprocessing
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from ..errors import IndexDamaged, SearchError, WriteFailed
from ..index import _fsync_dir, read_meta
from ..stored import load_article
from .base import Recovered
from .xapian import (
    COMMITS,
    SHARDS_DIR,
    XapianSource,
    _require,
    _stored,
    _translated,
    shard_of,
    xapian,
)

log = logging.getLogger(__name__)


def compact(path: Path, on_shard=None) -> int:
    """Compact each local shard; how many there are.

    Xapian's compactor copies a shard into a folder beside it (blocks full, no
    slack), the copy is checked against it and the two folders are exchanged in
    one rename; the old copy is then removed. Document numbers, terms, values
    and metadata stay as they were. ``on_shard()`` is called after each
    exchange (the caller records the index's new revisions there). The caller
    holds the index's write lock.
    """
    _require()
    shards = XapianSource(Path(path))._shard_paths()
    with _translated(path, opening=True):
        for shard in shards:
            _compact_shard(shard)
            if on_shard is not None:
                on_shard()
    return len(shards)


def put_right(path: Path) -> None:
    """Finish what an interrupted compaction left in the shards' folder (see _finish_exchange)."""
    # Not _shard_paths(): a shard may be missing from its place just here.
    for _, shard in shard_folders(Path(path)):
        _finish_exchange(shard, *_beside(shard))


def _beside(shard: Path) -> tuple[Path, Path]:
    """The folders of a compaction beside ``shard``: its fresh copy, the old one."""
    return shard.with_name(f".{shard.name}.compacted"), shard.with_name(f".{shard.name}.replaced")


def _compact_shard(shard: Path) -> None:
    fresh, old = _beside(shard)
    _finish_exchange(shard, fresh, old)
    # Xapian's own write lock too: nothing else writes the shard meanwhile.
    lock = xapian.WritableDatabase(str(shard), xapian.DB_OPEN)
    try:
        source = xapian.Database(str(shard))
        try:
            source.compact(str(fresh))
        except (xapian.Error, OSError) as e:  # a full disk, mostly
            raise WriteFailed(
                f"không nén được shard {shard} ({type(e).__name__}: {e}); shard được giữ nguyên"
            ) from e
        copy = xapian.Database(str(fresh))
        if _summary(copy) != _summary(source):
            raise IndexDamaged(
                f"bản nén của shard {shard} khác bản gốc ({_summary(copy)} / "
                f"{_summary(source)}): shard được giữ nguyên"
            )
        copy.close()
        revision = int(source.get_revision())
        source.close()
        outgrow(fresh, revision)
        for f in fresh.iterdir():
            with open(f, "rb+") as fh:
                os.fsync(fh.fileno())
        if not _exchanged(shard, fresh):
            # No atomic exchange here: two renames, put right by the next run
            # if it stops in between (see _finish_exchange).
            shard.rename(old)
            fresh.rename(shard)
            fresh = old
        _fsync_dir(shard.parent)
    except BaseException:
        lock.close()
        if fresh.exists() and shard.exists():
            shutil.rmtree(fresh, ignore_errors=True)  # the unfinished copy
        raise
    lock.close()
    shutil.rmtree(fresh)  # the old copy, now replaced
    log.info("%s: compacted", shard)


# The metadata key of the commits that only raise a database's revision (see outgrow).
REVISION_KEY = "vnsearch-revision"


def outgrow(shard: Path, revision: int) -> None:
    """Commit to the database at ``shard`` until its revision is above ``revision``.

    Xapian's reopen(), in xapian-tcpsrv too, takes a database on disk as changed only
    when its revision has grown. A compacted or rebuilt shard starts again from 1: a
    server already connected would go on answering from the files it replaced, and miss
    the next commits. (1,000 such commits take 0.2 s.)
    """
    db = xapian.WritableDatabase(str(shard), xapian.DB_OPEN | xapian.DB_NO_SYNC)
    try:
        while int(db.get_revision()) < revision:
            db.set_metadata(REVISION_KEY, str(db.get_revision()))
            db.commit()
    finally:
        db.close()
    db = xapian.WritableDatabase(str(shard), xapian.DB_OPEN)  # the last one synced
    try:
        if int(db.get_revision()) <= revision:
            db.set_metadata(REVISION_KEY, str(db.get_revision()))
            db.commit()
    finally:
        db.close()


def outgrow_all(new: Path, old: Path) -> None:
    """Raise the revision of every shard of the index in ``new`` above every readable
    shard's of the index at ``old`` (which ``new`` is about to replace; see outgrow)."""
    top = 0
    for _, shard in shard_folders(old):
        try:
            db = xapian.Database(str(shard))
        except xapian.Error:
            continue  # a damaged shard: nothing serves it
        top = max(top, int(db.get_revision()))
        db.close()
    for _, shard in shard_folders(new):
        outgrow(shard, top)


def compaction_leftovers(path: Path) -> list[str]:
    """The folders an interrupted compaction left beside the shards (``shards/.K.compacted``)."""
    folder = Path(path) / SHARDS_DIR
    if not folder.is_dir():
        return []
    return sorted(
        f"{SHARDS_DIR}/{d.name}"
        for d in folder.iterdir()
        if d.name.startswith(".") and d.name.endswith((".compacted", ".replaced"))
    )


def _finish_exchange(shard: Path, fresh: Path, old: Path) -> None:
    """Put right what an interrupted compaction left: the shard always stays."""
    if not shard.exists() and old.exists():
        old.rename(shard)  # stopped between the two renames: the old shard back
    if shard.exists():
        for leftover in (fresh, old):
            if leftover.exists():
                log.info("%s: removing %s, left by an interrupted compaction", shard, leftover)
                shutil.rmtree(leftover)


def _summary(db) -> tuple:
    return (
        int(db.get_doccount()),
        int(db.get_lastdocid()),
        int(db.get_total_length()),
        db.get_metadata(COMMITS),
    )


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchanged(a: Path, b: Path) -> bool:
    """Exchange two folders in one step (Linux's renameat2); False where there is none."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if done == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False  # a file system without it
    raise OSError(err, os.strerror(err), str(a))


# Documents copied into a new shard between two commits (Xapian holds them in memory).
RESHARD_BATCH = 2000


def reshard(source: Path, target: Path, shards: int, workers: int | None = None) -> int:
    """Copy the index's documents into ``shards`` new databases under ``target/shards``
    (an empty folder); the number of articles copied. Each new shard is written by a
    process of its own (``workers`` at a time, default one per core). The caller copies
    the rest of the index folder and holds the source's write lock."""
    _require()
    if shards < 1:
        raise SearchError("--shards phải từ 1 trở lên")
    with _translated(source, opening=True):
        paths = XapianSource(Path(source))._shard_paths()
        for path in paths:
            xapian.Database(str(path)).close()  # a missing or damaged source says so here
    (target / SHARDS_DIR).mkdir(parents=True, exist_ok=True)
    jobs = [
        ([str(p) for p in paths], str(target / SHARDS_DIR / str(k)), k, shards)
        for k in range(shards)
    ]
    workers = max(1, min(shards, workers or os.cpu_count() or 1))
    try:
        if workers == 1:
            counts = [_copy_shard(*job) for job in jobs]
        else:
            with multiprocessing.get_context("spawn").Pool(workers) as pool:
                counts = pool.starmap(_copy_shard, jobs)
    except _CopyFailed as e:
        raise WriteFailed(
            f"không chia lại được chỉ mục {source} vào {target} ({e}); chỉ mục gốc không bị đổi"
        ) from e
    compact(target)
    return sum(counts)


class _CopyFailed(Exception):
    """Xapian's error in a copying process, as text (Xapian's errors do not pickle)."""


def _copy_shard(sources: list[str], out_path: str, k: int, shards: int) -> int:
    """Copy the documents of ``sources`` that ``shard_of`` places in shard ``k`` into a new
    database at ``out_path``; how many."""
    copied = 0
    try:
        # No sync per commit: the copy is compacted (and synced) at the end.
        out = xapian.WritableDatabase(out_path, xapian.DB_CREATE | xapian.DB_NO_SYNC)
        try:
            for path in sources:
                db = xapian.Database(path)
                for p in db.postlist(""):
                    doc = db.get_document(p.docid)
                    if shard_of(_article_id(doc), shards) != k:
                        continue
                    out.add_document(doc)  # every id once in a new database: no look-up
                    copied += 1
                    if copied % RESHARD_BATCH == 0:
                        out.commit()
                db.close()
            out.set_metadata(COMMITS, b"1")
            out.commit()
        finally:
            out.close()
    except xapian.Error as e:
        raise _CopyFailed(f"{type(e).__name__}: {e}") from None
    log.debug("%s: %d articles copied", out_path, copied)
    return copied


def _article_id(doc) -> str:
    """The article id of a stored document (the first field of its data's header)."""
    from .xapian import _stored

    return _stored(doc.get_data())["id"]


# --- rebuilding ------------------------------------------------------------------


def shard_folders(path: Path) -> list[tuple[int, Path]]:
    """Every shard folder of the index at ``path``: those its metadata counts, and any other
    numbered one (the metadata may be damaged, or older than the folders)."""
    try:
        counted = (read_meta(path) or {}).get("shards", 1)  # read_meta checks it
    except SearchError:  # damaged metadata: the folders alone
        counted = 1
    folder = path / SHARDS_DIR
    found = (
        {int(d.name) for d in folder.iterdir() if d.name.isdigit()} if folder.is_dir() else set()
    )
    return [(k, folder / str(k)) for k in sorted(found | set(range(counted)))]


def _read_document(db, docid: int):
    """(stored fields, article) of a document from its stored data alone, or None when it
    has none (a deleted article's number); raises what damaged data raises."""
    data = db.get_document(docid, xapian.DOC_ASSUME_VALID).get_data()
    if not data:
        return None
    stored = _stored(data)
    return stored, load_article(stored)


def recover_articles(path: Path, lost: list[str]) -> Iterator[Recovered]:
    """Every stored article that can be read from the (possibly damaged) Xapian index at
    ``path``, for ``vnsearch index --rebuild``; what could not be read is appended to ``lost``.

    Reads shard by shard and document by document from the stored data alone (not the
    posting lists, which may be what is damaged), so one broken shard or article loses
    only itself.
    """
    _require()
    path = Path(path)
    seen: set[str] = set()
    for k, shard in shard_folders(path):
        try:
            db = xapian.Database(str(shard))
            last = int(db.get_lastdocid())
            expected = int(db.get_doccount())
        except xapian.Error as e:
            lost.append(f"shard {k}: {type(e).__name__}: {str(e)[:80]}")
            continue
        found = 0  # documents with stored data, read or not
        try:
            for docid in range(1, last + 1):
                try:
                    read = _read_document(db, docid)
                except Exception as e:  # noqa: BLE001 - one damaged article is reported, not fatal
                    lost.append(f"shard {k}, bài số {docid}: {type(e).__name__}")
                    found += 1  # reported here, not again below
                    continue
                if read is None:
                    continue  # a deleted article's number, or lost data (counted below)
                found += 1
                stored, article = read
                if article.id in seen:
                    continue
                seen.add(article.id)
                yield Recovered(article, dict(stored.get("alias_hashes") or {}))
        finally:
            db.close()
        # Every article has stored data: documents the shard counts but whose data
        # reads back empty were damaged, not deleted.
        if expected > found:
            lost.append(f"shard {k}: {expected - found} bài không còn dữ liệu đọc được")


def retire(path: Path, backup: Path | None, name: str = SHARDS_DIR) -> None:
    """Move the shards folder ``name`` of an index that a rebuild replaced in ``path`` into
    ``backup`` (a rebuild that kept them for rescue), as ``backup/shards``, or delete it."""
    shards = Path(path) / name
    if not shards.exists():
        return
    if backup is not None:
        shards.rename(backup / SHARDS_DIR)
    else:
        shutil.rmtree(shards)
