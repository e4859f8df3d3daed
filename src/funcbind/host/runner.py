"""Running one invocation in the host: storage inputs, the call, storage outputs, the log.

Every trigger goes through :meth:`Runner.run`: HTTP requests, admin calls, and the
queue, blob and timer listeners.  Blob inputs are fetched before the call; outputs
(blobs, queue messages) are written only when the function succeeded, so a failed
invocation changes nothing in storage.  The end is a typed outcome
(:mod:`funcbind.host.model`): a failure at any step is :class:`Failed` (stage
``decode`` for inputs, ``encode`` for outputs), never an exception; a call past
``functionTimeout`` is :class:`TimedOut`.  The caller decides about retries and answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from threading import get_ident
from typing import TYPE_CHECKING, Any

from ..errors import FuncbindError
from ..sync_calls import still_running, stuck_count
from .console import HOST_API_REASON, Console
from .expressions import BindingData
from .model import Cancelled, Failed, Outcome, Succeeded, TimedOut
from .wakeups import QueueWakeups

if TYPE_CHECKING:
    from ..invoke import InvocationResult
    from ..storage.clients import StorageClients
    from .model import HostedFunction

__all__ = ["Runner"]

Invoke = Callable[..., Awaitable[Any]]
# How often a trigger held for a timed-out sync function checks whether its thread ended.
THREAD_POLL = 0.1


class Runner:
    """Runs invocations for one host: the storage clients and the console are its own."""

    def __init__(self, console: Console, invoke: Invoke, timeout: float | None) -> None:
        self.console = console
        self.invoke = invoke
        self.timeout = timeout
        self._clients: StorageClients | None = None
        # Invocations running now: id -> (function name, the task running it).  What a
        # stop waits for, or abandons (host.shutdown).
        self.in_flight: dict[str, tuple[str, asyncio.Task[Any] | None]] = {}
        # The queue listeners to wake when an invocation writes to their queue.
        self.wakeups = QueueWakeups()
        # (thread id, its event loop) as last seen by _current_task.
        self._thread_loop: tuple[int, asyncio.AbstractEventLoop] | None = None

    @property
    def clients(self) -> StorageClients:
        """The host's storage clients, created on first use and shared with SDK bindings."""
        if self._clients is None:
            from ..storage.clients import StorageClients, set_default_clients

            self._clients = StorageClients()
            # Parameters annotated with SDK types get their clients from the same cache,
            # so closing it at shutdown closes theirs too.
            set_default_clients(self._clients)
        return self._clients

    async def close(self) -> None:
        if self._clients is not None:
            await self._clients.aclose()

    async def run(
        self,
        function: HostedFunction,
        inputs: Mapping[str, Any],
        metadata: Mapping[str, Any] | None,
        invocation_id: str,
        *,
        data: BindingData | None = None,
        retry_context: Any = None,
        reason: str = HOST_API_REASON,
    ) -> Outcome:
        """Invoke with storage around the call; how it ended.

        ``data`` holds the values for binding expressions; by default the trigger
        metadata.  ``reason`` is why the invocation runs, as the console's
        ``Executing`` line says it.
        """
        # One coroutine, not a wrapper around another: every HTTP request passes here,
        # and the storage steps and rare endings are helpers off that path.
        self.in_flight[invocation_id] = (function.name, self._current_task())
        try:
            self.console.executing(function.name, invocation_id, reason)
            started = time.perf_counter()
            storage = function.storage
            targets = None
            if storage is not None:
                if data is None and storage.needs_binding_data:
                    data = BindingData(metadata, function_name=function.name)
                try:
                    targets = storage.resolve(data)
                    if storage.inputs:
                        inputs = {**inputs, **await storage.fetch_inputs(self.clients, targets)}
                except FuncbindError as exc:
                    return self._failed(function, invocation_id, started, "decode", exc)
            call = self.invoke(
                function.plan,
                inputs,
                trigger_metadata=metadata,
                invocation_id=invocation_id,
                retry_context=retry_context,
            )
            result: InvocationResult
            try:
                result = await (
                    call if self.timeout is None else asyncio.wait_for(call, self.timeout)
                )
            except asyncio.TimeoutError:
                return self._timed_out(function, invocation_id)
            except asyncio.CancelledError:
                if _stopping(asyncio.current_task()):
                    raise  # a forced stop: whoever holds the trigger leaves it unsettled
                self.console.invocation(function.name, invocation_id, "was cancelled", "error")
                return Cancelled(invocation_id)
            if (
                result.error is None
                and storage is not None
                and targets is not None
                and storage.outputs
            ):
                await self._write_outputs(function, result, targets)
            self.console.invocation_done(
                function.name, invocation_id, time.perf_counter() - started, result.error
            )
            return Succeeded(result) if result.error is None else Failed(result)
        finally:
            self.in_flight.pop(invocation_id, None)

    def _current_task(self) -> asyncio.Task[Any] | None:
        """The task running this invocation.

        ``asyncio.current_task()`` first asks for the running loop, which on Python 3.10
        and 3.11 costs a ``getpid()`` system call; every HTTP request passes here, so the
        loop of the calling thread is remembered.  A remembered loop that is no longer
        running (an earlier ``asyncio.run``) has no current task: the running loop is
        then asked for again.
        """
        remembered = self._thread_loop
        if remembered is not None and remembered[0] == get_ident():
            task = asyncio.current_task(remembered[1])
            if task is not None:
                return task
        loop = asyncio.get_running_loop()
        self._thread_loop = (get_ident(), loop)
        return asyncio.current_task(loop)

    async def _write_outputs(
        self, function: HostedFunction, result: InvocationResult, targets: Any
    ) -> None:
        storage = function.storage
        assert storage is not None
        try:
            await storage.write_outputs(self.clients, result, targets)
        except FuncbindError as exc:
            result.failed("encode", exc.at(function=function.name))
        else:
            if self.wakeups.watched:
                self.wakeups.written(storage.queues_written(self.clients, result, targets))

    def _timed_out(self, function: HostedFunction, invocation_id: str) -> TimedOut:
        assert self.timeout is not None
        thread = still_running(invocation_id)
        stuck = (
            f"; its thread runs on ({stuck_count()} thread(s) of the pool stuck past the timeout)"
            if thread is not None
            else ""
        )
        self.console.invocation(
            function.name,
            invocation_id,
            f"timed out after {self.timeout:g} s (host.json functionTimeout){stuck}",
            "error",
        )
        return TimedOut(invocation_id, self.timeout, thread)

    async def thread_ended(self, outcome: Outcome) -> None:
        """Return once nothing runs on for ``outcome``: a sync function that timed out
        still works on its trigger in its thread until the thread ends."""
        thread = outcome.thread if isinstance(outcome, TimedOut) else None
        while thread is not None and not thread.is_set():
            await asyncio.sleep(THREAD_POLL)

    def _failed(
        self,
        function: HostedFunction,
        invocation_id: str,
        started: float,
        stage: str,
        error: FuncbindError,
    ) -> Failed:
        from ..invoke import InvocationResult

        result = InvocationResult(invocation_id, function.name)
        result.open = False
        located = error.at(function=function.name)
        result.failed(stage, located)  # type: ignore[arg-type]
        # The host's own check refused the invocation before the call (an unsafe or
        # missing binding value, an input that cannot be read): its sentence says it
        # all, and a traceback of the host's code would only bury it.
        took = (time.perf_counter() - started) * 1000
        self.console.invocation(
            function.name, invocation_id, f"failed after {took:.1f} ms: {located.message}", "error"
        )
        return Failed(result)


def _stopping(task: asyncio.Task[Any] | None) -> bool:
    """Whether ``task`` itself is being cancelled (rather than the function's own code).

    Python 3.10 cannot tell the two apart: there a cancellation always propagates.
    """
    cancelling = getattr(task, "cancelling", None)
    return task is None or cancelling is None or cancelling() > 0
