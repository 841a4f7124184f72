"""One crawl round (and repeated rounds): discover, fetch politely, hand pages to ingest.

A round starts from the STARTs (home pages, feeds, sitemaps, outlets of a
sources file) and the URLs the state still owes (found but never committed,
failed lately). Listings are read first on each host, then pages. A page
fetched is a :class:`search.readers.Record` like a saved ``.html`` file, with
its canonical URL as ``url``; records go to :func:`search.ingest.index_records`
in batches, and only after a batch is committed does the state keep the pages'
validators and hashes.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..article import content_hash
from ..extract import outlets as outlet_table
from ..readers import Record
from . import state as st
from .discover import canonical_link, kind_of, read_feed, read_home, read_sitemap
from .fetch import (
    DEFAULT_DELAY,
    DEFAULT_TIMEOUT,
    DISALLOWED,
    MAX_PAGE_BYTES,
    Fetcher,
    gunzip,
    to_utf8,
    user_agent,
)
from .sources import Sources, load_sources
from .urls import article_id, fetchable, host_of, looks_like_article, normalize, same_site

log = logging.getLogger(__name__)

DEFAULT_BATCH = 20
MAX_LISTING_BYTES = 50 * 1024 * 1024  # an inflated sitemap may be big (50,000 URLs)
# Reasons people read (the crawl's summary, `--status`): Vietnamese.
EMPTY_ANSWER = "câu trả lời rỗng"


@dataclass(frozen=True)
class Site:
    """One START: where to begin and which hosts the crawl may fetch from."""

    sites: frozenset[str]
    outlet: str | None = None
    start: str | None = None  # a URL of unknown kind (home page, feed or sitemap)
    home: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()


@dataclass
class HostCounts:
    """What a round did on one host."""

    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    robots: int = 0
    skipped: int = 0
    errors: int = 0
    queued: int = 0


@dataclass
class CrawlReport:
    """What a crawl round did: counts, and every error and skip with its reason."""

    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    merged: int = 0
    robots: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    hosts: dict[str, HostCounts] = field(default_factory=dict)
    requests: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """Plain-dict form for JSON."""
        return {
            "fetched": self.fetched,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "merged": self.merged,
            "skipped_by_robots": self.robots,
            "skipped": [{"url": u, "reason": r} for u, r in self.skipped],
            "errors": [{"url": u, "reason": r} for u, r in self.errors],
            "hosts": {h: vars(c) for h, c in self.hosts.items()},
            "seconds": round(self.seconds, 1),
        }


def resolve_starts(starts: Iterable[str], sources: Sources | None) -> list[Site]:
    """The Sites of START arguments: URLs, or sources files (raises ValueError)."""
    out = []
    for start in starts:
        url = normalize(start)
        if url is None:
            if start.lower().endswith(".toml"):
                out += sites_of(load_sources(start))
                continue
            raise ValueError(f"{start!r} không phải là địa chỉ http(s) hay tệp nguồn (.toml)")
        known = sources.by_host(url) if sources else None
        row = outlet_table.by_url(url)
        hosts = known.sites if known else frozenset({host_of(url)})
        out.append(
            Site(
                sites=hosts | {host_of(url)},
                start=url,
                outlet=known.name if known else (row.name if row else None),
            )
        )
    return out


def sites_of(sources: Sources) -> list[Site]:
    """One Site per outlet of a sources file."""
    return [
        Site(sites=s.sites, outlet=s.name, home=s.home_page, feeds=s.feeds, sitemaps=s.sitemaps)
        for s in sources.outlets
    ]


@dataclass
class _Work:
    url: str
    kind: str  # start, home, feed, sitemap, page
    site: Site
    published: str | None = None


@dataclass
class _Fetched:
    """A page fetched and waiting for its batch to be committed."""

    url: str
    record: Record | None  # None: same article as another of the batch
    fields: dict
    change: str  # new or changed


class Round:
    """One pass over the Sites."""

    def __init__(
        self,
        state: st.State,
        fetcher: Fetcher,
        index_dir,
        *,
        max_pages: int | None = None,
        since: dt.date | None = None,
        batch_size: int = DEFAULT_BATCH,
        progress: Callable[[str, HostCounts], None] | None = None,
        lock_timeout: float | None = None,
    ):
        self.state, self.fetcher, self.index_dir = state, fetcher, index_dir
        self.max_pages, self.since, self.batch_size = max_pages, since, batch_size
        self.progress, self.lock_timeout = progress, lock_timeout
        self.report = CrawlReport()
        self.listings: dict[str, deque[_Work]] = {}
        self.pages: dict[str, deque[_Work]] = {}
        self.queued: set[str] = set()
        self.batch: list[_Fetched] = []
        self.page_requests = 0
        self.outlets: dict[str, str | None] = {}

    # queues ----------------------------------------------------------------

    def _counts(self, url: str) -> HostCounts:
        return self.report.hosts.setdefault(host_of(url), HostCounts())

    def _enqueue(self, work: _Work) -> None:
        if work.url in self.queued:
            return
        self.queued.add(work.url)
        host = host_of(work.url)
        self.outlets.setdefault(host, work.site.outlet)
        queue = self.pages if work.kind == "page" else self.listings
        queue.setdefault(host, deque()).append(work)
        self._counts(work.url).queued += 1

    def _next(self) -> _Work | None:
        """The next item: on the host that may be asked soonest, listings before pages."""
        ready = [
            h for h in {*self.listings, *self.pages} if self.listings.get(h) or self.pages.get(h)
        ]
        if not ready:
            return None
        host = min(
            ready,
            key=lambda h: (self.fetcher.hosts[h].next_at if h in self.fetcher.hosts else 0.0, h),
        )
        queue = self.listings.get(host) or self.pages[host]
        work = queue.popleft()
        self._counts(work.url).queued -= 1
        return work

    # the round -------------------------------------------------------------

    def run(self, sites: list[Site]) -> CrawlReport:
        """Crawl every Site once; returns the report."""
        started = time.monotonic()
        for site in sites:
            for url, kind in (
                ([(site.start, "start")] if site.start else [])
                + ([(site.home, "home")] if site.home else [])
                + [(u, "feed") for u in site.feeds]
                + [(u, "sitemap") for u in site.sitemaps]
            ):
                self._enqueue(_Work(url, kind, site))
        for site in sites:  # what earlier rounds found: listings, and pages never finished
            for url, kind in self.state.listings(site.sites):
                self._enqueue(_Work(url, kind, site))
            for url in self.state.pending(site.sites):
                self._enqueue(_Work(url, "page", site))
        while (work := self._next()) is not None:
            try:
                if work.kind == "page":
                    self._page(work)
                else:
                    self._listing(work)
            finally:
                if self.progress:
                    self.progress(host_of(work.url), self._counts(work.url))
        self._flush()
        now = time.time()
        for host in self.report.hosts:
            self.state.crawled(host, self.outlets.get(host) or _outlet_name(host), now)
        self.report.seconds = time.monotonic() - started
        r = self.report
        log.info(
            "crawl round over %d host(s): %d requests, fetched %d, new %d, changed %d, "
            "unchanged %d, robots %d, skipped %d, errors %d in %.1f s",
            len(r.hosts),
            r.requests,
            r.fetched,
            r.new,
            r.changed,
            r.unchanged,
            len(r.robots),
            len(r.skipped),
            len(r.errors),
            r.seconds,
        )
        return self.report

    def _listing(self, work: _Work) -> None:
        """A home page, feed, sitemap or START of unknown kind: queue what it lists."""
        unavailable = self.fetcher.unavailable(work.url)
        if unavailable:
            self._error(work.url, unavailable)
            return
        if work.kind in ("start", "home"):  # the host's robots.txt may name sitemaps
            for named in self.fetcher.sitemaps(work.url):
                if (sm := normalize(named)) and same_site(sm, work.site.sites):
                    self._enqueue(_Work(sm, "sitemap", work.site))
        row = self.state.page(work.url)
        if row is None:
            self.state.seen([(work.url, host_of(work.url), work.kind, None)])
        etag, modified = (row.etag, row.last_modified) if row else (None, None)
        r = self.fetcher.get(
            work.url, sites=work.site.sites, etag=etag, last_modified=modified, html_only=False
        )
        self.report.requests += 1
        if r.by_robots:
            self._robots(work.url)
            return
        if r.not_modified:
            self.state.update([(work.url, {"status": st.INDEXED, "http_status": 304})])
            return
        if r.error or r.skipped or r.body is None:
            self._failed(work.url, r.error or r.skipped or EMPTY_ANSWER, r.status)
            return
        body = r.body
        if body[:2] == b"\x1f\x8b":
            inflated = gunzip(body, MAX_LISTING_BYTES)
            if inflated is None:
                self._error(
                    work.url,
                    f"gzip hỏng hoặc lớn hơn {MAX_LISTING_BYTES // (1024 * 1024)} MB khi giải nén",
                )
                return
            body = inflated
        digest = content_hash(body)
        if row is None or row.content_hash != digest:
            kind = work.kind
            if kind == "start":
                detected = kind_of(body, r.content_type)
                kind = "home" if detected == "html" else detected
            self._queue_listing(kind, body, r.final_url, work.site)
        self.state.update(
            [
                (
                    work.url,
                    {
                        "status": st.INDEXED,
                        "http_status": r.status,
                        "canonical": r.final_url,
                        "etag": r.etag,
                        "last_modified": r.last_modified,
                        "content_hash": digest,
                        "reason": None,
                    },
                )
            ]
        )

    def _queue_listing(self, kind: str, body: bytes, url: str, site: Site) -> None:
        text = body.decode("utf-8", "replace")
        if kind == "sitemap":
            listing = read_sitemap(text, url)
        elif kind == "feed":
            listing = read_feed(body, url)
        else:
            listing = read_home(text, url)
            listing.pages = [(u, p) for u, p in listing.pages if looks_like_article(u)]
        children = [
            (u, k)
            for k, urls in (("sitemap", listing.sitemaps), ("feed", listing.feeds))
            for u in urls
            if same_site(u, site.sites)
        ]
        # Kept before the parent's hash: the next round asks for them even if the
        # parent has not changed (or this run is killed now).
        self.state.seen((u, host_of(u), k, None) for u, k in children)
        for u, k in children:
            self._enqueue(_Work(u, k, site))
        pages = [
            (u, p)
            for u, p in listing.pages
            if same_site(u, site.sites) and fetchable(u) and u != url
        ]
        self.state.seen((u, host_of(u), "page", p) for u, p in pages)
        # Feeds and home pages list recent articles: known ones are asked again
        # (conditionally) to catch corrections; a sitemap's known pages are not.
        recheck = kind in ("feed", "home")
        for u, published in pages:
            row = self.state.page(u)
            # A disallowed one is checked again (no request): robots.txt may have changed.
            if (
                row is None
                or row.status in (st.NEW, st.ERROR, st.DISALLOWED)
                or (recheck and row.status in (st.INDEXED, st.SKIPPED))
            ):
                self._enqueue(_Work(u, "page", site, published or (row.published if row else None)))

    def _page(self, work: _Work) -> None:
        """Fetch one page and queue its record for indexing."""
        counts = self._counts(work.url)
        if self.max_pages is not None and self.page_requests >= self.max_pages:
            return  # stays in the state; the next round takes it
        if self.since and work.published and work.published < self.since.isoformat():
            self._skip(work.url, _too_old(work.published, self.since), store=False)
            return
        row = self.state.page(work.url)
        kept = row if row is not None and row.status in (st.INDEXED, st.SKIPPED) else None
        r = self.fetcher.get(
            work.url,
            sites=work.site.sites,
            etag=kept.etag if kept is not None else None,
            last_modified=kept.last_modified if kept is not None else None,
        )
        self.report.requests += 1
        if r.by_robots:
            self._robots(work.url)
            return
        self.page_requests += 1
        if r.not_modified:
            self._unchanged(work.url, {"http_status": 304})
            return
        if r.error:
            self._failed(work.url, r.error, r.status)
            return
        if r.skipped or r.body is None:
            self._skip(
                work.url,
                r.skipped or EMPTY_ANSWER,
                {"etag": r.etag, "last_modified": r.last_modified, "http_status": r.status},
            )
            return
        self.report.fetched += 1
        counts.fetched += 1
        raw = to_utf8(r.body, r.content_type)
        digest = content_hash(raw)
        declared = canonical_link(raw, r.final_url)
        canonical = declared if declared and same_site(declared, work.site.sites) else r.final_url
        aid = article_id(canonical)
        fields = {
            "status": st.INDEXED,
            "http_status": r.status,
            "canonical": canonical,
            "article_id": aid,
            "etag": r.etag,
            "last_modified": r.last_modified,
            "content_hash": digest,
            "reason": None,
        }
        same = self.state.by_canonical(canonical)
        if (row and row.status == st.INDEXED and row.content_hash == digest) or (
            same is not None and same.content_hash == digest
        ):
            self._unchanged(work.url, fields)
            return
        if self.since:
            published = work.published or _page_date(raw)
            if published and published < self.since.isoformat():
                self._skip(work.url, _too_old(published, self.since), fields)
                return
        change = "changed" if (row and row.status == st.INDEXED) or same else "new"
        duplicate = any(f.fields["article_id"] == fields["article_id"] for f in self.batch)
        if duplicate:  # the same article by another URL (a redirect) in this batch
            change = "unchanged"
        record = (
            None
            if duplicate
            else Record(
                id=aid,
                source=canonical,
                raw=raw,
                hash=digest,
                kind="html",
                url=canonical,
            )
        )
        self.batch.append(_Fetched(work.url, record, fields, change))
        if len(self.batch) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        """Index the batch, then (only then) keep its pages' state."""
        if not self.batch:
            return
        # Imported here: ingest loads pyvi and the parsers, which `--status` never needs.
        from ..ingest import LOCK_TIMEOUT, index_records

        batch, self.batch = self.batch, []
        records = [f.record for f in batch if f.record is not None]
        result = index_records(
            records,
            self.index_dir,
            workers=1,
            batch_size=max(1, len(records)),
            lock_timeout=LOCK_TIMEOUT if self.lock_timeout is None else self.lock_timeout,
        )
        log.info(
            "indexed a batch of %d crawled page(s): %d indexed, %d merged, %d skipped",
            len(records),
            result.indexed,
            result.merged,
            len(result.skipped),
        )
        self.report.merged += result.merged
        failed = {s.source: s.reason for s in result.skipped}
        rows = []
        for f in batch:
            counts = self._counts(f.url)
            reason = failed.get(f.fields["canonical"])
            if reason:
                log.info("skipped %s: %s", f.url, reason)
                self.report.skipped.append((f.url, reason))
                counts.skipped += 1
                rows.append((f.url, {**f.fields, "status": st.SKIPPED, "reason": reason}))
                continue
            rows.append((f.url, f.fields))
            setattr(self.report, f.change, getattr(self.report, f.change) + 1)
            setattr(counts, f.change, getattr(counts, f.change) + 1)
        self.state.update(rows)

    # outcomes --------------------------------------------------------------

    def _robots(self, url: str) -> None:
        self.report.robots.append(url)
        self._counts(url).robots += 1
        self.state.update(
            [
                (
                    url,
                    {
                        "status": st.DISALLOWED,
                        "reason": DISALLOWED,
                        "last_fetched": None,
                    },
                )
            ]
        )

    def _unchanged(self, url: str, fields: dict) -> None:
        self.report.unchanged += 1
        self._counts(url).unchanged += 1
        self.state.update([(url, {**fields, "status": st.INDEXED})])

    def _skip(self, url: str, reason: str, fields: dict | None = None, store: bool = True) -> None:
        log.info("skipped %s: %s", url, reason)
        self.report.skipped.append((url, reason))
        self._counts(url).skipped += 1
        if store:
            self.state.update([(url, {**(fields or {}), "status": st.SKIPPED, "reason": reason})])

    def _failed(self, url: str, reason: str, status: int) -> None:
        if status in (404, 410):
            log.info("gone %s: %s", url, reason)
            self.report.errors.append((url, reason))
            self._counts(url).errors += 1
            self.state.update([(url, {"status": st.GONE, "http_status": status, "reason": reason})])
        else:
            self._error(url, reason, status)

    def _error(self, url: str, reason: str, status: int | None = None) -> None:
        log.warning("error %s: %s (asked again next round)", url, reason)
        self.report.errors.append((url, reason))
        self._counts(url).errors += 1
        self.state.seen([(url, host_of(url), "page", None)])
        self.state.update(
            [(url, {"status": st.ERROR, "http_status": status or None, "reason": reason})]
        )


