"""Saved HTML pages: main text and metadata by trafilatura, then the page reader.

trafilatura finds the article's text and reads title, date, author and
canonical URL from the page's own markup (``<meta>``, JSON-LD, ``<link
rel=canonical>``); the lines it returns go through :func:`parse_page` for the
lead, captions, byline, places and topics. It is imported on first use: it is
slow to import and only HTML needs it.
"""

from __future__ import annotations

import re

from .. import reasons as why
from ..article import Article
from ..errors import BadArticle
from .bylines import title_case
from .dates import parse_date
from .page import parse_page

# trafilatura writes an image with its alt text as Markdown: ![alt](src)
_IMAGE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\([^)]*\)\s*$")
# libxml2 checks each new attribute against the element's others: a tag of
# 50,000 attributes takes a minute of C code that no CPU budget interrupts. A
# tag with more "=" or spaces than this is read as its bare name.
MAX_TAG_PARTS = 2000
_TAG_NAME = re.compile(r"/?[A-Za-z][A-Za-z0-9:-]{0,63}")


def tame_tags(html: str) -> str:
    """``html`` with every tag of more than MAX_TAG_PARTS attributes cut to its name (linear)."""
    if html.count("=") + html.count(" ") <= MAX_TAG_PARTS:
        return html  # no tag can have that many
    out: list[str] = []
    i = 0  # copied up to here
    lt, gt = -1, -1
    while True:
        lt = html.find("<", lt + 1)
        if lt < 0:
            break
        if gt < lt:  # the first ">" after lt (kept while it still is: linear)
            gt = html.find(">", lt)
            if gt < 0:
                break
        if html.find("<", lt + 1, gt) >= 0:
            continue  # not a tag: another "<" comes first
        body = html[lt + 1 : gt]
        if body.count("=") + body.count(" ") > MAX_TAG_PARTS:
            name = _TAG_NAME.match(body)
            out.append(html[i:lt])
            out.append(f"<{name.group(0)}>" if name else " ")
            i = gt + 1
        lt = gt
    out.append(html[i:])
    return "".join(out)


def parse_html(
    html: str, article_id: str, source_path: str | None = None, url: str | None = None
) -> Article:
    """The Article of a saved HTML page (``url``: where it was fetched, wins over the markup's)."""
    import trafilatura  # heavy; only HTML inputs pay for it
    from trafilatura.settings import Document, set_date_params

    doc = trafilatura.bare_extraction(
        tame_tags(html),
        with_metadata=True,
        include_images=True,
        include_comments=False,
        include_tables=False,
        deduplicate=True,
        # htmldate's extensive search hands free text to dateparser, which tries
        # every locale it knows and builds their tables on first sight: 1.4 s of CPU
        # for "7/27/2021 9:41:40 AM1thuỷ…" once per process. The markup's dates and
        # htmldate's own patterns stay; a dateline in the text is read by parse_page.
        date_extraction_params=set_date_params(False),
    )
    # A Document (as_dict is not asked for), or None when trafilatura finds nothing.
    doc_text = doc.text if isinstance(doc, Document) else None
    if not isinstance(doc, Document) or doc_text is None or not doc_text.strip():
        raise BadArticle(
            source_path or article_id, "không tìm thấy nội dung bài viết trong HTML", why.NO_TEXT
        )
    title = (doc.title or "").strip()
    lines, alts = [], []
    for line in doc_text.splitlines():
        m = _IMAGE.match(line.strip())
        if m:
            if m.group("alt").strip():
                alts.append(m.group("alt").strip())
            continue
        lines.append(line)
    # The page reader expects the title first; trafilatura often repeats the <h1>.
    if lines and title and lines[0].strip() == title:
        lines = lines[1:]
    text = "\n".join([title, *lines]) if title else "\n".join(lines)
    given = {
        "date": parse_date(doc.date or ""),
        "author": title_case(doc.author) if doc.author else None,
        "url": url or doc.url or None,
    }
    article = parse_page(text, article_id, source_path, given=given)
    if alts:
        from .captions import dedupe

        article.captions = dedupe([*alts, *article.captions])
        # An alt text the page printed again as a caption line is no body text.
        body = [p for p in article.body.split("\n\n") if p not in alts]
        article.body = "\n\n".join(body)
    return article
