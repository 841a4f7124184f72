"""Pure parsing: raw input (bytes of one record) -> :class:`Article`.

Nothing here touches the index or the filesystem.
"""
from __future__ import annotations

import codecs

from .analysis import normalize_text
from .article import Article
from .errors import BadArticle
from .policy import extract_refs
from .readers import Record

def decode(raw: bytes, source: str) -> str:
    """Text of a file: UTF-8 (with or without BOM) or UTF-16 with BOM; NFC-normalised."""
    if not raw.strip():
        raise BadArticle(source, "empty file")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise BadArticle(source, f"not valid {encoding} text ({e.reason} at byte {e.start})") \
            from None
    if "\x00" in text:
        raise BadArticle(source, "binary content (NUL characters)")
    return normalize_text(text)


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def parse_article(text: str, article_id: str, source_path: str | None = None) -> Article:
    """A simple article from page text: first meaningful line is the title, the rest the body."""
    lines = [line for line in _lines(text) if line]
    # A "meaningful" title line has a few words and is not a bare date or number.
    title_at = next((i for i, line in enumerate(lines)
                     if len(line.split()) >= 3 and any(c.isalpha() for c in line)), 0)
    title = lines[title_at] if lines else ""
    body = "\n\n".join(lines[title_at + 1:])
    if not title and not body:
        raise BadArticle(source_path or article_id, "no text")
    article = Article(id=article_id, title=title, body=body, source_path=source_path)
    article.policy_refs = extract_refs(article.text())
    return article


def parse_record(record: Record) -> Article:
    """The Article of one record (raises BadArticle with the reason)."""
    article = parse_article(decode(record.raw, record.source), record.id, record.source)
    article.content_hash = record.hash
    return article
