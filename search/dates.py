"""Date bounds as people type them (search filters): dd/mm/yyyy, yyyy-mm-dd, yyyy-mm, yyyy.

A bound names a day, a month or a year; as the start of a range it means that
period's first day, as the end its last day ("đến 2022" includes 31/12/2022).
The one place the site, the API and the CLI read ``date_from``/``date_to``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from .errors import BadQuery

# Longer input is not a date; cut before the regexes run.
MAX_CHARS = 40
FORMS = "dd/mm/yyyy, yyyy-mm hoặc yyyy"
# Day first as Vietnamese write it (separators / . -, used the same twice).
# ASCII digits only: int() would read other scripts' digits too.
_DMY = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})", re.ASCII)
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_YM = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)
_MY = re.compile(r"(\d{1,2})/(\d{4})", re.ASCII)
_Y = re.compile(r"\d{4}", re.ASCII)


def parse_bound(value, name: str = "date_from", end: bool = False) -> dt.date | None:
    """The first (or, ``end``, last) day that ``value`` names; None when empty.

    Raises :class:`BadQuery` (code ``bad_date``) with a Vietnamese message naming
    ``name`` for anything else.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    day = _read(text[:MAX_CHARS], end) if len(text) <= MAX_CHARS else None
    if day is None:
        shown = text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + "…"
        raise BadQuery(f"{name}: ngày phải có dạng {FORMS}, không phải {shown!r}", code="bad_date")
    return day


def _read(text: str, end: bool) -> dt.date | None:
    try:
        if m := _DMY.fullmatch(text):
            return dt.date(int(m[4]), int(m[3]), int(m[1]))
        if m := _YMD.fullmatch(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := (_YM.fullmatch(text) or _MY.fullmatch(text)):
            year, month = (int(m[1]), int(m[2])) if len(m[1]) == 4 else (int(m[2]), int(m[1]))
            return _month(year, month, end)
        if _Y.fullmatch(text):
            year = int(text)
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
    except ValueError:  # 31/02/2024, month 13, year 0
        return None
    return None


def _month(year: int, month: int, end: bool) -> dt.date:
    first = dt.date(year, month, 1)  # ValueError for month 0 or 13
    return first.replace(day=calendar.monthrange(year, month)[1]) if end else first


def vn_date(day: dt.date) -> str:
    """A date as Vietnamese write it: 05/03/2024."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
