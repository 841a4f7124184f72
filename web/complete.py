"""The app's one shared :class:`search.complete.Completer` (suggestions as you type).

Created on first use, so that an app started before the index exists comes up
anyway; it reads the vocabulary next to ``INDEX_DIR`` and follows new
generations written by the indexer, like the engine's suggester.
"""

from __future__ import annotations

import threading

from flask import current_app

from search.complete import Completer

_KEY = "vnsearch.completer"
_lock = threading.Lock()


def get_completer() -> Completer:
    """The completer of the current app (shared by all its threads)."""
    extensions = current_app.extensions
    completer = extensions.get(_KEY)
    if completer is None:
        with _lock:
            completer = extensions.get(_KEY)
            if completer is None:
                completer = extensions[_KEY] = Completer(current_app.config["INDEX_DIR"])
    return completer
