"""A CPU-time budget for parsing one input record, and what one bad record is called.

Parsing must never hang or abort a run, whatever a file holds. Every regex is
linear and lines are capped (that is the fix); this module is the safety net:
:func:`within_budget` stops a call that uses more CPU than it was given
(:mod:`search.reasons` words what a stopped or failed record is skipped for).

The budget is a profiling timer (``ITIMER_PROF``, user plus system CPU) whose
signal raises :class:`OverBudget` in the interrupted code. CPython's regex
engine checks for signals as it runs, so even a runaway regex is stopped. A
signal handler can only be set on the main thread, and only POSIX has the
timer: elsewhere the call runs without a budget (the indexing pool adds a
wall-clock limit of its own).
"""

from __future__ import annotations

import logging
import signal
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# CPU seconds one record may take to parse, segment and analyse (a long
# article takes well under a second).
RECORD_TIMEOUT = 5.0

_armed = False


# After the budget, the signal comes again this often (CPU seconds) until the
# call gives up: code that catches everything would otherwise swallow it.
REPEAT = 0.25


class OverBudget(BaseException):
    """Raised inside a call that used up its CPU budget.

    A BaseException, like KeyboardInterrupt, so that a library's
    ``except Exception`` does not swallow it and carry on.
    """


def _on_timer(signum, frame):
    # The timer is disarmed before the handler is put back, but a signal may
    # still be pending then: it must not hit code outside a budget.
    if not _armed:
        return
    if frame is not None and (
        frame.f_code.co_name == "__del__" or frame.f_code.co_filename == weakref.__file__
    ):
        # CPython ignores what a finaliser or a weak reference's callback raises
        # (the garbage collector runs them anywhere): the next signal, REPEAT
        # seconds of CPU later, stops the call instead.
        return
    raise OverBudget()


def can_budget() -> bool:
    """True when :func:`within_budget` can interrupt this thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def within_budget(seconds: float | None, fn: Callable[..., T], *args) -> T:
    """``fn(*args)``, raising :class:`OverBudget` once it used ``seconds`` of CPU.

    No budget when ``seconds`` is falsy or when this thread cannot be
    interrupted (see :func:`can_budget`).
    """
    global _armed
    if not seconds or seconds <= 0 or not can_budget() or _armed:
        return fn(*args)
    old = signal.signal(signal.SIGPROF, _on_timer)
    try:
        try:
            _armed = True
            signal.setitimer(signal.ITIMER_PROF, seconds, REPEAT)
            return fn(*args)
        finally:
            # The handler may raise as this block starts: the outer block
            # still disarms (a second signal is REPEAT seconds of CPU away).
            _armed = False
    finally:
        _armed = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)
