"""Search results as CSV for spreadsheets: UTF-8 with a BOM, safe from formula injection.

The site's ``/search.csv`` and ``vnsearch search --csv`` write the same bytes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

from .analysis import fold

COLUMNS = ("id", "title", "date", "outlet", "province", "province_2025", "topics", "url")
# Excel reads UTF-8 only when the file starts with this.
BOM = "\ufeff"
# A cell starting with one of these is run as a formula by spreadsheets (OWASP
# "CSV injection"); an apostrophe in front makes it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_SLUG = 60


def cell(value) -> str:
    """One value as CSV text: lists joined with "; ", formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_lines(rows: Iterable[dict]) -> Iterator[str]:
    """The CSV text, one record at a time: BOM and header first, then one line per row."""
    buf = io.StringIO()
    writer = csv.writer(buf)  # RFC 4180: CRLF line ends, quotes where needed

    def line(values) -> str:
        buf.seek(0)
        buf.truncate()
        writer.writerow(values)
        return buf.getvalue()

    yield BOM + line(COLUMNS)
    for row in rows:
        yield line([cell(row.get(name)) for name in COLUMNS])


def slug(q: str) -> str:
    """The query as a file-name part: "Cán bộ xã" -> "can-bo-xa" ("tat-ca" when empty)."""
    text = _NOT_SLUG.sub("-", fold(q[:500]).lower()).strip("-")
    return text[:MAX_SLUG].rstrip("-") or "tat-ca"


def filename(q: str) -> str:
    """The export's file name: vnsearch-<slug>.csv."""
    return f"vnsearch-{slug(q)}.csv"
