"""The site probed as crawlers and attackers probe it: hostile input on every route.

Through Flask's test client and against a real `vnsearch serve` for what the test
client cannot send (raw bytes, overlong lines, odd request lines). Every answer is
a page, a 400 or a 404 with the security headers; never a 500, never a traceback,
and no write operation anywhere.

Hostile values come from a generator (hypothesis): the named cases below (each one a
class of input that has broken, or could break, a parser or a template), any text
(controls, lone surrogates and private use included, sent as their bytes), any bytes
(invalid UTF-8) and random query syntax, sent to any route and any argument. Every
named case also runs once, on its own, where it matters.
"""

from __future__ import annotations

import json
from itertools import cycle
from pathlib import Path
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_helpers import Server, raw_request
from web_helpers import EXTRA, SOURCE_ID, assert_inert

from search.engine import MAX_PAGE, MAX_PER_PAGE, Engine
from search.query import MAX_QUERY_CHARS
from web import SECURITY_HEADERS
from web.params import MAX_FILTER_VALUES, MAX_VALUE_CHARS, SEARCH_ARGS

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = quote(SOURCE_ID, safe="/@,")
ROUTES = [
    "/",
    "/search",
    f"/articles/{ARTICLE}",
    "/api/search",
    f"/api/articles/{ARTICLE}",
    "/api/suggest",
    "/search.atom",
    "/opensearch.xml",
    "/static/site.css",
    "/static/favicon.svg",
    "/search.csv",
]
SEARCH_ROUTES = ["/search", "/api/search", "/search.atom", "/search.csv"]
# Routes where any text is a query: always a 200.
QUERY_ROUTES = {"/search", "/api/search", "/search.atom", "/search.csv", "/api/suggest"}
# Every argument a search reads (web/params.py), and the facet list's own two.
ARGUMENTS = [*SEARCH_ARGS, "facet", "facet_q"]

# What people (and robots) type into a search box or an address bar.
HOSTILE = {
    "unbalanced quote": '"cán bộ',
    "lone quote": '"',
    "unbalanced parens": "((cán bộ",
    "closing paren": "cán bộ)",
    "deep nesting": "(" * 2000 + "cán bộ" + ")" * 2000,
    "nested quotes": '"(' * 500 + "xã",
    "lone OR": "OR",
    "lone AND NOT": "AND NOT",
    "lone minus": "-",
    "minus quote": '-"',
    "field syntax": "title:(",
    "field phrase": 'body:"xã',
    "range syntax": "[a TO",
    "boost": "cán^9999999999",
    "fuzzy": "cán~",
    "wildcards": "c*n b? *",
    "lone star": "*",
    "backslash": "\\",
    "5000 chars": "a" * 5000,
    "5000 chars of words": "cán bộ " * 715,
    "NUL": "\x00",
    "NUL inside": "cán\x00bộ",
    "control chars": "\x01\x02\x1b[31m\x7f\x1f",
    "CR LF": "xã\r\nSet-Cookie: a=b",
    "rtl marks": "\u202ecán bộ\u202c \u200f\u200e",
    "zero width": "c\u200bán\ufeff bộ",
    "combining marks only": "\u0301\u0323\u0300" * 50,
    "emoji": "🇻🇳 cán bộ 😀👍🏽",
    "private use and U+FFFF": "\ue000\uffff",
    "lone surrogate": "cán\ud800bộ\udfff",
    "literal bad percent": "%E0%A4%A",
    "double-encoded": "%253Cscript%253E",
    "script": "<script>alert(1)</script>",
    "img onerror": '"><img src=x onerror=alert(1)>',
    "javascript url": "javascript:alert(1)",
    "jinja": "{{ 7*7 }}{% raw %}",
    "ssti": "${7*7}#{7*7}",
    "sql": "' OR 1=1; DROP TABLE articles; --",
    "path": "../../etc/passwd",
    "xml entity": '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>&e;',
    "cdata end": "]]><x>",
}
BAD_NUMBERS = ["0", "-1", "abc", "1e3", "99999999999999999999", "１", "\x00", "  ", "1.5"]
# Bytes that are no UTF-8, percent-encoded as a browser would send them.
BAD_UTF8 = {
    "cut sequence": b"\xe1\xbb",
    "invalid bytes": b"\xff\xfe",
    "overlong slash": b"\xc0\xaf",
    "encoded surrogate": b"\xed\xa0\x80",
    "too large": b"\xf4\x90\x80\x80",
}

