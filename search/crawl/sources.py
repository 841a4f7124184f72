"""The sources file (TOML): outlets to crawl, with home page, province, feeds, sitemaps.

Shipped as ``search/data/sources.toml`` (seeded from ``search/data/outlets.csv``)::

    [crawler]
    contact = "https://example.org/about-this-crawler"   # shown in the User-Agent

    [[outlet]]
    name = "Báo Lạng Sơn"
    home_page = "https://baolangson.vn/"
    province = "Lạng Sơn"
    feeds = ["https://baolangson.vn/rss/home.rss"]      # optional
    sitemaps = []                                        # optional
    hosts = []      # other sites its articles live on (the crawl may follow them there)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..reasons import read_error
from .urls import host_of, normalize

DATA = Path(__file__).resolve().parent.parent / "data" / "sources.toml"


class SourcesError(ValueError):
    """A sources file that cannot be used, and why."""


@dataclass(frozen=True)
class Source:
    """One outlet of the sources file."""

    name: str
    home_page: str
    province: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()

    @property
    def sites(self) -> frozenset[str]:
        """The hosts a crawl of this outlet may fetch from."""
        return frozenset({host_of(self.home_page), *self.hosts})


@dataclass
class Sources:
    """A whole sources file."""

    outlets: list[Source] = field(default_factory=list)
    contact: str | None = None
    path: str | None = None

    def by_host(self, url: str) -> Source | None:
        """The outlet a URL's host belongs to."""
        host = host_of(url)
        for s in self.outlets:
            if any(host == h or host.endswith("." + h) for h in s.sites):
                return s
        return None


def _urls(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SourcesError(f"{where}: cần một danh sách địa chỉ URL")
    out = []
    for v in value:
        u = normalize(v)
        if u is None:
            raise SourcesError(f"{where}: {v!r} không phải là địa chỉ http(s)")
        out.append(u)
    return tuple(out)


def load_sources(path=DATA) -> Sources:
    """Read a sources file (raises SourcesError with the reason)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise SourcesError(f"không đọc được {path}: {read_error(e)}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        # tomllib's own words (English) say where and what: kept as the detail.
        raise SourcesError(f"{path} không phải TOML hợp lệ. Chi tiết: {e}") from None
    crawler = data.get("crawler", {})
    contact = crawler.get("contact") if isinstance(crawler, dict) else None
    outlets = []
    for i, row in enumerate(data.get("outlet", []), 1):
        where = f"{path}: [[outlet]] thứ {i}"
        if not isinstance(row, dict):
            raise SourcesError(f"{where}: phải là một bảng")
        name, home = row.get("name"), row.get("home_page")
        if not isinstance(name, str) or not name.strip():
            raise SourcesError(f"{where}: thiếu name")
        home_url = normalize(home) if isinstance(home, str) else None
        if home_url is None:
            raise SourcesError(f"{where} ({name}): home_page không phải là địa chỉ http(s)")
        hosts = row.get("hosts", [])
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            raise SourcesError(f"{where} ({name}): hosts phải là một danh sách tên máy chủ")
        outlets.append(
            Source(
                name=name.strip(),
                home_page=home_url,
                province=row.get("province") or None,
                feeds=_urls(row.get("feeds", []), f"{where} ({name}) feeds"),
                sitemaps=_urls(row.get("sitemaps", []), f"{where} ({name}) sitemaps"),
                hosts=tuple(h.lower().removeprefix("www.") for h in hosts),
            )
        )
    return Sources(
        outlets, contact=(contact or None) if isinstance(contact, str) else None, path=str(path)
    )
