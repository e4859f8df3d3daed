"""What every trigger listener is built from: the listener protocol, back-off, pauses
that end when the host stops, and reporting storage trouble without flooding the console.

A leaf below the trigger modules: they import it, it imports none of them.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING, Any, Protocol

from ...errors import FuncbindError

if TYPE_CHECKING:
    from ..console import Console
    from ..model import HostedFunction

__all__ = [
    "Backoff",
    "Listener",
    "StorageTrouble",
    "pause",
    "storage_call",
    "wait_unless",
]

# Back-off while storage is unreachable or failing.
TROUBLE_MIN, TROUBLE_MAX = 1.0, 60.0
# An ongoing storage problem is reported again at most this often.
REPORT_EVERY = 60.0


class Listener(Protocol):
    """Listens for one function's trigger until ``stopping`` is set, running the function."""

    function: HostedFunction

    async def run(self, stopping: asyncio.Event) -> None: ...


class Backoff:
    """Exponential back-off with a little jitter, from ``minimum`` up to ``maximum`` seconds."""

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum = min(minimum, maximum)
        self.maximum = maximum
        self._current = 0.0

    def next(self) -> float:
        self._current = self.minimum if not self._current else min(self.maximum, self._current * 2)
        return self._current * random.uniform(0.9, 1.0)  # jitter, not security

    def reset(self) -> None:
        self._current = 0.0


async def pause(stopping: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True when the host started stopping meanwhile."""
    if stopping.is_set():
        return True
    try:
        await asyncio.wait_for(stopping.wait(), max(0.0, seconds))
    except asyncio.TimeoutError:
        return False
    return True


async def wait_unless(tasks: Collection[asyncio.Future[Any]], abandoned: asyncio.Event) -> None:
    """Wait until every task is done, or until ``abandoned`` is set (a forced stop).

    The forced stop cancels the tasks; code that catches the cancellation and carries on
    must not keep the host from stopping.
    """
    waiting = set(tasks)
    if not waiting or abandoned.is_set():
        return
    gave_up = asyncio.ensure_future(abandoned.wait())
    try:
        while waiting and not gave_up.done():
            done, _ = await asyncio.wait({*waiting, gave_up}, return_when=asyncio.FIRST_COMPLETED)
            waiting -= done
    finally:
        gave_up.cancel()


class StorageTrouble:
    """Reports one listener's storage failures: the first at once, then at most once a
    minute while it lasts, and the recovery; gives the back-off before the next try."""

    def __init__(self, console: Console, who: str) -> None:
        self.console = console
        self.who = who
        self.backoff = Backoff(TROUBLE_MIN, TROUBLE_MAX)
        self._since: float | None = None
        self._reported = 0.0

    def failed(self, error: BaseException) -> float:
        delay = self.backoff.next()
        now = time.monotonic()
        if self._since is None or now - self._reported >= REPORT_EVERY:
            message = error.message if isinstance(error, FuncbindError) else repr(error)
            self.console.line(f"{self.who}: {message}; retrying in {delay:.0f} s", "warning")
            self._reported = now
        if self._since is None:
            self._since = now
        return delay

    def recovered(self) -> None:
        if self._since is not None:
            took = time.monotonic() - self._since
            self.console.line(
                f"{self.who}: storage is reachable again (after {took:.0f} s)", "good"
            )
            self._since = None
        self.backoff.reset()


async def storage_call(
    call: Callable[[], Awaitable[Any]],
    trouble: StorageTrouble,
    stopping: asyncio.Event,
    wrap: Callable[[BaseException], BaseException],
) -> tuple[bool, Any]:
    """Await ``call()``; on failure report through ``trouble`` and wait its back-off.

    Returns (True, value) on success, (False, None) after a failure (having waited).
    """
    try:
        value = await call()
    except Exception as exc:
        await pause(stopping, trouble.failed(wrap(exc)))
        return False, None
    trouble.recovered()
    return True, value
