"""Pure parsing: raw input (bytes of one record) -> :class:`Article`.

Nothing here touches the index or the filesystem. Runs in worker processes,
so everything is module level; trafilatura is imported only for HTML.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from . import reasons as why
from .analysis import ensure_normalized
from .article import Article
from .errors import BadArticle
from .extract.jsonline import parse_json_line
from .extract.page import parse_page
from .readers import Record

# Control characters other than tab, newline, carriage return and form feed.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Windows-1258 text decodes to base letters and combining tone marks.
_VIETNAMESE = re.compile(r"[\u0300\u0301\u0303\u0309\u0323ăâêôơưđĂÂÊÔƠƯĐ]")
MAX_CONTROL_SHARE = 0.01
EMPTY = "tệp rỗng"


def _binary(text: str) -> bool:
    return "\x00" in text or len(_CONTROL.findall(text[:4096])) > MAX_CONTROL_SHARE * min(
        len(text), 4096
    )


def decode(raw: bytes, source: str) -> str:
    """Text of a file: UTF-8 (BOM or not), UTF-16 with BOM or Windows-1258; NFC-normalised."""
    if not raw.strip():
        raise BadArticle(source, EMPTY, why.EMPTY)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as e:
            raise BadArticle(
                source,
                f"không giải mã được: không phải văn bản UTF-16 hợp lệ (lỗi ở byte {e.start})",
                why.UNDECODABLE,
            ) from None
    elif b"\x00" in raw:
        raise BadArticle(source, "tệp nhị phân (có byte NUL)", why.BINARY)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            text = _decode_cp1258(raw, source, f"lỗi ở byte {e.start}")
    if _binary(text):
        raise BadArticle(source, "tệp nhị phân (có ký tự điều khiển)", why.BINARY)
    if not text.strip():
        raise BadArticle(source, EMPTY, why.EMPTY)
    return ensure_normalized(text)


def _decode_cp1258(raw: bytes, source: str, utf8_error: str) -> str:
    """Windows-1258, accepted only if it reads as Vietnamese (else: undecodable)."""
    undecodable = f"không giải mã được: không phải UTF-8 hợp lệ ({utf8_error})"
    # Windows-1258 bytes almost never form valid UTF-8 sequences; text with many
    # of them and a few broken bytes is damaged UTF-8, not Windows-1258.
    lenient = raw.decode("utf-8", "replace")
    invalid = lenient.count("\ufffd")
    valid = sum(ord(c) > 127 for c in lenient) - invalid
    if valid and valid * 4 >= invalid:
        raise BadArticle(source, undecodable, why.UNDECODABLE)
    try:
        text = raw.decode("cp1258")
    except UnicodeDecodeError:
        raise BadArticle(
            source, f"{undecodable}, cũng không phải Windows-1258", why.UNDECODABLE
        ) from None
    text = unicodedata.normalize("NFC", text)
    letters = sum(c.isalpha() for c in text)
    if not letters or len(_VIETNAMESE.findall(unicodedata.normalize("NFD", text))) < 0.02 * letters:
        raise BadArticle(
            source, f"{undecodable}, cũng không phải tiếng Việt mã Windows-1258", why.UNDECODABLE
        )
    return text


def parse_article(text: str, article_id: str, source_path: str | None = None) -> Article:
    """The Article of a page's text (title, lead, body, captions and inferred fields)."""
    return parse_page(ensure_normalized(text), article_id, source_path)


def load_tables(kind: str = "txt") -> None:
    """Load the data parsing needs (places, topics, outlets; trafilatura for HTML) once.

    Called before a record's time budget starts, so that the first record of a
    process does not pay for the tables, and an interrupted load never leaves
    a half-imported module behind.
    """
    from .extract import outlets, places, topics

    places.units()
    topics.taxonomy()
    outlets.outlets()
    if kind == "html":
        import dateparser
        import trafilatura  # noqa: F401 (heavy; only HTML inputs pay for it)

        # htmldate falls back on dateparser, which compiles the patterns of its
        # ~200 locales the first time it guesses a text's language (1.7 s of
        # CPU): done here, before any record's budget.
        dateparser.parse("trang 70/2009")


def parse_record(record: Record) -> Article:
    """The Article of one record (raises BadArticle with the reason)."""
    if record.kind == "json":
        article = parse_json_line(record.raw, record.id, record.source)
    elif record.kind == "html":
        from .extract.html import parse_html  # trafilatura: only HTML pays its import

        article = parse_html(
            decode(record.raw, record.source), record.id, record.source, url=record.url
        )
    else:
        article = parse_article(decode(record.raw, record.source), record.id, record.source)
    article.source_path = record.source
    article.content_hash = record.hash
    return article
