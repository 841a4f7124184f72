"""The app's one shared search engine, opened lazily.

Opening an :class:`~search.engine.Engine` does not touch the index, so an app
started before ``vnsearch index`` has run comes up anyway: requests get a clear
503 until the index exists, then work without a restart. The engine refreshes
its per-thread searchers whenever another process commits.

What the app sees of the index (missing, opened, its article count changed by
another process's commit) is logged once per change, at INFO (a missing or
unreadable index at WARNING), by the request that noticed it.
"""

from __future__ import annotations

import logging
import threading

from flask import current_app, g

from search.engine import Engine, open_engine
from search.errors import SearchError

log = logging.getLogger(__name__)

_KEY = "vnsearch.engine"
_SEEN = "vnsearch.engine.seen"


class _Seen:
    """The last state of the index the app logged: an article count or an error name."""

    def __init__(self) -> None:
        self.state: int | str | None = None
        self.lock = threading.Lock()

    def changed(self, state: int | str) -> int | str | None | bool:
        """The previous state if ``state`` differs from it, else False."""
        with self.lock:
            before, self.state = self.state, state
        return before if before != state else False


def init_app(app) -> None:
    """Create the app's engine over ``INDEX_DIR`` (with the accent suggester)."""
    app.extensions[_KEY] = open_engine(
        app.config["INDEX_DIR"],
        shard_urls=app.config.get("SHARD_URLS") or None,
        allow_partial=bool(app.config.get("ALLOW_PARTIAL")),
        postings_cache_mb=app.config.get("POSTINGS_CACHE_MB"),
    )
    app.extensions[_SEEN] = _Seen()
    app.teardown_request(_note_index)
    log.info("site over the index %s", app.config["INDEX_DIR"])


def get_engine() -> Engine:
    """The engine of the current app (shared by all its threads)."""
    g.vnsearch_engine_used = True
    return current_app.extensions[_KEY]


def partial_answer() -> bool:
    """True when this request searched without some shards (``--allow-partial``)."""
    return bool(g.get("vnsearch_engine_used")) and bool(current_app.extensions[_KEY].partial)


def _note_index(exc) -> None:
    """After a request that used the engine: log the index's state when it has changed."""
    if not g.pop("vnsearch_engine_used", False) or not log.isEnabledFor(logging.INFO):
        return
    engine = current_app.extensions[_KEY]
    try:
        state: int | str = engine.count()  # the thread's searcher, refreshed on a new commit
    except (SearchError, OSError) as e:
        state = f"{type(e).__name__}: {e}"
    before = current_app.extensions[_SEEN].changed(state)
    if before is False:
        return
    where = current_app.config["INDEX_DIR"]
    if isinstance(state, str):
        log.warning("index %s unusable, answering 503: %s", where, state)
    elif isinstance(before, int):
        log.info("index %s refreshed: %d articles (was %d)", where, state, before)
    else:
        log.info("index %s opened: %d articles", where, state)
