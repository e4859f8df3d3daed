"""Stopping ``funcbind run``: what Ctrl-C and SIGTERM do while the host serves.

The first signal stops taking work and waits for the invocations in flight, saying how
many; a second one abandons them and names each, and the process ends at once -- not
waiting for sync functions still running in their threads -- with status 128 + the
signal's number (130 for Ctrl-C) when it abandoned any.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

from .console import Console

if TYPE_CHECKING:
    import uvicorn
    from uvicorn.server import ServerState

    from .asgi import HostApplication

__all__ = ["HostShutdown", "host_server", "leave_function_threads", "not_cancelled"]


class HostShutdown:
    """What Ctrl-C and SIGTERM do while the host serves.

    The first stops taking work -- uvicorn closes the socket and answers the requests in
    flight, the listeners stop polling -- and says how many invocations it waits for.  The
    second abandons them: it names each, drops the HTTP connections still open, cancels
    the requests, admin calls and listeners with what they run (an unsettled queue message
    or blob is delivered again, as after a crash).  When it abandoned invocations,
    ``forced_by`` holds its signal: the exit status says so.  Sync functions cannot be
    interrupted: their threads are left behind.
    """

    def __init__(self, application: HostApplication, console: Console) -> None:
        self.application = application
        # Every invocation (HTTP, admin, queue, blob, timer) goes through the runner.
        self.in_flight = application.runner.in_flight
        self.console = console
        self.forced = False
        self.forced_by: int | None = None

    def signalled(self, sig: int, first: bool, server_state: ServerState) -> None:
        """Called by the signal handler.  The work runs as an event-loop callback: the code
        the signal interrupted may hold the console's lock, or be in the middle of a task."""
        if not first:
            if self.forced:
                return
            self.forced = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # the server is not running (yet, or any more): nothing is in flight
        if first:
            loop.call_soon_threadsafe(self._wait_for_work)
        else:
            loop.call_soon_threadsafe(self._abandon_work, sig, server_state)

    def _wait_for_work(self) -> None:
        listeners = self.application.listeners
        if listeners is not None:
            listeners.stop_polling()
        count = len(self.in_flight)
        if count:
            self.console.line(
                f"stopping: waiting for {count} invocation(s) in flight (Ctrl-C again to stop now)",
                "warning",
            )

    def _abandon_work(self, sig: int, server_state: ServerState) -> None:
        abandoned = dict(self.in_flight)
        if abandoned:
            self.forced_by = sig
            self.console.line(
                f"stopping now: abandoning {len(abandoned)} invocation(s) in flight", "warning"
            )
        else:
            # The work ended meanwhile (or was not an invocation): the stop stays a clean one.
            self.console.line("stopping now", "warning")
        for invocation_id, (name, _) in abandoned.items():
            self.console.invocation(name, invocation_id, "abandoned", "warning")
        # After the first signal every connection left has a request in flight.  Dropping
        # them also keeps uvicorn's wait for the server to close (Python 3.12+) short.
        for connection in list(server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        for request in list(server_state.tasks):
            request.cancel()
        self.application.admin.abandon()
        if self.application.listeners is not None:
            self.application.listeners.abandon()
        for _, task in abandoned.values():
            if task is not None:
                task.cancel()


def host_server(config: uvicorn.Config, shutdown: HostShutdown) -> uvicorn.Server:
    """uvicorn's server, with ``shutdown`` told of every Ctrl-C and SIGTERM."""
    import uvicorn

    class HostServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            first = not self.should_exit
            # The first signal sets should_exit; a second SIGINT sets force_exit, which ends
            # uvicorn's wait for requests and skips the app's shutdown if it has not begun
            # (a shutdown under way ends once its invocations are abandoned).
            super().handle_exit(sig, frame)
            if not first:
                self.force_exit = True  # a second SIGTERM forces the stop as well
            shutdown.signalled(sig, first, self.server_state)

        async def startup(self, sockets: Any = None) -> None:
            from .protocol import AcceptTrouble

            asyncio.get_running_loop().set_exception_handler(AcceptTrouble(shutdown.console))
            await super().startup(sockets)

    return HostServer(config)


def not_cancelled(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, asyncio.CancelledError)


def leave_function_threads(status: int) -> None:
    """After a forced stop, exit without waiting for sync functions still running.

    A thread cannot be interrupted.  The function pool's threads are daemons, and shutting
    the pool down without waiting keeps its exit hook from joining them.  A thread a
    function started itself, not a daemon, would still hold the interpreter's exit: then
    the process ends here, its output flushed.
    """
    from ..invoke import shutdown_default_executor

    shutdown_default_executor(wait=False)
    current = threading.current_thread()
    if any(t is not current and not t.daemon and t.is_alive() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
