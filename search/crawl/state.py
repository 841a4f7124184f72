"""The crawl state: an SQLite file beside the index (``crawl-state.sqlite``).

One row per URL the crawl has seen (pages, feeds, sitemaps, home pages) with
its canonical URL, status, validators (ETag, Last-Modified), content hash,
first and last seen, errors; one row per host with its robots.txt and when it
was last crawled. A page's validators and hash are written only after the
index committed it: a crawl killed at any moment asks again, unconditionally,
for what it had not committed, and never loses an article.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

STATE_FILE = "crawl-state.sqlite"
# A URL that failed this many rounds in a row is not asked again until listed anew.
MAX_ERRORS = 5
# A URL that was gone (404/410) is asked again after this many seconds.
GONE_RETRY = 24 * 3600.0

# Statuses of a page row.
NEW, INDEXED, SKIPPED, GONE, ERROR, DISALLOWED = (
    "new",
    "indexed",
    "skipped",
    "gone",
    "error",
    "disallowed",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    kind TEXT NOT NULL,            -- page, feed, sitemap, home
    canonical TEXT,
    article_id TEXT,
    status TEXT NOT NULL,
    http_status INTEGER,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    published TEXT,                -- from the feed, when it says
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    last_fetched REAL,
    errors INTEGER NOT NULL DEFAULT 0,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS pages_host ON pages (host, status);
CREATE TABLE IF NOT EXISTS hosts (
    host TEXT PRIMARY KEY,
    outlet TEXT,
    last_crawl_at REAL,
    robots_etag TEXT,
    robots_modified TEXT,
    robots TEXT
);
"""


def state_path(index_dir) -> Path:
    """Where the crawl state of ``index_dir`` lives."""
    return Path(index_dir) / STATE_FILE


@dataclass
class Page:
    """One row of the pages table."""

    url: str
    host: str
    kind: str
    canonical: str | None
    article_id: str | None
    status: str
    http_status: int | None
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    published: str | None
    first_seen: float
    last_seen: float
    last_fetched: float | None
    errors: int
    reason: str | None


@dataclass
class HostStatus:
    """What the state knows about one host (``vnsearch crawl --status``)."""

    host: str
    outlet: str | None
    last_crawl_at: float | None
    counts: dict[str, int]
    last_error: str | None


