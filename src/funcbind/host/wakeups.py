"""Queue listeners woken by the host's own writes.

The Functions host tells its queue listeners when one of its functions has written to
the queue they poll (the queues extension's shared-queue watcher), so a chain HTTP ->
queue -> queue trigger runs at once instead of after the listener's back-off (up to
``maxPollingInterval``, a minute by default).  Here: every queue listener registers
its (account endpoint, queue) and waits on its event between empty polls; the runner
calls :meth:`QueueWakeups.written` after it has written an invocation's queue outputs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

__all__ = ["QueueWakeups", "sleep_unless_woken"]


class QueueWakeups:
    """The wake-up events of one host's queue listeners, by account and queue."""

    def __init__(self) -> None:
        self._events: dict[tuple[str, str], list[asyncio.Event]] = {}

    def listen(self, endpoint: str, queue: str) -> asyncio.Event:
        """A new event set whenever this host writes to ``queue`` of that account."""
        event = asyncio.Event()
        self._events.setdefault((endpoint, queue.lower()), []).append(event)
        return event

    def written(self, queues: Iterable[tuple[str, str]]) -> None:
        """This host wrote to these (endpoint, queue) pairs: wake their listeners."""
        for endpoint, queue in queues:
            for event in self._events.get((endpoint, queue.lower()), ()):
                event.set()

    @property
    def watched(self) -> bool:
        return bool(self._events)


async def sleep_unless_woken(stopping: asyncio.Event, woken: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``, less if ``woken`` is set; True when the host is stopping.

    ``woken`` is cleared on return, before the caller polls again: a write after that
    sets it anew, so none is missed.
    """
    if stopping.is_set():
        return True
    waits = [asyncio.ensure_future(stopping.wait()), asyncio.ensure_future(woken.wait())]
    try:
        await asyncio.wait(waits, timeout=max(0.0, seconds), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
    woken.clear()
    return stopping.is_set()
