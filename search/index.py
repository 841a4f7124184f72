"""The index folder, whichever backend holds it: metadata, the write lock, rebuilds.

An index is never deleted implicitly: an index this vnsearch cannot use (another
schema version, unreadable metadata, damaged files) is refused with a
:mod:`search.errors` error naming ``vnsearch index --rebuild``, which builds a
fresh index beside the old one (:func:`rebuild_folder`) and swaps it in only
when complete. The backends keep their own files beside the metadata
(search/backends/whoosh_index.py, search/backends/xapian.py).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .backends.base import BACKENDS, MAX_SHARDS, SCHEMA_VERSION
from .errors import IndexDamaged, IndexLocked, WriteFailed

log = logging.getLogger(__name__)

META_FILE = "vnsearch.json"
# The journal of a rebuilt index being swapped in (search/backends/swap.py).
JOURNAL_FILE = ".vnsearch-swap.json"
# The run-level write lock: held by one `vnsearch index` (or `check --repair`)
# for its whole run. flock() locks are released by the OS when the process
# dies, even by kill -9. The leading dot keeps Whoosh's file cleaning off it.
LOCK_FILE = ".vnsearch-write.lock"
# How long a second writer waits for the lock before giving up with a message.
LOCK_TIMEOUT = 30.0
REBUILD_HINT = "hãy chạy `vnsearch index --rebuild` để xây dựng lại từ các bài nó lưu"


def _meta_path(path: Path) -> Path:
    return Path(path) / META_FILE


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` all at once: a crash leaves the old or the new file."""
    target = Path(target)
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp makes it private
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(target.parent)


def write_meta(path, **extra) -> None:
    """Write the index's metadata file (schema version, and ``extra`` keys) atomically."""
    meta = {"schema_version": SCHEMA_VERSION, **extra}
    write_atomic(_meta_path(path), json.dumps(meta).encode())


def read_meta(path) -> dict | None:
    """The index's metadata, or None when there is no metadata file.

    Raises IndexDamaged when the file exists but is not metadata vnsearch wrote.
    """
    try:
        raw = _meta_path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise IndexDamaged(
            f"không đọc được {_meta_path(path)} ({e.strerror}): {REBUILD_HINT}"
        ) from None
    try:
        meta = json.loads(raw.decode("utf-8"))
        if not isinstance(meta, dict) or type(meta.get("schema_version")) is not int:
            raise ValueError("no schema_version")
    except ValueError:
        raise IndexDamaged(
            f"tệp siêu dữ liệu {_meta_path(path)} bị hỏng "
            f"({len(raw)} byte, không phải siêu dữ liệu của vnsearch): {REBUILD_HINT}"
        ) from None
    backend, shards = meta.get("backend", "whoosh"), meta.get("shards", 1)
    if backend not in BACKENDS:
        wrong = f"backend {str(backend)[:40]!r} không phải {' hay '.join(BACKENDS)}"
    elif type(shards) is not int or not 1 <= shards <= MAX_SHARDS:
        wrong = f"số shard {str(shards)[:40]!r}"
    else:
        return meta
    raise IndexDamaged(f"tệp siêu dữ liệu {_meta_path(path)} bị hỏng ({wrong}): {REBUILD_HINT}")


@contextmanager
def write_lock(path, timeout: float = LOCK_TIMEOUT):
    """Hold the run-level write lock of the index at ``path`` (waiting up to ``timeout``)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    log.info(
                        "%s: another run holds the write lock; waiting up to %g s", path, timeout
                    )
                    waited = True
                if time.monotonic() >= deadline:
                    raise _locked(path, timeout, "hoặc chờ lâu hơn với --wait") from None
                time.sleep(0.1)
        from . import backends  # the seam imports this module

        # A rebuild killed half-way through its swap: "finished" or "abandoned", else None.
        resumed = backends.finish_swap(path)
        if resumed:
            log.warning("%s: the swap of an interrupted rebuild %s", path, resumed)
        yield resumed
    finally:
        os.close(fd)  # releases the lock


def _locked(path, waited: float, hint: str = "") -> IndexLocked:
    """The error for another writer holding the index at ``path`` after ``waited`` seconds."""
    return IndexLocked(
        f"một lệnh `vnsearch index` khác đang ghi vào {path} (đã chờ {waited:g} giây); "
        f"hãy thử lại khi lệnh đó xong{', ' + hint if hint else ''}"
    )


@dataclass(frozen=True)
class Stamp:
    """What the vocabulary records of the index commit it matches."""

    generation: int
    documents: int


def rebuild_folder(path) -> Path:
    """A new empty temporary folder beside ``path`` (beside the folder it links to, if it is
    a link: on the same file system) to build its replacement in."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{path.name}.rebuild-", dir=path.parent))


def swapping_from(path) -> str | None:
    """The name of the rebuild folder a committed swap into ``path`` still moves files
    from (search/backends/swap.py), or None."""
    try:
        source = json.loads((Path(path) / JOURNAL_FILE).read_text("utf-8")).get("from")
    except (OSError, ValueError, AttributeError):
        return None
    return source if isinstance(source, str) else None


def backup_name(path) -> str:
    """The name of a ``damaged-*`` folder not yet in ``path`` (for an old index's files)."""
    base = time.strftime("damaged-%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        if not os.path.lexists(Path(path) / name):
            return name
    raise WriteFailed(f"quá nhiều thư mục {base}* trong {path}")


def backup_folder(path) -> Path:
    """A new ``damaged-*`` folder in ``path`` to keep an old index's files in for rescue."""
    backup = Path(path) / backup_name(path)
    backup.mkdir()
    return backup


def stale_rebuilds(path) -> list[Path]:
    """Temporary folders of rebuilds of ``path`` that were killed before they finished.

    Only a run holding the write lock makes one, so under the lock every one is stale.
    """
    path = Path(path).resolve()
    if not path.parent.is_dir():
        return []
    swapping = swapping_from(path)  # still needed by a committed swap
    return sorted(
        p for p in path.parent.glob(f".{path.name}.rebuild-*") if p.is_dir() and p.name != swapping
    )
