"""The one stored copy of an article: its JSON, compressed by zlib with a preset dictionary.

News articles are short, and zlib would start each one knowing nothing: the
preset dictionary (``search/data/stored.zdict``, typical text from the seed
articles, built by ``tools/build_zdict.py``) makes the copies a fifth smaller.
The dictionary is fixed: every copy names it by its checksum. Copies written
without it (Xapian indexes of schema version 4) read the same way.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from .article import Article

ZDICT = (Path(__file__).resolve().parent / "data" / "stored.zdict").read_bytes()
LEVEL = 6


def pack(article: Article) -> bytes:
    """The stored bytes of an article."""
    c = zlib.compressobj(LEVEL, zdict=ZDICT)
    return c.compress(article.dumps().encode("utf-8")) + c.flush()


def unpack(data: bytes) -> Article:
    """The article of stored bytes; zlib.error (or a JSON or value error) when damaged."""
    d = zlib.decompressobj(zdict=ZDICT)
    raw = d.decompress(data)
    if not d.eof:
        raise zlib.error("a stored article ends before its compressed stream does")
    return Article.from_dict(json.loads(raw.decode("utf-8")))


def load_article(stored: dict) -> Article:
    """The Article of a document's stored fields (``doc``: the stored bytes)."""
    return unpack(stored["doc"])
