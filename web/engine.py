"""The app's one shared search engine, opened lazily.

Opening an :class:`~search.engine.Engine` does not touch the index, so an app
started before ``vnsearch index`` has run comes up anyway: requests get a clear
503 until the index exists, then work without a restart. The engine refreshes
its per-thread searchers whenever another process commits.
"""

from __future__ import annotations

from flask import current_app

from search.engine import Engine, open_engine

_KEY = "vnsearch.engine"


def init_app(app) -> None:
    """Create the app's engine over ``INDEX_DIR`` (with the accent suggester)."""
    app.extensions[_KEY] = open_engine(app.config["INDEX_DIR"])


def get_engine() -> Engine:
    """The engine of the current app (shared by all its threads)."""
    return current_app.extensions[_KEY]