# The query language's pieces, glued at random: the parser sees every odd mix of them.
SYNTAX = ['"', "(", ")", " OR ", " AND ", " NOT ", "-", "*", "?", "~", "^9", ":", "title:"]
SYNTAX += ["[", " TO ", "]", "{", "}", "\\", " ", "cán", "bộ", "xã", "2024", "&", "%"]
query_syntax = st.lists(st.sampled_from(SYNTAX), max_size=30).map("".join)
# Any code point: controls, private use, noncharacters and (st.text leaves them out)
# lone surrogates.
any_char = st.one_of(st.characters(), st.characters(categories=["Cs"]))
any_text = st.one_of(st.text(), st.lists(any_char).map("".join))
hostile_text = st.one_of(st.sampled_from(list(HOSTILE.values())), any_text, query_syntax)
# What reaches the server: UTF-8 of any text (lone surrogates as their bytes), or any bytes.
hostile_bytes = st.one_of(
    hostile_text.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from(list(BAD_UTF8.values())),
    st.binary(max_size=40),
)
GENERATED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def probe_index(index_with) -> Path:
    return index_with(EXTRA, "probe")


@pytest.fixture(scope="module")
def client(probe_index, client_for):
    return client_for(probe_index)


@pytest.fixture(scope="module")
def server(probe_index, tmp_path_factory):
    # One process: waitress, whose own answers to malformed requests carry the site's
    # headers (gunicorn's do not: see the README's reverse proxy).
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with Server(probe_index, log, processes=1) as s:
        yield s
    assert "Traceback" not in s.stderr()


def assert_safe_answer(status: int, headers, body: bytes, content_type: str = "") -> None:
    """What every answer of the site must be."""
    assert status in {200, 400, 404}
    text = body.decode("utf-8", "replace")
    assert "Traceback" not in text
    assert 'File "' not in text
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "script-src 'self';" in headers["Content-Security-Policy"]  # no inline script
    if status == 400:  # a 400 says why
        if content_type.startswith("application/json"):
            assert json.loads(text)["error"]
        elif content_type.startswith("text/html"):
            assert "Lỗi 400" in text
    if content_type.startswith("text/html"):
        assert_inert(text)


def check(r) -> None:
    assert_safe_answer(r.status_code, r.headers, r.data, r.content_type or "")


def encoded(value: str | bytes) -> str:
    """``value`` percent-encoded for a URL (text as UTF-8, lone surrogates as their bytes)."""
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    return quote_from_bytes(value, safe="")


# --- the Flask app: hostile values on every route and in every argument ------------------


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_query(client, value):
    # The search page: parser, engine, and the query echoed in the box, heading and links.
    with client.get("/search?q=" + encoded(value)) as r:
        check(r)
        assert r.status_code == 200  # any text is a query


@pytest.mark.parametrize("value", BAD_UTF8.values(), ids=BAD_UTF8.keys())
@pytest.mark.parametrize("route", ["/search", "/search.atom"])
def test_percent_encoded_bytes_that_are_no_utf8(client, route, value):
    with client.get(route + "?q=" + encoded(value)) as r:
        check(r)
        assert r.status_code == 200


@GENERATED
@given(route=st.sampled_from(ROUTES), value=hostile_bytes)
def test_any_query_on_any_route(client, route, value):
    with client.get(route + "?q=" + encoded(value)) as r:
        check(r)
        if route in QUERY_ROUTES:
            assert r.status_code == 200


