"""The trigger listeners of a host: queue polling, blob scanning, timer schedules.

:class:`Listeners` starts one listener per enabled queue, blob or timer function when
the server starts, and stops them when it stops: polling ends at once, invocations in
flight run to their end and settle their message or blob (deleted, receipted, or left
for a retry) -- unless the stop is forced, which cancels them.  A listener that meets
unreachable storage says so -- the connection setting and the endpoint -- and retries
with back-off; the host keeps serving.
"""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import FuncbindError
from .console import Console

if TYPE_CHECKING:
    from .app import HostedApp, HostedFunction
    from .runner import Runner

__all__ = ["Backoff", "Listener", "Listeners", "StorageTrouble", "pause", "wait_unless"]

# A listener that crashes (a bug) is restarted after this long.
RESTART_DELAY = 5.0
# Back-off while storage is unreachable or failing.
TROUBLE_MIN, TROUBLE_MAX = 1.0, 60.0
# An ongoing storage problem is reported again at most this often.
REPORT_EVERY = 60.0


class Listener(Protocol):
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


class Listeners:
    """Every trigger listener of an app; :meth:`start` and :meth:`stop` bracket serving."""

    def __init__(self, app: HostedApp, runner: Runner, console: Console) -> None:
        self.console = console
        self.items: list[Listener] = []
        for function in app.functions.values():
            if function.disabled or function.problem is not None or function.is_http:
                continue
            listener = _listener_for(app, function, runner, console)
            if listener is not None:
                self.items.append(listener)
        self._stopping = asyncio.Event()
        self._abandoned = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._stopping = asyncio.Event()
        self._abandoned = asyncio.Event()
        self._tasks = [asyncio.ensure_future(self._supervise(listener)) for listener in self.items]

    def stop_polling(self) -> None:
        """Take no more work; what the listeners hold runs on (the first Ctrl-C)."""
        self._stopping.set()

    async def stop(self) -> None:
        """Stop polling; wait for invocations in flight and their settlement."""
        self.stop_polling()
        await wait_unless(self._tasks, self._abandoned)
        self._tasks = []

    def abandon(self) -> None:
        """Cancel every listener and what it runs (a second Ctrl-C); :meth:`stop` waits no
        more.  A message or blob left unsettled is delivered again, as after a crash."""
        self.stop_polling()
        self._abandoned.set()
        for task in self._tasks:
            task.cancel()

    async def _supervise(self, listener: Listener) -> None:
        stopping = self._stopping
        while not stopping.is_set():
            try:
                await listener.run(stopping)
                return
            except Exception:
                trace = traceback.format_exc().rstrip()
                self.console.line(
                    f"{listener.function.name}: the trigger listener failed (restarting in "
                    f"{RESTART_DELAY:.0f} s):\n{trace}",
                    "error",
                )
                if await pause(stopping, RESTART_DELAY):
                    return


def _listener_for(
    app: HostedApp, function: HostedFunction, runner: Runner, console: Console
) -> Listener | None:
    kind = function.trigger_type
    config = function.trigger_config
    if config is None:
        return None
    if kind == "queueTrigger":
        from .queue_trigger import QueueListener

        return QueueListener(app, function, runner, console)
    if kind == "blobTrigger":
        from .blob_trigger import BlobListener

        return BlobListener(app, function, runner, console)
    if kind == "timerTrigger":
        from .timer_trigger import TimerListener

        return TimerListener(app, function, runner, console)
    return None


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
