"""JSON Lines articles: given fields are kept, missing ones inferred from the text."""

from __future__ import annotations

import json
import re

from .. import reasons as why
from ..analysis import normalize_text
from ..article import Article
from ..errors import BadArticle
from .bylines import name_line_author, title_case
from .captions import dedupe
from .dates import parse_date
from .page import complete

# Corpus names in a "source" field that are no outlet of their own.
_NOT_OUTLETS = {"vntc", "vietnews"}
# JSON may escape half a surrogate pair ("\ud800"): no UTF-8 output accepts it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    return normalize_text(_SURROGATE.sub("\ufffd", text)).strip()


def _text(value) -> str:
    return _clean(value) if isinstance(value, str) else ""


def _list(value) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return [_clean(v) for v in value if isinstance(v, str) and v.strip()]


def parse_json_line(raw: bytes, article_id: str, source: str) -> Article:
    """The Article of one JSON line (``id``, ``title``, ``body`` and optional fields)."""
    try:
        d = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as e:
        raise BadArticle(source, why.bad_json(e), why.BAD_JSON) from None
    if not isinstance(d, dict):
        raise BadArticle(source, "dòng JSON không phải là một đối tượng", why.NOT_OBJECT)
    title, body = _text(d.get("title")), _text(d.get("body"))
    if not title and not body:
        raise BadArticle(source, "không có tiêu đề và nội dung", why.NO_TEXT)
    outlet = _text(d.get("outlet")) or _text(d.get("source"))
    if outlet.lower() in _NOT_OUTLETS:
        outlet = ""
    article = Article(
        id=article_id,
        title=title,
        lead=_text(d.get("lead")),
        body=body,
        captions=dedupe(_list(d.get("captions"))),
        date=parse_date(_text(d.get("date"))),
        url=_text(d.get("url")) or None,
        urls=_list(d.get("urls")),
        author=title_case(_text(d.get("author"))) or None,
        outlet=outlet or None,
        province=_text(d.get("province")) or None,
        district=_text(d.get("district")) or None,
        commune=_text(d.get("commune")) or None,
        topics=_list(d.get("topics")),
        source_path=source,
    )
    if article.author is None and body:
        # A byline printed as the body's last line ("Thu Cúc").
        last = body.rstrip().rsplit("\n", 1)[-1].strip()
        article.author = name_line_author(last)
    # The outlet's name (or a Báo Mới aggregator label) is kept as given.
    return complete(article, source=outlet or None)
