"""URLs of a search page's controls, built from its current arguments.

Like datasette's ``toggle_url``: views compute every link (facet toggles, chip
removal, sorting, pages, the JSON and Atom twins) so templates only display them.
A changed filter or sort always goes back to page 1. Absolute links (feeds,
OpenSearch) start from the configured base URL, never from a client's Host header
when one is set (:func:`site_root`).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from flask import current_app, request, url_for

from search.settings import parse_base_url

Pairs = list[tuple[str, str]]


def build(endpoint: str, pairs: Pairs, **values) -> str:
    """``url_for(endpoint, **values)`` followed by the (name, value) pairs in order."""
    base = url_for(endpoint, **values)
    query = urlencode(pairs)
    return f"{base}?{query}" if query else base


def without(pairs: Pairs, *names: str) -> Pairs:
    """The pairs minus every argument in ``names``."""
    return [(k, v) for k, v in pairs if k not in names]


def toggle_url(pairs: Pairs, name: str, value: str, endpoint: str = "views.search") -> str:
    """The search with ``name=value`` added, or removed if it is already selected."""
    rest = without(pairs, "page")
    if (name, value) in rest:
        rest = [p for p in rest if p != (name, value)]
    else:
        rest.append((name, value))
    return build(endpoint, rest)


def replace_url(pairs: Pairs, name: str, value: str | None, endpoint: str = "views.search") -> str:
    """The search with ``name`` set to ``value`` (removed when None), back on page 1."""
    rest = without(pairs, name, "page")
    if value is not None:
        rest.append((name, value))
    return build(endpoint, rest)


def page_url(pairs: Pairs, page: int) -> str:
    """The same search on another page."""
    rest = without(pairs, "page")
    if page > 1:
        rest.append(("page", str(page)))
    return build("views.search", rest)


def search_url(q: str = "", **filters) -> str:
    """A fresh search for ``q`` with the given filters (one value each)."""
    pairs = [("q", q)] if q else []
    pairs += [(k, str(v)) for k, v in filters.items() if v not in (None, "")]
    return build("views.search", pairs)


def article_url(article_id: str, q: str = "") -> str:
    """The article page (ids may hold '/', spaces, '@', commas: url_for quotes them)."""
    if q:
        return url_for("views.article", article_id=article_id, q=q)
    return url_for("views.article", article_id=article_id)


def pagination(pairs: Pairs, page: int, pages: int, window: int = 2) -> list[dict]:
    """Page links around ``page``: dicts of label, url (None for gaps) and current."""
    if pages <= 1:
        return []
    shown = {1, pages, *range(max(1, page - window), min(pages, page + window) + 1)}
    links, last = [], 0
    for n in sorted(shown):
        if n - last > 1:
            links.append({"label": "…", "url": None, "current": False})
        links.append({"label": str(n), "url": page_url(pairs, n), "current": n == page})
        last = n
    return links


def site_root() -> str:
    """Scheme, host and path prefix of absolute links, without the final slash.

    The app's ``BASE_URL``; else ``SERVER_NAME`` with ``PREFERRED_URL_SCHEME``;
    else, only then, what the request says (its Host header).
    """
    config = current_app.config
    if config.get("BASE_URL"):
        return parse_base_url(config["BASE_URL"])
    if config.get("SERVER_NAME"):
        scheme = config.get("PREFERRED_URL_SCHEME") or "http"
        return f"{scheme}://{config['SERVER_NAME']}{request.script_root}"
    return request.url_root.rstrip("/")


def absolute(endpoint: str, pairs: Sequence[tuple[str, str]] = (), **values) -> str:
    """The absolute URL of ``build(endpoint, pairs, **values)`` under :func:`site_root`."""
    path = build(endpoint, list(pairs), **values)
    # url_for's path starts with the mount point (SCRIPT_NAME), which a base URL replaces.
    mount = request.script_root
    if mount and path.startswith(mount + "/"):
        path = path[len(mount) :]
    return site_root() + path
