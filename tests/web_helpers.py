"""Helpers for the web tests: an index with extra articles the site must show, a link parser.

The session index of tests/conftest.py is read-only, so the web tests copy it and add
articles with a source URL, an outlet, an author and hostile HTML in their fields.
"""

from __future__ import annotations

import datetime as dt
import shutil
from html.parser import HTMLParser
from pathlib import Path

from helpers import add_articles
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


def copy_index(src: Path, dest: Path, extra=EXTRA) -> Path:
    """A copy of the index at ``src`` with the ``extra`` articles added."""
    shutil.copytree(src, dest)
    add_articles(dest, list(extra))
    return dest


class Links(HTMLParser):
    """Every <a> of a page: (href, text, the data-facet of the enclosing facet box, classes)."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[dict] = []
        self._facet: list[str | None] = []
        self._open: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
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
