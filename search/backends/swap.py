"""Swapping a rebuilt index into its folder, when a backend or the shards change: a journal
makes a swap that a kill interrupted finish.

`vnsearch index --rebuild` builds the new index in a folder beside DIR
(search/index.py's ``rebuild_folder``). Once it is complete, DIR/.vnsearch-swap.json
is written (atomically): from then on the swap is committed. Each step below is
recognisable from the files and safe to run again, so whoever next takes the
index's write lock (search/index.py's ``write_lock``: any ``vnsearch index``,
``check --repair``, ``compact``) finishes a swap that was interrupted, and readers
meanwhile wait for it (search/backends/xapian.py) or say what to run.

1. A new Xapian index: the old ``DIR/shards`` (if any) is renamed ``DIR/.shards.old``,
   then the new shards are renamed from the rebuild folder to ``DIR/shards``. A new
   Whoosh index: its segment files move into DIR, then its table of contents is
   written there (neither is read while the metadata names Xapian).
2. The new metadata is renamed in: readers switch over.
3. The other backend's files and ``DIR/.shards.old`` are deleted, or moved into the
   ``damaged-*`` folder the journal names (something of the old index could not be read).
4. The journal is removed. (The rebuild then copies its vocabulary in and removes its
   folder; after a kill, the next writer removes the folder and the vocabulary is
   rebuilt from the stored articles, as after any interrupted run.)

A Whoosh index rebuilt as a Whoosh index swaps its table of contents in one step
instead (whoosh_writing.swap_in).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from ..errors import IndexDamaged
from ..index import JOURNAL_FILE, META_FILE, Stamp, _fsync_dir, read_meta, write_atomic
from . import whoosh_writing, xapian_upkeep
from .xapian import SHARDS_DIR

log = logging.getLogger(__name__)

OLD_SHARDS = f".{SHARDS_DIR}.old"
STEPS = 4


def swap_in(new: Path, path: Path, keep: str | None) -> Stamp:
    """Commit the swap of the complete index in ``new`` into ``path`` and carry it out;
    ``keep``: the name of the ``damaged-*`` folder to keep the old files in, if any."""
    from . import read_stamp

    if (read_meta(new) or {}).get("backend") == "xapian" and (path / SHARDS_DIR).exists():
        xapian_upkeep.outgrow_all(new, path)
    commit(new, path, keep)
    finish(path)
    return read_stamp(path)


def commit(new: Path, path: Path, keep: str | None) -> None:
    """Write the journal of the swap of ``new`` (a rebuild folder beside ``path``) into
    ``path``: from now on the swap happens, whatever stops this run."""
    if new.parent != path.parent:
        raise ValueError(f"{new} is not beside {path}")
    journal = {"from": new.name, "meta": read_meta(new), "keep": keep}
    write_atomic(path / JOURNAL_FILE, json.dumps(journal, ensure_ascii=False).encode("utf-8"))


def pending(path) -> dict | None:
    """The journal of a swap not finished yet in ``path``, or None."""
    try:
        raw = (Path(path) / JOURNAL_FILE).read_bytes()
    except FileNotFoundError:
        return None
    try:
        journal = json.loads(raw.decode("utf-8"))
    except ValueError:
        journal = None
    if (
        not isinstance(journal, dict)
        or not isinstance(journal.get("meta"), dict)
        or not isinstance(journal.get("from"), str)
    ):
        raise IndexDamaged(
            f"tệp {Path(path) / JOURNAL_FILE} (việc thay chỉ mục mới vào) bị hỏng; hãy giữ "
            "lại thư mục .*.rebuild-* bên cạnh chỉ mục và chạy `vnsearch index --rebuild`"
        )
    return journal


def finish(path, steps: int = STEPS) -> bool:
    """Carry out the swap the journal in ``path`` describes, from wherever it stopped; True
    when there was one. The caller holds the write lock. (``steps``: stop after so many,
    as a kill would; for tests.)"""
    path = Path(path)
    journal = pending(path)
    if journal is None:
        return False
    new = path.parent / journal["from"]
    meta = journal["meta"]
    keep = path / journal["keep"] if journal.get("keep") else None
    xapian_target = meta.get("backend") == "xapian"
    log.info("%s: finishing the swap of the index rebuilt in %s", path, new)
    for step in range(1, steps + 1):
        if step == 1:
            _move_in(new, path, xapian_target)
        elif step == 2:
            write_atomic(path / META_FILE, json.dumps(meta).encode())
        elif step == 3:
            if keep is not None:
                keep.mkdir(exist_ok=True)
            if xapian_target:
                whoosh_writing.retire(path, keep)
                xapian_upkeep.retire(path, keep, OLD_SHARDS)
            else:
                xapian_upkeep.retire(path, keep, SHARDS_DIR)
                whoosh_writing.remove_leftovers(path)
        else:
            (path / JOURNAL_FILE).unlink(missing_ok=True)
            _fsync_dir(path)
    return True


def resume(path) -> bool:
    """Finish a swap that a kill interrupted in ``path`` (the next holder of the write lock
    does), then remove its rebuild folder; True when there was one. The vocabulary, which
    the rebuild would have copied next, no longer matches: the next `vnsearch index` or
    `vnsearch check --repair` rebuilds it from the stored articles."""
    journal = pending(path)
    if journal is None:
        return False
    finish(path)
    shutil.rmtree(Path(path).parent / journal["from"], ignore_errors=True)
    return True


def _move_in(new: Path, path: Path, xapian_target: bool) -> None:
    """Step 1: the new index's files into ``path`` (see the module's docstring)."""
    if not xapian_target:
        whoosh_writing.move_in(new, path)
        return
    fresh, live, old = new / SHARDS_DIR, path / SHARDS_DIR, path / OLD_SHARDS
    if not fresh.exists():
        if live.exists():
            return  # moved already
        if old.exists():  # the rebuild folder went missing: the old shards back
            old.rename(live)
        raise IndexDamaged(
            f"không thấy các shard mới ở {fresh} để thay vào {path}; chỉ mục cũ vẫn nguyên: "
            f"hãy xóa {path / JOURNAL_FILE} rồi chạy lại `vnsearch index --rebuild`"
        )
    if live.exists():
        live.rename(old)
    fresh.rename(live)
    _fsync_dir(path)
