"""The host's ASGI application: HTTP requests in, function invocations, responses out.

Plain ASGI, no framework: a request costs one route lookup, the http Datum the
workers would build (the body is the bytes the server received, not a copy when it
arrived in one piece), one invocation and one response.  Every failure answers a
short JSON body ``{"error": ...}`` and a console line; the server keeps serving.
The ASGI lifespan starts the trigger listeners (queue, blob, timer) and stops them,
letting invocations in flight finish, before the server exits.
"""

from __future__ import annotations

import json
import random
import re
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from ..datum import Datum
from .admin import AdminInvoker
from .app import RETURN, HostedApp, HostedFunction
from .console import Console
from .expressions import BindingData, BindingExpressionError
from .keys import ADMIN, KeyStore
from .listeners import Listeners
from .routes import MethodNotAllowed
from .runner import Runner
from .settings import CorsSettings
from .storage_io import StorageUnavailableError

__all__ = ["BadRequest", "HostApplication"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
Invoke = Callable[..., Awaitable[Any]]

KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"
ADMIN_PREFIX = "/admin/"
# How much of an over-limit body is read and dropped so that the client can read its 413.
DRAIN_LIMIT = 4 * 1024 * 1024
_random_bits = random.Random().getrandbits
# The RFC 4122 variant: the top two bits of the 17th hex digit are 10.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
_KEY_IN_QUERY = re.compile(r"(^|&)code=[^&]*")  # keys stay out of the request log
_JSON = [(b"content-type", b"application/json; charset=utf-8")]
_NO_CONTENT: Headers = []
# Response headers the server frames itself; a function's values would contradict it.
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})
_TEXT_TYPES = {
    "string": b"text/plain; charset=utf-8",
    "json": b"application/json; charset=utf-8",
    "bytes": b"application/octet-stream",
    "int": b"text/plain; charset=utf-8",
    "double": b"text/plain; charset=utf-8",
}


class BadRequest(Exception):
    """The request itself is malformed (400); the message says how."""


class ClientGone(Exception):
    """The client disconnected before its request body arrived."""


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
        self.admin = AdminInvoker(self)
        self.listen = listen
        self.listeners: Listeners | None = None

    # -- ASGI -----------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
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
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.listeners is not None:
                    await self.listeners.stop()
                await self.admin.drain()
                await self.runner.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter() if self.verbose else 0.0
        responder = _Responder(send, self._cors_headers(scope))
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
            target = scope.get("raw_path") or scope["path"].encode()
            query = scope.get("query_string")
            shown = target.decode("latin-1")
            if query:
                shown += "?" + _KEY_IN_QUERY.sub(r"\1code=***", query.decode("latin-1"))
            self.console.request(
                scope["method"], shown, responder.status, time.perf_counter() - started
            )

    async def _dispatch(self, scope: Scope, receive: Receive, respond: _Responder) -> None:
        method: str = scope["method"]
        path = request_path(scope)
        if self.cors is not None and method == "OPTIONS" and await self._preflight(scope, respond):
            return
        if path[:7].casefold() == ADMIN_PREFIX:
            await self.admin.handle(scope, receive, respond, path)
            return
        found = self.router.match(method, path)
        if found is None:
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
            if key is None:
                code = query.get(KEY_QUERY)
                key = code.value if code is not None else None
            if not self.keys.authorize(function.auth_level, function.name, key):
                await respond.error(401, _unauthorized(function.auth_level))
                return
        if function.problem is not None:
            await respond.error(500, f"function {function.name!r} cannot run: {function.problem}")
            return
        body = await self.read_body(scope, receive, respond)
        if body is None:
            return
        params = {name: Datum(value, "string") for name, value in found.values.items()}
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
        result = await self.run(
            function, {function.trigger_name: request}, metadata, invocation_id, data=data
        )
        if result is None:
            await respond.error(
                500, f"function {function.name!r} timed out", invocation_id=invocation_id
            )
            return
        if result.error is not None:
            await self._failure(function, result, respond)
            return
        await self._send_result(function, result, respond)

    async def _failure(self, function: HostedFunction, result: Any, respond: _Responder) -> None:
        error = result.error
        if result.stage == "decode" and isinstance(error, BindingExpressionError):
            # A value from the request cannot name a blob or queue: the caller's mistake.
            await respond.error(400, error.message, invocation_id=result.invocation_id)
        elif isinstance(error, StorageUnavailableError):
            await respond.error(
                503,
                f"function {function.name!r} cannot reach storage; see the host's console",
                invocation_id=result.invocation_id,
            )
        else:
            await respond.error(
                500, f"function {function.name!r} failed", invocation_id=result.invocation_id
            )

    async def run(
        self,
        function: HostedFunction,
        inputs: Mapping[str, Any],
        metadata: Mapping[str, Any] | None,
        invocation_id: str | None = None,
        *,
        data: BindingData | None = None,
    ) -> Any:
        """Invoke a function (storage bindings included) and log its end; None when it ran
        past functionTimeout."""
        return await self.runner.run(
            function, inputs, metadata, invocation_id or new_invocation_id(), data=data
        )

    async def _send_result(
        self, function: HostedFunction, result: Any, respond: _Responder
    ) -> None:
        name = function.response_binding
        if name is None:
            datum = None
        elif name == RETURN:
            datum = result.return_value
        else:
            datum = result.outputs.get(name)
        if datum is None or datum.type is None:
            await respond.send(204, _NO_CONTENT, b"")
            return
        try:
            status, headers, body = response_parts(datum)
        except ValueError as exc:
            self.console.invocation(
                function.name, result.invocation_id, f"bad HTTP response: {exc}", "error"
            )
            await respond.error(
                500,
                f"function {function.name!r} returned a response that cannot be sent",
                invocation_id=result.invocation_id,
            )
            return
        await respond.send(status, headers, body)

    async def read_body(self, scope: Scope, receive: Receive, respond: _Responder) -> bytes | None:
        """The request body; None after answering 413 when it is over the limit."""
        limit = self.max_body_size
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            # A client waiting for "100 Continue" has sent nothing: answer at once.
            waiting = _header(scope, b"expect") == "100-continue"
            complete = not waiting and declared <= limit + DRAIN_LIMIT and await _drain(receive)
            await respond.too_large(limit, complete)
            return None
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        if not more and len(body) <= limit:
            return body  # the server's own bytes: no copy
        chunks = [body]
        size = len(body)
        while more and size <= limit:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            chunks.append(chunk)
            more = message.get("more_body", False)
        if size > limit:
            await respond.too_large(limit, not more or await _drain(receive))
            return None
        return b"".join(chunks)

    # -- CORS -------------------------------------------------------------------

    def _cors_headers(self, scope: Scope) -> Headers:
        cors = self.cors
        if cors is None:
            return _NO_CONTENT
        origin = _header(scope, b"origin")
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

    async def _preflight(self, scope: Scope, respond: _Responder) -> bool:
        requested = _header(scope, b"access-control-request-method")
        if requested is None or not respond.extra:
            return False
        headers = [(b"access-control-allow-methods", requested.encode("latin-1"))]
        wanted = _header(scope, b"access-control-request-headers")
        if wanted:
            headers.append((b"access-control-allow-headers", wanted.encode("latin-1")))
        headers.append((b"access-control-max-age", b"86400"))
        await respond.send(204, headers, b"")
        return True


