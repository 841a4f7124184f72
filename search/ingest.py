"""Indexing runs: find input files, skip unchanged ones, parse and segment, write.

Parsing and pyvi segmentation (the expensive, pure part) run in worker
processes for big inputs; the single Whoosh writer stays in this process and
commits in batches, so a crash loses at most one batch and re-running resumes.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.pool
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from . import backends
from . import reasons as why
from .article import Article
from .backends.base import Recovered
from .backends.schema import prepared_fields
from .budget import RECORD_TIMEOUT, OverBudget, within_budget
from .errors import (
    LAST_WRITE_KEPT,
    VOCAB_REPAIRED_NEXT,
    BadArticle,
    BadQuery,
    IndexDamaged,
    SearchError,
    write_failures,
)
from .extract.fingerprint import fingerprint
from .index import LOCK_TIMEOUT, rebuild_folder, stale_rebuilds, swapping_from, write_lock
from .parse import load_tables, parse_record
from .readers import Record, Skipped, iter_files, read_records
from .segment import load_model, segment
from .upkeep import compact_locked, folder_bytes
from .vocab import Vocabulary, count, vocab_path

# Below this many records to prepare, worker processes cost more than they save.
POOL_THRESHOLD = 64
# Records handed to the pool at a time: bounds the prepared articles waiting
# for the writer (about 100 kB each) when the writer is the slower side.
CHUNK = 256
# How long the parent waits for one record: WALL_FACTOR times the CPU budget
# plus WALL_SLACK seconds (see wall_limit).
WALL_FACTOR, WALL_SLACK = 4, 60.0
# A run that writes at least this share of a Xapian index's articles (a first
# load, a rebuild) compacts it: Xapian's B-trees as written are about half
# empty (5.62x the text at 100k, 4.16x compacted, for 2% of the run's time).
# Below COMPACT_MIN_BYTES there is nothing to gain (a compacted copy of a few
# blocks per table can even take a block more).
BULK_SHARE = 0.25
COMPACT_MIN_BYTES = 1 << 20

log = logging.getLogger(__name__)


@dataclass
class IndexReport:
    """What an indexing run did."""

    indexed: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    note: str | None = None
    # What a rebuild could not read back from the old index (kept in damaged-*).
    lost: list[str] = field(default_factory=list)
    # What compacting the index after a bulk run did (upkeep.Compacted.to_dict).
    compacted: dict | None = None

    def to_dict(self) -> dict:
        """Plain-dict form for JSON."""
        return {
            "indexed": self.indexed,
            "merged": self.merged,
            "unchanged": self.unchanged,
            "note": self.note,
            "skipped": [s.to_dict() for s in self.skipped],
            "lost": list(self.lost),
            "compacted": self.compacted,
        }


@dataclass
class Prepared:
    """An article with everything the writer needs, computed in a worker process."""

    article: Article
    words: str  # pyvi's segmentation of the article's text
    fields: dict  # schema.prepared_fields: analysed prose and the stored copy
    counts: tuple  # vocab.count of the article's text
    fingerprint: str


def prepare_article(article: Article) -> Prepared:
    """Segment and analyse a parsed article (pure: runs in worker processes)."""
    text = article.text()
    words = segment(text)
    return Prepared(
        article, words, prepared_fields(article, words), count(text), fingerprint(article)
    )


def _prepare(record: Record, backend: str | None = None) -> Prepared:
    p = prepare_article(parse_record(record))
    if backend is not None:
        p.fields = backends.worker_fields(backend, p.fields)
    return p


def prepare(
    record: Record, budget: float | None = RECORD_TIMEOUT, backend: str | None = None
) -> Prepared | Skipped:
    """Parse, segment and analyse one record (runs in a worker process); never raises.

    Whatever goes wrong with one record (a bad file, an exception, more than
    ``budget`` seconds of CPU) makes it a Skipped with the reason: the run goes on.
    ``backend``: the index's, whose writer then takes the fields as they are.
    """
    try:
        _load(record.kind, backend)
        return within_budget(budget, _prepare, record, backend)
    except BadArticle as e:
        return Skipped(e.source, e.reason, e.code)
    except OverBudget:
        return Skipped(record.source, why.too_slow(budget), why.TOO_SLOW)
    except Exception as e:  # one record's failure must not end the run
        log.debug("cannot prepare %s", record.source, exc_info=True)
        code, reason = why.failure(e)
        return Skipped(record.source, reason, code)


def _load(kind: str, backend: str | None = None) -> None:
    """Models, tables and the backend's module, loaded before a record's budget starts
    (once per process)."""
    load_model()
    load_tables(kind)
    if backend is not None:
        backends.load(backend)


def wall_limit(budget: float | None) -> float | None:
    """Seconds the parent waits for a worker's answer on one record (None: for ever).

    The CPU budget stops the worker itself; this catches C code that never lets
    the budget's signal in. Generous: the CPU is shared, and a fresh worker
    first loads its models.
    """
    return budget * WALL_FACTOR + WALL_SLACK if budget else None


def _prepared(
    chunks: Iterable[list[Record]], pools, backend: str | None = None
) -> Iterator[Prepared | Skipped]:
    """prepare() of each record of each chunk, in order: in the pools' workers when there are enough.

    The next chunk goes to the workers as soon as this one is being read, so
    they keep parsing while this process writes and commits (the writer is off
    their critical path). A record whose worker does not answer within
    wall_limit() is skipped, the workers are replaced and the records after it,
    and the chunk ahead, are handed to the new ones.
    """
    budget = getattr(pools, "budget", RECORD_TIMEOUT)

    def start(records: list[Record], size: int):
        pool = pools.get(size) if pools is not None and records else None
        if pool is None:
            return None
        return pool, pool.imap(
            partial(prepare, budget=budget, backend=backend), records, chunksize=1
        )

    chunks = iter(chunks)
    ahead = next(chunks, None)
    ahead_run = start(ahead, len(ahead)) if ahead is not None else None
    while ahead is not None:
        chunk, run = ahead, ahead_run
        ahead = next(chunks, None)
        ahead_run = start(ahead, len(ahead)) if ahead is not None else None
        rest = chunk
        while rest and run is not None:
            pool, results = run
            for i, rec in enumerate(rest):
                try:
                    item = results.next(timeout=wall_limit(budget))
                except multiprocessing.TimeoutError:
                    log.warning(
                        "%s: no answer from its worker in %g s; restarting the workers",
                        rec.source,
                        wall_limit(budget),
                    )
                    _unblock(pool)
                    pools.close()
                    yield Skipped(rec.source, why.no_answer(wall_limit(budget) or 0), why.TOO_SLOW)
                    rest = rest[i + 1 :]
                    # The new workers take the rest of this chunk first, then the one ahead.
                    run = start(rest, len(chunk))
                    if ahead is not None:
                        ahead_run = start(ahead, len(ahead))
                    break
                yield item
            else:
                rest = []
        for rec in rest:
            yield prepare(rec, budget, backend)


def _unblock(pool) -> None:
    """Kill the workers of a pool that stopped answering, so that terminating it cannot hang.

    multiprocessing.Pool's workers share two locked queues, and terminate()
    takes the lock workers read tasks under and writes to the queue they send
    results on: a worker stuck, or killed, while it held one of those locks
    would make it wait for ever. So every worker is killed (SIGKILL: a stuck one
    may never act on SIGTERM) and a lock the dead left held is let go. The
    attributes are Pool's own (unchanged since Python 3.4).
    """
    workers = list(pool._pool)
    for worker in workers:
        worker.kill()
    for worker in workers:
        worker.join(5)
    for lock in (pool._inqueue._rlock, getattr(pool._outqueue, "_wlock", None)):
        if lock is not None:
            # Taken now, or held by a worker that is gone (no new one runs yet):
            # either way it is free after this.
            lock.acquire(block=False)
            lock.release()


class _Pool(multiprocessing.pool.Pool):
    """multiprocessing's Pool, whose terminate() survives a task half read by a killed worker."""

    @staticmethod
    def _help_stuff_finish(inqueue, task_handler, size):
        # terminate() empties the task queue so that its feeding thread can
        # stop, and Pool reads it a whole message at a time. A worker killed
        # while reading a task (see _unblock) leaves the rest of that message in
        # the pipe: read as messages, the bytes after it give a wrong length
        # (EOFError, or a wait for bytes that never come). Tasks left here are
        # dropped anyway, so the pipe is emptied as bytes.
        if sys.platform == "win32":  # pragma: no cover - no file descriptor to read
            return multiprocessing.pool.Pool._help_stuff_finish(inqueue, task_handler, size)
        inqueue._rlock.acquire()
        reader = inqueue._reader
        while task_handler.is_alive() and reader.poll():
            os.read(reader.fileno(), 1 << 16)
            time.sleep(0)


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def index_paths(paths: Iterable, index_dir, **options) -> IndexReport:
    """Index every article under ``paths`` into ``index_dir``; new or changed ones only.

    ``options`` are those of :func:`index_records`.
    """
    return index_records(read_paths(paths), index_dir, **options)


