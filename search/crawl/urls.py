"""URLs of the crawl: normalisation, the site a URL belongs to, and what looks like an article.

courlan does the filtering and normalisation; its host checks refuse IP
addresses with ports (a local test server), so the site test is ours.
"""

from __future__ import annotations

import re
from hashlib import sha1
from urllib.parse import urljoin, urlsplit

from courlan.clean import normalize_url, scrub_url
from courlan.filters import basic_filter, extension_filter, type_filter

# An article's last path segment: a slug of several words or a numeric id.
_DIGITS = re.compile(r"\d{3,}")
MAX_URL_CHARS = 2000


def host_of(url: str) -> str:
    """The host (and port) of a URL, lower case, without ``www.``."""
    try:
        netloc = urlsplit(url).netloc.lower()
    except ValueError:
        return ""
    return netloc.rpartition("@")[2].removeprefix("www.")


def normalize(url: str, base: str | None = None) -> str | None:
    """An absolute http(s) URL in normal form (no fragment, no tracking), or None."""
    if not url or len(url) > MAX_URL_CHARS:
        return None
    try:
        url = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        return normalize_url(scrub_url(url))
    except ValueError:
        return None


def same_site(url: str, hosts: frozenset[str] | set[str]) -> bool:
    """Whether ``url`` is on one of ``hosts`` (or a subdomain of one)."""
    host = host_of(url)
    return any(host == h or host.endswith("." + h) for h in hosts)


def looks_like_article(url: str) -> bool:
    """Whether a link found on a page may be an article (not a menu, a tag, a file)."""
    if not basic_filter(url) or not type_filter(url, strict=False, with_nav=False):
        return False
    path = urlsplit(url).path
    if not extension_filter(path):
        return False
    last = path.rstrip("/").rpartition("/")[2]
    stem = last.rpartition(".")[0] or last
    words = [w for w in re.split(r"[-_]", stem) if w]
    return len(words) >= 3 or bool(_DIGITS.search(stem))


def fetchable(url: str) -> bool:
    """Whether a listed URL (feed entry, sitemap location) is worth a request: no files."""
    return basic_filter(url) and extension_filter(urlsplit(url).path)


def article_id(canonical: str) -> str:
    """The index id of a crawled article: its host and a digest of its canonical URL."""
    host = (urlsplit(canonical).hostname or "web").removeprefix("www.")
    return f"{host}-{sha1(canonical.encode('utf-8')).hexdigest()[:16]}"