@GENERATED
@given(
    route=st.sampled_from(SEARCH_ROUTES),
    name=st.sampled_from(ARGUMENTS),
    value=st.one_of(hostile_bytes, st.sampled_from(BAD_NUMBERS).map(str.encode)),
)
def test_any_value_of_any_argument(client, route, name, value):
    with client.get(f"{route}?q=x%C3%A3&{name}={encoded(value)}") as r:
        check(r)


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("name", ["page", "per_page", "year", "date_from"])
def test_bad_numbers_are_200_or_400(client, name, value):
    with client.get("/api/search", query_string={name: value}) as r:
        check(r)


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_article_ids(client, value):
    for prefix in ("/articles/", "/api/articles/"):
        with client.get(prefix + encoded(value)) as r:
            check(r)
            assert r.status_code == 404


@GENERATED
@given(prefix=st.sampled_from(["/articles/", "/api/articles/"]), value=hostile_bytes)
def test_any_article_id(client, prefix, value):
    with client.get(prefix + encoded(value)) as r:
        check(r)
        assert r.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/articles/..%2f..%2fetc%2fpasswd",
        "/api/articles/..%2f..%2fetc%2fpasswd",
        "/articles/../../etc/passwd",
        "/articles/%2e%2e/%2e%2e/etc/passwd",
        "/articles//etc/passwd",
        "/articles/%2Fetc%2Fpasswd",
        "/articles/..%5c..%5csetup.cfg",
        "/articles/file:%2F%2F%2Fetc%2Fpasswd",
        "/articles/" + quote(str(ROOT / "setup.cfg")),
        "/articles/" + quote(str(ROOT / "seeds")),
        "/api/articles/" + quote(str(ROOT / "setup.cfg"), safe=""),
        "/static/..%2f..%2fsetup.cfg",
        "/static/../../setup.cfg",
        "/static/%2e%2e/%2e%2e/setup.cfg",
        "/static/..%2f..%2fsearch%2fcli.py",
        "/static/%2e%2e%2fbase.html",
        "/static/../base.html",
        "/static/" + quote(str(ROOT / "setup.cfg")),
        "/static//etc/passwd",
    ],
)
def test_paths_never_reach_the_filesystem(client, path):
    # ("//" in a static path is merged by a redirect: followed.)
    with client.get(path, follow_redirects=True) as r:
        check(r)
        assert r.status_code == 404
        assert "root:" not in r.text
        assert "[metadata]" not in r.text  # setup.cfg
        assert "{% extends" not in r.text  # a template's source


def test_source_path_is_no_article_id(client, probe_index):
    # A stored article's source_path names a real file; asking for it finds nothing.
    engine = Engine(probe_index)
    try:
        source = engine.article("syn/nfd").source_path or str(ROOT / "seeds")
        seed = next(
            h.id
            for h in engine.search("", per_page=100).hits
            if not h.id.startswith(("syn/", "web/"))
        )
        seed_source = engine.article(seed).source_path
    finally:
        engine.close()
    for path in (source, seed_source):
        assert Path(path).exists()
        for prefix in ("/articles/", "/api/articles/"):
            with client.get(prefix + quote(path)) as r:
                check(r)
                assert r.status_code == 404


# --- caps --------------------------------------------------------------------------------


def test_query_is_capped(client):
    r = client.get("/api/search", query_string={"q": "a" * 5000})
    assert r.status_code == 200
    assert len(r.get_json()["query"]) == MAX_QUERY_CHARS


def test_links_carry_the_capped_query(client):
    # Every link of a result page carries the query: the page must not grow with it.
    q = "ab " * 30000
    page = client.get("/search", query_string={"q": q})
    assert page.status_code == 200
    assert len(page.data) < 100_000
    article = client.get(f"/articles/{ARTICLE}", query_string={"q": q})
    assert article.status_code == 200
    assert len(article.data) < 100_000


