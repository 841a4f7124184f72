"""Publication dates: find the date line of a page and read it the right way round.

Vietnamese pages write dates day first (``08/06/2023``); ASP.NET portals print
the US form with AM/PM (``7/27/2021 9:41:40 AM``). A named weekday, when there
is one, decides between the two readings.
"""

from __future__ import annotations

import datetime as dt
import re

from ..analysis import fold

MIN_YEAR, MAX_YEAR = 1990, 2100

# d/m/yyyy, d-m-yyyy, d.m.yyyy (the same separator twice)
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\d/])")
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?)?(?!\d)")
# "ngày 8 tháng 6 năm 2023" (matched on folded lower-case text)
_WORDS = re.compile(r"\b(\d{1,2})\s+thang\s+(\d{1,2})\s*(?:,\s*)?nam\s+(\d{4})\b")
_AMPM = re.compile(r"\d\s*[AaPp]\.?[Mm]\b")
_TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?(?!\d)")
_WEEKDAYS = {
    "thu hai": 0,
    "thu 2": 0,
    "thu ba": 1,
    "thu 3": 1,
    "thu tu": 2,
    "thu 4": 2,
    "thu nam": 3,
    "thu 5": 3,
    "thu sau": 4,
    "thu 6": 4,
    "thu bay": 5,
    "thu 7": 5,
    "chu nhat": 6,
    "cn": 6,
}
_WEEKDAY = re.compile(r"\b(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b")
# Labels that announce the publication date wherever the line is.
_LABEL = re.compile(
    r"^\s*(?:thoi gian dang|ngay dang|dang ngay|ngay xuat ban|xuat ban|cap nhat|ngay cap nhat"
    r"|dang luc|ngay)\s*:",
    re.IGNORECASE,
)
# Beyond this many words a line is prose, and its dates are facts, not a dateline.
MAX_DATELINE_WORDS = 16


def _valid(y: int, m: int, d: int) -> dt.date | None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str) -> dt.date | None:
    """The first date in a short string (a dateline or a metadata value), or None."""
    if not text:
        return None
    m = _ISO.search(text)
    if m:
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    folded = fold(text).lower()
    m = _NUMERIC.search(text)
    if m:
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        day_first, month_first = _valid(y, b, a), _valid(y, a, b)
        candidates = [c for c in (day_first, month_first) if c]
        if not candidates:
            return None
        if len(candidates) == 2 and day_first != month_first:
            wd = _WEEKDAY.search(folded)
            if wd:
                wanted = _WEEKDAYS[wd.group(1)]
                agreeing = [c for c in candidates if c.weekday() == wanted]
                if agreeing:
                    return agreeing[0]
            # AM/PM after the date: a US-style (month-first) timestamp.
            if _AMPM.search(text[m.end() :]):
                return month_first
        return day_first or month_first
    m = _WORDS.search(folded)
    if m:
        return _valid(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return None


def has_date(line: str) -> bool:
    """True if the line contains something that reads as a calendar date."""
    return bool(_NUMERIC.search(line) or _ISO.search(line) or _WORDS.search(fold(line).lower()))


def is_dateline(line: str) -> bool:
    """A short line that carries a date (not a sentence that mentions one)."""
    if not has_date(line):
        return False
    if _LABEL.match(fold(line)):
        return True
    return len(line.split()) <= MAX_DATELINE_WORDS and not line.rstrip().endswith((".", ";"))


def split_dateline(line: str) -> tuple[str, str]:
    """Text before the date/time part of a dateline, and the rest ("Hải Hằng", "08:17, ...")."""
    starts = [
        m.start() for m in (_TIME.search(line), _NUMERIC.search(line), _ISO.search(line)) if m
    ]
    wd = _WEEKDAY.search(fold(line).lower())
    if wd:
        starts.append(wd.start())
    if not starts:
        return "", line
    cut = min(starts)
    return line[:cut].strip(" -–|,"), line[cut:]
