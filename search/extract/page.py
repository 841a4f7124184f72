"""Assemble an :class:`~search.article.Article` from the text of a saved page.

A page is read as a sequence of lines in three zones: the head (chrome, the
dateline, the title), the article (lead, body, captions) and the tail (byline,
source, side panels and footer). Everything outside the article's text that is
not a date, a byline or a source is chrome and dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .. import reasons as why
from ..article import Article
from ..errors import BadArticle
from ..policy import PolicyRef, extract_refs, find_refs, leading_kind, ref_key
from . import bylines, chrome, dates, outlets
from . import captions as caps
from .places import find_places, province_2025, province_key, province_name
from .text import bounded_chunks, clean_line, fold_keep_case
from .topics import find_topics

MIN_TITLE_WORDS = 3
MIN_LEAD_WORDS, MAX_LEAD_WORDS = 12, 150
# A labelled byline or source in the first part of a page is no end marker.
TAIL_START = 0.4
# Longer lines are cut at spaces into lines of at most this many characters
# before any rule reads them (paragraphs of real pages are far shorter), so the
# cost of every line rule is bounded whatever a file holds.
MAX_LINE_CHARS = 5000


def _same(a: str, b: str) -> bool:
    return chrome.folded(a).rstrip(" .") == chrome.folded(b).rstrip(" .")


def _panel_ref(line: str, next_line: str | None) -> PolicyRef | None:
    """The document of a side-panel "Số/Ký hiệu: ..." line, its kind from the next line."""
    value = line.split(":", 1)[1].strip() if ":" in line else ""
    if not value:
        return None
    found = find_refs(value)
    kind = leading_kind(next_line) if next_line else None
    if found:
        ref = found[0][0]
        return PolicyRef(ref.ref, kind or ref.kind, ref.key)
    display = " ".join(value.split())
    return PolicyRef(display, kind, ref_key(display))


class _Page:
    """Working state while one page is read."""

    def __init__(self, items: list[str]):
        self.items = items
        self.title = ""
        self.date: dt.date | None = None
        self.author: str | None = None
        self.source: str | None = None
        self.url: str | None = None
        self.lead = ""
        self.body: list[str] = []
        self.captions: list[str] = []
        self.panel_refs: list[PolicyRef] = []

    def take_dateline(self, line: str) -> bool:
        if not dates.is_dateline(line):
            return False
        if self.date is None:
            before, rest = dates.split_dateline(chrome.strip_widgets(line))
            self.date = dates.parse_date(rest)
            if before and self.author is None and not chrome.folded(before).endswith(":"):
                self.author = bylines.name_line_author(before)
        return True

    def take_source(self, line: str, tail: bool) -> bool:
        value = bylines.source_of(line, tail=tail)
        if value is None:
            url = bylines.find_url(line) if tail and len(line.split()) == 1 else None
            if url is None:
                return False
            value = url
        url = bylines.find_url(value)
        if url:
            self.url = self.url or url
        else:
            self.source = self.source or value
        return True

    def take_credit(self, line: str) -> bool:
        author = bylines.credit_author(line)
        if author:
            self.author = self.author or author
        return author is not None

    def head(self) -> int:
        """Read chrome, dateline and title; the index of the first article line."""
        items, i = self.items, 0
        while i < len(items):
            line = items[i]
            if self.take_dateline(line) or chrome.is_chrome(line):
                i += 1
            elif not self.title:
                # Short lines before the title are menus and labels.
                if len(line.split()) >= MIN_TITLE_WORDS and any(c.isalpha() for c in line):
                    self.title = line
                i += 1
            else:
                break
        return i

    def tail_start(self, start: int) -> int:
        """Index of the first line after the article (a labelled byline or source)."""
        items = self.items
        first = max(start, int(len(items) * TAIL_START))
        for i in range(first, len(items)):
            line = items[i]
            if bylines.credit_author(line) or bylines.source_of(line) or chrome.is_panel(line):
                return i
        return len(items)

    def tail(self, start: int) -> None:
        """Harvest byline, source, dates and side-panel references after the article."""
        items = self.items
        for i in range(start, len(items)):
            line = items[i]
            if chrome.is_panel(line) and "ky hieu" in chrome.folded(line):
                ref = _panel_ref(line, items[i + 1] if i + 1 < len(items) else None)
                if ref:
                    self.panel_refs.append(ref)
            elif not self.take_credit(line) and not self.take_source(line, tail=True):
                self.take_dateline(line)

    def article(self, start: int, end: int) -> None:
        """Split the article's lines into lead, body paragraphs and captions."""
        items = self.items[start:end]
        i = 0
        while i < len(items):
            line = items[i]
            nxt = items[i + 1] if i + 1 < len(items) else None
            if nxt is not None and _same(line, nxt) and len(line.split()) <= caps.MAX_WORDS:
                self.captions.append(line)  # alt text printed again as the caption
                i += 2
                continue
            i += 1
            if caps.is_credit_line(line) or chrome.is_chrome(line):
                continue
            if caps.has_photo_credit(line) and len(line.split()) <= caps.MAX_WORDS + 8:
                self.captions.append(caps.strip_credit(line))
            elif not self.lead and not self.body and self._is_lead(line):
                self.lead = line
            elif (self.lead or self.body) and caps.looks_like_caption(line):
                self.captions.append(line)
            elif self.take_credit(line):
                continue
            else:
                self.body.append(line)
        self._trailing()

    def _is_lead(self, line: str) -> bool:
        n = len(line.split())
        return MIN_LEAD_WORDS <= n <= MAX_LEAD_WORDS and not caps.looks_like_caption(line)

    def _trailing(self) -> None:
        """Bylines and sources printed as the last lines of the body."""
        while self.body:
            last = self.body[-1]
            if self.author is None and bylines.name_line_author(last):
                self.author = bylines.name_line_author(last)
            elif not self.take_source(last, tail=True) and not self.take_dateline(last):
                break
            self.body.pop()


