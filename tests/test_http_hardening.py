"""HTTP hardening: slow clients, the configured base URL, Cache-Control, damaged indexes.

Slow clients and some base-URL and damaged-index cases run against a real
`vnsearch serve` on 127.0.0.1 (tests/server_helpers.py), with one process (waitress)
and with two (gunicorn); the rest go through the Flask test client. Damaged indexes
are real: built from the seeds in a temporary folder, then a file of them truncated.
"""

from __future__ import annotations

import gc
import http.client
import pickle
import re
import shutil
import socket
import struct
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Self

import pytest
from click.testing import CliRunner
from flask import Flask
from server_helpers import HOST, Server, raw_request

from search.ingest import index_paths
from web import SECURITY_HEADERS, create_app
from web.caching import LONG, NO_STORE, SHORT, STATIC
from web.cli import GTHREAD_THREADS, has_gunicorn, serve
from web.errors import about_index
from web.urls import parse_base_url

ROOT = Path(__file__).resolve().parent.parent
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
QUERY = "/api/search?q=can+bo+cap+xa"
# Whoosh's TOC.read leaves its file to the garbage collector when the pickle in a
# truncated table of contents fails to load (a ResourceWarning, not a lasting leak).
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <_io.FileIO name='[^']*_MAIN_\d+\.toc'"
    ":pytest.PytestUnraisableExceptionWarning"
)
NEEDS_GUNICORN = pytest.mark.skipif(
    not has_gunicorn(), reason="several server processes need gunicorn (Unix)"
)
PROCESSES = [1, pytest.param(2, marks=NEEDS_GUNICORN)]


# --- slow clients -------------------------------------------------------------------

# A request head cut off before its end: the server waits for the rest.
PARTIAL = b"GET / HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\nX-Slow: "


class SlowClients:
    """``n`` connections that never finish a request (a context manager; all closed on exit).

    mode "silent": connect and send nothing; "partial": send part of a head and
    stop; "trickle": send part of a head, then one more byte at each trickle().
    """

    def __init__(self, port: int, n: int, mode: str):
        self.port, self.n, self.mode = port, n, mode
        self.socks: list[socket.socket] = []

    def __enter__(self) -> Self:
        try:
            for _ in range(self.n):
                sock = socket.create_connection((HOST, self.port), timeout=5)
                self.socks.append(sock)
                if self.mode != "silent":
                    sock.sendall(PARTIAL)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for sock in self.socks:
            sock.close()
        self.socks.clear()

    def trickle(self) -> None:
        """One more header byte on every connection (trickle mode)."""
        if self.mode == "trickle":
            for sock in self.socks:
                sock.sendall(b"a")

    def still_open(self) -> int:
        """How many of the connections the server has not closed."""
        n = 0
        for sock in self.socks:
            sock.setblocking(False)
            try:
                n += sock.recv(1) != b""  # data would be an answer: none is due
            except BlockingIOError:
                n += 1
            except OSError:
                pass
            finally:
                sock.setblocking(True)
        return n


def timed_get(port: int, target: str = QUERY, timeout: float = 5) -> tuple[int, float]:
    """(status, seconds) of a GET over a fresh connection; status 0 if it timed out."""
    start = time.monotonic()
    try:
        status = raw_request(port, b"GET " + target.encode() + b" HTTP/1.1", timeout=timeout).status
    except (TimeoutError, ConnectionError):
        status = 0
    return status, time.monotonic() - start


@pytest.fixture(scope="module")
def serve_index(index_dir, tmp_path_factory) -> Path:
    """A copy of the session index for the servers of this module."""
    dest = tmp_path_factory.mktemp("hardening") / "index"
    shutil.copytree(index_dir, dest)
    return dest