def _too_old(published: str, since: dt.date) -> str:
    """Why a page published before --since is skipped."""
    return f"đăng ngày {published}, trước {since.isoformat()}"


def _page_date(raw: bytes) -> str | None:
    """The publication date htmldate reads from a page's metadata (for --since)."""
    from htmldate import find_date

    from ..extract.html import tame_tags

    try:
        page = tame_tags(raw.decode("utf-8", "replace"))
        return find_date(page, extensive_search=False, original_date=True)
    except ValueError:
        return None


def _outlet_name(host: str) -> str | None:
    row = outlet_table.by_url(f"http://{host}/")
    return row.name if row else None


def crawl(
    starts: Iterable[str],
    index_dir,
    *,
    sources: Sources | None = None,
    delay: float = DEFAULT_DELAY,
    max_pages: int | None = None,
    since: dt.date | None = None,
    agent: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_PAGE_BYTES,
    batch_size: int = DEFAULT_BATCH,
    every: float | None = None,
    rounds: int | None = None,
    progress: Callable[[str, HostCounts], None] | None = None,
    on_round: Callable[[int, CrawlReport], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    lock_timeout: float | None = None,
) -> CrawlReport:
    """Crawl ``starts`` (and/or the outlets of ``sources``) into ``index_dir``.

    With ``every`` (seconds), rounds repeat on that period (``rounds`` of them,
    or for ever); ``on_round`` gets each round's report. Returns the last one.
    """
    sites = resolve_starts(starts, sources)
    if not starts and sources is not None:
        sites = sites_of(sources)
    if not sites:
        raise ValueError(
            "không có gì để thu thập: hãy cho một trang chủ, nguồn tin, sơ đồ trang hoặc tệp nguồn"
        )
    agent = agent or user_agent(sources.contact if sources else None)
    with st.State(index_dir) as state:
        fetcher = Fetcher(agent, delay=delay, timeout=timeout, max_bytes=max_bytes, store=state)
        n = 0
        while True:
            n += 1
            began = time.monotonic()
            report = Round(
                state,
                fetcher,
                index_dir,
                max_pages=max_pages,
                since=since,
                batch_size=batch_size,
                progress=progress,
                lock_timeout=lock_timeout,
            ).run(sites)
            if on_round:
                on_round(n, report)
            if every is None or (rounds is not None and n >= rounds):
                return report
            pause = max(0.0, every - (time.monotonic() - began))
            log.info("crawl round %d done; the next in %.0f s", n, pause)
            sleep(pause)
            fetcher.new_round()


__all__ = ["CrawlReport", "HostCounts", "Round", "Site", "crawl", "resolve_starts"]
