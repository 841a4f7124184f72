"""The vnsearch web site (Flask): faceted search over a vnsearch index.

The app follows flaskr's factory: its configuration comes from one
:class:`search.settings.Settings` (defaults, the instance file ``vnsearch.toml``,
``VNSEARCH_*`` variables, and for ``vnsearch serve`` its options), then the
``test_config`` mapping of tests. One :class:`search.engine.Engine` is shared by every
request and thread of the app (see :mod:`web.engine`); views turn request
arguments into plain values for it (:mod:`web.params`) and templates only render.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider

from search import settings as settings_mod
from search.paths import project_dir
from search.settings import Settings

access_log = logging.getLogger("vnsearch.access")

TEMPLATES = project_dir("templates")

# No inline script or style anywhere: every asset is a static file of this site (the
# one script, suggest.js, fetches /api/suggest from this site too).
CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def create_app(test_config=None, settings: Settings | None = None) -> Flask:
    """Create and configure the vnsearch Flask app.

    ``settings``: the run's settings (``vnsearch serve`` passes its own); without
    them, the instance file and environment are read (a WSGI server's
    ``web:create_app()``), or only the defaults when ``test_config`` is given.
    """
    if settings is None:
        settings = Settings() if test_config is not None else settings_mod.load()
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES),
        static_folder=str(TEMPLATES / "static"),
    )
    app.config.from_mapping(settings.flask)
    app.config.from_mapping(
        INDEX_DIR=str(settings.index),
        PER_PAGE=settings.per_page,
        FEED_SIZE=settings.feed_size,
        # Memory per process for common terms' decoded postings (Whoosh backend).
        POSTINGS_CACHE_MB=settings.postings_cache_mb,
        # Public address of the site (scheme, host, path prefix) for absolute links in
        # feeds and OpenSearch; None: SERVER_NAME if set, else the request's Host.
        BASE_URL=settings.base_url,
        # One line per request on the logger vnsearch.access (INFO).
        ACCESS_LOG=settings.access_log,
    )
    if test_config is not None:
        app.config.update(test_config)
    if app.config["BASE_URL"]:
        app.config["BASE_URL"] = settings_mod.parse_base_url(app.config["BASE_URL"])
    if isinstance(app.json, DefaultJSONProvider):  # Flask's own (always, unless replaced)
        app.json.ensure_ascii = False
        app.json.sort_keys = False

    from . import api, caching, engine, errors, feeds, views

    engine.init_app(app)
    errors.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feeds.bp)
    app.after_request(_security_headers)
    caching.init_app(app)
    if app.config["ACCESS_LOG"]:
        app.before_request(_started)
        app.after_request(_access_line)
    return app


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _started() -> None:
    g.vnsearch_started = time.perf_counter()


def _access_line(response):
    """One access-log line: client, request line, status, size, time to the headers."""
    if access_log.isEnabledFor(logging.INFO):
        began = g.get("vnsearch_started")
        access_log.info(
            '%s "%s %s %s" %d %s %.1fms',
            request.remote_addr or "-",
            request.method,
            request.full_path.rstrip("?") if request.query_string else request.path,
            request.environ.get("SERVER_PROTOCOL", "-"),
            response.status_code,
            response.content_length if response.content_length is not None else "-",
            (time.perf_counter() - began) * 1000 if began is not None else 0.0,
        )
    return response