# Each of the 10 normal requests behind the slow clients is answered within this many
# seconds (measured with gunicorn on 2 cores under a load of 10: medians 20-45 ms, the
# slowest 1.4 s, behind silent clients; waitress alike).
SLOW_BOUND = 5.0
# 200 is twice waitress's default connection limit (per process); 50 stopped the
# hand-made two-process server that gunicorn replaced. gunicorn's gthread worker holds
# a thread per connection still sending its request: it runs with its default threads.
SLOW_CASES = [
    pytest.param(
        processes,
        n,
        mode,
        id=f"{processes}proc-{n}-{mode}",
        marks=[NEEDS_GUNICORN] if processes > 1 else [],
    )
    for processes in (1, 2)
    for n, mode in [(200, "silent"), (200, "partial"), (200, "trickle")]
]


@pytest.mark.parametrize("processes, n, mode", SLOW_CASES)
def test_slow_clients_do_not_starve_normal_ones(serve_index, tmp_path, processes, n, mode):
    threads = 4 if processes == 1 else GTHREAD_THREADS
    with Server(
        serve_index, tmp_path / "serve.log", threads=threads, processes=processes
    ) as server:
        assert timed_get(server.port)[0] == 200
        with SlowClients(server.port, n, mode) as slow:
            times: list[float] = []
            for _ in range(10):
                slow.trickle()
                status, seconds = timed_get(server.port, timeout=SLOW_BOUND)
                assert status == 200, f"request {len(times) + 1} behind {n} slow clients: " + (
                    f"status {status}" if status else f"no answer within {SLOW_BOUND} s"
                )
                times.append(seconds)
            assert max(times) < SLOW_BOUND, times
            assert slow.still_open() == n  # they were really held open all along
    assert "Traceback" not in server.stderr()


@pytest.mark.parametrize("mode", ["silent", "trickle"])
def test_a_request_slower_than_the_client_timeout_is_closed(serve_index, tmp_path, mode):
    # One process (waitress): a whole request within --client-timeout. (gunicorn has no
    # such deadline: its workers hold slow clients in threads, see the README.)
    options = ("--client-timeout", "2")
    with Server(
        serve_index, tmp_path / "serve.log", threads=2, processes=1, options=options
    ) as server:
        with SlowClients(server.port, 5, mode) as slow:
            start = time.monotonic()
            while slow.still_open() and time.monotonic() - start < 8:
                slow.trickle()  # a byte every 0.2 s: never idle, never finished
                time.sleep(0.2)
            elapsed = time.monotonic() - start
            assert slow.still_open() == 0, "slow connections outlived --client-timeout"
            assert 1.5 < elapsed < 6, elapsed
        # A client as slow, but within the time, is answered.
        with socket.create_connection((HOST, server.port), timeout=5) as sock:
            for part in (b"GET / HTTP/1.1\r\n", b"Host: x\r\n", b"Connection: close\r\n\r\n"):
                sock.sendall(part)
                time.sleep(0.3)
            assert sock.recv(64).startswith(b"HTTP/1.1 200 ")
    assert "Traceback" not in server.stderr()


