"""Finding input files and cutting them into records (one raw article each).

A record is still bytes: decoding and parsing happen in :mod:`search.parse`,
in a worker process when the input is big.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .article import content_hash

EXTENSIONS = (".txt",)
MAX_BYTES = 10 * 1024 * 1024


@dataclass
class Record:
    """One unparsed input: an article's raw bytes and where they came from."""

    id: str
    source: str
    raw: bytes
    hash: str
    kind: str = "txt"


@dataclass
class Skipped:
    """An input that could not be indexed, and why."""

    source: str
    reason: str


def iter_files(paths: Iterable[os.PathLike | str]) -> Iterator[Path | Skipped]:
    """Input files under ``paths`` (files and folders, recursive, sorted)."""
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.name.lower().endswith(EXTENSIONS):
                    yield f
        elif p.is_file():
            yield p if p.name.lower().endswith(EXTENSIONS) else \
                Skipped(str(p), f"unsupported file type {p.suffix or '(none)'}")
        else:
            yield Skipped(str(p), "no such file or folder")


def read_records(path: Path) -> Iterator[Record | Skipped]:
    """The records of one input file (a .txt file is one article, id = file name)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            yield Skipped(str(path), f"larger than {MAX_BYTES // (1024 * 1024)} MB ({size} bytes)")
            return
        raw = path.read_bytes()
    except OSError as e:
        yield Skipped(str(path), f"cannot read: {e.strerror}")
        return
    yield Record(id=path.stem, source=str(path), raw=raw, hash=content_hash(raw), kind="txt")