class _Responder:
    """Sends one response, adding the CORS headers; remembers the status for the log."""

    __slots__ = ("extra", "send_message", "started", "status")

    def __init__(self, send: Send, extra: Headers) -> None:
        self.send_message = send
        self.extra = extra
        self.started = False
        self.status = 0

    async def send(self, status: int, headers: Headers, body: bytes) -> None:
        self.started = True
        self.status = status
        headers = [*headers, (b"content-length", str(len(body)).encode()), *self.extra]
        await self.send_message(
            {"type": "http.response.start", "status": status, "headers": headers}
        )
        await self.send_message({"type": "http.response.body", "body": body})

    async def error(
        self,
        status: int,
        message: str,
        headers: Headers | None = None,
        *,
        invocation_id: str | None = None,
    ) -> None:
        payload: dict[str, Any] = {"error": message}
        if invocation_id is not None:
            payload["invocationId"] = invocation_id
        await self.send(status, _JSON + (headers or []), json.dumps(payload).encode())

    async def too_large(self, limit: int, body_read: bool) -> None:
        # Closing with the body unread would reset the connection under the response;
        # a body read to its end lets the client see the 413 and keep the connection.
        await self.error(
            413,
            f"request body is larger than the limit of {limit} bytes",
            None if body_read else [(b"connection", b"close")],
        )


# -- request pieces ---------------------------------------------------------------


def new_invocation_id() -> str:
    """A random (version 4) UUID as text.

    From the ``random`` module rather than ``os.urandom``: an id needs to be unique, not
    secret, and the system call releases the GIL, which under load (sync functions busy
    in the thread pool) costs far more than the id itself.
    """
    digits = f"{_random_bits(128):032x}"
    variant = _VARIANT[digits[16]]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def request_path(scope: Scope) -> str:
    """The path, percent-decoded as UTF-8; ``%2F`` stays encoded so it cannot split a segment."""
    raw: bytes | None = scope.get("raw_path")
    if raw is None:
        return str(scope["path"])
    try:
        if b"%" not in raw:
            return raw.decode("utf-8")
        return unquote_to_bytes(raw.replace(b"%2F", b"%252F").replace(b"%2f", b"%252f")).decode(
            "utf-8"
        )
    except UnicodeDecodeError:
        raise BadRequest("the URL path is not valid UTF-8 once percent-decoded") from None