@pytest.mark.parametrize("processes", PROCESSES)
def test_an_idle_connection_is_closed_after_the_client_timeout(serve_index, tmp_path, processes):
    options = ("--client-timeout", "2")
    with (
        Server(
            serve_index, tmp_path / "serve.log", threads=2, processes=processes, options=options
        ) as server,
        socket.create_connection((HOST, server.port), timeout=10) as sock,
    ):
        sock.sendall(b"GET /opensearch.xml HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        answer.read()
        assert answer.status == 200 and not answer.will_close
        start = time.monotonic()
        assert sock.recv(1) == b""  # closed by the server, idle for --client-timeout
        assert 1.5 < time.monotonic() - start < 6
    assert "Traceback" not in server.stderr()


def test_serve_limit_options(runner):
    help_text = runner.invoke(serve, ["--help"]).output
    assert "--connection-limit" in help_text and "--client-timeout" in help_text
    for option in (["--connection-limit", "0"], ["--client-timeout", "0"]):
        result = runner.invoke(serve, option)
        assert result.exit_code == 2 and option[0] in result.output


# --- the base URL -------------------------------------------------------------------

FORGED = "evil.example"


def feed_links(data: bytes) -> list[str]:
    """Every URL an Atom feed gives (ids and hrefs), except the articles' sources (via).

    A missing one is "" (which no test takes for a URL).
    """
    feed = ET.fromstring(data)
    urls = [feed.findtext(f"{ATOM}id", "")]
    urls += [link.get("href", "") for link in feed.iter(f"{ATOM}link") if link.get("rel") != "via"]
    urls += [e.findtext(f"{ATOM}id", "") for e in feed.iter(f"{ATOM}entry")]
    return urls


def opensearch_links(data: bytes) -> list[str]:
    """Every URL of an OpenSearch description."""
    doc = ET.fromstring(data)
    return [doc.findtext(f"{OPENSEARCH}Image", "")] + [
        u.get("template", "") for u in doc.iter(f"{OPENSEARCH}Url")
    ]


@pytest.fixture(scope="module")
def site_index(index_dir, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("site") / "index"
    shutil.copytree(index_dir, dest)
    return dest


@pytest.mark.parametrize(
    "config, root",
    [
        ({"BASE_URL": "https://example.org/tim-kiem/"}, "https://example.org/tim-kiem/"),
        ({"BASE_URL": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080/"),
        (
            {"SERVER_NAME": "tin.example.vn", "PREFERRED_URL_SCHEME": "https"},
            "https://tin.example.vn/",
        ),
        # Both: the base URL wins.
        ({"BASE_URL": "https://a.example", "SERVER_NAME": "b.example"}, "https://a.example/"),
    ],
    ids=["base-url-prefix", "base-url-port", "server-name", "base-url-over-server-name"],
)
def test_links_come_from_the_configured_base_url(site_index, client_for, config, root):
    client = client_for(site_index, **config)
    forged = {"Host": FORGED, "X-Forwarded-Host": FORGED}
    feed = client.get("/search.atom", query_string={"q": "cán bộ"}, headers=forged)
    desc = client.get("/opensearch.xml", headers=forged)
    assert feed.status_code == desc.status_code == 200
    links = feed_links(feed.data) + opensearch_links(desc.data)
    assert len(links) > 6  # the feed has entries
    assert all(link.startswith(root) for link in links), links
    assert not any(FORGED in link for link in links)
    assert f"{root}search.atom?q=" in feed_links(feed.data)[0]
    assert f"{root}search?q={{searchTerms}}" in opensearch_links(desc.data)


def test_without_a_base_url_links_follow_the_request(site_index, client_for):
    client = client_for(site_index)
    desc = client.get("/opensearch.xml", headers={"Host": "tin.example.vn:8443"})
    assert all(
        link.startswith("http://tin.example.vn:8443/") for link in opensearch_links(desc.data)
    )


def test_a_base_url_replaces_the_mount_point(site_index):
    # Mounted at /tim-kiem behind a proxy (SCRIPT_NAME): the prefix appears once.
    app = create_app(
        {"TESTING": True, "INDEX_DIR": str(site_index), "BASE_URL": "https://example.org/tim-kiem"}
    )
    client = app.test_client()
    feed = client.get("/search.atom?q=x%C3%A3", environ_base={"SCRIPT_NAME": "/tim-kiem"})
    links = feed_links(feed.data)
    assert links[0] == "https://example.org/tim-kiem/search.atom?q=x%C3%A3"
    assert all(
        link.startswith("https://example.org/tim-kiem/") and "tim-kiem/tim-kiem" not in link
        for link in links
    )


BAD_BASE_URLS = [
    "example.org",
    "ftp://example.org",
    "https://",
    "https://example.org/?a=1",
    "https://example.org/#top",
    "https://user:pw@example.org",
    "https://example.org:99999",
    "https://exa mple.org",
    "javascript:alert(1)",
    'https://example.org/"><x>',
    "",
]


@pytest.mark.parametrize("value", BAD_BASE_URLS)
def test_bad_base_urls_are_refused(site_index, value):
    with pytest.raises(ValueError, match="base URL"):
        parse_base_url(value)
    if value:  # an empty BASE_URL in the app config means "not set"
        with pytest.raises(ValueError, match="base URL"):
            create_app({"TESTING": True, "INDEX_DIR": str(site_index), "BASE_URL": value})
    result = CliRunner().invoke(serve, ["--base-url", value])
    assert result.exit_code == 2 and "--base-url" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "value, expected",
    [
        ("https://example.org/", "https://example.org"),
        ("HTTPS://example.org/tim-kiem//", "https://example.org/tim-kiem"),
        (" http://127.0.0.1:8000 ", "http://127.0.0.1:8000"),
    ],
)
def test_base_urls_are_normalised(value, expected):
    assert parse_base_url(value) == expected


@pytest.mark.parametrize("processes", PROCESSES)
def test_served_base_url_ignores_a_forged_host(site_index, tmp_path, processes):
    with Server(
        site_index,
        tmp_path / "serve.log",
        threads=2,
        processes=processes,
        options=("--base-url", "https://example.org/tim-kiem"),
    ) as server:
        answer = raw_request(server.port, b"GET /opensearch.xml HTTP/1.1", host=FORGED.encode())
        assert answer.status == 200
        links = opensearch_links(answer.body)
        assert links and all(u.startswith("https://example.org/tim-kiem/") for u in links)
    assert "Traceback" not in server.stderr()


# --- Cache-Control ------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache_client(site_index, client_for):
    return client_for(site_index)


@pytest.fixture(scope="module")
def article_id(cache_client) -> str:
    return cache_client.get("/api/search?q=").get_json()["hits"][0]["id"]


def _path(template: str, article_id: str) -> str:
    from urllib.parse import quote

    return template.replace("{id}", quote(article_id))


@pytest.mark.parametrize(
    "method, target, status, policy",
    [
        ("GET", "/", 200, SHORT),
        ("GET", "/search?q=c%C3%A1n+b%E1%BB%99", 200, SHORT),
        ("GET", "/api/search?q=xa", 200, SHORT),
        ("GET", "/search.atom?q=xa", 200, SHORT),
        ("GET", "/opensearch.xml", 200, SHORT),
        ("GET", "/articles/{id}", 200, LONG),
        ("GET", "/api/articles/{id}", 200, LONG),
        ("HEAD", "/articles/{id}", 200, LONG),
        ("GET", "/static/site.css", 200, STATIC),
        ("GET", "/nope", 404, NO_STORE),
        ("GET", "/articles/nope", 404, NO_STORE),
        ("GET", "/api/articles/nope", 404, NO_STORE),
        ("GET", "/search?page=abc", 400, NO_STORE),
        ("GET", "/api/search?per_page=-1", 400, NO_STORE),
        ("POST", "/search", 405, NO_STORE),
        ("GET", "/static/nope.css", 404, NO_STORE),
    ],
)
def test_every_response_has_cache_control(cache_client, article_id, method, target, status, policy):
    with cache_client.open(_path(target, article_id), method=method) as r:
        assert r.status_code == status
        assert r.headers["Cache-Control"] == policy
        assert ("ETag" in r.headers) == (policy in (LONG, STATIC))


@pytest.mark.parametrize("target", ["/articles/{id}", "/api/articles/{id}", "/static/site.css"])
def test_long_lived_answers_are_conditional(cache_client, article_id, target):
    url = _path(target, article_id)
    with cache_client.get(url) as first:
        etag, body = first.headers["ETag"], first.data
        policy = first.headers["Cache-Control"]
    with cache_client.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == policy
    with cache_client.get(url, headers={"If-None-Match": '"other"'}) as other:
        assert other.status_code == 200 and other.data == body


def test_articles_have_their_own_etags(cache_client):
    ids = [h["id"] for h in cache_client.get("/api/search?q=&per_page=3").get_json()["hits"]]
    etags = {cache_client.get(_path("/articles/{id}", i)).headers["ETag"] for i in ids}
    assert len(ids) == len(etags) == 3


def test_missing_index_is_not_stored(tmp_path, client_for):
    client = client_for(tmp_path / "none")
    for target in ("/", "/api/search?q=xa", "/articles/x"):
        r = client.get(target)
        assert r.status_code == 503 and r.headers["Cache-Control"] == NO_STORE


def test_waitress_own_errors_are_not_stored(site_index, tmp_path):
    with Server(site_index, tmp_path / "serve.log", threads=2, processes=1) as server:
        bad = raw_request(server.port, b"GET /a b c HTTP/1.1")
        assert bad.status == 400 and bad.headers["Cache-Control"] == NO_STORE
        assert all(bad.headers[name] == value for name, value in SECURITY_HEADERS.items())
        good = raw_request(server.port, b"GET /api/search?q=xa HTTP/1.1")
        assert good.status == 200 and good.headers["Cache-Control"] == SHORT


def test_readme_proxy_adds_the_site_headers():
    # The README's nginx example gives gunicorn's own answers the site's headers.
    readme = (ROOT / "README.md").read_text("utf-8")
    example = readme[readme.index("```nginx") : readme.index("```", readme.index("```nginx") + 3)]
    added = dict(re.findall(r'add_header ([\w-]+) "?(.*?)"? always;', example))
    assert added == SECURITY_HEADERS
    assert all(f"proxy_hide_header {name};" in example for name in SECURITY_HEADERS)


@NEEDS_GUNICORN
def test_answers_under_gunicorn(site_index, tmp_path):
    with Server(site_index, tmp_path / "serve.log", threads=2, processes=2) as server:
        # Every answer of the app, errors included, has the site's headers.
        for target, status in [("/api/search?q=xa", 200), ("/nope", 404), ("/search?page=x", 400)]:
            r = server.get(target)
            assert r.status == status
            assert all(r.headers[name] == value for name, value in SECURITY_HEADERS.items())
            assert r.headers["Cache-Control"] == (SHORT if status == 200 else NO_STORE)
        r = raw_request(server.port, b"POST /search HTTP/1.1", b"Content-Length: 2\r\n", b"{}")
        assert r.status == 405 and r.headers["X-Frame-Options"] == "DENY"
        # gunicorn answers a malformed request line itself, without the app (and so
        # without the site's headers: the README's reverse proxy adds them).
        bad = raw_request(server.port, b"GET /a b c HTTP/1.1")
        assert bad.status == 400 and bad.headers["Connection"] == "close"
        assert b"<script" not in bad.body
    assert "Traceback" not in server.stderr()


# --- damaged indexes ----------------------------------------------------------------


@pytest.fixture(scope="module")
def healthy_index(tmp_path_factory) -> Path:
    """A real index of the seeds, built here (never damaged itself: tests damage copies)."""
    d = tmp_path_factory.mktemp("healthy") / "index"
    report = index_paths([ROOT / "seeds"], d, workers=1)
    assert report.indexed == 5, report
    return d


def truncate(path: Path, keep) -> None:
    """Cut ``path`` down to ``keep(size)`` bytes, in place."""
    data = path.read_bytes()
    path.write_bytes(data[: keep(len(data))])


DAMAGES = {
    "toc-half": lambda d: truncate(next(d.glob("_MAIN_*.toc")), lambda n: n // 2),
    "toc-empty": lambda d: truncate(next(d.glob("_MAIN_*.toc")), lambda n: 0),
    "toc-one-byte-short": lambda d: truncate(next(d.glob("_MAIN_*.toc")), lambda n: n - 1),
    "seg-half": lambda d: truncate(next(d.glob("*.seg")), lambda n: n // 2),
    "seg-head": lambda d: truncate(next(d.glob("*.seg")), lambda n: 100),
    "seg-missing": lambda d: next(d.glob("*.seg")).unlink(),
}
ROUTES = [
    "/",
    "/search?q=c%C3%A1n+b%E1%BB%99",
    "/search.atom?q=xa",
    "/articles/{id}",
    "/api/search?q=xa",
    "/api/articles/{id}",
]


@pytest.fixture
def damaged(healthy_index, tmp_path, request):
    """(client, article id, index folder) over a damaged copy of the healthy index."""
    article = (
        create_app({"TESTING": True, "INDEX_DIR": str(healthy_index)})
        .test_client()
        .get("/api/search?q=")
        .get_json()["hits"][0]["id"]
    )
    copy = tmp_path / "index"
    shutil.copytree(healthy_index, copy)
    DAMAGES[request.param](copy)
    app = create_app({"TESTING": True, "INDEX_DIR": str(copy)})
    return app.test_client(), article, copy


@pytest.mark.whoosh_only  # Whoosh's files damaged
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("damaged", list(DAMAGES), indirect=True)
def test_damaged_index_is_503_never_500(damaged, route):
    client, article, folder = damaged
    r = client.get(_path(route, article))
    assert r.status_code == 503, r.text[:500]
    assert r.headers["Cache-Control"] == NO_STORE
    assert "Traceback" not in r.text and 'File "' not in r.text
    if route.startswith("/api/"):
        body = r.get_json()
        assert body["status"] == 503 and body["title"] == "Chỉ mục bị hỏng"
        assert "vnsearch check" in body["error"] and "vnsearch index --rebuild" in body["error"]
        assert str(folder) not in body["error"]  # no server path
    else:
        assert "<h1>Chỉ mục bị hỏng</h1>" in r.text
        assert "vnsearch check" in r.text and "vnsearch index --rebuild" in r.text
        assert str(folder) not in r.text


@pytest.mark.whoosh_only
@pytest.mark.parametrize("damaged", ["toc-half"], indirect=True)
def test_damaged_index_page_is_vietnamese(damaged):
    client, _, _ = damaged
    page = client.get("/search?q=xa").text
    assert "Lỗi 503" in page and "không đọc được một tệp của chỉ mục" in page
    assert "Quản trị viên hãy chạy lệnh vnsearch check" in page


@pytest.mark.whoosh_only
@pytest.mark.parametrize("processes", PROCESSES)
def test_damaged_index_over_http(healthy_index, tmp_path, processes):
    copy = tmp_path / "index"
    shutil.copytree(healthy_index, copy)
    DAMAGES["toc-half"](copy)
    with Server(copy, tmp_path / "serve.log", threads=2, processes=processes) as server:
        page = server.get("/search?q=xa")
        api = server.get("/api/search?q=xa")
        assert page.status == api.status == 503
        assert "Chỉ mục bị hỏng" in page.text
        assert "vnsearch index --rebuild" in page.text
        assert '"title":"Chỉ mục bị hỏng"' in api.text
        assert "Traceback" not in page.text + api.text
        # The server lives on and answers what needs no index.
        assert server.get("/opensearch.xml").status == 200


@pytest.mark.whoosh_only
def test_what_counts_as_about_the_index(healthy_index, tmp_path):
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    copy = tmp_path / "index"
    shutil.copytree(healthy_index, copy)
    DAMAGES["toc-half"](copy)
    app = Flask(__name__)
    app.config["INDEX_DIR"] = str(copy)

    def caught(call) -> BaseException:
        try:
            call()
        except Exception as e:  # noqa: BLE001 (any real error is the subject here)
            return e
        raise AssertionError("no error")

    with app.test_request_context("/"):
        # Whoosh reading the damaged table of contents: about the index.
        toc = caught(lambda: TOC.read(FileStorage(str(copy)), "MAIN"))
        assert about_index(toc)
        del toc  # and with it the file Whoosh left open (see pytestmark)
        gc.collect()
        # A file of the index gone: about it; a file elsewhere: not.
        assert about_index(caught(lambda: (copy / "gone.seg").open("rb")))
        assert not about_index(caught(lambda: (tmp_path / "other.txt").open("rb")))
        # The same error types raised outside Whoosh and the library: bugs, not damage.
        assert not about_index(caught(lambda: struct.unpack("<i", b"")))
        assert not about_index(caught(lambda: pickle.loads(b"")))
        assert not about_index(caught(lambda: [][0]))  # noqa: PLE0643 (the error is the point)
