"""Hostile text in articles and queries renders inert on every page, feed and JSON answer.

Articles are written into a copy of the session index (``index_with``) with script
tags, attribute breakers, javascript: URLs and template syntax in every field,
facet values included; each page is then parsed: the payload must be there as
text, and nothing a browser or a feed reader would run.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from web_helpers import Page, assert_inert, child

from search.article import Article

ATOM = "{http://www.w3.org/2005/Atom}"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JINJA = "{{ 7*7 }}"
PAYLOADS = [SCRIPT, IMG, JINJA]
ALL = f"{SCRIPT} {IMG} {JINJA}"
PROVINCE = f"Điện Biên {SCRIPT}"
PROVINCE_2025 = f"Tỉnh {IMG}"
TOPIC = f"Chủ đề {SCRIPT} {JINJA}"
H1 = f"hostile/{SCRIPT}"
H2 = f"hostile/{IMG}"
H3 = "hostile/{{ 7*7 }}"

HOSTILE = [
    Article(
        id=H1,
        title=f"Cán bộ xã hoà giải {ALL}",
        lead=f"Đoạn dẫn về hoà giải {SCRIPT} ở thôn.",
        body=f"Cán bộ xã hoà giải {SCRIPT} tranh chấp đất đai {IMG} ở thôn {JINJA}.\n\n"
        "Tổ hoà giải cơ sở <b onmouseover=alert(1)>bản</b> "
        '<a href="javascript:alert(1)">xem</a> hoạt động hiệu quả.',
        captions=[f"Ảnh: hội nghị hoà giải {SCRIPT}", f"Chú thích {IMG}"],
        author=f"Phóng viên {IMG}",
        outlet=f"Báo {SCRIPT}",
        url="javascript:alert(1)",
        province=PROVINCE,
        province_2025=PROVINCE_2025,
        topics=[TOPIC, IMG],
        district=f"Huyện {SCRIPT}",
        commune=f"Xã {IMG}",
        date=dt.date(2025, 3, 1),
    ),
    Article(
        id=H2,
        title=f"Tổ hoà giải thôn bản {IMG}",
        body=f"Tổ hoà giải cơ sở ở thôn bản tranh chấp đất đai {SCRIPT} {JINJA} cán bộ xã.",
        captions=[f"{JINJA} {SCRIPT}"],
        author=f"{SCRIPT}",
        outlet=f"{IMG}",
        url='https://bao.example.vn/tin"><script>alert(1)</script>?a=1&b="2"',
        province=PROVINCE,
        province_2025=PROVINCE_2025,
        topics=[TOPIC],
        date=dt.date(2025, 3, 2),
    ),
    Article(
        id=H3,
        title=f"Hoà giải {JINJA} ở xã",
        body=f"Hoà giải tranh chấp đất đai ở thôn bản {IMG} cán bộ xã {SCRIPT}.",
        url=" JaVaScRiPt:alert(1)",
        outlet="data:text/html,<script>alert(1)</script>",
        province=PROVINCE,
        province_2025=PROVINCE_2025,
        topics=[IMG],
        date=dt.date(2025, 3, 3),
    ),
]


@pytest.fixture(scope="module")
def client(index_with, client_for):
    return client_for(index_with(HOSTILE, "hostile"))


def get_html(client, path, **query) -> Page:
    r = client.get(path, query_string=query)
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    return assert_inert(r.text)


def article_path(article_id: str, api: bool = False) -> str:
    return ("/api" if api else "") + "/articles/" + quote(article_id, safe="/@,")


# --- result pages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "hoà giải",
        "hoa giai tranh chap",
        "script alert",
        "onerror",
        "img src",
        "7",
        '"thôn bản"',
        '"hoà giải" OR "tranh chấp"',
    ],
)
def test_results_and_snippets_are_inert(client, q):
    page = get_html(client, "/search", q=q)
    shown = [p for p in PAYLOADS if p in page.text]
    assert shown  # the hostile text is on the page, as text


def test_highlight_inside_hostile_text(client):
    r = client.get("/search", query_string={"q": "script alert onerror"})
    assert r.status_code == 200
    assert_inert(r.text)
    # The matches inside the payload are marked, the brackets around them escaped.
    assert '&lt;<mark class="match' in r.text
    snippets = [s for s in r.text.split('<p class="snippet">')[1:]]
    assert snippets
    for s in snippets:
        assert_inert(s.split("</p>")[0], allowed_tags={"mark"})


def test_search_page_shows_every_hostile_field_as_text(client):
    page = get_html(client, "/search", q="hoà giải tranh chấp")
    for text in (
        f"Cán bộ xã hoà giải {ALL}",
        f"Tổ hoà giải thôn bản {IMG}",
        f"Báo {SCRIPT}",
        PROVINCE,
        PROVINCE_2025,
        TOPIC,
        IMG,
    ):
        assert text in page.text


@pytest.mark.parametrize(
    "q",
    [
        SCRIPT,
        IMG,
        JINJA,
        "javascript:alert(1)",
        ALL,
        "</title><script>alert(1)</script>",
        "</textarea><script>",
        "' onfocus='alert(1)' autofocus='",
    ],
)
@pytest.mark.parametrize("path", ["/search", article_path(H1)])  # the two templates
def test_hostile_queries_are_inert(client, path, q):
    page = get_html(client, path, q=q)
    boxes = [a.get("value") for t, a in page.tags if t == "input" and a.get("name") == "q"]
    assert boxes == [q]  # the search box keeps it, as a value
    if path == "/search":  # and the heading shows it, as text
        assert f"Kết quả cho «{q}»" in page.text


def test_query_in_form_value_and_hidden_filters(client):
    page = get_html(client, "/search", q=IMG, province=PROVINCE, topic=TOPIC)
    inputs = {a.get("name"): a.get("value") for t, a in page.tags if t == "input"}
    assert inputs["q"] == IMG
    assert inputs["province"] == PROVINCE
    assert inputs["topic"] == TOPIC


# --- facets and chips ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [("province", PROVINCE), ("province_2025", PROVINCE_2025), ("topic", TOPIC), ("topic", IMG)],
)
def test_hostile_facet_values_and_chips(client, name, value):
    r = client.get("/search", query_string={name: value})
    assert r.status_code == 200
    page = assert_inert(r.text)
    assert f"{value}" in page.text
    # The chip and the selected facet link remove the filter again.
    chip = [a for t, a in page.tags if t == "a" and "chip" in (a.get("class") or "")]
    assert len(chip) == 1
    assert value in chip[0]["title"]
    assert quote(value, safe="") not in chip[0]["href"]
    api = client.get("/api/search", query_string={name: value}).get_json()
    assert api["total"] >= 1
    assert api["filters"][name] == [value]


def test_home_page_lists_hostile_provinces_and_topics(client):
    page = get_html(client, "/")
    for text in (PROVINCE, TOPIC, f"Hoà giải {JINJA} ở xã"):
        assert text in page.text


def test_province_note_is_text(client):
    page = get_html(client, "/search", q="hoà giải")
    assert f"nay thuộc {PROVINCE_2025}" in page.text


# --- article pages --------------------------------------------------------------------------


@pytest.mark.parametrize("article_id", [H1, H2, H3])
@pytest.mark.parametrize("q", ["", "hoà giải script onerror"])
def test_article_page_is_inert(client, article_id, q):
    page = get_html(client, article_path(article_id), **({"q": q} if q else {}))
    assert "Bài liên quan" in page.text
    for text in (PROVINCE, PROVINCE_2025):
        assert text in page.text


def test_article_page_shows_every_field_as_text(client):
    r = client.get(article_path(H1), query_string={"q": "script"})
    page = assert_inert(r.text)
    for text in (
        f"Cán bộ xã hoà giải {ALL}",
        f"Đoạn dẫn về hoà giải {SCRIPT} ở thôn.",
        f"Ảnh: hội nghị hoà giải {SCRIPT}",
        f"Chú thích {IMG}",
        f"Phóng viên {IMG}",
        f"Báo {SCRIPT}",
        TOPIC,
        "<b onmouseover=alert(1)>bản</b>",
        '<a href="javascript:alert(1)">xem</a>',
    ):
        assert text in page.text
    assert '&lt;<mark class="match' in r.text  # highlighted inside the script tag's text
    assert "Xem bài gốc" not in page.text  # javascript: is no source link


def test_related_list_shows_hostile_titles_as_text(client):
    page = get_html(client, article_path(H1))
    related = page.text.split("Bài liên quan", 1)[1]
    assert f"Tổ hoà giải thôn bản {IMG}" in related or f"Hoà giải {JINJA} ở xã" in related


def test_source_link_keeps_its_quotes_inside_the_attribute(client):
    page = get_html(client, article_path(H2))
    source = [a for t, a in page.tags if t == "a" and a.get("class") == "button"]
    assert [a["href"] for a in source] == [HOSTILE[1].url]


@pytest.mark.parametrize("article_id", [H1, H3])
def test_no_javascript_or_data_url_becomes_a_link(client, article_id):
    page = get_html(client, article_path(article_id))
    assert "Xem bài gốc" not in page.text
    assert "Không có đường dẫn tới bài gốc." in page.text


# --- the Atom feed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "hoà giải",
        "script alert onerror",
        SCRIPT,
        IMG,
        JINJA,
        "]]><x>",
        "&e; &amp;",
        "\x00\x01\x0b\ufffe hoà giải",
    ],
)
def test_atom_feed_is_well_formed_and_inert(client, q):
    r = client.get("/search.atom", query_string={"q": q})
    assert r.status_code == 200
    feed = ET.fromstring(r.data)  # well-formed XML, whatever the query and the articles
    atom = {
        f"{ATOM}{t}"
        for t in (
            "feed",
            "title",
            "subtitle",
            "id",
            "link",
            "updated",
            "author",
            "name",
            "generator",
            "entry",
            "summary",
            "category",
        )
    }
    assert {e.tag for e in feed.iter()} <= atom  # no <script> (or any other) element
    assert list(child(feed, f"{ATOM}title")) == []
    for entry in feed.findall(f"{ATOM}entry"):
        assert list(child(entry, f"{ATOM}title")) == []
        summary = child(entry, f"{ATOM}summary")
        assert summary.get("type") == "html"
        assert list(summary) == []
        # The summary is HTML for a feed reader: only <mark>, the rest escaped text.
        assert_inert(summary.text or "", allowed_tags={"mark"})
        for link in entry.findall(f"{ATOM}link"):
            assert link.get("href", "").startswith(("http://", "https://"))


def test_atom_feed_carries_hostile_titles_as_text(client):
    r = client.get("/search.atom", query_string={"q": "hoà giải"})
    feed = ET.fromstring(r.data)
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert f"Cán bộ xã hoà giải {ALL}" in titles
    authors = [e.findtext(f"{ATOM}author/{ATOM}name") for e in feed.findall(f"{ATOM}entry")]
    assert SCRIPT in authors
    categories = {c.get("term") for c in feed.iter(f"{ATOM}category")}
    assert {TOPIC, IMG} <= categories
    feed_title = ET.fromstring(client.get("/search.atom", query_string={"q": SCRIPT}).data)
    assert feed_title.findtext(f"{ATOM}title") == f"vnsearch: {SCRIPT}"


def test_atom_feed_links_no_javascript_url(client):
    r = client.get("/search.atom", query_string={"q": "hoà giải"})
    feed = ET.fromstring(r.data)
    via = [link.get("href", "") for link in feed.iter(f"{ATOM}link") if link.get("rel") == "via"]
    assert HOSTILE[1].url in via  # an http(s) source is kept
    assert all(v.startswith(("http://", "https://")) for v in via)


# --- JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["hoà giải", "script alert onerror", IMG])
def test_api_search_json_is_data_and_snippets_are_escaped(client, q):
    r = client.get("/api/search", query_string={"q": q})
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    result = json.loads(r.data)
    assert result["query"] == q
    for hit in result["hits"]:
        assert_inert(hit["snippet"], allowed_tags={"mark"})
    titles = {
        h["title"]
        for h in client.get("/api/search", query_string={"q": "hoà giải"}).get_json()["hits"]
    }
    assert f"Cán bộ xã hoà giải {ALL}" in titles  # JSON keeps the text as it is


@pytest.mark.parametrize("article_id", [H1, H2, H3])
def test_api_article_round_trips_hostile_text(client, article_id):
    r = client.get(article_path(article_id, api=True))
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    d = r.get_json()
    expected = next(a for a in HOSTILE if a.id == article_id)
    assert (d["id"], d["title"], d["captions"], d["author"], d["outlet"]) == (
        expected.id,
        expected.title,
        expected.captions,
        expected.author,
        expected.outlet,
    )
