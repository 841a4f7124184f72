"""What every backend offers the layers above it: a read-only snapshot of an index.

Documents are addressed by *document numbers*, dense non-negative integers
below :attr:`Reader.size` (some may be deleted: :meth:`Reader.live_ids`), so
that the query layer can hold per-document arrays (facet columns, lengths,
scores) in numpy. A term is a (field, text) pair of the schema in
``search/backends/schema.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import numpy as np

from ..article import Article
from ..errors import ArticleNotFound, BadSetting
from ..scoring import TermPostings
from ..stored import load_article

# The schema's version (search/backends/schema.py): bump it whenever a field,
# an analyzer or the stored form changes. An index with another version is
# rebuilt, never read with the wrong analysis.
SCHEMA_VERSION = 6
# The backends an index can have (its metadata's "backend"; whoosh when it says none).
BACKENDS = ("whoosh", "xapian")
# The most shards a Xapian index may have (`--shards`; more is damaged metadata).
MAX_SHARDS = 1024
# The versions a Xapian index may have. 5 changed only how Whoosh stores exact
# syllables without accents (search/backends/whoosh_fields.py) and how articles are
# compressed (search/stored.py), which reads version 4's copies alike; 6 leaves a
# position free where punctuation ends a clause (analysis.clause_syllables), so
# the phrases of older indexes would still span it.
XAPIAN_SCHEMA_VERSIONS = (6,)
# Memory for the Whoosh backend's decoded postings of common terms, per process
# (about 4 bytes a posting; search/backends/whoosh_cache.py): at 100,000 articles
# every term common enough to be kept would take about 210 MB.
HOT_BUDGET = 128 << 20


@dataclass
class Problem:
    """One thing wrong with an index's files: ``code`` is "toc", "segment" or "leftovers"
    (Whoosh) or "shard" (Xapian); ``name`` tells which segment."""

    code: str
    text: str
    name: str = ""


@dataclass
class Recovered:
    """One stored article read back from an index being rebuilt, with the ids merged into it."""

    article: Article
    aliases: dict[str, str]


@dataclass
class FilesChecked:
    """What reading every file of an index found (``vnsearch check``)."""

    segments: int = 0  # or shards
    articles: int = 0
    terms: int = 0
    postings: int = 0
    problems: list[Problem] = field(default_factory=list)


class Unsupported(Exception):
    """A backend cannot answer this plan natively: the generic path answers instead."""


class Reader(Protocol):
    """One consistent view of an index (used by one thread at a time)."""

    path: object
    #: Changes whenever the index does (per-generation caches are keyed on it).
    key: tuple
    #: Every document number is below this.
    size: int

    def doc_count(self) -> int:
        """Number of live articles."""

    def live_ids(self) -> np.ndarray:
        """Document numbers of the live articles (sorted)."""

    def has_field(self, field: str) -> bool:
        """True when the index has this field (older indexes may lack one)."""

    def postings(self, field: str, text: str) -> TermPostings:
        """One term's postings as arrays (deleted documents may be included)."""

    def doc_frequency(self, field: str, text: str) -> int:
        """Number of articles holding the term."""

    def frequency(self, field: str, text: str) -> float:
        """Total occurrences of the term in the index."""

    def field_terms(self, field: str) -> Iterator[str]:
        """Every term of a field, in order."""

    def term_stats(self, field: str) -> Iterator[tuple[str, int, float]]:
        """(term, document frequency, total occurrences) of every term of a field."""

    def term_docs(self, field: str) -> Iterator[tuple[str, np.ndarray]]:
        """(term, document numbers) of a field's terms, all of them (a term may repeat)."""

    def prefixed(self, field: str, prefix: str) -> Iterator[str]:
        """The terms of a field that start with ``prefix``."""

    def stored(self, docnum: int) -> dict:
        """The stored fields of a document: id, hash, doc (compressed JSON), alias_hashes."""

    def doc_key(self, docnum: int) -> tuple:
        """A key of the document's stored contents, the same for as long as they are
        (across commits where the backend can tell), for caches of what they give."""

    def docnum(self, field: str, value: str) -> int | None:
        """The document number of the live article whose ``field`` (id, aliases) is ``value``."""

    def lengths(self) -> np.ndarray:
        """Each document's length in syllables (the ``text`` field), 1 at least."""

    def up_to_date(self) -> bool:
        """False when the index has changed since this reader was opened."""

    def close(self) -> None:
        """Release the reader's files or connections."""


def article_at(reader: Reader, docnum: int) -> Article:
    """The stored article of a document number."""
    return load_article(reader.stored(docnum))


def find_article(reader: Reader, article_id: str) -> Article:
    """The article with this id, or the one it was merged into; raise ArticleNotFound."""
    docnum = reader.docnum("id", article_id)
    if docnum is None:
        docnum = reader.docnum("aliases", article_id)
    if docnum is None:
        raise ArticleNotFound(f"không có bài viết nào với mã {article_id!r}")
    return article_at(reader, docnum)


def parse_shard_url(url: str) -> tuple[str, int]:
    """(host, port) of a shard's ``tcp://host:port``; BadSetting for anything else."""
    try:
        parts = urlsplit(url)
        host, port, scheme = parts.hostname, parts.port, parts.scheme
        # Nothing xapian-tcpsrv could use beside them: no path, query, user.
        extra = parts.path not in ("", "/") or parts.query or parts.fragment or parts.username
    except ValueError:  # a port out of range, a broken IPv6 address
        host, port, scheme, extra = None, None, "", True
    if scheme != "tcp" or not host or not port or extra:
        raise BadSetting(
            f"--shard-url phải có dạng tcp://máy:cổng (cổng 1–65535), không phải {url!r}"
        )
    return host, port


def shard_urls_mismatch(path, urls: int) -> str | None:
    """What is wrong when the index's metadata at ``path`` (where this host has it) is not
    of a Xapian index of ``urls`` shards, else None."""
    from ..index import META_FILE, read_meta

    meta = read_meta(path) if (Path(path) / META_FILE).exists() else None
    if not meta:  # none here, or unreadable: the reader says so
        return None
    if meta.get("backend") != "xapian":
        return (
            f"chỉ mục ở {path} dùng backend {meta.get('backend', 'whoosh')}: "
            "--shard-url chỉ dùng với chỉ mục Xapian"
        )
    if meta.get("shards", 1) != urls:
        return (
            f"chỉ mục ở {path} có {meta.get('shards', 1)} shard nhưng có {urls} "
            "--shard-url: hãy cho địa chỉ của mọi shard, theo thứ tự"
        )
    return None
