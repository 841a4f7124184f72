"""The on-disk index: create, open, version check, write in batches, read back."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh import query as wq
from whoosh.index import LockError

from .article import Article
from .columns import uninvert
from .errors import ArticleNotFound, IndexLocked, IndexMissing, IndexOutdated
from .schema import SCHEMA_VERSION, build_schema, document, load_article

META_FILE = "vnsearch.json"
INDEX_NAME = "MAIN"
# How long a second writer waits for the lock before giving up with a message.
LOCK_TIMEOUT = 30.0
WRITER_MB = 48


def _meta_path(path: Path) -> Path:
    return Path(path) / META_FILE


def read_meta(path) -> dict | None:
    """The index's metadata file, or None when there is none."""
    try:
        return json.loads(_meta_path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def open_index(path):
    """Open an existing index for reading; raise IndexMissing or IndexOutdated."""
    path = Path(path)
    if not path.is_dir() or not whoosh_index.exists_in(str(path), indexname=INDEX_NAME):
        raise IndexMissing(f"no index at {path}: build one with `vnsearch index`")
    meta = read_meta(path)
    version = (meta or {}).get("schema_version")
    if version != SCHEMA_VERSION:
        raise IndexOutdated(
            f"the index at {path} was built by schema version {version}, this vnsearch "
            f"uses version {SCHEMA_VERSION}: run `vnsearch index` to rebuild it"
        )
    try:
        # No mmap: Whoosh copies each mapped segment into a BytesIO per searcher
        # (filedb.structfile.BufferFile), so every thread's searcher held a
        # copy of the whole index (3.5 GB for 8 threads at 20k articles).
        # Plain reads share the OS page cache instead.
        return FileIndex(FileStorage(str(path), supports_mmap=False), indexname=INDEX_NAME)
    except Exception as e:  # a damaged TOC or segment: never a traceback
        raise IndexMissing(f"cannot read the index at {path}: {e}") from e


def open_for_writing(path) -> tuple[object, str | None]:
    """Open the index, creating it or rebuilding an outdated one; returns (index, note)."""
    path = Path(path)
    note = None
    if path.is_dir() and whoosh_index.exists_in(str(path), indexname=INDEX_NAME):
        try:
            return open_index(path), None
        except IndexOutdated as e:
            note = f"rebuilding: {e.args[0].split(':')[0]}"
        except IndexMissing as e:
            note = f"rebuilding: {e}"
        _clear(path)
    path.mkdir(parents=True, exist_ok=True)
    ix = FileIndex.create(FileStorage(str(path), supports_mmap=False), build_schema(),
                          INDEX_NAME)
    _meta_path(path).write_text(json.dumps({"schema_version": SCHEMA_VERSION}), "utf-8")
    return ix, note


def _clear(path: Path) -> None:
    # Remove only what an index consists of, never unrelated files in the folder.
    for entry in path.iterdir():
        if entry.name.startswith(("_" + INDEX_NAME, INDEX_NAME)) or entry.suffix in (".seg", ".toc") \
                or entry.name == META_FILE:
            entry.unlink() if entry.is_file() else shutil.rmtree(entry)


def write_batches(ix, prepared: Iterable[tuple], batch_size: int = 500,
                  on_commit=None, lock_timeout: float = LOCK_TIMEOUT) -> Iterator[Article]:
    """Write (article, words[, extra fields]) items, committing every ``batch_size``.

    Yields each article once its batch is committed. Extra fields are
    :func:`schema.document`'s keyword arguments (fingerprint, aliases, prepared).
    An article whose id is already indexed replaces it, so re-indexing never
    duplicates; a crash loses at most the batch in progress.
    """
    batch: list[tuple] = []
    for item in prepared:
        batch.append(item)
        if len(batch) >= batch_size:
            yield from _write_batch(ix, batch, lock_timeout, on_commit)
            batch = []
    if batch:
        yield from _write_batch(ix, batch, lock_timeout, on_commit)


def _write_batch(ix, batch: list[tuple], lock_timeout: float, on_commit) -> Iterator[Article]:
    writer = _writer(ix, lock_timeout)
    try:
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
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    if on_commit:
        on_commit()
    for article, *_ in batch:
        yield article


def _writer(ix, lock_timeout: float):
    try:
        # Whoosh holds postings in memory up to limitmb (its own estimate, well
        # under what the Python objects take) before sorting them on disk;
        # segment merges go through the same pool.
        return ix.writer(timeout=lock_timeout, delay=0.1, limitmb=WRITER_MB)
    except LockError as e:
        raise IndexLocked(
            f"another `vnsearch index` is writing to {ix.storage.folder} "
            f"(waited {lock_timeout:g} s); try again when it has finished"
        ) from e


def stored_hashes(ix) -> dict[str, str]:
    """Map of article id to content hash (merged copies included), from the term lists."""
    with ix.reader() as reader:
        ids = uninvert(reader, "id")
        hashes = uninvert(reader, "hash")
        out = {i[0]: hashes.get(d, [""])[0] for d, i in ids.items()}
        for docnum in uninvert(reader, "aliases"):  # few: only republished articles
            out.update(reader.stored_fields(docnum).get("alias_hashes") or {})
    return out


def stored_merges(ix) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(fingerprint -> article id, article id -> {merged id: hash}) of the index."""
    with ix.reader() as reader:
        ids = uninvert(reader, "id")
        owners = {fp[0]: ids[d][0] for d, fp in uninvert(reader, "fingerprint").items()
                  if d in ids}
        aliases = {ids[d][0]: reader.stored_fields(d).get("alias_hashes") or {}
                   for d in uninvert(reader, "aliases") if d in ids}
    return owners, aliases


def stored_article(searcher, article_id: str) -> Article | None:
    """The article stored under exactly this id, or None (merged ids are not followed)."""
    docnum = searcher.document_number(id=article_id)
    return None if docnum is None else load_article(searcher.stored_fields(docnum))


def get_article(searcher, article_id: str) -> Article:
    """The stored article with this id, or the one it was merged into; raise ArticleNotFound."""
    docnum = searcher.document_number(id=article_id)
    if docnum is None:
        docnum = searcher.document_number(aliases=article_id)
    if docnum is None:
        raise ArticleNotFound(f"no article with id {article_id!r}")
    return load_article(searcher.stored_fields(docnum))


def index_stats(path) -> dict:
    """Article count, fields, size on disk and schema version of the index at ``path``."""
    ix = open_index(path)
    size = sum(f.stat().st_size for f in Path(path).iterdir() if f.is_file())
    with ix.searcher() as s:
        count = s.doc_count()
    return {
        "path": os.fspath(path),
        "articles": count,
        "fields": sorted(ix.schema.names()),
        "size_bytes": size,
        "schema_version": SCHEMA_VERSION,
        "segments": len(ix._segments()),
    }