@pytest.mark.parametrize("route", SEARCH_ROUTES[:2])
@pytest.mark.parametrize(
    "args, status",
    [
        ({"page": str(MAX_PAGE)}, 200),
        ({"page": str(MAX_PAGE + 1)}, 400),
        ({"per_page": str(MAX_PER_PAGE)}, 200),
        ({"per_page": str(MAX_PER_PAGE + 1)}, 400),
        ({"per_page": "1000000"}, 400),
        ({"page": "10" * 20}, 400),
    ],
)
def test_page_and_per_page_are_capped(client, route, args, status):
    with client.get(route, query_string={"q": "xã", **args}) as r:
        check(r)
        assert r.status_code == status


# One code path (web/params.py) for every search route: each route once, each filter once.
@pytest.mark.parametrize(
    "route, name", list(zip(SEARCH_ROUTES, ["province", "topic", "year", "outlet"], strict=True))
)
def test_number_of_filter_values_is_capped(client, route, name):
    values = [str(2000 + i) for i in range(MAX_FILTER_VALUES + 1)]
    ok = client.get(route + "?" + urlencode([(name, v) for v in values[:-1]]))
    assert ok.status_code == 200
    too_many = client.get(route + "?" + urlencode([(name, v) for v in values]))
    check(too_many)
    assert too_many.status_code == 400


@pytest.mark.parametrize("route", SEARCH_ROUTES)
def test_filter_value_length_is_capped(client, route):
    assert client.get(route, query_string={"topic": "x" * MAX_VALUE_CHARS}).status_code == 200
    r = client.get(route, query_string={"topic": "x" * (MAX_VALUE_CHARS + 1)})
    check(r)
    assert r.status_code == 400


def test_thousands_of_filter_values_are_refused_quickly(client):
    # Before the cap, 2,000 province values made a 150 MB page in 13 s (each value
    # is a chip and a facet link whose URL carries all the others).
    r = client.get("/search?" + urlencode([("province", f"p{i}") for i in range(5000)]))
    check(r)
    assert r.status_code == 400
    assert len(r.data) < 20_000


# --- no write operation ---------------------------------------------------------------


def _snapshot(index: Path) -> dict:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(index.iterdir())}


WRITE_METHODS = ["POST", "PUT", "DELETE", "PATCH"]
# Every route once, the write methods in turn (Flask answers them all alike: 405).
WRITES = list(zip(ROUTES + ["/api/articles/nope", "/articles/nope"], cycle(WRITE_METHODS)))


@pytest.mark.parametrize("route, method", WRITES)
def test_no_write_methods(client, probe_index, route, method):
    before = _snapshot(probe_index)
    count = client.get("/api/search").get_json()["total"]
    payload = {"id": "new", "title": "Bài mới", "body": "xã"}
    with client.open(route, method=method, json=payload) as r:
        assert r.status_code == 405
        for name, value in SECURITY_HEADERS.items():
            assert r.headers.get(name) == value
        assert "Traceback" not in r.text
        assert set(r.headers["Allow"].split(", ")) <= {"GET", "HEAD", "OPTIONS"}
    with client.open(route, method=method, data=payload) as r:
        assert r.status_code == 405
    assert _snapshot(probe_index) == before
    assert client.get("/api/search").get_json()["total"] == count
    assert client.get("/api/articles/new").status_code == 404


# --- a real server: what only raw bytes can say --------------------------------------------

