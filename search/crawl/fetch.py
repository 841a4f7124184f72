"""Polite HTTP: robots.txt, spacing per host, conditional GET, caps, redirects, back-off.

One :class:`Fetcher` serves a whole crawl from one thread, so there is never
more than one request in flight to a host. Before each request to a host it
waits until that host's next allowed time: ``--delay`` seconds after the end
of the previous request, or the host's ``Crawl-delay`` when that is larger, or
what a ``Retry-After`` asked for.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import urllib3
from protego import Protego

from .. import __version__
from .urls import host_of, normalize, same_site

log = logging.getLogger(__name__)

PRODUCT = "vnsearch"
DEFAULT_DELAY = 5.0
DEFAULT_TIMEOUT = 30.0
MAX_PAGE_BYTES = 10 * 1024 * 1024
MAX_ROBOTS_BYTES = 512 * 1024
MAX_REDIRECTS = 5
# 429/503: tries of one URL, the back-off's first step and its cap (seconds).
MAX_ATTEMPTS = 4
BACKOFF_BASE, BACKOFF_CAP = 1.0, 300.0
# A Retry-After longer than this stops the host for the round instead of waiting.
MAX_RETRY_AFTER = 900.0
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Why a page robots.txt forbids is not fetched (people read the reasons: Vietnamese).
DISALLOWED = "robots.txt không cho phép"
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_-]{1,40})""")


def user_agent(contact: str | None = None) -> str:
    """The User-Agent: the project, its version, and who runs it when known."""
    about = "Vietnamese local-government news search"
    return (
        f"{PRODUCT}/{__version__} (+{contact}; {about})"
        if contact
        else f"{PRODUCT}/{__version__} ({about})"
    )


