"""Discovery: what a fetched feed, sitemap or home page lists, with well-kept parsers.

Feeds are read by feedparser (RSS, Atom, with entry dates), sitemaps and
sitemap indexes by trafilatura's sitemap reader, feeds announced by a home page
by trafilatura's feed finder, links and ``<link rel=canonical>`` by lxml.
Every URL comes back normalised; keeping to the site is the caller's job.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

from .urls import host_of, normalize

_SITEMAP_INDEX = re.compile(rb"<(?:[\w.-]+:)?sitemapindex\b")
_XML_START = re.compile(
    rb"^\s{0,64}(?:<\?xml|<(?:[\w.-]+:)?(?:rss|feed|rdf|urlset|sitemapindex)\b)"
)
_FEED_ROOT = re.compile(rb"<(?:[\w.-]+:)?(?:rss|feed|RDF)\b")


@dataclass
class Listing:
    """What one discovery document lists."""

    pages: list[tuple[str, str | None]] = field(default_factory=list)  # (url, published)
    sitemaps: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)


def kind_of(body: bytes, content_type: str) -> str:
    """``sitemap``, ``feed`` or ``html``: what a fetched START is."""
    head = body[:2048]
    ctype = content_type.split(";")[0].strip().lower()
    if _XML_START.match(head) or ctype.endswith("xml"):
        return "feed" if _FEED_ROOT.search(head) else "sitemap"
    return "html"


def read_sitemap(text: str, url: str) -> Listing:
    """The pages and child sitemaps of a sitemap or sitemap index (XML or plain text)."""
    from trafilatura.sitemaps import DETECT_SITEMAP_LINK, SitemapObject

    index = bool(_SITEMAP_INDEX.search(text[:2048].encode("utf-8", "replace")))
    listing = Listing()

    class _Sitemap(SitemapObject):
        # trafilatura's own link handler drops hosts it cannot name a domain for
        # (an IP address with a port); the site filter is the crawler's.
        def handle_link(self, link: str) -> None:
            found = normalize(link, self.base_url)
            if not found or found == self.current_url:
                return
            if index or DETECT_SITEMAP_LINK.search(found):
                self.sitemap_urls.append(found)
            else:
                self.urls.append(found)

    sm = _Sitemap(url, host_of(url), [], external=True)
    sm.current_url, sm.content = url, text
    sm.process()
    listing.sitemaps = list(dict.fromkeys(sm.sitemap_urls))
    listing.pages = [(u, None) for u in dict.fromkeys(sm.urls)]
    return listing


def read_feed(body: bytes, url: str) -> Listing:
    """The entries of an RSS or Atom feed, with their publication dates when given."""
    import feedparser

    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": url})
    listing = Listing()
    for entry in parsed.entries:
        link = normalize(entry.get("link") or "", url)
        if not link:
            continue
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        published = dt.date(*when[:3]).isoformat() if when else None
        listing.pages.append((link, published))
    return listing


def read_home(html: str, url: str) -> Listing:
    """The feeds a home page announces and the links it has (articles are sorted out later)."""
    from lxml import etree
    from lxml import html as lhtml
    from trafilatura.feeds import FeedParameters, determine_feed

    from ..extract.html import tame_tags

    html = tame_tags(html)
    listing = Listing()
    listing.feeds = determine_feed(html, FeedParameters(url, host_of(url), url))
    try:
        tree = lhtml.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return listing
    links = (normalize(a.get("href", ""), url) for a in tree.iter("a"))
    listing.pages = [(u, None) for u in dict.fromkeys(u for u in links if u)]
    return listing


def canonical_link(html: bytes, url: str) -> str | None:
    """The page's ``<link rel="canonical">``, normalised, if it has one."""
    from lxml import etree
    from lxml import html as lhtml

    from ..extract.html import tame_tags

    try:
        # As latin-1, byte for byte: lxml still reads the page's own encoding.
        tree = lhtml.document_fromstring(tame_tags(html.decode("latin-1")).encode("latin-1"))
    except (etree.ParserError, ValueError):
        return None
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            return normalize(link.get("href", ""), url)
    return None
