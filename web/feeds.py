"""Machine-readable views: an Atom feed and a CSV export of a search, and OpenSearch."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, stream_with_context

from search.engine import EXPORT_LIMIT
from search.export import csv_lines
from search.export import filename as export_filename
from search.query import MAX_QUERY_CHARS

from . import urls
from .engine import get_engine
from .params import search_kwargs, search_pairs

bp = Blueprint("feeds", __name__)

# Characters XML 1.0 forbids even when escaped (a query may contain them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
EPOCH = "1970-01-01T00:00:00Z"


@bp.app_template_filter("xml")
def xml_text(value) -> str:
    """``value`` as text without the characters XML cannot carry."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def web_url(url: str | None) -> str | None:
    """``url`` if it is a web address (http or https), else None: a feed reader
    must not be handed a javascript: or data: link."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def atom_date(day: str | None, indexed: str | None = None) -> str:
    """An entry's Atom (RFC 3339) timestamp: its ISO publication date, else the time it
    was indexed (copies indexed before that was kept have neither: the epoch)."""
    return f"{day}T00:00:00Z" if day else indexed or EPOCH


@bp.route("/search.atom")
def search_atom():
    """The newest articles matching a search, as an Atom feed."""
    kwargs = search_kwargs(request.args, current_app.config["FEED_SIZE"])
    kwargs.update(sort="date", page=1)
    result = get_engine().search(**kwargs)
    pairs = [p for p in search_pairs(request.args) if p[0] not in ("page", "per_page", "sort")]
    # The feed's own address: the arguments it reads, under the configured base URL.
    self_pairs = [p for p in search_pairs(request.args) if p[0] not in ("page", "sort")]
    entries = [
        {
            "hit": h,
            "link": urls.absolute("views.article", article_id=h.id),
            "via": web_url(h.url),
            "updated": atom_date(h.date, h.indexed),
        }
        for h in result.hits
    ]
    body = render_template(
        "search.atom.xml",
        result=result,
        entries=entries,
        html_url=urls.absolute("views.search", pairs),
        self_url=urls.absolute("feeds.search_atom", self_pairs),
        updated=max((e["updated"] for e in entries), default=EPOCH),
    )
    return current_app.response_class(body, mimetype="application/atom+xml")


@bp.route("/search.csv")
def search_csv():
    """Up to 10,000 results of a search in the page's order, as a CSV download (UTF-8, BOM)."""
    kwargs = search_kwargs(request.args, current_app.config["PER_PAGE"])
    for name in ("page", "per_page"):
        kwargs.pop(name)
    # Arguments are checked and the order computed before the answer starts;
    # rows are read from the index as they are sent.
    rows = get_engine().export(limit=EXPORT_LIMIT, **kwargs)
    response = current_app.response_class(stream_with_context(csv_lines(rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f"attachment; filename={export_filename(kwargs['q'][:MAX_QUERY_CHARS])}"
    )
    return response


@bp.route("/opensearch.xml")
def opensearch():
    """The OpenSearch description, so browsers can add the site as a search engine."""
    body = render_template(
        "opensearch.xml",
        icon_url=urls.absolute("static", filename="favicon.svg"),
        html_url=urls.absolute("views.search"),
        atom_url=urls.absolute("feeds.search_atom"),
        self_url=urls.absolute("feeds.opensearch"),
    )
    return current_app.response_class(body, mimetype="application/opensearchdescription+xml")
