"""The trigger listeners of a host: one per enabled function whose trigger kind listens.

:class:`Listeners` starts one listener per enabled queue, blob or timer function (any
kind in :mod:`funcbind.host.triggers.kinds`) when the server starts, and stops them when
it stops: polling ends at once, invocations in flight run to their end and settle their
message or blob (deleted, receipted, or left for a retry) -- unless the stop is forced,
which cancels them.  A listener that crashes is restarted; one that meets unreachable
storage says so and retries with back-off (:mod:`funcbind.host.triggers.polling`); the
host keeps serving.
"""

from __future__ import annotations

import asyncio
import traceback
from typing import TYPE_CHECKING

from .console import Console
from .triggers.kinds import trigger_kind
from .triggers.polling import Listener, pause, wait_unless

if TYPE_CHECKING:
    from .model import HostedApp
    from .runner import Runner

__all__ = ["Listeners"]

# A listener that crashes (a bug) is restarted after this long.
RESTART_DELAY = 5.0


class Listeners:
    """Every trigger listener of an app; :meth:`start` and :meth:`stop` bracket serving."""

    def __init__(self, app: HostedApp, runner: Runner, console: Console) -> None:
        self.console = console
        self.items: list[Listener] = []
        for function in app.functions.values():
            if function.disabled or function.problem is not None or function.is_http:
                continue
            kind = trigger_kind(function.trigger_type)
            if kind is not None and function.trigger_config is not None:
                self.items.append(kind.listener(app, function, runner, console))
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
