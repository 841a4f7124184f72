"""How many records an indexing run will deal with, counted before it starts (the progress total).

A progress bar sized in input bytes is wrong for ``.jsonl.gz`` inputs (the
records are counted uncompressed, the file is not): counting the records
themselves is right for every kind. The count reads the inputs once without
parsing: 0.66 s for the 20,000 articles of local-news-20k.jsonl.gz (21 MB),
where indexing them takes minutes.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterable
from pathlib import Path

from .readers import JSON_SUFFIXES, Skipped, _bounded_lines, iter_files


def count_records(paths: Iterable[os.PathLike | str]) -> int:
    """The number of items :func:`search.ingest.read_paths` yields for ``paths`` (records and skips)."""
    total = 0
    for f in iter_files(paths):
        if isinstance(f, Skipped) or not f.name.lower().endswith(JSON_SUFFIXES):
            total += 1  # a page file is one record, or one skip
        else:
            total += _json_lines(f)
    return total


def _json_lines(path: Path) -> int:
    """Non-blank lines of a JSON Lines file, as search.readers reads them (a read error is one)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    n = 0
    try:
        with opener(path, "rb") as f:
            for lineno, line in enumerate(_bounded_lines(f), 1):
                if line is None:
                    n += 1  # an over-long line is skipped alone: one item
                    continue
                if lineno == 1:
                    line = line.removeprefix(b"\xef\xbb\xbf")
                if line.strip():
                    n += 1
    except (OSError, EOFError, zlib.error):
        n += 1  # the reader yields one Skipped for the unreadable rest
    return n