def read_paths(paths: Iterable) -> Iterator[Record | Skipped]:
    """The records of every input file under ``paths``; unreadable ones as Skipped."""
    for f in iter_files(paths):
        if isinstance(f, Skipped):
            yield f
        else:
            yield from read_records(f)


def index_records(
    records: Iterable[Record | Skipped],
    index_dir,
    *,
    workers: int | None = None,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
    rebuild: bool = False,
    record_timeout: float | None = RECORD_TIMEOUT,
    backend: str | None = None,
    shards: int | None = None,
    compact: bool = True,
) -> IndexReport:
    """Index ``records`` (read from files, or pages a crawler fetched); new or changed ones only.

    A republished article (same fingerprint as one already indexed, another id)
    is merged into the first: its URLs join that article's and its id becomes
    an alias. ``progress`` is called with the number of input records dealt with
    (a skipped one too), adding up to :func:`search.progress.count_records`.
    The run holds the index's write lock throughout (waiting up to
    ``lock_timeout`` for another run). With ``rebuild``, a fresh index is built
    beside the old one from every stored article it can read plus ``records``,
    and swapped in only when complete. A record that takes more than
    ``record_timeout`` seconds of CPU to parse is skipped (None: no limit).
    ``backend`` ("whoosh" or "xapian", with ``shards`` databases) is used for
    a new index; an existing one keeps its own, except that a rebuild may move
    it to another backend or number of shards (by default it keeps both). With
    ``compact``, a Xapian index the run wrote most of is compacted afterwards.
    """
    index_dir = Path(index_dir)
    pools = _Pools(workers or os.cpu_count() or 1, record_timeout)
    try:
        with (
            write_failures(
                f"không cập nhật được chỉ mục ở {index_dir}",
                LAST_WRITE_KEPT,
                f"không cập nhật được từ vựng của {index_dir}",
                VOCAB_REPAIRED_NEXT,
            ),
            write_lock(index_dir, lock_timeout),
        ):
            if rebuild:
                return _rebuild(
                    records,
                    index_dir,
                    pools,
                    batch_size,
                    progress,
                    lock_timeout,
                    backend,
                    shards,
                    compact,
                )
            report = _index_into(
                records, index_dir, pools, batch_size, progress, lock_timeout, backend, shards
            )
            if compact:
                _compact_after_bulk(index_dir, report, lock_timeout)
            return report
    finally:
        pools.close()


