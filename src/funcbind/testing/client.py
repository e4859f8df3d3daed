"""The sync test client: :class:`FunctionAppClient`, the async one on a loop of its own.

The host is asyncio code.  The sync client keeps one event loop for its whole life
and runs it in the test's own thread for the length of each call: a request, an
invoke, a ``wait_for``.  Between calls the host is paused -- nothing runs behind the
test's back, and no thread hand-off is paid per request (what a portal thread would
cost).  Background work (admin calls answered 202, the listeners) runs while a call
runs: ``wait_for`` is the call that lets it.  ``client.http`` is an ``httpx.Client``
whose transport runs each request through the host's ASGI app on that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from .hosting import AsyncFunctionAppClient, ClientError
from .invocation import Invocation

if TYPE_CHECKING:
    import httpx

    from ..host.keys import KeyStore
    from ..host.model import HostedApp
    from .events import Event
    from .storage import StorageHelper

__all__ = ["AsyncFunctionAppClient", "ClientError", "FunctionAppClient"]

T = TypeVar("T")


class _Loop:
    """An event loop that runs in the caller's thread, one call at a time."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        # The check without the exception get_running_loop() raises: once per request.
        if asyncio._get_running_loop() is None:
            return self.loop.run_until_complete(coroutine)
        coroutine.close()
        raise ClientError(
            "FunctionAppClient cannot run inside a running event loop (an async test); "
            "use AsyncFunctionAppClient there"
        )

    def stop(self) -> None:
        async def cancel_rest() -> None:
            rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        try:
            self.loop.run_until_complete(cancel_rest())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
        finally:
            self.loop.close()


def _loop_transport(runner: _Loop, inner: httpx.AsyncBaseTransport) -> httpx.BaseTransport:
    import httpx

    class LoopTransport(httpx.BaseTransport):
        """A sync transport that runs each request on the client's loop."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            request.read()  # the body as bytes, which the async transport reads as well
            # Its response holds the whole body as bytes: readable from sync code too.
            return runner.call(inner.handle_async_request(request))

    return LoopTransport()


class FunctionAppClient:
    """A function app served by the real host in this process, for sync tests.

    Takes the options of :class:`~funcbind.testing.AsyncFunctionAppClient`; use it as a
    context manager (``with FunctionAppClient("app") as client:``).
    """

    def __init__(self, app: Any, **options: Any) -> None:
        self._async = AsyncFunctionAppClient(app, **options)
        self._loop: _Loop | None = None
        self._http: httpx.Client | None = None

    def start(self) -> FunctionAppClient:
        import httpx

        self._loop = _Loop()
        try:
            self._call(self._async.start())
        except BaseException:
            self._loop.stop()
            self._loop = None
            raise
        transport = self._async.transport
        if transport is None:  # a live host (base_url): a plain client over the network
            self._http = httpx.Client(base_url=self._async.http.base_url)
        else:
            from .http_client import host_http_client

            self._http = host_http_client(
                transport=_loop_transport(self._loop, transport),
                base_url=self._async.http.base_url,
                event_hooks={"response": [self._async.note_unrouted]},
            )
        return self

    def close(self) -> None:
        runner = self._loop
        if runner is None:
            return
        try:
            if self._http is not None:
                self._http.close()
            runner.call(self._async.close())
        finally:
            runner.stop()
            self._loop = None

    def __enter__(self) -> FunctionAppClient:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coroutine.close()
            raise ClientError("the client is not open: use 'with FunctionAppClient(...)'")
        return self._loop.call(coroutine)

    # -- the same API as the async client, sync ------------------------------------------

    @property
    def http(self) -> httpx.Client:
        """An ``httpx.Client`` on the host's ASGI app (no socket); paths as served,
        ``/api/...``."""
        if self._http is None:
            raise ClientError("the client is not open: use 'with FunctionAppClient(...)'")
        return self._http

    @property
    def hosted(self) -> HostedApp:
        return self._async.hosted

    @property
    def keys(self) -> KeyStore:
        return self._async.keys

    @property
    def storage(self) -> StorageHelper:
        return self._async.storage

    @property
    def invocations(self) -> list[Invocation]:
        """Every invocation so far, oldest first (HTTP, triggers, listeners)."""
        return self._async.invocations

    @property
    def console_lines(self) -> list[str]:
        """What the host printed (the lines ``funcbind run`` would show)."""
        return self._async.console_lines

    def routes(self) -> list[str]:
        return self._async.routes()

    def invoke(self, name: str, event: Event | None = None, **fields: Any) -> Invocation:
        return self._call(self._async.invoke(name, event, **fields))

    def queue_trigger(self, name: str, body: Any = "", **fields: Any) -> Invocation:
        return self._call(self._async.queue_trigger(name, body, **fields))

    def blob_trigger(
        self, name: str, path: str, content: bytes | str = b"", **fields: Any
    ) -> Invocation:
        return self._call(self._async.blob_trigger(name, path, content, **fields))

    def timer_trigger(self, name: str, **fields: Any) -> Invocation:
        return self._call(self._async.timer_trigger(name, **fields))

    def wait_for(self, name: str, count: int = 1, timeout: float = 5.0) -> list[Invocation]:
        return self._call(self._async.wait_for(name, count, timeout))

    @contextlib.contextmanager
    def listening(self) -> Iterator[FunctionAppClient]:
        """Run the app's queue, blob and timer listeners (on Azurite) while inside."""
        manager = self._async.listening()
        self._call(manager.__aenter__())
        try:
            yield self
        finally:
            self._call(manager.__aexit__(None, None, None))