def read_headers(scope: Scope) -> tuple[dict[str, Datum], str | None]:
    """Request headers as the host sends them, and the ``x-functions-key`` value if any.

    Names are lower-case; repeated headers are joined with commas into one value.
    """
    headers: dict[str, Datum] = {}
    key = None
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        existing = headers.get(name)
        if existing is None:
            headers[name] = Datum(value, "string")
        else:
            existing.value = f"{existing.value},{value}"
        if name == KEY_HEADER:
            key = value
    return headers, key


def parse_query(query_string: bytes) -> dict[str, Datum]:
    """Query values as the host sends them: repeated keys joined with commas, empty dropped."""
    if not query_string:
        return {}
    try:
        text = query_string.decode("utf-8")
        if "%" in text or "+" in text:
            pairs = parse_qsl(text, errors="strict")
        else:  # nothing to decode: split by hand, as parse_qsl would
            pairs = [
                (name, value)
                for name, _, value in (part.partition("=") for part in text.split("&"))
                if value
            ]
    except UnicodeDecodeError:
        raise BadRequest("the query string is not valid UTF-8 once percent-decoded") from None
    query: dict[str, Datum] = {}
    for name, value in pairs:
        existing = query.get(name)
        if existing is None:
            query[name] = Datum(value, "string")
        else:
            existing.value = f"{existing.value},{value}"
    return query


def request_url(scope: Scope, headers: Mapping[str, Datum]) -> str:
    """The full URL with the query, as the client addressed it."""
    host = headers.get("host")
    if host is not None:
        authority = host.value
    else:
        server = scope.get("server")
        authority = f"{server[0]}:{server[1]}" if server else "localhost"
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw is not None else scope["path"]
    query = scope.get("query_string")
    url = f"{scope.get('scheme', 'http')}://{authority}{path}"
    return f"{url}?{query.decode('latin-1')}" if query else url


def _json_body(body: bytes) -> Callable[[], Any]:
    """The request body's JSON object, parsed when a binding expression first needs it."""

    def parse() -> Any:
        if body.lstrip()[:1] != b"{":
            return None
        return json.loads(body)

    return parse


async def _drain(receive: Receive, budget: int = DRAIN_LIMIT) -> bool:
    """Read and drop the rest of a body, up to ``budget`` bytes; True if it all arrived."""
    while budget >= 0:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
    return False


def _header(scope: Scope, name: bytes) -> str | None:
    for raw_name, raw_value in scope["headers"]:
        if raw_name == name:
            return raw_value.decode("latin-1")  # type: ignore[no-any-return]
    return None


def _content_length(scope: Scope) -> int | None:
    text = _header(scope, b"content-length")
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise BadRequest(f"expected a number in Content-Length, got {text!r}") from None


def _unauthorized(level: str) -> str:
    which = "the master key" if level == ADMIN else "a function key"
    return (
        f"this function needs {which}: pass it in the '{KEY_HEADER}' header or the "
        f"'{KEY_QUERY}' query parameter"
    )


# -- responses --------------------------------------------------------------------


def response_parts(datum: Any) -> tuple[int, Headers, bytes]:
    """Status, headers and body from a response Datum; ValueError names what is wrong."""
    kind = datum.type
    if kind != "http":
        content_type = _TEXT_TYPES.get(kind)
        if content_type is None:
            raise ValueError(f"expected an http, string, bytes or json Datum, got type {kind!r}")
        return 200, [(b"content-type", content_type)], _body_bytes(datum.value)
    value = datum.value
    status_datum = value.get("status_code")
    status_text = "200" if status_datum is None else str(status_datum.value)
    if not status_text.isdigit() or not 100 <= int(status_text) <= 999:
        raise ValueError(f"expected an HTTP status code, got {status_text!r}")
    headers: Headers = []
    for name, header in (value.get("headers") or {}).items():
        lower = name.lower()
        if lower in _FRAMING:
            continue
        headers.append((_header_bytes(name, "name"), _header_bytes(str(header.value), name)))
    for cookie in value.get("cookies") or ():
        for text in _cookies(cookie):
            headers.append((b"set-cookie", _header_bytes(text, "Set-Cookie")))
    body = value.get("body")
    status = int(status_text)
    return status, headers, b"" if body is None else _body_bytes(body.value)


def _cookies(cookie: Any) -> list[str]:
    """Set-Cookie values from an HttpCookie (funcbind) or a SimpleCookie (the stock model)."""
    header_value = getattr(cookie, "header_value", None)
    if callable(header_value):
        return [str(header_value())]
    items = getattr(cookie, "items", None)
    if callable(items):
        return [morsel.OutputString() for _, morsel in items()]
    raise ValueError(f"expected a cookie object, got {type(cookie).__name__}")


def _header_bytes(text: str, where: str) -> bytes:
    if "\r" in text or "\n" in text or "\0" in text:
        raise ValueError(f"header {where!r}: line breaks are not allowed in {text!r}")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _body_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int | float):
        return str(value).encode()
    raise ValueError(f"expected the body as bytes or str, got {type(value).__name__}")
