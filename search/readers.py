"""Finding input files and cutting them into records (one raw article each).

A record is still bytes: decoding and parsing happen in :mod:`search.parse`,
in a worker process when the input is big. A page file (``.txt``, ``.html``)
is one record; a JSON Lines file (``.jsonl``, ``.jsonl.gz``) is one record per
line, read as a stream so that a big file is never held in memory.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import reasons as why
from .article import content_hash

PAGE_KINDS = {".txt": "txt", ".html": "html", ".htm": "html"}
JSON_SUFFIXES = (".jsonl", ".jsonl.gz")
EXTENSIONS = (*PAGE_KINDS, *JSON_SUFFIXES)
MAX_BYTES = 10 * 1024 * 1024
# One JSON line is one article: a longer one is no article.
MAX_LINE_BYTES = MAX_BYTES
# Lines in a row without an article (blank, or skipped) after which the rest of
# a JSON-lines file is skipped: 1 MB of gzip holds a gigabyte of empty lines,
# a billion reads of nothing, or as many "{}" lines, each a skipped record.
MAX_EMPTY_RUN = 10_000


@dataclass
class Record:
    """One unparsed input: an article's raw bytes and where they came from."""

    id: str
    source: str
    raw: bytes
    hash: str
    kind: str = "txt"
    url: str | None = None  # where a crawled page was fetched (its canonical URL): wins


@dataclass
class Skipped:
    """An input that could not be indexed, and why: ``reason`` for people, ``code`` for programs."""

    source: str
    reason: str
    code: str = why.UNREADABLE

    def to_dict(self) -> dict:
        """Plain-dict form for JSON."""
        return {"source": self.source, "code": self.code, "reason": self.reason}


def shown(path: os.PathLike | str) -> str:
    """A path as printable text: undecodable bytes of a file name are written ``\\xNN``."""
    # Python keeps such bytes as lone surrogates, which no UTF-8 output accepts.
    text = str(path)
    if _encodable(text):
        return text
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def _supported(name: str) -> bool:
    return name.lower().endswith(EXTENSIONS)


NOT_REGULAR = "không phải tệp thường (FIFO, thiết bị hay socket)"


def iter_files(paths: Iterable[os.PathLike | str]) -> Iterator[Path | Skipped]:
    """Input files under ``paths`` (files and folders, recursive, sorted)."""
    for p in map(Path, paths):
        if p.is_dir():
            # Folders that cannot be listed: rglob passes over them without a word.
            unlisted: list[OSError] = []
            for _ in os.walk(p, onerror=unlisted.append):
                pass
            for e in unlisted:
                where = shown(e.filename) if e.filename else shown(p)
                yield Skipped(where, why.unreadable(e), why.UNREADABLE)
            for f in sorted(p.rglob("*")):
                if not _supported(f.name):
                    continue
                if f.is_file():
                    yield f
                elif f.is_symlink() and not f.exists():
                    yield Skipped(shown(f), "liên kết tượng trưng bị hỏng", why.BROKEN_LINK)
                elif f.exists() and not f.is_dir():
                    yield Skipped(shown(f), NOT_REGULAR, why.NOT_REGULAR)
        elif p.is_file():
            yield (
                p
                if _supported(p.name)
                else Skipped(shown(p), why.unsupported(p.suffix), why.UNSUPPORTED)
            )
        elif p.exists():
            yield Skipped(shown(p), NOT_REGULAR, why.NOT_REGULAR)
        else:
            yield Skipped(shown(p), "không có tệp hay thư mục này", why.NOT_FOUND)


def read_records(path: Path) -> Iterator[Record | Skipped]:
    """The records of one input file (a page file is one article, id = file name)."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(JSON_SUFFIXES):
        yield from _json_records(path)
        return
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            yield Skipped(shown(path), why.too_large(MAX_BYTES, size), why.TOO_LARGE)
            return
        raw = path.read_bytes()
    except OSError as e:
        yield Skipped(shown(path), why.unreadable(e), why.UNREADABLE)
        return
    kind = PAGE_KINDS.get(path.suffix.lower(), "txt")
    yield Record(
        id=shown(path.stem), source=shown(path), raw=raw, hash=content_hash(raw), kind=kind
    )


def _bounded_lines(f) -> Iterator[bytes | None]:
    """Lines of a binary file; None for a line over MAX_LINE_BYTES, never read whole.

    A small .jsonl.gz can hold a line of gigabytes (a gzip bomb): reading it
    with ``for line in f`` would take all the memory before any check.
    """
    while True:
        line = f.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # skip the rest of it, a bounded chunk at a time
                rest = f.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
        else:
            yield line


def _json_record(line: bytes, source: str) -> Record | Skipped:
    """The record of one JSON line; any failure is that line's Skipped, never the file's."""
    try:
        d = json.loads(line)
    except Exception as e:  # noqa: BLE001 (also RecursionError from deep nesting, MemoryError)
        return Skipped(source, why.bad_json(e), why.BAD_JSON)
    if not isinstance(d, dict):
        return Skipped(source, "dòng JSON không phải là một đối tượng", why.NOT_OBJECT)
    art_id = d.get("id")
    if isinstance(art_id, (int, float)) and not isinstance(art_id, bool):
        art_id = str(art_id)
    if not isinstance(art_id, str) or not art_id.strip():
        return Skipped(source, 'dòng JSON không có "id"', why.NO_ID)
    if not _encodable(art_id):
        return Skipped(
            source, '"id" của dòng JSON không phải Unicode hợp lệ (nửa cặp surrogate)', why.BAD_ID
        )
    return Record(id=art_id, source=source, raw=line, hash=content_hash(line), kind="json")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_records(path: Path) -> Iterator[Record | Skipped]:
    """One record per JSON line; a bad line is skipped alone (source ``path:LINE``)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    lineno = 0
    empty = 0  # lines in a row without an article
    try:
        with opener(path, "rb") as f:
            for lineno, line in enumerate(_bounded_lines(f), 1):
                if empty >= MAX_EMPTY_RUN:
                    yield Skipped(f"{shown(path)}:{lineno}", why.no_records(empty), why.NO_RECORDS)
                    return
                if line is None:
                    empty += 1
                    yield Skipped(
                        f"{shown(path)}:{lineno}",
                        why.line_too_long(MAX_LINE_BYTES),
                        why.LINE_TOO_LONG,
                    )
                    continue
                if lineno == 1:
                    line = line.removeprefix(b"\xef\xbb\xbf")
                line = line.strip()
                if not line:
                    empty += 1
                    continue
                record = _json_record(line, f"{shown(path)}:{lineno}")
                empty = empty + 1 if isinstance(record, Skipped) else 0
                yield record
    except (OSError, EOFError, zlib.error) as e:
        where = f"{shown(path)}:{lineno + 1}" if lineno else shown(path)
        yield Skipped(where, why.unreadable(e), why.UNREADABLE)