class _Pools:
    """The worker pool of a run, started only when a chunk is big enough to need it."""

    def __init__(self, workers: int, budget: float | None = RECORD_TIMEOUT):
        self.workers = workers
        self.budget = budget  # CPU seconds per record (see prepare)
        self._pool: multiprocessing.pool.Pool | None = None

    def get(self, n: int):
        """The pool for ``n`` items, or None when this process should do them itself."""
        if self._pool is None and self.workers > 1 and n >= POOL_THRESHOLD:
            self._pool = _Pool(self.workers, context=multiprocessing.get_context("spawn"))
        return self._pool

    def map(self, fn, items: list) -> Iterator:
        """``fn`` over ``items`` in order, in the pool when there are enough."""
        pool = self.get(len(items))
        return map(fn, items) if pool is None else pool.imap(fn, items, chunksize=8)

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None


def open_vocabulary(index_dir: Path) -> Vocabulary:
    """The index's vocabulary for writing; IndexDamaged when it is not readable."""
    try:
        return Vocabulary(index_dir)
    except sqlite3.DatabaseError as e:
        raise IndexDamaged(
            f"từ vựng {vocab_path(index_dir)} bị hỏng ({e}): hãy chạy "
            "`vnsearch check --repair` để dựng lại từ chỉ mục"
        ) from e


