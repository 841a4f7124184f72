"""The web site and JSON API, through Flask's test client over a real index."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from flask import url_for
from helpers import add_articles, copy_index
from web_helpers import EXTRA, SOURCE_ID, SOURCE_URL, XSS_ID, XSS_TITLE, Page, child

from search.cli import cli
from search.engine import open_engine
from web import SECURITY_HEADERS

ATOM = "{http://www.w3.org/2005/Atom}"
AWKWARD_IDS = ["syn/hiểu một lần", SOURCE_ID, XSS_ID, "000_5bb86f784192a000"]


@pytest.fixture(scope="module")
def web_index(index_with):
    """The session index plus articles with sources, outlets and hostile HTML."""
    return index_with(EXTRA, "web")


@pytest.fixture(scope="module")
def client(web_index, client_for):
    """Flask's test client of the app over the web test index."""
    return client_for(web_index)


@pytest.fixture(scope="module")
def app(client):
    """The app itself."""
    return client.application


@pytest.fixture(scope="module")
def web_engine(web_index):
    """An engine like the app's (with its suggester) over the same index, for expected values."""
    e = open_engine(web_index)
    yield e
    e.close()


def article_path(article_id: str, api: bool = False) -> str:
    # Werkzeug leaves '/', '@' and ',' unquoted in paths; everything else is %-encoded.
    return ("/api" if api else "") + "/articles/" + quote(article_id, safe="/@,")


def comparable(result: dict) -> dict:
    """A search result without its snippets.

    Whoosh breaks ties between equally good fragments by ``id()`` (Fragment.__lt__),
    so two identical searches may pick different snippets; everything else must match.
    """
    return {
        **result,
        "hits": [{k: v for k, v in h.items() if k != "snippet"} for h in result["hits"]],
    }


def query_of(href: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(href).query)


# --- every route, both representations ---------------------------------------


@pytest.mark.parametrize(
    "path, content_type",
    [
        ("/", "text/html"),
        ("/search", "text/html"),
        ("/search?q=can+bo+cap+xa", "text/html"),
        ("/search?province=%C4%90i%E1%BB%87n+Bi%C3%AAn&sort=date", "text/html"),
        ("/api/search?q=c%C3%A1n+b%E1%BB%99", "application/json"),
        ("/search.atom?q=can+bo", "application/atom+xml"),
        ("/opensearch.xml", "application/opensearchdescription+xml"),
        ("/static/site.css", "text/css"),
        ("/static/favicon.svg", "image/svg+xml"),
    ],
)
def test_route_ok(client, path, content_type):
    with client.get(path) as r:  # static files are streamed: close them
        assert r.status_code == 200, r.text[:500]
        assert r.mimetype == content_type


@pytest.mark.parametrize("article_id", AWKWARD_IDS)
def test_article_page_and_json_for_awkward_ids(app, client, web_engine, article_id):
    with app.test_request_context():
        html_url = url_for("views.article", article_id=article_id)
        api_url = url_for("api.article", article_id=article_id)
    assert html_url == article_path(article_id)
    page = client.get(html_url)
    assert page.status_code == 200
    expected = web_engine.article(article_id)
    assert f"<h1>{_esc(expected.title)}</h1>" in page.text
    data = client.get(api_url)
    assert data.status_code == 200
    assert data.get_json() == expected.to_dict()


