"""The vnsearch web site (Flask): faceted search over a vnsearch index.

The app follows flaskr's factory: defaults, then the instance ``config.py`` or the
``test_config`` mapping. One :class:`search.engine.Engine` is shared by every
request and thread of the app (see :mod:`web.engine`); views turn request
arguments into plain values for it (:mod:`web.params`) and templates only render.
"""

from __future__ import annotations

from flask import Flask

from search.paths import default_index, project_dir

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


def create_app(test_config=None) -> Flask:
    """Create and configure the vnsearch Flask app."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(TEMPLATES),
        static_folder=str(TEMPLATES / "static"),
    )
    app.config.from_mapping(
        SECRET_KEY="dev",
        INDEX_DIR=str(default_index()),
        PER_PAGE=10,
        FEED_SIZE=20,
        SITE_NAME="vnsearch",
        # Public address of the site (scheme, host, path prefix) for absolute links in
        # feeds and OpenSearch; None: SERVER_NAME if set, else the request's Host.
        BASE_URL=None,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.update(test_config)
    if app.config["BASE_URL"]:
        from .urls import parse_base_url

        app.config["BASE_URL"] = parse_base_url(app.config["BASE_URL"])  # ValueError if bad
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
    return app


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
