"""Helpers for the web tests: the articles the site must show, and the one HTML parser.

The session index of tests/conftest.py is read-only, so the web tests take a copy of it
(the ``index_with`` factory) with articles that have a source URL, an outlet, an author
and hostile HTML in their fields (``EXTRA``).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from search.article import Article

SOURCE_ID = "web/nguồn @ Điện Biên, 2025"
SOURCE_URL = "https://baodienbien.vn/tin-tuc/kien-toan-can-bo-cap-xa-123.html"
XSS_ID = "web/<b>x</b>"
XSS_TITLE = '<script>alert("tiêu đề")</script> Cán bộ & "nhân dân"'

EXTRA = [
    Article(
        id=SOURCE_ID,
        title="Điện Biên kiện toàn đội ngũ cán bộ cấp xã sau sắp xếp",
        lead="Tỉnh hoàn thành việc bố trí cán bộ cấp xã theo mô hình mới.",
        body="Thực hiện Quyết định số 70/2009/QĐ-TTg của Thủ tướng Chính phủ, tỉnh đã rà "
        "soát đội ngũ cán bộ cấp xã.\n\nCác xã tổ chức bồi dưỡng nghiệp vụ cho công "
        "chức mới.",
        captions=["Lớp bồi dưỡng cán bộ cấp xã tại thành phố Điện Biên Phủ."],
        url=SOURCE_URL,
        outlet="Báo Điện Biên Phủ",
        author="Minh Anh",
        province="Điện Biên",
        province_2025="Điện Biên",
        topics=["Tổ chức cán bộ"],
        date=dt.date(2025, 7, 1),
    ),
    Article(
        id=XSS_ID,
        title=XSS_TITLE,
        body='<img src=x onerror="alert(1)"> Cán bộ xã hoà giải ở thôn <i>bản</i>.',
        url="javascript:alert(1)",
        outlet="<Báo> & Co",
        province="Bắc Kạn",
        province_2025="Thái Nguyên",
        topics=["Tổ chức cán bộ"],
        date=dt.date(2025, 1, 2),
    ),
]


class Page(HTMLParser):
    """A page as a browser sees it: its elements with their attributes, its text, its links.

    ``links`` holds every <a>: href, text, the data-facet of the enclosing facet box,
    class, rel and aria-current.
    """

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.links: list[dict] = []
        self._chunks: list[str] = []
        self._facet: list[str | None] = []
        self._open: dict | None = None
        self.feed(html)
        self.close()

    @property
    def text(self) -> str:
        """The page's text, markup removed and character references decoded."""
        return "".join(self._chunks)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "section":
            self._facet.append(attrs.get("data-facet"))
        if tag == "a":
            facet = next((f for f in reversed(self._facet) if f), None)
            self._open = {
                "href": attrs.get("href"),
                "text": "",
                "facet": facet,
                "class": attrs.get("class") or "",
                "rel": attrs.get("rel") or "",
                "current": attrs.get("aria-current"),
            }
            self.links.append(self._open)

    def handle_endtag(self, tag):
        if tag == "section" and self._facet:
            self._facet.pop()
        if tag == "a":
            if self._open is not None:
                self._open["text"] = " ".join(self._open["text"].split())
            self._open = None

    def handle_data(self, data):
        self._chunks.append(data)
        if self._open is not None:
            self._open["text"] += data

    def find(self, **want) -> list[dict]:
        """Links whose fields equal ``want`` (``text`` matches as a substring)."""
        text = want.pop("text", None)
        return [
            link
            for link in self.links
            if all(link.get(k) == v for k, v in want.items())
            and (text is None or text in link["text"])
        ]


def child(element: ET.Element, path: str) -> ET.Element:
    """The first element at ``path`` under ``element`` (which must be there)."""
    found = element.find(path)
    assert found is not None, path
    return found


# Elements no page of the site has, whatever the data: they would load or run something.
ACTIVE_TAGS = {
    "img",
    "iframe",
    "object",
    "embed",
    "b",
    "base",
    "foreignobject",
    "use",
    "image",
    "animate",
    "set",
}


def assert_inert(html: str, allowed_tags: set[str] | None = None) -> Page:
    """Nothing in ``html`` a browser would run; returns the parsed page.

    The only script is the site's own suggest.js, the only svg its own charts, no
    attribute is an event handler and every link or form goes to this site or http(s).
    """
    page = Page(html)
    for tag, attrs in page.tags:
        assert tag not in ACTIVE_TAGS
        if tag == "svg":  # the site's own charts alone (web/charts.py), never one from the data
            assert attrs.get("class") in {"timeline", "map"} and attrs.get("role") == "group"
        if tag == "script":  # the site's own suggest.js alone, never a script from the data
            assert attrs == {"src": "/static/suggest.js", "defer": None}
        if allowed_tags is not None:
            assert tag in allowed_tags
        for name, value in attrs.items():
            assert not name.startswith("on")
            if name in {"href", "src", "action", "formaction"}:
                v = (value or "").strip().lower()
                assert not v.startswith(("javascript:", "data:", "vbscript:"))
                assert v.startswith(("/", "http://", "https://", "#", "?"))
    return page
