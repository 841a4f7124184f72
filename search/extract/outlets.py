"""News outlets: the editable table in ``search/data/outlets.csv`` and its lookups.

An outlet is recognised by the agency code that opens its leads (``ĐBP -``,
``(LSO) –``), by its web address, or by its name in a source line.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from ..analysis import fold, normalize_text

DATA = Path(__file__).resolve().parent.parent / "data" / "outlets.csv"

# "ĐBP - ", "(LSO) – ", "(Chinhphu.vn) - " at the very start of a lead.
_LEAD_CODE = re.compile(r"^\s*(\(?)([A-ZĐ][\w&.+/]{1,14})(\)?)\s*[-–—:]\s+")


@dataclass(frozen=True)
class Outlet:
    """One row of the outlets table."""

    codes: tuple[str, ...]
    name: str
    home_page: str
    province: str | None


def _host(url: str) -> str:
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    except ValueError:  # "[" with no "]": urlsplit takes it for a broken IPv6 address
        return ""
    return host.lower().removeprefix("www.")


def _key(name: str) -> str:
    return " ".join(re.findall(r"\w+", fold(normalize_text(name)).lower()))


@dataclass(frozen=True)
class _Tables:
    by_code: dict
    by_host: dict
    by_name: dict


@lru_cache(maxsize=4)
def _tables(path: str = str(DATA)) -> _Tables:
    by_code, by_host, by_name = {}, {}, {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            outlet = Outlet(
                codes=tuple(c.strip() for c in (row.get("codes") or "").split("|") if c.strip()),
                name=normalize_text(row["name"].strip()),
                home_page=row.get("home_page", "").strip(),
                province=normalize_text(row.get("province", "").strip()) or None,
            )
            for code in outlet.codes:
                by_code[_key(code)] = outlet
            if outlet.home_page:
                by_host[_host(outlet.home_page)] = outlet
            by_name[_key(outlet.name)] = outlet
    return _Tables(by_code, by_host, by_name)


def outlets() -> list[Outlet]:
    """Every outlet of the table, in file order."""
    return list(dict.fromkeys(_tables().by_name.values()))


def by_code(code: str) -> Outlet | None:
    """The outlet whose agency code this is (``ĐBP``, ``LSO``)."""
    return _tables().by_code.get(_key(code))


def by_url(url: str) -> Outlet | None:
    """The outlet a web address belongs to (its host or a parent domain)."""
    host = _host(url)
    hosts = _tables().by_host
    while host:
        if host in hosts:
            return hosts[host]
        host = host.partition(".")[2] if host.count(".") > 1 else ""
    return None


def by_name(name: str) -> Outlet | None:
    """The outlet called ``name`` (case and diacritics ignored; "Báo" optional)."""
    key = _key(name)
    names = _tables().by_name
    return names.get(key) or names.get("bao " + key)


def lead_code(lead: str) -> tuple[str, int] | None:
    """The agency code opening a lead and where the lead's text starts, if any."""
    m = _LEAD_CODE.match(lead)
    if not m or bool(m.group(1)) != bool(m.group(3)):
        return None
    code = m.group(2).rstrip(".")
    # A code is an abbreviation or a domain, not an ordinary capitalised word.
    if not (sum(c.isupper() for c in code) >= 2 or "." in code):
        return None
    return code, m.end()
