"""Logging of the command line and the server: one compact line per event on stderr.

Modules log through ``logging.getLogger(__name__)``; only the programs (the
``vnsearch`` group, a WSGI server's app factory) configure where lines go. The
level applies to vnsearch's own loggers (``search``, ``web``, ``vnsearch``);
other libraries stay at INFO or above even with ``--log-level debug``, so that
a debugging run shows vnsearch's decisions rather than every parser's.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
OWN = ("search", "web", "vnsearch")
# Parsers whose warnings repeat what vnsearch says as a skipped input's reason
# ("discarding data: None" for a page without text): errors only, unless debugging.
QUIET = ("trafilatura", "htmldate", "courlan")
ACCESS = "vnsearch.access"
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (click's test runner swaps it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure(level: str = "warning", access_log: bool = False) -> None:
    """Send log lines of ``level`` and above to stderr (again: the level is replaced).

    ``access_log`` shows the server's access lines (logger ``vnsearch.access``,
    INFO) whatever the level.
    """
    number = LEVELS[level.lower()]
    root = logging.getLogger()
    if not any(isinstance(h, _Stderr) for h in root.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
        root.addHandler(handler)
    root.setLevel(max(number, logging.INFO))
    for name in OWN:
        logging.getLogger(name).setLevel(number)
    for name in QUIET:
        logging.getLogger(name).setLevel(
            logging.WARNING if number <= logging.DEBUG else logging.ERROR
        )
    logging.getLogger(ACCESS).setLevel(
        min(number, logging.INFO) if access_log else max(number, logging.WARNING)
    )