def repair_vocabulary(store, vocab: Vocabulary, pools: _Pools | None = None) -> int | None:
    """Rebuild the vocabulary from the stored articles unless it matches the index.

    ``store`` is a backend's store (see search/backends). Returns the number
    of articles counted, or None when it already matched.
    """
    current = store.stamp()
    if vocab.matches(current):
        return None
    pools = pools or _Pools(1)
    return vocab.rebuild(_counts(store.iter_stored(), pools), current)


def _counts(articles: Iterator[Article], pools: _Pools) -> Iterator[tuple]:
    for chunk in _chunks((a.text() for a in articles), CHUNK):
        yield from pools.map(count, chunk)


def _index_into(
    records: Iterable,
    index_dir: Path,
    pools: _Pools,
    batch_size: int,
    progress,
    lock_timeout: float = LOCK_TIMEOUT,
    backend: str | None = None,
    shards: int | None = None,
) -> IndexReport:
    store = backends.open_store(index_dir, backend, shards)
    try:
        vocab = open_vocabulary(index_dir)
    except BaseException:
        store.close()
        raise
    try:
        run = _Run(store, vocab, IndexReport())
    except BaseException:
        vocab.close()
        store.close()
        raise
    try:
        before = vocab.stats().get("documents")
        # In this process: counting is 0.6 ms per article (4,046 ALQAC articles
        # in 2.6 s), less than starting workers that would load pyvi.
        rebuilt = repair_vocabulary(store, vocab)
        if rebuilt is not None and (rebuilt or before):
            log.warning("%s: vocabulary rebuilt from %d stored articles", index_dir, rebuilt)
            run.report.note = (
                f"đã dựng lại từ vựng từ {rebuilt} bài đã lưu: nó không khớp với chỉ mục "
                "(một lần chạy bị gián đoạn)"
            )
        seen: set[str] = set()

        def pending() -> Iterator[Record]:
            for rec in records:
                if isinstance(rec, Skipped):
                    log.debug("skipped %s: %s", rec.source, rec.reason)
                    run.report.skipped.append(rec)
                    if progress:
                        progress(1)
                elif rec.id in seen:
                    run.report.skipped.append(
                        Skipped(rec.source, why.duplicate_id(rec.id), why.DUPLICATE_ID)
                    )
                    if progress:
                        progress(1)
                elif run.known.get(rec.id) == rec.hash:
                    seen.add(rec.id)
                    run.report.unchanged += 1
                    if progress:
                        progress(1)
                else:
                    seen.add(rec.id)
                    yield rec

        def good() -> Iterator[Prepared]:
            # One stream across chunks, so that commits fall every batch_size
            # articles whatever the chunk size.
            for item in _prepared(_chunks(pending(), CHUNK), pools, store.backend):
                if progress:
                    progress(1)
                if isinstance(item, Skipped):
                    run.report.skipped.append(item)
                else:
                    yield item

        for _ in store.write(
            run.to_write(good()),
            batch_size=batch_size,
            on_commit=vocab.commit,
            lock_timeout=lock_timeout,
        ):
            run.report.indexed += 1
        if run.merges:
            for _ in store.write(
                run.merged(),
                batch_size=batch_size,
                on_commit=vocab.commit,
                lock_timeout=lock_timeout,
            ):
                pass
    finally:
        run.close()
        store.close()
    return run.report