def _esc(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_api_search_is_the_cli_json(client, runner, web_index):
    args = [
        "cán bộ",
        "--index",
        str(web_index),
        "--province",
        "Điện Biên",
        "--sort",
        "date",
        "--limit",
        "3",
        "--json",
    ]
    cli_result = runner.invoke(cli, ["search", *args])
    assert cli_result.exit_code == 0, cli_result.output
    r = client.get(
        "/api/search",
        query_string={"q": "cán bộ", "province": "Điện Biên", "sort": "date", "per_page": "3"},
    )
    assert r.status_code == 200
    assert comparable(r.get_json()) == comparable(json.loads(cli_result.output))


def test_api_article_is_the_cli_json(client, runner, web_index):
    cli_result = runner.invoke(cli, ["show", SOURCE_ID, "--index", str(web_index), "--json"])
    assert cli_result.exit_code == 0, cli_result.output
    assert client.get(article_path(SOURCE_ID, api=True)).get_json() == json.loads(cli_result.output)


def test_api_json_keeps_vietnamese_readable(client):
    r = client.get("/api/search", query_string={"q": "cán bộ"})
    assert "cán bộ" in r.get_data(as_text=True)


# --- home -----------------------------------------------------------------------


def test_home_lists_recent_articles_provinces_and_topics(client, web_engine):
    html = client.get("/").text
    links = Page(html)
    everything = web_engine.search("", sort="date", per_page=3)
    newest = [a["text"] for a in links.links if a["href"].startswith("/articles/")][:3]
    assert newest == [h.title for h in everything.hits]
    for v in everything.facets["province"]:
        found = links.find(href=f"/search?province={quote(v.value, safe='')}".replace("%20", "+"))
        assert len(found) == 1
        assert found[0]["text"].endswith(str(v.count))
    for v in everything.facets["topic"]:
        assert len(links.find(text=v.value)) >= 1
    assert 'aria-describedby="search-help"' in html
    assert "dấu trừ" in html and "ngoặc kép" in html and "không dấu" in html


# --- search page: facets, chips, sort, pages ----------------------------------------


def test_facet_toggle_selects_and_removes(client, web_engine):
    q = "cán bộ"
    before = web_engine.search(q)
    links = Page(client.get("/search", query_string={"q": q}).text)
    dien_bien = [link for link in links.find(facet="province") if "Điện Biên" in link["text"]]
    assert len(dien_bien) == 1
    expected = {v.value: v.count for v in before.facets["province"]}["Điện Biên"]
    assert dien_bien[0]["text"].endswith(f"{expected} bài")
    assert query_of(dien_bien[0]["href"]) == [("q", q), ("province", "Điện Biên")]

    selected = client.get(dien_bien[0]["href"])
    after = web_engine.search(q, province="Điện Biên")
    assert f"{after.total} kết quả" in selected.text
    links = Page(selected.text)
    toggled = [link for link in links.find(facet="province") if "Điện Biên" in link["text"]]
    assert toggled[0]["current"] == "true"
    assert query_of(toggled[0]["href"]) == [("q", q)]
    chips = links.find(**{"class": "chip"})
    assert [c["text"] for c in chips] == ["Tỉnh: Điện Biên × (bỏ lọc)"]
    assert query_of(chips[0]["href"]) == [("q", q)]
    # Topic counts follow the province filter.
    topic_links = {
        link["text"].rsplit(":", 1)[0].strip(): link for link in links.find(facet="topic")
    }
    for v in after.facets["topic"]:
        assert topic_links[v.value]["text"].endswith(f"{v.count} bài")


def test_two_filters_make_two_chips_and_clear_link(client):
    r = client.get("/search", query_string=[("q", "xã"), ("province", "Bắc Kạn"), ("year", "2020")])
    links = Page(r.text)
    chips = links.find(**{"class": "chip"})
    assert [query_of(c["href"]) for c in chips] == [
        [("q", "xã"), ("year", "2020")],
        [("q", "xã"), ("province", "Bắc Kạn")],
    ]
    assert query_of(links.find(**{"class": "clear"})[0]["href"]) == [("q", "xã")]


def test_province_facet_says_where_it_is_now(client, web_engine):
    # Bắc Kạn's articles carry Thái Nguyên as their 2025 province (data, not a table).
    r = client.get("/search", query_string={"q": ""})
    link = [a for a in Page(r.text).find(facet="province") if a["text"].startswith("Bắc Kạn")]
    assert link[0]["text"].startswith("Bắc Kạn nay thuộc Thái Nguyên")
    unchanged = [
        a for a in Page(r.text).find(facet="province") if a["text"].startswith("Điện Biên")
    ]
    assert "nay thuộc" not in unchanged[0]["text"]


def test_hits_link_to_articles_with_highlighted_snippets(client, web_engine):
    r = client.get("/search", query_string={"q": "can bo cap xa"})
    result = web_engine.search("can bo cap xa")
    article_links = [a for a in Page(r.text).links if a["href"].startswith("/articles/")]
    assert [a["text"] for a in article_links[: len(result.hits)]] == [h.title for h in result.hits]
    assert article_links[0]["href"] == article_path(result.hits[0].id) + "?q=can+bo+cap+xa"
    assert r.text.count('<p class="snippet">') == len(result.hits)
    assert '<mark class="match t0">cán bộ</mark>' in r.text  # one word, marked whole


@pytest.mark.parametrize("sort, current", [("relevance", "Liên quan nhất"), ("date", "Mới nhất")])
def test_sort(client, web_engine, sort, current):
    r = client.get("/search", query_string={"q": "xã", "sort": sort})
    links = Page(r.text)
    sorts = ("Liên quan nhất", "Mới nhất")
    assert [a["text"] for a in links.links if a["current"] == "true" and a["text"] in sorts] == [
        current
    ]
    api = client.get("/api/search", query_string={"q": "xã", "sort": sort}).get_json()
    assert comparable(api) == comparable(web_engine.search("xã", sort=sort).to_dict())
    if sort == "date":
        dates = [h["date"] for h in api["hits"] if h["date"]]
        assert dates == sorted(dates, reverse=True)


def test_pagination(client, web_engine):
    total = web_engine.search("").total
    pages = -(-total // 3)
    assert pages >= 3
    first = client.get("/search", query_string={"per_page": "3"})
    links = Page(first.text)
    nxt = links.find(rel="next")
    assert query_of(nxt[0]["href"]) == [("per_page", "3"), ("page", "2")]
    assert links.find(rel="prev") == []
    second = client.get(nxt[0]["href"])

    def ids(text):
        return [a["href"] for a in Page(text).links if a["href"].startswith("/articles/")]

    assert ids(second.text) and set(ids(second.text)).isdisjoint(ids(first.text))
    assert query_of(Page(second.text).find(rel="prev")[0]["href"]) == [("per_page", "3")]
    last = client.get("/search", query_string={"per_page": "3", "page": str(pages)})
    assert Page(last.text).find(rel="next") == []
    beyond = client.get("/search", query_string={"per_page": "3", "page": str(pages + 1)})
    assert beyond.status_code == 200
    assert "nằm ngoài kết quả" in beyond.text


def test_empty_state(client):
    r = client.get("/search", query_string={"q": "zzzyyyxxx", "province": "Điện Biên"})
    assert r.status_code == 200
    assert "Không tìm thấy bài viết nào" in r.text
    assert "0 kết quả" in r.text
    clear = [a for a in Page(r.text).links if a["text"] == "Bỏ tất cả bộ lọc"]
    assert query_of(clear[0]["href"]) == [("q", "zzzyyyxxx")]


def test_did_you_mean(client):
    suggestion = client.get("/api/search", query_string={"q": "can bo cap xa"}).get_json()[
        "suggestion"
    ]
    if suggestion is None:
        pytest.skip("the index has no vocabulary (vocab.sqlite) yet: nothing to suggest")
    assert suggestion == "cán bộ cấp xã"
    r = client.get("/search", query_string={"q": "can bo cap xa", "province": "Điện Biên"})
    assert "Có phải bạn muốn tìm:" in r.text
    link = [a for a in Page(r.text).links if a["text"] == suggestion]
    assert query_of(link[0]["href"]) == [("province", "Điện Biên"), ("q", suggestion)]


def test_search_form_keeps_filters(client):
    r = client.get("/search", query_string=[("q", "xã"), ("topic", "Kinh tế"), ("page", "1")])
    assert '<input type="hidden" name="topic" value="Kinh tế">' in r.text
    assert 'name="page"' not in r.text


# --- article page ---------------------------------------------------------------


def test_article_page_shows_everything(client, web_engine):
    art = web_engine.article(SOURCE_ID)
    r = client.get(article_path(SOURCE_ID))
    links = Page(r.text)
    source = links.find(text="Xem bài gốc")
    assert [a["href"] for a in source] == [SOURCE_URL]
    assert links.find(href="https://baodienbien.vn/", text="Báo Điện Biên Phủ")
    assert "Minh Anh" in r.text and "01/07/2025" in r.text
    for topic in art.topics:
        assert query_of(links.find(text=topic)[0]["href"]) == [("topic", topic)]
    assert art.policy_refs
    for ref in art.policy_refs:
        href = links.find(text=ref.ref)[0]["href"]
        assert query_of(href) == [("q", ref.ref)]
        found = client.get(href.replace("/search", "/api/search")).get_json()
        assert SOURCE_ID in [h["id"] for h in found["hits"]]
    for caption in art.captions:
        assert caption in r.text
    related = [h.id for h in web_engine.related(SOURCE_ID, 5)]
    shown = [a["href"] for a in links.links if a["href"].startswith("/articles/")]
    assert shown == [article_path(i) for i in related]


def test_article_page_names_the_2025_province(client):
    r = client.get(article_path("syn/old-style"))
    links = Page(r.text)
    assert query_of(links.find(text="Bắc Kạn")[0]["href"]) == [("province", "Bắc Kạn")]
    assert query_of(links.find(text="Thái Nguyên")[0]["href"]) == [("province_2025", "Thái Nguyên")]
    assert "nay thuộc" in r.text


def test_article_page_highlights_the_search(client):
    r = client.get(article_path(SOURCE_ID), query_string={"q": "can bo"})
    assert '<mark class="match t0">cán bộ</mark>' in r.text
    assert query_of(Page(r.text).find(text="Quay lại")[0]["href"]) == [("q", "can bo")]
    plain = client.get(article_path(SOURCE_ID))
    assert "<mark" not in plain.text


# --- escaping and headers ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/search", "/search.atom", "/api/search"])
def test_query_html_is_escaped(client, path):
    q = '<script>alert("q")</script>'
    r = client.get(path, query_string={"q": q})
    assert r.status_code == 200
    if path == "/api/search":  # JSON keeps the text; the browser must not sniff it as HTML
        assert r.get_json()["query"] == q
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        return
    assert "<script>" not in r.text
    if path == "/search":
        assert "&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt;" in r.text


def test_hostile_article_fields_are_escaped(client):
    for path in ("/search?q=hoa+giai", article_path(XSS_ID)):
        r = client.get(path)
        assert "<script>" not in r.text
        assert "<img" not in r.text
        assert _esc(XSS_TITLE) in r.text
    article = client.get(article_path(XSS_ID))
    assert "javascript:" not in article.text
    assert "Xem bài gốc" not in article.text
    assert "&lt;Báo&gt; &amp; Co" in article.text


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=xa",
        "/articles/nope",
        "/api/search",
        "/api/articles/nope",
        "/search.atom",
        "/static/site.css",
        "/search?page=abc",
        "/nope",
    ],
)
def test_security_headers_on_every_response(client, path):
    with client.get(path) as r:
        headers = r.headers
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/search?q=xa", article_path(SOURCE_ID), "/articles/x"])
def test_no_inline_script_or_style(client, path):
    text = client.get(path).text
    # One script, the site's own file (suggestions as you type); nothing inline.
    assert text.count("<script") == 1
    assert '<script src="/static/suggest.js" defer></script>' in text
    assert "<style" not in text
    assert " style=" not in text


