"""Sync functions still running in their threads, by invocation id.

A sync function cannot be stopped: when its caller gives up on it (``functionTimeout``)
its thread runs on.  The host must know, so that the message or blob it was given is
not handed out again while that thread still works on it.  :func:`invoke` registers
each sync call here; :func:`still_running` answers for an invocation whose awaiting
was abandoned.  A call abandoned before a thread took it is never started at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["SyncCall", "still_running", "stuck_count"]

_calls: dict[str, SyncCall] = {}
_lock = threading.Lock()


class SyncCall:
    """One sync call of an invocation: not started, running, finished or abandoned."""

    # Every sync invocation makes one; the event is made only when someone waits for the
    # end (a caller that gave up): a threading.Event costs a Condition and a lock.
    __slots__ = ("_abandoned", "_done", "_event", "_on_end", "_started", "invocation_id")

    def __init__(self, invocation_id: str) -> None:
        self.invocation_id = invocation_id
        self._done = False
        self._event: threading.Event | None = None
        self._started = False
        self._abandoned = False
        self._on_end: Callable[[], None] | None = None
        with _lock:
            _calls[invocation_id] = self

    @property
    def finished(self) -> threading.Event:
        """Set when the call has ended (or will never run)."""
        with _lock:
            event = self._event
            if event is None:
                event = self._event = threading.Event()
                if self._done:
                    event.set()
            return event

    def run(self, function: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        """In the pool thread: the call, unless it was abandoned before it started."""
        with _lock:
            if self._done:
                raise RuntimeError("the invocation was abandoned before a thread took it")
            self._started = True
        try:
            return function(**kwargs)
        finally:
            self._end()

    def abandon(self, on_end: Callable[[], None] | None = None) -> bool:
        """The caller stopped waiting: a call no thread has taken yet will not run.

        True when a thread still runs it (stuck); ``on_end`` is then called when that
        thread ends.
        """
        with _lock:
            self._abandoned = True
            if not self._started:
                self._set_done()
                _calls.pop(self.invocation_id, None)
                return False
            if self._done:
                return False
            self._on_end = on_end
            return True

    def _set_done(self) -> None:
        # Under _lock.
        self._done = True
        if self._event is not None:
            self._event.set()

    def _end(self) -> None:
        with _lock:
            self._set_done()
            _calls.pop(self.invocation_id, None)
            on_end, self._on_end = self._on_end, None
        if on_end is not None:
            on_end()


def still_running(invocation_id: str) -> threading.Event | None:
    """The event set when the invocation's thread ends, if that thread still runs."""
    with _lock:
        call = _calls.get(invocation_id)
        if call is None or call._done:
            return None
    return call.finished


def stuck_count() -> int:
    """Threads still running a call their caller abandoned (each holds a pool thread)."""
    with _lock:
        return sum(1 for call in _calls.values() if call._abandoned and call._started)