class State:
    """The crawl state of one index folder."""

    def __init__(self, index_dir):
        path = state_path(index_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        """Let go of the database."""
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # pages -----------------------------------------------------------------

    def page(self, url: str) -> Page | None:
        """The row of ``url``, if seen before."""
        row = self.db.execute("SELECT * FROM pages WHERE url = ?", (url,)).fetchone()
        return Page(**dict(row)) if row else None

    def seen(self, items: Iterable[tuple[str, str, str, str | None]]) -> int:
        """Record URLs found by discovery (url, host, kind, published); returns how many are new."""
        now = time.time()
        new = 0
        with self.db:
            for url, host, kind, published in items:
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO pages (url, host, kind, status, published, first_seen,"
                    " last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (url, host, kind, NEW, published, now, now),
                )
                if cur.rowcount:
                    new += 1
                else:
                    self.db.execute(
                        "UPDATE pages SET last_seen = ?, published = "
                        "coalesce(?, published) WHERE url = ?",
                        (now, published, url),
                    )
        return new

    def pending(self, hosts: Iterable[str], kind: str = "page") -> list[str]:
        """URLs of ``hosts`` still to fetch: never done, failed lately, or gone long ago."""
        hosts = list(hosts)
        if not hosts:
            return []
        marks = ",".join("?" * len(hosts))
        rows = self.db.execute(
            f"SELECT url FROM pages WHERE kind = ? AND host IN ({marks}) AND ("
            " status = ? OR (status = ? AND errors < ?)"
            " OR (status = ? AND last_fetched < ?)) ORDER BY first_seen, url",
            (kind, *hosts, NEW, ERROR, MAX_ERRORS, GONE, time.time() - GONE_RETRY),
        ).fetchall()
        return [r["url"] for r in rows]

    def listings(self, hosts: Iterable[str]) -> list[tuple[str, str]]:
        """(url, kind) of the feeds, sitemaps and home pages of ``hosts`` found before."""
        hosts = list(hosts)
        if not hosts:
            return []
        marks = ",".join("?" * len(hosts))
        rows = self.db.execute(
            f"SELECT url, kind FROM pages WHERE kind != 'page' AND host IN ({marks})"
            " AND status NOT IN (?, ?) AND (status != ? OR errors < ?) ORDER BY first_seen, url",
            (*hosts, GONE, DISALLOWED, ERROR, MAX_ERRORS),
        ).fetchall()
        return [(r["url"], r["kind"]) for r in rows]

    def update(self, rows: Iterable[tuple[str, dict]]) -> None:
        """Set fields of several URLs in one transaction (after their batch is committed)."""
        now = time.time()
        with self.db:
            for url, fields in rows:
                fields = {**fields, "last_fetched": fields.get("last_fetched", now)}
                if fields.get("status") == ERROR:
                    fields.pop("status")
                    sets = ", ".join(f"{k} = ?" for k in fields)
                    self.db.execute(
                        f"UPDATE pages SET {sets}, errors = errors + 1, status = ? WHERE url = ?",
                        (*fields.values(), ERROR, url),
                    )
                else:
                    fields.setdefault("errors", 0)
                    sets = ", ".join(f"{k} = ?" for k in fields)
                    self.db.execute(
                        f"UPDATE pages SET {sets} WHERE url = ?",
                        (*fields.values(), url),
                    )

    def by_canonical(self, canonical: str) -> Page | None:
        """The indexed row whose canonical URL is ``canonical``, if any."""
        row = self.db.execute(
            "SELECT * FROM pages WHERE canonical = ? AND status = ? LIMIT 1", (canonical, INDEXED)
        ).fetchone()
        return Page(**dict(row)) if row else None

    # hosts -----------------------------------------------------------------

    def robots(self, host: str) -> tuple[str | None, str | None, str | None] | None:
        """The robots.txt kept for ``host``: (ETag, Last-Modified, text)."""
        row = self.db.execute(
            "SELECT robots_etag, robots_modified, robots FROM hosts WHERE host = ?", (host,)
        ).fetchone()
        return tuple(row) if row and row["robots"] is not None else None

    def save_robots(
        self, host: str, etag: str | None, last_modified: str | None, text: str | None
    ) -> None:
        """Keep ``host``'s robots.txt for a conditional request next round."""
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO hosts (host) VALUES (?)", (host,))
            self.db.execute(
                "UPDATE hosts SET robots_etag = ?, robots_modified = ?, robots = ? WHERE host = ?",
                (etag, last_modified, text, host),
            )

    def crawled(self, host: str, outlet: str | None, at: float | None = None) -> None:
        """Note that a round over ``host`` (of ``outlet``) finished."""
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO hosts (host) VALUES (?)", (host,))
            self.db.execute(
                "UPDATE hosts SET last_crawl_at = ?, outlet = coalesce(?, outlet) WHERE host = ?",
                (at or time.time(), outlet, host),
            )

    def status(self) -> list[HostStatus]:
        """Every host with its counts of URLs by status and its last error."""
        return _status(self.db)


def _status(db) -> list[HostStatus]:
    hosts = {r["host"]: r for r in db.execute("SELECT host, outlet, last_crawl_at FROM hosts")}
    counts: dict[str, dict[str, int]] = {}
    for r in db.execute(
        "SELECT host, status, count(*) AS n FROM pages WHERE kind = 'page' GROUP BY host, status"
    ):
        counts.setdefault(r["host"], {})[r["status"]] = r["n"]
    out = []
    for host in sorted(set(hosts) | set(counts)):
        row = hosts.get(host)
        err = db.execute(
            "SELECT url, reason FROM pages WHERE host = ? AND status = ? "
            "ORDER BY last_fetched DESC LIMIT 1",
            (host, ERROR),
        ).fetchone()
        out.append(
            HostStatus(
                host,
                row["outlet"] if row else None,
                row["last_crawl_at"] if row else None,
                counts.get(host, {}),
                f"{err['url']}: {err['reason']}" if err else None,
            )
        )
    return out


def last_crawled(index_dir) -> list[tuple[str, str, dt.datetime]]:
    """(outlet, host, when) of every crawled host, latest first; [] without a crawl state.

    Read-only: the site calls it and must never create or lock the file.
    """
    path = state_path(index_dir)
    if not path.is_file():
        return []
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
        try:
            rows = db.execute(
                "SELECT outlet, host, last_crawl_at FROM hosts WHERE "
                "last_crawl_at IS NOT NULL ORDER BY last_crawl_at DESC"
            ).fetchall()
        finally:
            db.close()
    except sqlite3.Error as e:
        log.warning("cannot read the crawl state %s: %s", path, e)
        return []
    return [
        (outlet or host, host, dt.datetime.fromtimestamp(at, dt.UTC)) for outlet, host, at in rows
    ]