# --- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        {"page": "abc"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "100000"},
        {"per_page": "1000"},
        {"per_page": "0"},
        {"year": "abc"},
        {"sort": "random"},
        {"date_from": "2024-13-01"},
        {"date_to": "yesterday"},
    ],
)
@pytest.mark.parametrize("api", [False, True])
def test_bad_parameters_are_400(client, args, api):
    r = client.get("/api/search" if api else "/search", query_string={"q": "xã", **args})
    assert r.status_code == 400
    name = next(iter(args))
    if api:
        assert r.is_json
        assert name in r.get_json()["error"]
    else:
        assert r.mimetype == "text/html"
        assert "Yêu cầu tìm kiếm không hợp lệ" in r.text
        assert "Traceback" not in r.text


@pytest.mark.parametrize(
    "path",
    [
        "/search?q=%FF%FE",
        "/search?q=%00",
        "/search?province=%00",
        '/search?q="unclosed',
        "/search?q=title:(",
        "/search?q=" + "a" * 5000,
        "/api/search?per_page=",
        "/search?sort=",
        "/search.atom?q=%00",
    ],
)
def test_odd_input_is_not_an_error(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/search.atom?page=abc",
        "/search.atom?year=x",
        # An end before the start is said, not answered with nothing.
        "/search?date_from=2024-01-01&date_to=2023-01-01",
        "/search.atom?date_from=2024-01-01&date_to=2023-01-01",
    ],
)
def test_bad_feed_parameters_are_400(client, path):
    assert client.get(path).status_code == 400


