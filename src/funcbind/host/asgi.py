"""The host's ASGI application: HTTP requests in, function invocations, responses out.

Plain ASGI, no framework: a request costs one route lookup, the http Datum the
workers would build (the body is the bytes the server received, not a copy when it
arrived in one piece), one invocation and one response.  Every failure answers a
short JSON body ``{"error": ...}`` and a console line; the server keeps serving.
The ASGI lifespan starts the trigger listeners (queue, blob, timer) and stops them,
letting invocations in flight finish, before the server exits.

The request pieces (path, headers, query, keys, body limits, responses) live in
:mod:`funcbind.host.http`, shared with the admin app (:mod:`funcbind.host.admin`), which
this app mounts at ``/admin/``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..datum import Datum
from .admin import AdminApp
from .console import Console
from .expressions import BindingData, BindingExpressionError
from .host_api import landing_page
from .http import (
    BadRequest,
    ClientGone,
    Headers,
    Receive,
    Responder,
    Scope,
    Send,
    header,
    key_needed,
    parse_query,
    presented_key,
    read_body,
    read_headers,
    request_path,
    request_url,
    response_parts,
)
from .keys import ADMIN, KeyStore
from .listeners import Listeners
from .model import (
    RETURN,
    Failed,
    HostedApp,
    HostedFunction,
    Succeeded,
    TimedOut,
    new_invocation_id,
)
from .routes import MethodNotAllowed
from .runner import Runner
from .settings import CorsSettings
from .storage_io import StorageUnavailableError
from .webhooks import PREFIX as WEBHOOKS_PREFIX
from .webhooks import WebhookApp

if TYPE_CHECKING:
    from ..invoke import InvocationResult

__all__ = ["HostApplication"]

Invoke = Callable[..., Awaitable[Any]]

ADMIN_PREFIX = "/admin/"
_KEY_IN_QUERY = re.compile(r"(^|&)code=[^&]*")  # keys stay out of the request log
_NO_CONTENT: Headers = []


class HostApplication:
    """The ASGI callable serving a :class:`HostedApp`.

    ``auth=False`` disables key checks.  ``invoke`` is the function layer's
    ``invoke`` (injectable for tests).  ``listen=False`` keeps the trigger listeners
    from starting with the server.
    """

    def __init__(
        self,
        app: HostedApp,
        *,
        console: Console | None = None,
        auth: bool = True,
        invoke: Invoke | None = None,
        listen: bool = True,
    ) -> None:
        if invoke is None:
            from ..invoke import invoke as invoke_function

            invoke = invoke_function
        self.app = app
        self.console = console if console is not None else Console()
        self.keys: KeyStore | None = app.keys if auth else None
        self.invoke = invoke
        self.router = app.router
        self.max_body_size = app.max_body_size
        self.cors: CorsSettings | None = app.local_settings.cors
        timeout = app.host_settings.function_timeout
        self.timeout: float | None = None if timeout is None else timeout.total_seconds()
        self.verbose = self.console.verbose
        self.runner = Runner(self.console, invoke, self.timeout)
        # Mounted at /admin/: its own small app, sharing the request helpers of http.py.
        self.admin = AdminApp(app, self.runner, keys=self.keys)
        self.webhooks = WebhookApp(app, self.runner, keys=self.keys)  # /runtime/webhooks/
        self.listen = listen
        self.listeners: Listeners | None = None
        # --reload: its run(stopping) watches the app while the server serves.
        self.reloader: Any = None
        self._reloading = asyncio.Event()

    # -- ASGI -----------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # An HTTP request is served here rather than in a coroutine this one awaits: every
        # layer of coroutines costs each request.
        if scope["type"] != "http":
            await self._not_http(scope, receive, send)
            return
        started = time.perf_counter() if self.verbose else 0.0
        responder = Responder(send, _NO_CONTENT if self.cors is None else self._cors_headers(scope))
        try:
            await self._dispatch(scope, receive, responder)
        except BadRequest as exc:
            await responder.error(400, str(exc))
        except ClientGone:
            return
        except Exception:  # a bug in the host itself: say so, keep serving
            trace = traceback.format_exc().rstrip()
            self.console.line(f"internal error while serving a request:\n{trace}", "error")
            if not responder.started:
                await responder.error(500, "internal error in funcbind run; see its console")
        if self.verbose:
            self._log_request(scope, responder.status, time.perf_counter() - started)

    async def _not_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1003})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.listen:
                    self.listeners = Listeners(self.app, self.runner, self.console)
                    await self.listeners.start()
                if self.reloader is not None:
                    self._reloading = asyncio.Event()
                    self._reload_task = asyncio.ensure_future(self.reloader.run(self._reloading))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self._reloading.set()
                if self.listeners is not None:
                    await self.listeners.stop()
                await self.admin.drain()
                await self.runner.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def replace_app(self, app: HostedApp) -> None:
        """Serve ``app`` from now on (a reload): its routes at once, with the same keys;
        the old version's listeners stop (what they hold runs to its end) and the new
        version's start.  Requests in flight finish on the version they started on."""
        if self.app.keys is not None:
            app.keys = self.app.keys
        self.app = self.admin.app = self.webhooks.app = app
        self.router = app.router
        if self.listeners is not None:
            await self.listeners.stop()
            self.listeners = Listeners(app, self.runner, self.console)
            await self.listeners.start()

    def _log_request(self, scope: Scope, status: int, seconds: float) -> None:
        target = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string")
        shown = target.decode("latin-1")
        if query:
            shown += "?" + _KEY_IN_QUERY.sub(r"\1code=***", query.decode("latin-1"))
        self.console.request(scope["method"], shown, status, seconds)

    async def _dispatch(self, scope: Scope, receive: Receive, respond: Responder) -> None:
        method: str = scope["method"]
        path = request_path(scope)
        if self.cors is not None and method == "OPTIONS" and await self._preflight(scope, respond):
            return
        if path[:7].casefold() == ADMIN_PREFIX:
            await self.admin(scope, receive, respond.forward)
            return
        if path[: len(WEBHOOKS_PREFIX)].casefold() == WEBHOOKS_PREFIX:
            await self.webhooks(scope, receive, respond.forward)
            return
        found = self.router.match(method, path)
        if found is None:
            if path == "/":
                await landing_page(respond)  # as the host: only when no function serves /
                return
            await respond.error(404, f"no function serves {path}")
            return
        if isinstance(found, MethodNotAllowed):
            allow = ", ".join(found.allowed)
            await respond.error(
                405, f"{method} is not allowed here; allowed: {allow}", [(b"allow", allow.encode())]
            )
            return
        function: HostedFunction = found.route.target  # type: ignore[assignment]
        headers, key = read_headers(scope)
        query = parse_query(scope.get("query_string", b""))
        if self.keys is not None and function.auth_level != "anonymous":
            key = presented_key(key, query)
            if not self.keys.authorize(function.auth_level, function.name, key):
                await respond.error(401, _unauthorized(function.auth_level))
                return
        if function.problem is not None:
            await respond.error(500, f"function {function.name!r} cannot run: {function.problem}")
            return
        if "content-length" in headers or "transfer-encoding" in headers or _not_http1(scope):
            body = await read_body(scope, receive, respond, self.max_body_size)
            if body is None:
                return
        else:
            # HTTP/1.x frames a request body with one of those two headers: without them
            # there is none (RFC 9112, 6.3), and nothing to receive -- a bare ASGI app
            # does not ask either.
            body = b""
        values = found.values
        params = {name: Datum(value, "string") for name, value in values.items()} if values else {}
        request = Datum(
            {
                "method": Datum(method, "string"),
                "url": Datum(request_url(scope, headers), "string"),
                "headers": headers,
                "query": query,
                "params": params,
                "body": Datum(body, "bytes"),
            },
            "http",
        )
        metadata = {**query, **params} if query or params else None
        data = None
        storage = function.storage
        if storage is not None and storage.needs_binding_data:
            data = BindingData(metadata, payload=_json_body(body), function_name=function.name)
        invocation_id = new_invocation_id()
        outcome = await self.runner.run(
            function, {function.trigger_name: request}, metadata, invocation_id, data=data
        )
        if isinstance(outcome, Succeeded):
            response = self._response(function, outcome.result)
            if response is None:
                await respond.error(
                    500,
                    f"function {function.name!r} returned a response that cannot be sent",
                    invocation_id=outcome.invocation_id,
                )
            else:
                await respond.send(*response)
        elif isinstance(outcome, Failed):
            await self._failure(function, outcome, respond)
        else:
            ended = "timed out" if isinstance(outcome, TimedOut) else "was cancelled"
            await respond.error(
                500, f"function {function.name!r} {ended}", invocation_id=invocation_id
            )

    async def _failure(self, function: HostedFunction, failed: Failed, respond: Responder) -> None:
        error = failed.error
        if failed.stage == "decode" and isinstance(error, BindingExpressionError):
            # A value from the request cannot name a blob or queue: the caller's mistake.
            await respond.error(400, error.message, invocation_id=failed.invocation_id)
        elif isinstance(error, StorageUnavailableError):
            await respond.error(
                503,
                f"function {function.name!r} cannot reach storage; see the host's console",
                invocation_id=failed.invocation_id,
            )
        else:
            await respond.error(
                500, f"function {function.name!r} failed", invocation_id=failed.invocation_id
            )

    def _response(
        self, function: HostedFunction, result: InvocationResult
    ) -> tuple[int, Headers, bytes] | None:
        """Status, headers and body of the function's response; None (after a console
        line) when it cannot be sent.  Not a coroutine: the caller sends it."""
        name = function.response_binding
        if name is None:
            datum = None
        elif name == RETURN:
            datum = result.return_value
        else:
            datum = result.outputs.get(name)
        if datum is None or datum.type is None:
            # As the Functions host: no response set is a plain 200 with an empty body.
            return 200, _NO_CONTENT, b""
        try:
            return response_parts(datum)
        except ValueError as exc:
            self.console.invocation(
                function.name, result.invocation_id, f"bad HTTP response: {exc}", "error"
            )
            return None

    # -- CORS -------------------------------------------------------------------

    def _cors_headers(self, scope: Scope) -> Headers:
        cors = self.cors
        if cors is None:
            return _NO_CONTENT
        origin = header(scope, b"origin")
        if origin is None or not cors.allows(origin):
            return _NO_CONTENT
        headers = [(b"vary", b"Origin")]
        if cors.any_origin and not cors.allow_credentials:
            headers.append((b"access-control-allow-origin", b"*"))
        else:
            headers.append((b"access-control-allow-origin", origin.encode("latin-1")))
        if cors.allow_credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        return headers

    async def _preflight(self, scope: Scope, respond: Responder) -> bool:
        requested = header(scope, b"access-control-request-method")
        if requested is None or not respond.extra:
            return False
        headers = [(b"access-control-allow-methods", requested.encode("latin-1"))]
        wanted = header(scope, b"access-control-request-headers")
        if wanted:
            headers.append((b"access-control-allow-headers", wanted.encode("latin-1")))
        headers.append((b"access-control-max-age", b"86400"))
        await respond.send(204, headers, b"")
        return True


def _not_http1(scope: Scope) -> bool:
    return not str(scope.get("http_version", "1.1")).startswith("1")


def _json_body(body: bytes) -> Callable[[], Any]:
    """The request body's JSON object, parsed when a binding expression first needs it."""

    def parse() -> Any:
        if body.lstrip()[:1] != b"{":
            return None
        return json.loads(body)

    return parse


def _unauthorized(level: str) -> str:
    return key_needed(
        f"this function needs {'the master key' if level == ADMIN else 'a function key'}"
    )