RAW = [
    # (request target as bytes, expected status)
    (b"/search?q=%E0%A4%A", 200),  # invalid percent-encoding
    (b"/search?q=%", 200),
    (b"/search?q=%zz%G0", 200),
    (b"/search?q=%00", 200),
    (b"/search?q=\x00", 200),
    (b"/api/search?q=%00%01%ff%fe", 200),
    (b"/search.atom?q=%00%01%E0%A4%A", 200),
    (b"/search?q=%C0%AF%C0%AE", 200),  # overlong UTF-8 for / and .
    (b"/search?q=\xff\xfe", 400),  # raw non-UTF-8 bytes
    (b"/search?q=\xc3", 400),  # raw, cut mid-character
    (b"/api/search?q=\xe1\xbb", 400),
    (b"/search.atom?q=\xff", 400),
    (b"/articles/\xff", 400),
    (b"/static/\xff", 400),
    (b"/search?q=c\xc3\xa1n+b\xe1\xbb\x99", 400),  # waitress wants ASCII; browsers %-encode
    (b"/articles/%ff%fe", 404),
    (b"/api/articles/%ff%fe", 404),
    (b"/articles/%00", 404),
    (b"/articles/..%2f..%2fetc%2fpasswd", 404),
    (b"/api/articles/..%2f..%2fetc%2fpasswd", 404),
    (b"/articles/../../etc/passwd", 404),
    (b"/articles/" + b"..%2f" * 40 + b"etc%2fpasswd", 404),
    (b"/static/..%2f..%2fsetup.cfg", 404),
    (b"/static/../../setup.cfg", 404),
    (b"/static/%2e%2e/%2e%2e/setup.cfg", 404),
    (b"/static/site.css%00", 404),
    (b"//etc/passwd", 404),
    (b"/" + b"a" * 10_000, 404),  # overlong path
    (b"/articles/" + b"x" * 50_000, 404),
    (b"/search?q=" + b"a" * 100_000, 200),  # overlong query, under waitress's limits
    (b"/search?" + b"&".join([b"province=p%d" % i for i in range(5000)]), 400),
    (b"/search?page=99999999999999999999999", 400),
    (b"/search?per_page=1e3", 400),
    (b"*", 404),
    (b"http://evil.example/search?q=x", 200),  # absolute form
    (b"/search?q=a b", 400),  # a space in the target: waitress refuses the start line
]


@pytest.mark.parametrize("target, status", RAW, ids=[repr(t[:40]) for t, _ in RAW])
def test_raw_requests(server, target, status):
    r = raw_request(server.port, b"GET " + target + b" HTTP/1.1")
    assert_safe_answer(r.status, r.headers, r.body, r.headers.get("Content-Type", ""))
    assert r.status == status
    assert "root:" not in r.text


@pytest.mark.parametrize(
    "request_line, headers, status",
    [
        (b"GARBAGE", b"", 400),
        (b"GET", b"", 400),
        (b"GET /search?q=x HTTP/1.0", b"", 200),
        (b"GET /search?q=x HTTP/1.1", b"X-Big: " + b"a" * 300_000 + b"\r\n", 431),
        (b"GET /search?q=" + b"a" * 300_000 + b" HTTP/1.1", b"", 431),
        (b"POST /search HTTP/1.1", b"Content-Length: 99999999999\r\n", 413),
        (b"POST /api/search HTTP/1.1", b"Content-Length: 2\r\n", 405),
        (b"TRACE / HTTP/1.1", b"", 405),
        (b"GET /search?q=x HTTP/1.1", b'Host: evil"><script>alert(1)</script>\r\n', 200),
    ],
)
def test_raw_request_lines(server, request_line, headers, status):
    body = b"{}" if b"Content-Length: 2" in headers else b""
    r = raw_request(server.port, request_line, headers, body)
    assert r.status == status
    # Waitress answers the malformed ones itself: with the same headers (web/cli.py).
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value
    assert "Traceback" not in r.text
    assert "<script>" not in r.text


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_over_http(server, route):
    r = server.get(route + "?q=%3Cscript%3E%00%E0%A4%A")
    assert_safe_answer(r.status, r.headers, r.body, r.headers.get("Content-Type", ""))
    assert r.status == 200


@pytest.mark.parametrize("route, method", WRITES)
def test_no_write_methods_over_http(server, probe_index, route, method):
    before = _snapshot(probe_index)
    r = raw_request(
        server.port,
        f"{method} {route} HTTP/1.1".encode(),
        b"Content-Type: application/json\r\nContent-Length: 13\r\n",
        b'{"id": "new"}',
    )
    assert r.status == 405
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value
    assert _snapshot(probe_index) == before


def test_head_has_headers_and_no_body(server):
    r = raw_request(server.port, b"HEAD /search?q=x HTTP/1.1", method_head=True)
    assert r.status == 200
    assert r.body == b""
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value