@pytest.mark.parametrize(
    "path, is_json",
    [
        ("/articles/nope", False),
        ("/articles/syn/hi%E1%BB%83u", False),
        ("/api/articles/nope", True),
        ("/nope", False),
        ("/api/nope", True),
    ],
)
def test_not_found(client, path, is_json):
    r = client.get(path)
    assert r.status_code == 404
    if is_json:
        assert r.get_json()["status"] == 404
        assert r.get_json()["error"]
    else:
        assert "<h1>Không tìm thấy" in r.text


def test_method_not_allowed_is_json_under_api(client):
    r = client.post("/api/search")
    assert r.status_code == 405
    assert r.get_json()["status"] == 405


# --- feeds --------------------------------------------------------------------------


def test_atom_feed(client, web_engine):
    r = client.get("/search.atom", query_string={"q": "cán bộ", "province": "Điện Biên"})
    feed = ET.fromstring(r.data)
    assert feed.tag == f"{ATOM}feed"
    expected = web_engine.search("cán bộ", province="Điện Biên", sort="date", per_page=20)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [h.title for h in expected.hits]
    first = entries[0]
    assert child(first, f"{ATOM}link[@rel='alternate']").get("href") == (
        "http://localhost" + article_path(expected.hits[0].id)
    )
    assert child(first, f"{ATOM}link[@rel='via']").get("href") == SOURCE_URL
    assert first.findtext(f"{ATOM}updated") == "2025-07-01T00:00:00Z"
    assert feed.findtext(f"{ATOM}updated") == "2025-07-01T00:00:00Z"
    assert "<mark" in (child(first, f"{ATOM}summary").text or "")