def _rebuild(
    records: Iterable,
    index_dir: Path,
    pools: _Pools,
    batch_size: int,
    progress,
    lock_timeout: float,
    backend: str | None = None,
    shards: int | None = None,
    compact: bool = True,
) -> IndexReport:
    """Build a fresh index beside ``index_dir`` (old articles, then ``records``), swap it in.

    The new index has ``backend`` and ``shards`` when given, else the old one's.
    """
    backend, shards = _rebuilt_as(index_dir, backend, shards)
    backends.refuse_leftovers(index_dir)  # before the work, not only before the swap
    for stale in stale_rebuilds(index_dir):  # partial copies of a killed rebuild
        shutil.rmtree(stale, ignore_errors=True)
    tmp = rebuild_folder(index_dir)
    try:
        lost: list[str] = []
        kept = 0
        store = backends.open_store(tmp, backend, shards)
        try:
            with Vocabulary(tmp) as vocab:
                old = backends.recover_articles(index_dir, lost)
                for _ in store.write(
                    _recovered(old, vocab, pools), batch_size=batch_size, on_commit=vocab.commit
                ):
                    kept += 1
        finally:
            store.close()
        if lost and not kept:
            # Swapping in an index of none of its articles would empty it in all but name.
            raise IndexDamaged(
                f"không đọc lại được bài nào từ chỉ mục ở {index_dir} "
                f"({'; '.join(lost[:2])}): chỉ mục cũ được giữ nguyên, không thay bằng một "
                "chỉ mục rỗng; để lập lại từ các tệp nguồn, hãy chuyển thư mục này đi nơi "
                "khác rồi chạy `vnsearch index` với các tệp đó"
            )
        report = _index_into(records, tmp, pools, batch_size, progress, lock_timeout)
        # Before the swap: readers move to the compacted index directly.
        if compact:
            _compact_after_bulk(tmp, report, lock_timeout, whole=True)
        before = backends.backend_of(index_dir) if backends.has_index_files(index_dir) else None
        current, backup = backends.swap_in(tmp, index_dir, keep_old=bool(lost))
        _install_vocabulary(tmp, index_dir, current)
        rebuilt = f"đã xây dựng lại {index_dir}: giữ lại {kept} bài đã lưu"
        # A note of the compaction (it failed) goes after what the rebuild did.
        report.note = rebuilt if report.note is None else f"{rebuilt}; {report.note}"
        if before not in (None, backend):
            report.note += f", chuyển từ {before} sang {backend}"
        if backend == "xapian":
            report.note += f" ({shards} shard)"
        if lost:
            report.note += (
                f"; {len(lost)} phần không đọc được ({'; '.join(lost[:3])}); "
                f"các tệp của chỉ mục cũ được giữ trong {backup}"
            )
            report.lost = lost
        return report
    finally:
        if swapping_from(index_dir) != tmp.name:  # a committed swap still needs it
            shutil.rmtree(tmp, ignore_errors=True)


def _compact_after_bulk(
    index_dir: Path, report: IndexReport, lock_timeout: float, whole: bool = False
) -> None:
    """Compact a Xapian index that the run wrote most of (``whole``: all of it)."""
    if backends.backend_of(index_dir) != "xapian" or not (whole or report.indexed):
        return
    if not whole and report.indexed < BULK_SHARE * backends.read_stamp(index_dir).documents:
        return
    if folder_bytes(index_dir) < COMPACT_MIN_BYTES:
        return
    try:
        report.compacted = compact_locked(index_dir, lock_timeout).to_dict()
    except (SearchError, OSError, sqlite3.Error) as e:
        # The articles are committed: only the space is not given back yet.
        log.warning("%s: not compacted after a bulk run: %s", index_dir, e)
        report.note = (report.note + "; " if report.note else "") + (
            f"chưa nén được chỉ mục ({e}); chỉ mục vẫn dùng được, hãy chạy `vnsearch compact` sau"
        )


def _rebuilt_as(index_dir: Path, backend: str | None, shards: int | None) -> tuple[str, int]:
    """The backend and number of shards of the index a rebuild of ``index_dir`` makes."""
    old = backends.backend_of(index_dir)
    if not backends.has_index_files(index_dir):
        backend = backend or backends.default_backend()
    backend = backend or old
    if backend not in backends.BACKENDS:
        raise BadQuery(
            f"backend: phải là một trong {', '.join(backends.BACKENDS)}", code="bad_backend"
        )
    if backend == "whoosh":
        if shards not in (None, 1):
            raise BadQuery("--shards chỉ dùng được với --backend xapian", code="bad_shards")
        return backend, 1
    if shards is None and old == "xapian":
        shards = backends.shard_count(index_dir)
    return backend, shards or 1


def _recovered(old: Iterator[Recovered], vocab: Vocabulary, pools: _Pools) -> Iterator[tuple]:
    """Writer items of recovered articles, ids, URLs and aliases as they were."""
    for chunk in _chunks(old, CHUNK):
        for r, p in zip(chunk, pools.map(prepare_article, [r.article for r in chunk])):
            vocab.add_counts(p.counts)
            yield (
                p.article,
                p.words,
                {"fingerprint": p.fingerprint, "aliases": r.aliases or None, "prepared": p.fields},
            )


