"""A portal-like news site on 127.0.0.1 for the crawl tests, built from the seeds.

``Site`` serves, from a threaded ``http.server`` on port 0: a home page that
announces an RSS feed and links to articles, menus and a disallowed page; the
RSS feed; ``robots.txt`` (a ``Disallow``, a small ``Crawl-delay``, a sitemap
index); a sitemap index pointing at a plain and a gzipped sitemap; the seeds
as article pages with ``<link rel=canonical>`` and published-time metadata;
an old URL that answers 301 with the canonical one; a 404; a page that answers
429 with ``Retry-After`` the first time; a slow page; an oversized page sent
without ``Content-Length``; a PDF; a page in Windows-1258; a link that redirects
to another site (the same server as ``localhost``). Every answer has an
ETag and Last-Modified and honours conditional requests. Every request is
logged (time, path, conditional headers, status) so tests can check what the
crawler asked for and when.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from helpers import to_cp1258

from search.article import Article
from search.ingest import extract_paths

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CRAWL_DELAY = 0.2
RETRY_AFTER = 1
SLOW_SECONDS = 1.5
OVERSIZED_BYTES = 2 * 1024 * 1024
LAST_MODIFIED = "Wed, 01 May 2024 08:00:00 GMT"

# Paths of the site (seed index -> its article path).
ARTICLES = {
    0: "/tin-tuc/dien-bien-dong-xay-dung-doi-ngu-can-bo-1001.html",
    1: "/tin-tuc/thanh-pho-chu-trong-xay-dung-doi-ngu-1002.html",
    2: "/tin-tuc/dai-tu-dao-tao-can-bo-1003.html",  # served in Windows-1258
    3: "/tin-tuc/dien-bien-phu-boi-duong-can-bo-1004.html",  # 429 the first time
    4: "/tin-tuc/hieu-qua-cong-tac-luan-chuyen-1005.html",  # in the feed after publish_new()
}
OLD_URL = "/bai-cu/thanh-pho-chu-trong-xay-dung-doi-ngu-1002.html"  # 301 -> ARTICLES[1]
DISALLOWED = "/rieng/bao-cao-noi-bo-khong-cong-khai-1009.html"
GONE = "/tin-tuc/bai-da-go-bo-1404.html"
SLOW = "/tin-tuc/bai-tai-rat-cham-1007.html"
OVERSIZED = "/tin-tuc/bai-qua-dung-luong-1008.html"
PDF_LINK = "/van-ban/quyet-dinh-so-1010.pdf"  # listed; never worth a request
NOT_HTML = "/tin-tuc/bang-gia-dat-nam-2024-1011"  # answers application/pdf
OFFSITE = "/chuyen-trang/bai-dang-tren-trang-khac-1012.html"  # 301 to another host (localhost)
ROBOTS_MOVED = "/robots-moi.txt"  # where robots.txt redirects with Site(robots_moved=True)
FEED = "/rss/home.rss"
SITEMAP_INDEX = "/sitemap_index.xml"
SITEMAP = "/sitemap-tin-tuc.xml"
SITEMAP_GZ = "/sitemap-cu.xml.gz"
MENU = ["/gioi-thieu", "/lien-he", "/chuyen-muc/tin-tuc", "/tag/can-bo"]


@dataclass
class Hit:
    """One request the site answered."""

    at: float
    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None
    host: str = ""
    agent: str = ""

    @property
    def conditional(self) -> bool:
        return bool(self.if_none_match or self.if_modified_since)


def _article_html(article, canonical: str, charset: str = "utf-8") -> str:
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in article.body.split("\n\n") if p)
    figure = "".join(
        f'<figure><img src="/anh/{i}.jpg" alt=""><figcaption>{html.escape(c)}</figcaption></figure>'
        for i, c in enumerate(article.captions[:1])
    )
    author = f'<p class="author">{html.escape(article.author)}</p>' if article.author else ""
    return (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="{charset}">'
        f"<title>{html.escape(article.title)}</title>"
        f'<link rel="canonical" href="{canonical}">'
        f'<meta property="article:published_time" content="{article.date}T08:00:00+07:00">'
        f'<link rel="alternate" type="application/rss+xml" href="{FEED}"></head><body>'
        '<nav><a href="/">Trang chủ</a> <a href="/gioi-thieu">Giới thiệu</a> '
        '<a href="/lien-he">Liên hệ</a></nav>'
        f"<article><h1>{html.escape(article.title)}</h1>"
        f'<p class="sapo"><strong>{html.escape(article.lead)}</strong></p>{figure}{paras}'
        f"{author}</article><footer>Cổng thông tin điện tử</footer></body></html>"
    )


class Site:
    """The fixture site (a context manager): ``base`` is its address, ``log`` its requests."""

    def __init__(self, robots_moved: bool = False):
        self.robots_moved = robots_moved
        self.articles = [
            a for a in extract_paths(sorted(SEEDS.glob("*.txt"))) if isinstance(a, Article)
        ]
        assert len(self.articles) == len(ARTICLES)
        self.log: list[Hit] = []
        self.published_new = False
        self._hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        # The same server under another host name: another site for the crawler.
        self.other_base = f"http://localhost:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def url(self, path: str) -> str:
        """The absolute URL of a path of the site."""
        return self.base + path

    def publish_new(self) -> None:
        """Put the fifth seed into the feed (a new entry for the next crawl)."""
        self.published_new = True

    def hits(self, since: int = 0) -> list[Hit]:
        """The requests logged from position ``since``."""
        with self._lock:
            return list(self.log[since:])

    def mark(self) -> int:
        """The log's current length (to look at one run's requests later)."""
        with self._lock:
            return len(self.log)

    # the pages -------------------------------------------------------------

    def canonical(self, i: int) -> str:
        return self.url(ARTICLES[i])

    def _feed(self) -> bytes:
        items = [(0, ARTICLES[0]), (1, OLD_URL), (3, ARTICLES[3])]
        if self.published_new:
            items.insert(0, (4, ARTICLES[4]))
        entries = "".join(
            f"<item><title>{html.escape(self.articles[i].title)}</title>"
            f"<link>{self.url(path)}</link>"
            f"<pubDate>{_rfc822(self.articles[i].date)}</pubDate></item>"
            for i, path in items
        )
        extra = (
            f"<item><title>Tài liệu nội bộ</title><link>{self.url(DISALLOWED)}</link></item>"
            f"<item><title>Bài đã gỡ</title><link>{self.url(GONE)}</link></item>"
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Tin mới</title><link>{self.base}/</link>{entries}{extra}"
            "</channel></rss>"
        ).encode()

    def _sitemap(self, paths: list[str]) -> bytes:
        locs = "".join(
            f"<url><loc>{self.url(p)}</loc><lastmod>2024-05-01</lastmod></url>" for p in paths
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><urlset '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
        ).encode()

    def _home(self) -> bytes:
        links = [ARTICLES[0], ARTICLES[1], ARTICLES[3], DISALLOWED, OFFSITE, *MENU]
        body = "".join(f'<li><a href="{p}">{p}</a></li>' for p in links)
        return (
            '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
            "<title>Cổng thông tin điện tử huyện</title>"
            f'<link rel="alternate" type="application/rss+xml" href="{FEED}"></head>'
            f'<body><ul>{body}</ul><a href="http://example.invalid/tin-tuc/bai-ngoai-trang'
            '-1099.html">Liên kết ngoài</a></body></html>'
        ).encode()

    def content(self, path: str) -> tuple[int, str, bytes, dict] | None:
        """(status, content type, body, extra headers) of ``path``; None: 404."""
        arts = {p: i for i, p in ARTICLES.items()}
        if path == "/robots.txt" and self.robots_moved:
            return 301, "text/html", b"", {"Location": self.url(ROBOTS_MOVED)}
        if path in ("/robots.txt", ROBOTS_MOVED):
            text = (
                f"User-agent: *\nDisallow: /rieng/\nCrawl-delay: {CRAWL_DELAY}\n"
                f"Sitemap: {self.url(SITEMAP_INDEX)}\n"
            )
            return 200, "text/plain", text.encode(), {}
        if path == "/":
            return 200, "text/html; charset=utf-8", self._home(), {}
        if path == FEED:
            return 200, "application/rss+xml", self._feed(), {}
        if path == SITEMAP_INDEX:
            locs = "".join(
                f"<sitemap><loc>{self.url(p)}</loc></sitemap>" for p in (SITEMAP, SITEMAP_GZ)
            )
            return (
                200,
                "application/xml",
                (
                    '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns='
                    f'"http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</sitemapindex>'
                ).encode(),
                {},
            )
        if path == SITEMAP:
            return (
                200,
                "application/xml",
                self._sitemap([ARTICLES[0], ARTICLES[2], SLOW, OVERSIZED, PDF_LINK, NOT_HTML]),
                {},
            )
        if path == SITEMAP_GZ:
            return (
                200,
                "application/gzip",
                gzip.compress(self._sitemap([ARTICLES[0], DISALLOWED]), mtime=0),
                {},
            )
        if path == OLD_URL:
            return 301, "text/html", b"", {"Location": self.url(ARTICLES[1])}
        if path == OFFSITE:
            return 301, "text/html", b"", {"Location": self.other_base + ARTICLES[0]}
        if path == NOT_HTML:
            return 200, "application/pdf", b"%PDF-1.4 " + b"0" * 2000, {}
        if path == OVERSIZED:
            return 200, "text/html; charset=utf-8", b"", {"X-Oversized": "1"}
        if path == DISALLOWED:
            return 200, "text/html; charset=utf-8", b"<html><body>secret</body></html>", {}
        if path in arts:
            i = arts[path]
            if i == 4 and not self.published_new:
                return None
            if i == 2:
                page = _article_html(self.articles[i], self.canonical(i), "windows-1258")
                return 200, "text/html; charset=windows-1258", to_cp1258(page), {}
            return (
                200,
                "text/html; charset=utf-8",
                _article_html(self.articles[i], self.canonical(i)).encode("utf-8"),
                {},
            )
        return None

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # the site keeps its own log
                pass

            def do_GET(self):  # http.server's name
                try:
                    self._answer()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the crawler gave up on a page: fine

            def _answer(self):
                arrived = time.monotonic()
                path = self.path.split("?")[0]
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                with site._lock:
                    site._hits[path] = site._hits.get(path, 0) + 1
                    first = site._hits[path] == 1
                got = site.content(path)
                if path == ARTICLES[3] and first:
                    got = (429, "text/plain", b"busy", {"Retry-After": str(RETRY_AFTER)})
                if path == SLOW:
                    time.sleep(SLOW_SECONDS)
                    got = (200, "text/html", b"<html><body>late</body></html>", {})
                status, ctype, body, extra = got or (404, "text/plain", b"not found", {})
                etag = f'"{hashlib.sha1(body + path.encode()).hexdigest()[:16]}"'
                if status == 200 and (inm == etag or (inm is None and ims == LAST_MODIFIED)):
                    status, body = 304, b""
                with site._lock:
                    site.log.append(
                        Hit(
                            arrived,
                            path,
                            status,
                            inm,
                            ims,
                            self.headers.get("Host", ""),
                            self.headers.get("User-Agent", ""),
                        )
                    )
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if status in (200, 304):
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", LAST_MODIFIED)
                for k, v in extra.items():
                    if k != "X-Oversized":
                        self.send_header(k, v)
                if status == 200 and "X-Oversized" in extra:
                    # No Content-Length: only the crawler's own count can stop it.
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    chunk = b"<p>" + "Nội dung rất dài. ".encode() * 3000 + b"</p>"
                    sent = 0
                    while sent < OVERSIZED_BYTES:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

        return Handler


def _rfc822(date) -> str:
    return time.strftime("%a, %d %b %Y 08:00:00 +0700", time.strptime(str(date), "%Y-%m-%d"))