def parse_page(
    text: str, article_id: str, source_path: str | None = None, given: dict | None = None
) -> Article:
    """The Article of a page's text; fields in ``given`` win over what is inferred."""
    items = [
        piece
        for line in map(clean_line, text.splitlines())
        for piece in bounded_chunks(line, MAX_LINE_CHARS)
    ]
    if not items:
        raise BadArticle(source_path or article_id, "không có văn bản", why.NO_TEXT)
    page = _Page(items)
    start = page.head()
    end = page.tail_start(start)
    page.tail(end)
    page.article(start, end)
    if not page.title and page.lead:
        page.title, page.lead = page.lead, ""
    if not page.title and not page.body:
        raise BadArticle(source_path or article_id, "không có nội dung bài viết", why.NO_TEXT)
    article = Article(
        id=article_id,
        title=page.title,
        lead=page.lead,
        body="\n\n".join(page.body),
        captions=caps.dedupe(page.captions),
        date=page.date,
        author=page.author,
        url=page.url,
        source_path=source_path,
    )
    for key, value in (given or {}).items():
        if value not in (None, "", []):
            setattr(article, key, value)
    return complete(article, source=page.source, extra_refs=page.panel_refs)


def _outlet(article: Article, source: str | None):
    """The outlet row for an article: from its lead's code, its URL or a source line."""
    found = None
    code = outlets.lead_code(article.lead or article.body[:40])
    if code:
        found = outlets.by_code(code[0])
    if found is None and article.url:
        found = outlets.by_url(article.url)
    for name in (source, article.outlet):
        if found is None and name:
            found = outlets.by_name(name) or (outlets.by_url(name) if "." in name else None)
    return found


def complete(
    article: Article, *, source: str | None = None, extra_refs: Sequence[PolicyRef] = ()
) -> Article:
    """Infer the fields still empty: outlet, URLs, places, topics, policy references."""
    row = _outlet(article, source)
    if not article.outlet:
        if row:
            article.outlet = row.name
        elif source and not bylines.find_url(source) and len(source.split()) <= 8:
            article.outlet = source
    if not article.url and article.urls:
        article.url = article.urls[0]
    if article.url and article.url not in article.urls:
        article.urls = [article.url, *article.urls]
    text = "\n".join([article.lead, article.body, *article.captions])
    # Fold once: places and topics both read the folded text.
    ftitle, ftext = fold_keep_case(article.title), fold_keep_case(text)
    if not article.policy_refs:
        refs = {r.key: r for r in extract_refs(article.text())}
        for r in extra_refs:
            refs.setdefault(r.key, r)
        article.policy_refs = list(refs.values())
    if article.province:
        # A given province: its usual name when it is one we know, and its 2025 province.
        key = province_key(article.province)
        article.province = province_name(key) or article.province
    else:
        places = find_places(ftitle, ftext, row.province if row else None, prefolded=True)
        article.province = places.province
        article.district = article.district or places.district
        article.commune = article.commune or places.commune
    if article.province and not article.province_2025:
        article.province_2025 = province_2025(article.province)
    if not article.topics:
        article.topics = find_topics(ftitle, ftext, prefolded=True)
    return article
