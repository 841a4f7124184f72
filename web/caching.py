"""Cache-Control on every response, chosen by endpoint (views never set it).

Searches, feeds and the home page change whenever articles are indexed: shared
caches may keep them a minute. An article page or its JSON changes only when the
article is re-indexed, and static files only with a new release: they are kept
longer and carry an ETag, so a cache (or a browser) asks again with
If-None-Match and gets a 304 without a body. Errors are never stored: a 503
while the index is rebuilt must not outlive the rebuild; nor is an answer given
without a shard that did not answer (``--allow-partial``).
"""

from __future__ import annotations

from flask import request

from .engine import partial_answer

SHORT = "public, max-age=60"
LONG = "public, max-age=3600"
STATIC = "public, max-age=86400"
NO_STORE = "no-store"

# Endpoints kept longer and answered with an ETag; everything else that succeeds is SHORT.
POLICIES = {
    "views.article": LONG,
    "api.article": LONG,
    "static": STATIC,
    # Suggestions as you type: asked on every keystroke, stale as soon as articles are indexed.
    "api.suggest": SHORT,
}


def init_app(app) -> None:
    """Add the Cache-Control (and ETag) hook to ``app``."""
    app.after_request(cache_headers)


def cache_headers(response):
    """Set Cache-Control by status and endpoint; ETag and 304 for long-lived answers."""
    if response.status_code >= 400:
        response.headers["Cache-Control"] = NO_STORE
        response.headers.pop("ETag", None)
        return response
    if partial_answer():
        # Without a shard that did not answer: never kept once it answers again.
        response.headers["Cache-Control"] = NO_STORE
        response.headers.pop("ETag", None)
        return response
    policy = POLICIES.get(request.endpoint or "", SHORT)
    response.headers["Cache-Control"] = policy
    # Static files come with an ETag and already answer If-None-Match (send_file).
    if (
        policy != SHORT
        and response.status_code == 200
        and "ETag" not in response.headers
        and not response.is_streamed
    ):
        response.add_etag()
        response.make_conditional(request)
    return response
