"""The host in the test's process: :class:`AsyncFunctionAppClient`.

It loads an app exactly as ``funcbind run`` does -- :func:`~funcbind.host.app.load_hosted_app`
(settings from ``local.settings.json`` into the environment, then the loader, the
plans, routes, storage bindings and triggers), the host's ASGI app with its
:class:`~funcbind.host.runner.Runner`, the real trigger listeners -- and serves it
without a socket: HTTP through an httpx transport that calls the host's ASGI app
(:mod:`funcbind.testing.transport`), other triggers through the
runner, as the listeners and the admin endpoint call it.  Two things are added, both
observers: each function is wrapped to keep the values it returned and set (the
plan is otherwise the loader's), and each runner outcome becomes an
:class:`~funcbind.testing.Invocation`.

This module and :mod:`funcbind.testing.hosted_app` (loading, observing, trigger inputs)
are the ones of :mod:`funcbind.testing` that reach into the host.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import FuncbindError
from . import events, hosted_app
from .events import Event, EventError
from .invocation import Invocation
from .storage import AzuriteSession, StorageHelper

if TYPE_CHECKING:
    import httpx

    from ..host.asgi import HostApplication
    from ..host.azurite import Azurite
    from ..host.keys import KeyStore
    from ..host.listeners import Listeners
    from ..host.model import HostedApp, HostedFunction, Outcome

__all__ = ["AsyncFunctionAppClient", "ClientError"]

DEFAULT_PORT = 7071

# How long close() lets invocations started in the background (admin calls) finish.
DRAIN_SECONDS = 5.0


class ClientError(FuncbindError, LookupError):
    """The client cannot do what was asked: an unknown function, a call left running."""


class AsyncFunctionAppClient:
    """A function app served by the real host in this process, for async tests.

    ``app`` is an app folder, or a ``FunctionApp`` object (its module's folder is
    loaded, as ``funcbind run`` would load it).  ``settings`` override app settings
    (``local.settings.json`` ``Values`` and the environment) while the client is open.
    ``auth`` turns key checks on (keys load or generate as under ``funcbind run``).
    ``azurite`` is the development storage to use: an :class:`AzuriteSession`, a
    running ``Azurite``, or None for the process-wide session, started only when the
    app uses ``UseDevelopmentStorage=true``.  ``allow_errors`` serves an app some of
    whose functions failed to load (by default that raises, listing them).
    ``base_url`` points :attr:`http` at a live ``funcbind run`` instead (nothing is
    loaded; only HTTP works).
    """

    def __init__(
        self,
        app: Any,
        *,
        settings: Mapping[str, str] | None = None,
        auth: bool = False,
        azurite: AzuriteSession | Azurite | None = None,
        allow_errors: bool = False,
        base_url: str | None = None,
    ) -> None:
        self.app_dir = hosted_app.app_folder(app)
        self.settings = dict(settings or {})
        self.auth = auth
        self.allow_errors = allow_errors
        self.remote_url = base_url
        self.azurite = _session(azurite)
        self.invocations: list[Invocation] = []
        self.console_lines: list[str] = []
        self._hosted: HostedApp | None = None
        self._application: HostApplication | None = None
        self._listeners: Listeners | None = None
        self._http: httpx.AsyncClient | None = None
        # The transport to the host's ASGI app (the sync client wraps it).
        self.transport: httpx.AsyncBaseTransport | None = None
        self._storage: StorageHelper | None = None
        self._captured: dict[str, tuple[Any, dict[str, Any]]] = {}
        # Invocations a call already handed to the test (invoke, wait_for).
        self._handed: set[str] = set()
        self._restore: Callable[[], None] | None = None
        self._default_clients: Any = None
        self._changed: asyncio.Event | None = None  # made on the serving loop, at start
        # Azurite starting in the background; what uses storage waits for it.
        self._azurite_ready: asyncio.Future[Any] | None = None
        self._storage_functions: frozenset[str] = frozenset()

    # -- opening and closing -----------------------------------------------------------

    async def start(self) -> AsyncFunctionAppClient:
        """Load the app and get ready to serve (``async with`` does this)."""
        import httpx

        if self.remote_url is not None:
            self._http = httpx.AsyncClient(base_url=self.remote_url)
            return self
        from ..storage.clients import default_clients

        self._changed = asyncio.Event()
        # The runner makes its storage clients the process's default (the SDK bindings
        # use them); close() puts the previous default back.
        self._default_clients = default_clients()
        self._restore = hosted_app.apply_environment({**self.azurite.environment, **self.settings})
        try:
            self._hosted = hosted_app.load_app(self.app_dir, self.auth, self.allow_errors)
            hosted_app.observe(self._hosted, self._captured)
            if hosted_app.uses_development_storage(self._hosted):
                self._storage_functions = frozenset(
                    f.name for f in self._hosted.functions.values() if hosted_app.uses_storage(f)
                )
                if self.azurite.expected is not False:
                    # Started meanwhile: a test of HTTP-only functions never waits for it.
                    self._azurite_starting()
            self._application = self._serve(self._hosted)
        except BaseException:
            self._restore_environment()
            raise
        from .transport import asgi_transport

        self.transport = asgi_transport(self._application)
        port = self._hosted.local_settings.local_http_port or DEFAULT_PORT
        from .http_client import async_host_http_client

        self._http = async_host_http_client(
            transport=self.transport,
            base_url=f"http://localhost:{port}",
            event_hooks={"response": [self._unrouted]},
        )
        return self

    async def _unrouted(self, response: httpx.Response) -> None:
        self.note_unrouted(response)

    def note_unrouted(self, response: httpx.Response) -> None:
        """Note a 404 for a path no route serves, with the routes there are: the failed
        test's report shows it (an httpx response hook)."""
        from .invocation import note

        if response.status_code != 404 or self._hosted is None:
            return
        request = response.request
        path = request.url.path
        if path.casefold().startswith("/admin/"):
            return
        if self._hosted.router.match(request.method, path) is None:
            routes = "\n  ".join(self.routes()) or "(none)"
            note(f"{request.method} {path}: no function serves it; the app's routes:\n  {routes}")

    def _serve(self, hosted: HostedApp) -> HostApplication:
        from ..host.asgi import HostApplication
        from ..host.console import Console

        application = HostApplication(
            hosted, console=Console(_Lines(self.console_lines)), auth=self.auth, listen=False
        )
        runner = application.runner
        run = runner.run

        async def observed_run(function: HostedFunction, *args: Any, **kwargs: Any) -> Outcome:
            if function.name in self._storage_functions:
                await self._storage_ready()
            started = time.perf_counter()
            outcome = await run(function, *args, **kwargs)
            self._record(function, outcome, time.perf_counter() - started)
            return outcome

        # Every trigger reaches the function through runner.run (HTTP, admin, listeners).
        runner.run = observed_run  # type: ignore[method-assign]
        return application

    def _azurite_starting(self) -> asyncio.Future[Any]:
        ready = self._azurite_ready
        if ready is None:
            ready = asyncio.wrap_future(self.azurite.starting())
            ready.add_done_callback(_retrieved)  # a failure is raised where it is awaited
            self._azurite_ready = ready
        return ready

    async def _storage_ready(self) -> None:
        if self._storage_functions:  # the app uses development storage
            # Raises AzuriteError when it could not start.
            await asyncio.shield(self._azurite_starting())

    async def close(self) -> None:
        """Stop listening, let admin calls finish, close storage; raise if calls were left
        running (they are cancelled)."""
        left: list[str] = []
        try:
            if self._listeners is not None:
                await self._stop_listening()
            application = self._application
            if application is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(application.admin.drain(), DRAIN_SECONDS)
                left = [
                    f"{name} ({invocation_id})"
                    for invocation_id, (name, _) in application.runner.in_flight.items()
                ]
                application.admin.abandon()
                for _, task in list(application.runner.in_flight.values()):
                    if task is not None and task is not asyncio.current_task():
                        task.cancel()
                await application.runner.close()
            if self._http is not None:
                await self._http.aclose()
            if self._storage is not None:
                self._storage.close()
        finally:
            self._restore_environment()
            self._application = None
        if left:
            raise ClientError(
                f"invocations still running when the client closed: {', '.join(left)}; "
                "they were cancelled (wait for them with wait_for() before the test ends)"
            )

    def _restore_environment(self) -> None:
        if self._restore is not None:
            from ..storage.clients import set_default_clients

            set_default_clients(self._default_clients)
            self._restore()
            self._restore = None

    async def __aenter__(self) -> AsyncFunctionAppClient:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- what a test uses ----------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` on the host's ASGI app (no socket); paths as served,
        ``/api/...``."""
        if self._http is None:
            raise ClientError("the client is not open: use 'async with' or await start()")
        return self._http

    @property
    def hosted(self) -> HostedApp:
        """The app as the host loaded it: functions, routes, settings, load errors."""
        if self._hosted is None:
            raise ClientError(self._not_loaded())
        return self._hosted

    @property
    def keys(self) -> KeyStore:
        """The app's keys (``auth=True`` only)."""
        keys = self.hosted.keys
        if keys is None:
            raise ClientError("keys are off: create the client with auth=True")
        return keys

    @property
    def storage(self) -> StorageHelper:
        """Seed and inspect development storage (Azurite is started on first use)."""
        if self._storage is None:
            encoding = "base64"
            if self._hosted is not None:
                encoding = self._hosted.host_settings.queues.message_encoding
            self._storage = StorageHelper(self.azurite, encoding)
        return self._storage

    def routes(self) -> list[str]:
        """Every HTTP route of the app, as ``METHODS /path/template``."""
        prefix = self.hosted.host_settings.route_prefix
        shown = []
        for function in self.hosted.functions.values():
            if function.route_template is not None:
                methods = ",".join(function.methods) if function.methods else "*"
                path = "/" + "/".join(filter(None, [prefix, function.route_template]))
                shown.append(f"{methods} {path} ({function.name})")
        return sorted(shown)

    async def invoke(self, name: str, event: Event | None = None, **fields: Any) -> Invocation:
        """Run function ``name`` on ``event`` (or one its trigger's builder makes from
        ``fields``) as its trigger would, storage bindings included."""
        function = self._function(name)
        if event is None:
            kind = events.for_trigger(function.trigger_type)
            if kind is None:
                raise EventError(
                    f"function {function.name!r}: no event builder for its trigger "
                    f"({function.trigger_type}); pass an Event"
                )
            event = events.build(kind.name, **fields)
        elif fields:
            raise ClientError("pass either an event or its fields, not both")
        return await self._run(function, event)

    async def queue_trigger(self, name: str, body: Any = "", **fields: Any) -> Invocation:
        """Run a queue-triggered function on a message (fields of :func:`.events.queue`)."""
        return await self.invoke(name, events.queue(body, **fields))

    async def blob_trigger(
        self, name: str, path: str, content: bytes | str = b"", **fields: Any
    ) -> Invocation:
        """Run a blob-triggered function on blob ``container/name`` with ``content``."""
        return await self.invoke(name, events.blob(path, content, **fields))

    async def timer_trigger(self, name: str, **fields: Any) -> Invocation:
        """Run a timer-triggered function (fields of :func:`.events.timer`, ``past_due``)."""
        return await self.invoke(name, events.timer(**fields))

    @contextlib.asynccontextmanager
    async def listening(self) -> AsyncIterator[AsyncFunctionAppClient]:
        """Run the app's queue, blob and timer listeners (on Azurite) while inside."""
        from ..host.listeners import Listeners

        application = self._open_application()
        if self._listeners is not None:
            raise ClientError("the listeners are running already")
        await self._storage_ready()
        self._listeners = Listeners(self.hosted, application.runner, application.console)
        await self._listeners.start()
        try:
            yield self
        finally:
            await self._stop_listening()

    async def _stop_listening(self) -> None:
        listeners, self._listeners = self._listeners, None
        if listeners is not None:
            await listeners.stop()

    async def wait_for(self, name: str, count: int = 1, timeout: float = 5.0) -> list[Invocation]:
        """The next ``count`` invocations of ``name`` not handed to the test yet (by
        invoke() or an earlier wait_for(): those run by listeners, admin calls, HTTP),
        waiting up to ``timeout`` seconds; TimeoutError says how many came."""
        function = self._function(name)
        assert self._changed is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            new = [
                i
                for i in self.invocations
                if i.function_name == function.name and i.invocation_id not in self._handed
            ]
            if len(new) >= count:
                self._handed.update(i.invocation_id for i in new[:count])
                return new[:count]
            remaining = deadline - loop.time()
            if remaining <= 0:
                printed = "\n".join(self.console_lines[-20:]) or "(nothing)"
                raise TimeoutError(
                    f"waited {timeout:g} s for {count} invocation(s) of {function.name!r}, got "
                    f"{len(new)}; the host printed:\n{printed}"
                )
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    # -- inside ---------------------------------------------------------------------

    def _open_application(self) -> HostApplication:
        if self._application is None:
            raise ClientError(self._not_loaded())
        return self._application

    def _not_loaded(self) -> str:
        if self.remote_url is not None:
            return f"only client.http works against a live host ({self.remote_url})"
        return "the client is not open: use 'with'/'async with' or start()"

    def _function(self, name: str) -> HostedFunction:
        hosted = self.hosted
        function = hosted.find(name)
        if function is None:
            known = ", ".join(sorted(hosted.functions)) or "none"
            broken = (
                f"; failed to load: {', '.join(sorted(hosted.errors))}" if hosted.errors else ""
            )
            raise ClientError(f"expected a function of the app ({known}){broken}, got {name!r}")
        if function.disabled:
            raise ClientError(f"function {function.name!r} is disabled")
        if function.problem is not None:
            raise ClientError(f"function {function.name!r} cannot run: {function.problem}")
        return function

    async def _run(self, function: HostedFunction, event: Event) -> Invocation:
        from ..host.model import HTTP_TRIGGER, new_invocation_id

        if event.trigger_type.casefold() != function.trigger_type.casefold():
            raise EventError(
                f"function {function.name!r} is triggered by {function.trigger_type} "
                f"(binding {function.trigger_name!r}), got a {event.kind} event "
                f"(for {event.trigger_type})"
            )
        if function.trigger_type == HTTP_TRIGGER:
            route = [r for r in self.routes() if r.endswith(f"({function.name})")]
            raise ClientError(
                f"function {function.name!r} is HTTP-triggered: call it through client.http "
                f"at its route ({', '.join(route)})"
            )
        runner = self._open_application().runner
        payload, metadata, data = hosted_app.trigger_inputs(function, event)
        invocation_id = new_invocation_id()
        count = len(self.invocations)
        await runner.run(
            function, {function.trigger_name: payload}, metadata, invocation_id, data=data
        )
        self._handed.add(invocation_id)
        return next(i for i in self.invocations[count:] if i.invocation_id == invocation_id)

    def _record(self, function: HostedFunction, outcome: Outcome, duration: float) -> None:
        from ..host.model import Cancelled, Failed, Succeeded, TimedOut

        returned, outputs = self._captured.pop(outcome.invocation_id, (None, {}))
        invocation = Invocation(function.name, outcome.invocation_id, duration)
        invocation.return_value = returned
        invocation.outputs = outputs
        if isinstance(outcome, Succeeded | Failed):
            result = outcome.result
            invocation.return_datum = result.return_value
            invocation.output_data = dict(result.outputs)
            invocation.logs = list(result.logs)
            invocation.error = result.error
            invocation.stage = result.stage
        elif isinstance(outcome, TimedOut):
            invocation.timed_out = True
        elif isinstance(outcome, Cancelled):
            invocation.error = asyncio.CancelledError(f"{function.name} was cancelled")
            invocation.stage = "call"
        self.invocations.append(invocation)
        if self._changed is not None:
            self._changed.set()


def _session(azurite: Any) -> AzuriteSession:
    if azurite is None:
        return AzuriteSession.shared()
    if isinstance(azurite, AzuriteSession):
        return azurite
    return AzuriteSession(azurite)


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class _Lines:
    """The host console's output, kept as lines for tests and failure reports."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def write(self, text: str, /) -> int:
        self.lines.extend(line for line in text.splitlines() if line.strip())
        return len(text)

    def flush(self) -> None:
        return None
