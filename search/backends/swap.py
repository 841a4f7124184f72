"""Swapping a rebuilt index into its folder, when a backend or the shards change: a journal
makes a swap that a kill interrupted finish.

`vnsearch index --rebuild` builds the new index in a folder beside DIR
(search/index.py's ``rebuild_folder``). Once it is complete, DIR/.vnsearch-swap.json
is written (atomically): from then on the swap is committed. It names the rebuild
folder, the new metadata, a marker file it put in the new shards' folder or the new
segment files, and the old Whoosh files, so each step below is recognised from the
files and safe to run again. Whoever next takes the index's write lock
(search/index.py's ``write_lock``: any ``vnsearch index``, ``check --repair``,
``compact``) finishes a swap that was interrupted, and readers meanwhile wait for it
(search/backends/xapian.py) or say what to run.

1. A new Xapian index: the old ``DIR/shards`` (if any) is renamed ``DIR/.shards.old``,
   then the new shards are renamed from the rebuild folder to ``DIR/shards``. A new
   Whoosh index: its segment files move into DIR, then its table of contents is
   written there (neither is read while the metadata names Xapian).
2. The new metadata is renamed in: readers switch over.
3. The old index's files (Whoosh's as listed, ``DIR/.shards.old`` or the old
   ``DIR/shards``) are deleted, or moved into the ``damaged-*`` folder the journal names
   (something of the old index could not be read).
4. The journal is removed. (The rebuild then copies its vocabulary in and removes its
   folder; after a kill, the next writer removes the folder and the vocabulary is
   rebuilt from the stored articles, as after any interrupted run.)

If the new index is gone before step 1 is done (its folder removed by hand), the swap
is abandoned: the old index stays as it was and the journal is removed. A Whoosh index
rebuilt as a Whoosh index swaps its table of contents in one step instead
(whoosh_writing.swap_in).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
from pathlib import Path

from ..errors import BadQuery, IndexDamaged, WriteFailed
from ..index import (
    JOURNAL_FILE,
    META_FILE,
    Stamp,
    _fsync_dir,
    backup_name,
    read_meta,
    write_atomic,
)
from . import whoosh_writing, xapian_upkeep
from .xapian import SHARDS_DIR

log = logging.getLogger(__name__)

OLD_SHARDS = f".{SHARDS_DIR}.old"
STEPS = 4
FINISHED, ABANDONED = "finished", "abandoned"
MARKER = ".vnsearch-swap-"
_KEEP = re.compile(r"damaged-[0-9]{8}-[0-9]{6}(-[0-9]{1,3})?")
_PLAIN = re.compile(r"[^/\\\0]{1,255}")
_MARKER = re.compile(re.escape(MARKER) + "[0-9a-f]{32}")


def swap_in(new: Path, path: Path, keep_old: bool) -> tuple[Stamp, Path | None]:
    """Commit the swap of the complete index in ``new`` (a rebuild folder beside ``path``)
    and carry it out; (its stamp, the ``damaged-*`` folder the old files were kept in)."""
    from . import read_stamp

    new, path = Path(new).resolve(), Path(path).resolve()
    refuse_leftovers(path)
    if os.stat(new).st_dev != os.stat(path).st_dev:
        raise WriteFailed(
            f"{new} và {path} không cùng một hệ thống tệp: không thay chỉ mục được bằng một "
            "lần đổi tên; chỉ mục chưa bị đổi"
        )
    if (read_meta(new) or {}).get("backend") == "xapian" and (path / SHARDS_DIR).exists():
        xapian_upkeep.outgrow_all(new, path)
    keep = backup_name(path) if keep_old else None
    commit(new, path, keep)
    try:
        finish(path)
    except OSError as e:  # a full disk, mostly: committed, so finished by the next writer
        raise WriteFailed(
            f"không thay xong chỉ mục xây dựng lại vào {path} ({e.strerror or e}); hãy chạy "
            "`vnsearch check --repair` (hoặc lần `vnsearch index` tiếp theo) để hoàn tất khi "
            "đã khắc phục"
        ) from e
    return read_stamp(path), (path / keep if keep else None)


def refuse_leftovers(path) -> None:
    """BadQuery when ``path`` holds old shards set aside by something else (checked before a
    rebuild starts, and again before its swap): a swap would need that name."""
    leftover = Path(path).resolve() / OLD_SHARDS
    if os.path.lexists(leftover):
        raise BadQuery(
            f"{leftover} còn lại từ trước (không phải của vnsearch lúc này): hãy chuyển nó ra "
            "khỏi thư mục chỉ mục rồi chạy lại; chỉ mục chưa bị đổi",
            code="leftover_shards",
        )


def commit(new: Path, path: Path, keep: str | None) -> None:
    """Write the journal of the swap of ``new`` (a rebuild folder beside ``path``) into
    ``path``: from now on the swap happens, whatever stops this run."""
    new, path = Path(new).resolve(), Path(path).resolve()
    if new.parent != path.parent:
        raise ValueError(f"{new} is not beside {path}")
    meta = read_meta(new) or {}
    journal: dict = {
        "from": new.name,
        "meta": meta,
        "keep": keep,
        "old_files": whoosh_writing.index_files(path),
    }
    if meta.get("backend") == "xapian":
        # A file in the new shards' folder tells it from the old one wherever it is.
        journal["marker"] = f"{MARKER}{secrets.token_hex(16)}"
        (new / SHARDS_DIR / journal["marker"]).touch()
        _fsync_dir(new / SHARDS_DIR)
    else:
        journal["segments"] = whoosh_writing.segment_files(new)
    write_atomic(path / JOURNAL_FILE, json.dumps(journal, ensure_ascii=False).encode("utf-8"))


def pending(path) -> dict | None:
    """The journal of a swap not finished yet in ``path``, or None."""
    path = Path(path).resolve()
    try:
        raw = (path / JOURNAL_FILE).read_bytes()
    except FileNotFoundError:
        return None
    try:
        journal = json.loads(raw.decode("utf-8"))
    except ValueError:
        journal = None
    if not _well_formed(journal, path):
        raise IndexDamaged(
            f"tệp {path / JOURNAL_FILE} (việc thay chỉ mục xây dựng lại vào) bị hỏng hoặc "
            f"không thuộc thư mục này: hãy đổi tên nó (ví dụ thành {JOURNAL_FILE}.bad) rồi "
            "chạy `vnsearch index --rebuild`"
        )
    return journal


def _well_formed(journal, path: Path) -> bool:
    """Only a journal this folder's own rebuild wrote is followed: it names what to move
    and what to delete."""
    if not isinstance(journal, dict) or not isinstance(journal.get("meta"), dict):
        return False
    source, keep = journal.get("from"), journal.get("keep")
    files = journal.get("old_files")
    marker, segments = journal.get("marker"), journal.get("segments")
    return (
        isinstance(source, str)
        and source.startswith(f".{path.name}.rebuild-")
        and bool(_PLAIN.fullmatch(source))
        and (keep is None or (isinstance(keep, str) and bool(_KEEP.fullmatch(keep))))
        and isinstance(files, list)
        and all(isinstance(f, str) and whoosh_writing.is_index_file(f) for f in files)
        and (
            (isinstance(marker, str) and bool(_MARKER.fullmatch(marker)))
            or (
                isinstance(segments, list)
                and all(
                    isinstance(n, str) and n.endswith(".seg") and whoosh_writing.is_index_file(n)
                    for n in segments
                )
            )
        )
    )


def finish(path, steps: int = STEPS) -> str | None:
    """Carry out the swap the journal in ``path`` describes, from wherever it stopped:
    FINISHED, ABANDONED (the new index was gone: the old one stays), or None when there
    was none. The caller holds the write lock. (``steps``: stop after so many, as a kill
    would; for tests.)"""
    path = Path(path).resolve()
    journal = pending(path)
    if journal is None:
        return None
    new = path.parent / journal["from"]
    keep = path / journal["keep"] if journal.get("keep") else None
    log.info("%s: finishing the swap of the index rebuilt in %s", path, new)
    for step in range(1, steps + 1):
        if step == 1:
            if not _move_in(new, path, journal):
                (path / JOURNAL_FILE).unlink()
                log.warning("%s: the rebuilt index in %s is gone: swap abandoned", path, new)
                return ABANDONED
        elif step == 2:
            write_atomic(path / META_FILE, json.dumps(journal["meta"]).encode())
        elif step == 3:
            _retire(path, journal, keep)
        else:
            (path / JOURNAL_FILE).unlink(missing_ok=True)
            _fsync_dir(path)
            if "marker" in journal:
                (path / SHARDS_DIR / journal["marker"]).unlink(missing_ok=True)
    return FINISHED


def resume(path) -> str | None:
    """Finish (or abandon) a swap that a kill interrupted in ``path``, then remove its
    rebuild folder; what happened, or None when there was none. The vocabulary, which the
    rebuild would have copied next, no longer matches: the next `vnsearch index` or
    `vnsearch check --repair` rebuilds it from the stored articles."""
    journal = pending(path)
    if journal is None:
        return None
    done = finish(path)
    shutil.rmtree(Path(path).resolve().parent / journal["from"], ignore_errors=True)
    return done


def _move_in(new: Path, path: Path, journal: dict) -> bool:
    """Step 1: the new index's files into ``path``; False when they are gone before they
    all moved (then nothing of the old index has changed)."""
    if "segments" in journal:
        if whoosh_writing.toc_uses(path, journal["segments"]):
            return True  # moved, its table of contents written
        if new.is_dir() and whoosh_writing.has_toc(new):
            whoosh_writing.move_in(new, path)
            return True
        return False  # segments that moved are unused: later runs remove them
    marker = journal["marker"]
    fresh, live, old = new / SHARDS_DIR, path / SHARDS_DIR, path / OLD_SHARDS
    if (live / marker).exists():
        return True  # moved already
    if (fresh / marker).exists():
        if live.exists():
            live.rename(old)
        fresh.rename(live)
        _fsync_dir(path)
        return True
    if not live.exists() and old.exists():
        old.rename(live)  # the old shards back where they were
        _fsync_dir(path)
    return False


def _retire(path: Path, journal: dict, keep: Path | None) -> None:
    """Step 3: the old index's files deleted, or moved into ``keep``."""
    if keep is not None:
        keep.mkdir(exist_ok=True)
    if "marker" in journal:  # now a Xapian index: every Whoosh file is the old index's
        whoosh_writing.retire(path, keep)
        xapian_upkeep.retire(path, keep, OLD_SHARDS)
        return
    # Now a Whoosh index: the old one's files as the journal lists them, and the old shards.
    for name in journal["old_files"]:
        if name in journal["segments"]:
            continue  # the new index's own (a journal names them in both only by mistake)
        if (path / name).exists():
            if keep is not None:
                os.rename(path / name, keep / name)
            else:
                (path / name).unlink()
    xapian_upkeep.retire(path, keep, SHARDS_DIR)
    whoosh_writing.remove_leftovers(path)