def test_atom_feed_survives_control_characters(client):
    r = client.get("/search.atom", query_string={"q": "x\x01\x0b y"})
    title = child(ET.fromstring(r.data), f"{ATOM}title").text or ""
    assert title.split() == ["vnsearch:", "x", "y"]


def test_search_page_links_its_twins(client):
    r = client.get("/search", query_string={"q": "xã", "page": "1"})
    assert (
        '<link rel="alternate" type="application/json" href="/api/search?q=x%C3%A3&amp;page=1">'
    ) in r.text
    assert 'type="application/atom+xml"' in r.text and 'href="/search.atom?q=x%C3%A3"' in r.text


def test_opensearch(client):
    assert 'rel="search" type="application/opensearchdescription+xml"' in client.get("/").text
    doc = ET.fromstring(client.get("/opensearch.xml").data)
    ns = "{http://a9.com/-/spec/opensearch/1.1/}"
    templates = {u.get("type"): u.get("template") for u in doc.findall(f"{ns}Url")}
    assert templates["text/html"] == "http://localhost/search?q={searchTerms}"
    assert doc.findtext(f"{ns}ShortName") == "vnsearch"


# --- the index comes and goes --------------------------------------------------------


def test_missing_index_is_503_then_recovers(tmp_path, client_for):
    missing = tmp_path / "index"
    client = client_for(missing)
    page = client.get("/")
    assert page.status_code == 503
    assert "Chưa có chỉ mục tìm kiếm" in page.text
    api = client.get("/api/search?q=xa")
    assert api.status_code == 503
    body = api.get_json()
    assert body["code"] == "index_missing"
    assert body["message"] == body["error"]
    assert body["message"].startswith("Máy chủ chưa có chỉ mục để tìm kiếm.")
    assert str(missing) not in page.text + api.text  # no server paths in responses
    add_articles(missing, EXTRA[:1])
    assert client.get("/").status_code == 200
    assert client.get("/api/search").get_json()["total"] == 1


def test_new_articles_appear_without_restart(tmp_path, index_dir, client_for):
    live = copy_index(index_dir, tmp_path / "index", [])
    client = client_for(live)
    before = client.get("/api/search", query_string={"q": "kiện toàn"}).get_json()
    assert SOURCE_ID not in [h["id"] for h in before["hits"]]
    add_articles(live, EXTRA[:1])
    after = client.get("/api/search", query_string={"q": "kiện toàn"}).get_json()
    assert SOURCE_ID in [h["id"] for h in after["hits"]]
    assert after["total"] == before["total"] + 1
    assert client.get(article_path(SOURCE_ID)).status_code == 200


def test_one_engine_per_app(app):
    from web.engine import get_engine

    with app.app_context():
        first = get_engine()
    with app.app_context():
        assert get_engine() is first


# --- the serve command ----------------------------------------------------------------


def test_serve_is_a_vnsearch_command(runner):
    result = runner.invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--index", "--host", "--port", "--threads"):
        assert option in result.output
    assert "waitress" in result.output