@dataclass
class Response:
    """What one fetch gave: a body, or why there is none."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int = 0  # the last HTTP status (0: no answer)
    content_type: str = ""
    body: bytes | None = None  # None: not modified, skipped or failed
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None  # a failure (retried next round)
    skipped: str | None = None  # not downloaded on purpose (robots, size, type)
    by_robots: bool = False
    conditional: bool = False
    retry_after: str | None = None

    @property
    def not_modified(self) -> bool:
        """The server said the copy we have is current."""
        return self.status == 304


class RobotsStore(Protocol):
    """Where robots.txt files are kept between runs (the crawl state)."""

    def robots(self, host: str) -> tuple[str | None, str | None, str | None] | None: ...

    def save_robots(
        self, host: str, etag: str | None, last_modified: str | None, text: str | None
    ) -> None: ...


@dataclass
class _Host:
    next_at: float = 0.0
    rules: Protego | None = None
    unavailable: str | None = None  # robots.txt could not be read: nothing is fetched
    stopped: str | None = None  # a long Retry-After: no more requests this round
    delay: float = 0.0


@dataclass
class Fetcher:
    """One polite HTTP client for a crawl (one thread)."""

    agent: str
    delay: float = DEFAULT_DELAY
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = MAX_PAGE_BYTES
    store: RobotsStore | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    hosts: dict[str, _Host] = field(default_factory=dict)

    def __post_init__(self):
        self.http = urllib3.PoolManager(
            num_pools=16,
            retries=False,
            timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
        )
        # Given per request: urllib3 replaces, not merges, a pool's default headers.
        self.headers = {
            "User-Agent": self.agent,
            "Accept-Language": "vi,en;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        }

    def new_round(self) -> None:
        """Read robots.txt again at the next request to each host; lift round stops."""
        for h in self.hosts.values():
            h.rules, h.unavailable, h.stopped = None, None, None

    # robots.txt ------------------------------------------------------------

    def _host(self, url: str) -> _Host:
        return self.hosts.setdefault(host_of(url), _Host(delay=self.delay))

    def _rules(self, url: str) -> _Host:
        """The host's state with its robots.txt read (once per round)."""
        h = self._host(url)
        if h.rules is None and h.unavailable is None:
            self._read_robots(url, h)
        return h

    def _read_robots(self, url: str, h: _Host) -> None:
        parts = urlsplit(url)
        robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
        host = host_of(url)
        kept = self.store.robots(host) if self.store else None
        etag, modified, text = kept or (None, None, None)
        r = self._request(
            robots_url,
            h,
            etag if text is not None else None,
            modified if text is not None else None,
            MAX_ROBOTS_BYTES,
        )
        for _ in range(MAX_REDIRECTS):  # RFC 9309: follow at least five redirects
            if r.status not in (301, 302, 303, 307, 308) or r.final_url == r.url:
                break
            r = self._request(r.final_url, self._host(r.final_url), None, None, MAX_ROBOTS_BYTES)
        if r.status == 304 and text is not None:
            log.debug("%s: robots.txt not modified", host)
        elif 200 <= r.status < 300 and r.body is not None:
            text = r.body.decode("utf-8", "replace")
            log.info("%s: robots.txt read (%d bytes)", host, len(r.body))
            if self.store:
                self.store.save_robots(host, r.etag, r.last_modified, text)
        elif 400 <= r.status < 500:  # RFC 9309: no robots.txt, no restriction
            text = ""
            log.info("%s: no robots.txt (HTTP %d): every path allowed", host, r.status)
            if self.store:
                self.store.save_robots(host, None, None, "")
        else:  # unreachable or a server error: RFC 9309 says assume everything is disallowed
            h.unavailable = f"không đọc được robots.txt ({r.error or f'HTTP {r.status}'})"
            log.warning("%s: %s: nothing is fetched from it this round", host, h.unavailable)
            return
        h.rules = Protego.parse(text or "")
        asked = h.rules.crawl_delay(self.agent)
        h.delay = max(self.delay, float(asked or 0))
        if h.delay > self.delay:
            log.info("%s: robots.txt asks for %g s between requests", host, h.delay)

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets us fetch ``url`` (reads it first if needed)."""
        h = self._rules(url)
        # _rules() leaves either the rules read or the host unavailable.
        return h.unavailable is None and h.rules is not None and h.rules.can_fetch(url, self.agent)

    def sitemaps(self, url: str) -> list[str]:
        """The sitemaps robots.txt of the host of ``url`` declares."""
        h = self._rules(url)
        return list(h.rules.sitemaps) if h.rules is not None else []

    def unavailable(self, url: str) -> str | None:
        """Why nothing can be fetched from the host of ``url`` this round, if so."""
        h = self._rules(url)
        return h.unavailable or h.stopped

    # requests --------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        sites: frozenset[str],
        etag: str | None = None,
        last_modified: str | None = None,
        html_only: bool = True,
    ) -> Response:
        """GET ``url`` politely, following redirects within ``sites``.

        Every hop is checked against robots.txt; ``etag``/``last_modified``
        make the request conditional. With ``html_only``, any other content
        type is skipped without reading its body.
        """
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            h = self._rules(current)
            if h.unavailable or h.stopped:
                return Response(url, current, error=h.unavailable or h.stopped)
            if h.rules is None or not h.rules.can_fetch(current, self.agent):
                log.info("%s: disallowed by robots.txt", current)
                return Response(url, current, skipped=DISALLOWED, by_robots=True)
            r = self._with_backoff(current, h, etag, last_modified, html_only)
            if r.status in (301, 302, 303, 307, 308) and r.final_url != current:
                target = r.final_url
                if not same_site(target, sites):
                    log.info("%s: redirected off the site to %s, not followed", current, target)
                    return Response(
                        url,
                        target,
                        status=r.status,
                        skipped=f"chuyển hướng ra ngoài trang, tới {target}",
                    )
                current = target
                continue
            r.url = url
            return r
        return Response(url, current, error=f"chuyển hướng quá {MAX_REDIRECTS} lần")

    def _with_backoff(self, url: str, h: _Host, etag, last_modified, html_only) -> Response:
        """One URL, asked again after 429/503 as Retry-After says, with capped back-off."""
        for attempt in range(MAX_ATTEMPTS):
            r = self._request(url, h, etag, last_modified, self.max_bytes, html_only)
            if r.status not in (429, 503):
                return r
            wait = max(r_after(r), min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
            if wait > MAX_RETRY_AFTER:
                h.stopped = f"HTTP {r.status}: trang yêu cầu chờ {wait:.0f} giây"
                log.warning("%s: %s; no more requests to it this round", url, h.stopped)
                return Response(url, url, r.status, error=h.stopped)
            log.info("%s: HTTP %d, asking again in %.1f s", url, r.status, wait)
            h.next_at = max(h.next_at, self.clock() + wait)
        return Response(url, url, r.status, error=f"HTTP {r.status} sau {MAX_ATTEMPTS} lần thử")

    def _wait(self, h: _Host) -> None:
        pause = h.next_at - self.clock()
        if pause > 0:
            self.sleep(pause)

    def _request(
        self,
        url: str,
        h: _Host,
        etag: str | None,
        last_modified: str | None,
        max_bytes: int,
        html_only: bool = False,
    ) -> Response:
        """One GET (no redirects followed), spaced from the host's previous request."""
        headers = {
            **self.headers,
            "Accept": ("text/html,application/xhtml+xml;q=0.9,*/*;q=0.1" if html_only else "*/*"),
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self._wait(h)
        started = self.clock()
        out = Response(url, url, conditional=bool(etag or last_modified))
        resp = None
        try:
            resp = self.http.request(
                "GET",
                url,
                headers=headers,
                redirect=False,
                preload_content=False,
                decode_content=True,
            )
            out.status = resp.status
            out.etag = resp.headers.get("ETag")
            out.last_modified = resp.headers.get("Last-Modified")
            out.content_type = resp.headers.get("Content-Type", "")
            out.retry_after = resp.headers.get("Retry-After")
            if resp.status in (301, 302, 303, 307, 308):
                target = normalize(resp.headers.get("Location", ""), url)
                if target is None:
                    out.error = f"HTTP {resp.status} không có Location dùng được"
                else:
                    out.final_url = target
            elif resp.status == 200:
                self._read_body(resp, out, max_bytes, html_only, started)
            elif resp.status != 304:
                out.error = f"HTTP {resp.status}"
        except urllib3.exceptions.TimeoutError:
            out.error = f"hết thời gian chờ sau {self.timeout:g} giây"
        except (urllib3.exceptions.HTTPError, OSError) as e:
            out.error = f"không kết nối được. Chi tiết: {_reason(e)}"
        finally:
            if resp is not None:
                resp.close()
                resp.release_conn()
            h.next_at = self.clock() + h.delay
        log.debug(
            "GET %s%s: %s in %.2f s",
            url,
            " (conditional)" if out.conditional else "",
            out.error or out.skipped or f"HTTP {out.status}",
            self.clock() - started,
        )
        return out

    def _read_body(
        self, resp, out: Response, max_bytes: int, html_only: bool, started: float
    ) -> None:
        ctype = out.content_type.split(";")[0].strip().lower()
        if html_only and ctype and ctype not in HTML_TYPES:
            out.skipped = f"không phải HTML ({ctype})"
            return
        length = resp.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > max_bytes:
            out.skipped = f"lớn hơn {max_bytes} byte ({length} byte)"
            return
        chunks, size = [], 0
        deadline = started + 3 * self.timeout
        for chunk in resp.stream(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                out.skipped = f"lớn hơn {max_bytes} byte"
                return
            if self.clock() > deadline:
                out.error = f"tải về mất hơn {3 * self.timeout:g} giây"
                return
            chunks.append(chunk)
        out.body = b"".join(chunks)


def r_after(r: Response) -> float:
    """Seconds a Retry-After header asks for (seconds or an HTTP date); 0 without one."""
    value = (r.retry_after or "").strip()
    if not value:
        return 0.0
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when.timestamp() - time.time())


def _reason(e: BaseException) -> str:
    inner = getattr(e, "reason", None)
    return str(inner or e) or type(e).__name__


def gunzip(data: bytes, max_bytes: int) -> bytes | None:
    """A gzip body inflated up to ``max_bytes``; None when bigger or broken."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, max_bytes + 1)
    except zlib.error:
        return None
    return None if len(out) > max_bytes else out


def to_utf8(body: bytes, content_type: str) -> bytes:
    """An HTML page in UTF-8 when it declares another charset that decodes cleanly.

    Pages without a declaration, or declaring UTF-8, are kept as they are: the
    reader (search.parse.decode) tells UTF-8 and Windows-1258 apart itself.
    """
    m = _CHARSET.search(content_type.encode("ascii", "ignore")) or _CHARSET.search(body[:4096])
    if not m:
        return body
    charset = m.group(1).decode("ascii").lower()
    if charset in ("utf-8", "utf8"):
        return body
    try:
        return body.decode(charset).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return body