def _install_vocabulary(tmp: Path, index_dir: Path, current) -> None:
    """Copy the rebuilt vocabulary into ``index_dir`` (one transaction; readers carry on)."""
    try:
        with Vocabulary(index_dir) as vocab:
            vocab.copy_from(vocab_path(tmp), current)
    except sqlite3.DatabaseError:  # the old file is not a database any more: replace it
        target = vocab_path(index_dir)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(vocab_path(tmp), target)
        with Vocabulary(index_dir) as vocab:
            vocab.commit(current)


class _Run:
    """The state of one indexing run: what is known, what gets merged, the statistics."""

    def __init__(self, store, vocab: Vocabulary, report: IndexReport):
        self.store, self.vocab, self.report = store, vocab, report
        self.known = store.known()
        self.owners, self.aliases = store.merges()
        # target id -> {merged id: (content hash, its URLs)}, applied at the end
        self.merges: dict[str, dict[str, tuple[str, list[str]]]] = {}
        self._before = store.snapshot()  # the index as it was, for old texts

    def to_write(self, prepared: Iterable[Prepared]) -> Iterator[tuple]:
        """Items for the writer; republished copies are held back as merges."""
        for p in prepared:
            article, fp = p.article, p.fingerprint
            owner = self.owners.get(fp)
            if owner is not None and owner != article.id:
                urls = [u for u in (article.url, *article.urls) if u]
                self.merges.setdefault(owner, {})[article.id] = (article.content_hash, urls)
                self.report.merged += 1
                continue
            self.owners[fp] = article.id
            old = self._before.article(article.id) if article.id in self.known else None
            if old is not None:  # a changed article: its old text leaves the statistics
                self.vocab.add(old.text(), -1)
            self.vocab.add_counts(p.counts)
            yield (
                article,
                p.words,
                {"fingerprint": fp, "aliases": self.aliases.get(article.id), "prepared": p.fields},
            )

    def merged(self) -> Iterator[tuple]:
        """The articles that absorbed republished copies, with every source URL."""
        now = self.store.snapshot()
        try:
            for owner, copies in self.merges.items():
                article = now.article(owner)
                if article is None:
                    continue
                urls = [article.url, *article.urls]
                urls += [u for _, copy_urls in copies.values() for u in copy_urls]
                urls = list(dict.fromkeys(u for u in urls if u))
                article.url = article.url or (urls[0] if urls else None)
                article.urls = [u for u in urls if u != article.url]
                aliases = {**self.aliases.get(owner, {}), **{i: h for i, (h, _) in copies.items()}}
                self.aliases[owner] = aliases
                yield (
                    article,
                    segment(article.text()),
                    {"fingerprint": fingerprint(article), "aliases": aliases},
                )
        finally:
            now.close()

    def close(self) -> None:
        """Commit what is left of the statistics and let go of the old searcher."""
        if self.vocab.pending:
            self.vocab.discard()  # counts of a batch that was never committed
        self.vocab.close()
        self._before.close()


def extract_paths(
    paths: Iterable, *, record_timeout: float | None = RECORD_TIMEOUT
) -> Iterator[Article | Skipped]:
    """Parse every article under ``paths`` without indexing (for `vnsearch extract`).

    Like indexing, one record that fails or takes more than ``record_timeout``
    seconds of CPU is a Skipped with the reason, never the end of the listing.
    """
    for f in iter_files(paths):
        if isinstance(f, Skipped):
            yield f
            continue
        for rec in read_records(f):
            if isinstance(rec, Skipped):
                yield rec
                continue
            try:
                load_tables(rec.kind)
                yield within_budget(record_timeout, parse_record, rec)
            except BadArticle as e:
                yield Skipped(e.source, e.reason, e.code)
            except OverBudget:
                yield Skipped(rec.source, why.too_slow(record_timeout), why.TOO_SLOW)
            except Exception as e:  # one record's failure must not end the run
                log.debug("cannot parse %s", rec.source, exc_info=True)
                code, reason = why.failure(e)
                yield Skipped(rec.source, reason, code)
