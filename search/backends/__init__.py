"""The storage seam: the only place that knows which search engine holds an index.

Two backends, in the manner of django-haystack's:

* ``whoosh`` (the default): embedded, pure Python, nothing to set up;
* ``xapian``: Xapian databases, faster, in one or several *shards* that can be
  served over TCP by ``xapian-tcpsrv`` and read as one index.

A backend offers a *source* (opens :class:`~search.backends.base.Reader`
snapshots of an index for searching) and a *store* (adds, replaces and reads
back stored articles while indexing). Everything above it (analysis, query
semantics, ranking, facets, highlighting, the web app) talks to those two
interfaces only.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import BadQuery, BadSetting
from .base import BACKENDS, FilesChecked, Problem, Reader, article_at, find_article

DEFAULT = "whoosh"

__all__ = [
    "BACKENDS",
    "DEFAULT",
    "FilesChecked",
    "Problem",
    "Reader",
    "announce_merges",
    "article_at",
    "backend_of",
    "check_files",
    "compact",
    "default_backend",
    "find_article",
    "finish_swap",
    "has_index_files",
    "index_stats",
    "iter_articles",
    "load",
    "open_source",
    "open_store",
    "put_right",
    "read_errors",
    "read_stamp",
    "recover_articles",
    "refuse_leftovers",
    "remove_leftovers",
    "reshard",
    "shard_count",
    "swap_in",
    "worker_fields",
]


def default_backend() -> str:
    """The backend of a new index when none is asked for: ``VNSEARCH_BACKEND``, else whoosh."""
    chosen = os.environ.get("VNSEARCH_BACKEND", "").strip().lower() or DEFAULT
    if chosen not in BACKENDS:
        raise BadQuery(
            f"VNSEARCH_BACKEND: phải là một trong {', '.join(BACKENDS)}", code="bad_backend"
        )
    return chosen


def backend_of(path) -> str:
    """The backend of the index at ``path``, from its metadata (``whoosh`` when none says)."""
    from ..errors import SearchError
    from ..index import read_meta

    path = Path(path)
    try:
        meta = read_meta(path) if (path / "vnsearch.json").exists() else None
    except SearchError:  # damaged metadata: opening the index says so; guess from the files
        meta = {"backend": "xapian"} if (path / "shards").is_dir() else None
    return (meta or {}).get("backend", DEFAULT)


def has_index_files(path) -> bool:
    """True when ``path`` holds any file of an index (its metadata, or Whoosh's files)."""
    from .whoosh_index import has_index_files as whoosh_files

    return whoosh_files(path)


def announce_merges(callback):
    """A context in which ``callback()`` is called whenever a commit starts merging
    segments (Whoosh's; a Xapian commit merges nothing)."""
    from .whoosh_writing import announce_merges as whoosh_merges

    return whoosh_merges(callback)


def load(backend: str) -> None:
    """Import ``backend``'s module (and its engine) now, not during a record's time budget."""
    if backend == "xapian":
        from . import xapian as xb  # noqa: F401


def worker_fields(backend: str, fields: dict) -> dict:
    """An article's analysed fields in the form ``backend``'s writer takes fastest (runs in
    the worker processes of an indexing run)."""
    if backend == "xapian":
        from . import xapian as xb

        return xb.worker_fields(fields)
    from .whoosh_fields import encoded

    return encoded(fields)


def open_source(
    path,
    shard_urls: list[str] | None = None,
    allow_partial: bool = False,
    postings_cache_mb: int | None = None,
):
    """The reading side of the index at ``path`` (Xapian shards over TCP with ``shard_urls``).

    ``postings_cache_mb``: memory for common terms' decoded postings (Whoosh:
    Xapian decodes its own in C++); None for the default.
    """
    if shard_urls:
        from . import xapian as xb

        return xb.XapianSource(Path(path), shard_urls=shard_urls, allow_partial=allow_partial)
    if backend_of(path) == "xapian":
        from . import xapian as xb

        return xb.XapianSource(Path(path), allow_partial=allow_partial)
    from .whoosh import WhooshSource

    return WhooshSource(Path(path), postings_cache_mb)


def open_store(path, backend: str | None = None, shards: int | None = None):
    """The writing side of the index at ``path``, created with ``backend`` when new.

    An existing index keeps its backend; asking for another one is an error
    (``vnsearch index --rebuild --backend`` moves the stored articles to it).
    """
    path = Path(path)
    existing = backend_of(path) if (path / "vnsearch.json").exists() else None
    if backend not in (None, *BACKENDS):
        raise BadQuery(f"backend: phải là một trong {', '.join(BACKENDS)}", code="bad_backend")
    if existing and backend and backend != existing:
        raise BadQuery(
            f"chỉ mục ở {path} dùng backend {existing}, không phải {backend}: hãy chạy "
            f"`vnsearch index --rebuild --backend {backend}` để chuyển các bài đã lưu sang nó",
            code="backend_mismatch",
        )
    chosen = existing or backend or default_backend()
    if chosen == "xapian":
        from . import xapian as xb

        return xb.XapianStore(path, shards=shards)
    if shards not in (None, 1):
        raise BadQuery("--shards chỉ dùng được với --backend xapian", code="bad_shards")
    from .whoosh import WhooshStore

    return WhooshStore(path)


def index_stats(path) -> dict:
    """Article count, fields, size on disk, schema version and backend of the index at ``path``."""
    path = Path(path)
    if backend_of(path) == "xapian":
        from . import xapian as xb

        return xb.index_stats(path)
    from .whoosh_index import index_stats as whoosh_stats

    return {**whoosh_stats(path), "backend": "whoosh"}


def compact(path, lock_timeout: float, on_commit) -> int:
    """Make the index at ``path`` smaller on disk, the same articles and answers: its shards
    (or segments before). ``on_commit()`` follows each step that changes the index's
    revision; the caller holds the run-level write lock."""
    if backend_of(path) == "xapian":
        from . import xapian_upkeep

        return xapian_upkeep.compact(Path(path), on_commit)
    from .whoosh_writing import optimize

    return optimize(path, lock_timeout, lambda _stamp: on_commit())


def put_right(path) -> None:
    """Finish what an interrupted compaction of the index at ``path`` left (under its write lock)."""
    if backend_of(path) == "xapian":
        from . import xapian_upkeep

        xapian_upkeep.put_right(Path(path))


def read_stamp(path):
    """The :class:`~search.index.Stamp` of the index's latest commit (what the vocabulary records)."""
    if backend_of(path) == "xapian":
        from . import xapian as xb

        return xb.read_stamp(Path(path))
    from .whoosh_index import open_index
    from .whoosh_writing import stamp

    return stamp(open_index(path))


def read_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged index file can raise (from Whoosh, pickle, zlib, json, ...)."""
    from .whoosh_index import READ_ERRORS

    return READ_ERRORS


def check_files(path) -> FilesChecked:
    """Read every file of the index at ``path`` as searching reads it (``vnsearch check``):
    Whoosh's table of contents, segments and posting lists, or Xapian's own checker on each
    shard and every term and stored article read back."""
    if backend_of(path) == "xapian":
        from . import xapian as xb
        from .xapian_upkeep import compaction_leftovers

        shards, articles, terms, postings, problems = xb.check(Path(path))
        found = [Problem("shard", p) for p in problems]
        left = compaction_leftovers(Path(path))
        if left:
            found.append(Problem("leftovers", "của một lần nén bị dừng: " + ", ".join(left)))
        return FilesChecked(shards, articles, terms, postings, found)
    from .whoosh_check import check_files as whoosh_check

    return whoosh_check(Path(path))


def remove_leftovers(path) -> list[str]:
    """Delete the files an interrupted write left in the index at ``path``; their names
    (a Xapian compaction's folders: put right as the next compaction would)."""
    if backend_of(path) == "xapian":
        from .xapian_upkeep import compaction_leftovers

        left = compaction_leftovers(Path(path))
        put_right(path)
        return left
    from .whoosh_writing import remove_leftovers as whoosh_leftovers

    return whoosh_leftovers(path)


def recover_articles(path, lost: list[str]):
    """Every stored article readable from the (possibly damaged) index at ``path``, either
    backend, as :class:`~search.backends.base.Recovered` records, for ``vnsearch index
    --rebuild``; what could not be read is appended to ``lost``."""
    if backend_of(path) == "xapian":
        from . import xapian_upkeep

        return xapian_upkeep.recover_articles(Path(path), lost)
    from .whoosh_writing import recover_articles as whoosh_recover

    return whoosh_recover(path, lost)


def swap_in(new, path, keep_old: bool = False):
    """Make the complete index built in ``new`` the one at ``path`` (the end of a rebuild),
    whichever backend each holds; (its stamp, the folder the old files were kept in, if any).

    Readers switch over at one rename; the old index's files are then deleted, or kept in
    a ``damaged-*`` folder with ``keep_old`` (something could not be read). A change of
    backend or of shards goes through a journal that the next writer finishes if this
    run is killed half-way (search/backends/swap.py).
    """
    from . import swap, whoosh_writing

    new, path = Path(new), Path(path)
    whoosh_only = not (path / "shards").exists() and not (new / "shards").exists()
    if whoosh_only:
        return whoosh_writing.swap_in(new, path, keep_old)
    return swap.swap_in(new, path, keep_old)


def refuse_leftovers(path) -> None:
    """BadQuery when ``path`` holds what a rebuild's swap would need the name of (checked
    before a rebuild starts)."""
    from . import swap

    swap.refuse_leftovers(path)


def finish_swap(path) -> str | None:
    """Finish the swap of a rebuilt index that a kill interrupted in ``path`` (the caller
    holds the write lock): "finished", "abandoned" (the rebuilt index was gone; the old
    one stays), or None when there was none."""
    if not pending_swap(path):
        return None
    from . import swap

    return swap.resume(path)


def pending_swap(path) -> bool:
    """True when a rebuilt index is being swapped in at ``path``, or a kill interrupted
    that; IndexDamaged when its journal is damaged."""
    from ..index import JOURNAL_FILE

    if not os.path.lexists(Path(path) / JOURNAL_FILE):
        return False
    from . import swap

    return swap.pending(path) is not None


def check_shard_urls(path, urls) -> None:
    """BadSetting unless ``urls`` are one ``tcp://host:port`` per shard, each once, as many
    as the index's metadata counts where this host has it (checked before serving)."""
    from .base import parse_shard_url, shard_urls_mismatch

    urls = list(urls)
    where = [parse_shard_url(url) for url in urls]
    twice = sorted({u for u, w in zip(urls, where) if where.count(w) > 1})
    if twice:
        raise BadSetting(f"--shard-url lặp lại: {', '.join(twice)}; mỗi shard một địa chỉ")
    problem = shard_urls_mismatch(path, len(urls)) if urls else None
    if problem:
        raise BadSetting(problem)


def shard_count(path) -> int:
    """How many shards the Xapian index at ``path`` has: as its metadata says, or as many
    numbered folders as it holds when that is more (or the metadata is damaged)."""
    from . import xapian_upkeep

    return max(1, len(xapian_upkeep.shard_folders(Path(path))))


def reshard(source, target, shards: int, workers: int | None = None) -> int:
    """Copy the Xapian index at ``source`` into ``shards`` new shards under ``target``; the
    number of articles copied (the caller holds the source's write lock)."""
    from . import xapian_upkeep

    return xapian_upkeep.reshard(Path(source), Path(target), shards, workers)


def iter_articles(path):
    """Every live stored article of the index at ``path`` (read-only, any backend)."""
    source = open_source(path)
    reader = source.reader()
    try:
        with source.reading():
            for docnum in reader.live_ids().tolist():
                yield article_at(reader, docnum)
    finally:
        reader.close()
