"""HTTP pieces shared by the function routes and the admin app: ASGI types, the responder,
reading a request (path, headers, query, key, body within its limit) and turning a
response Datum into status, headers and body.

Every failure answers a short JSON body ``{"error": ...}``; a malformed request raises
:class:`BadRequest` (400), a client that left :class:`ClientGone`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from ..datum import Datum

__all__ = [
    "DRAIN_LIMIT",
    "JSON_HEADERS",
    "KEY_HEADER",
    "KEY_QUERY",
    "BadRequest",
    "ClientGone",
    "Headers",
    "Message",
    "Receive",
    "Responder",
    "Scope",
    "Send",
    "header",
    "key_needed",
    "parse_query",
    "presented_key",
    "read_body",
    "read_headers",
    "request_key",
    "request_path",
    "request_url",
    "response_parts",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"
# How much of an over-limit body is read and dropped so that the client can read its 413.
DRAIN_LIMIT = 4 * 1024 * 1024
JSON_HEADERS: Headers = [(b"content-type", b"application/json; charset=utf-8")]
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


class Responder:
    """Sends one response, adding ``extra`` headers (CORS); remembers the status for the log.

    :meth:`forward` is an ASGI ``send`` for an app mounted below (the admin app): its
    messages pass through with the same extra headers and the same bookkeeping.
    """

    __slots__ = ("extra", "send_message", "started", "status")

    def __init__(self, send: Send, extra: Headers | None = None) -> None:
        self.send_message = send
        self.extra: Headers = extra if extra is not None else []
        self.started = False
        self.status = 0

    async def send(self, status: int, headers: Headers, body: bytes) -> None:
        self.started = True
        self.status = status
        headers = [*headers, (b"content-length", b"%d" % len(body)), *self.extra]
        await self.send_message(
            {"type": "http.response.start", "status": status, "headers": headers}
        )
        await self.send_message({"type": "http.response.body", "body": body})

    async def forward(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            if self.extra:
                message = {**message, "headers": [*message.get("headers", ()), *self.extra]}
        await self.send_message(message)

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
        await self.send(status, JSON_HEADERS + (headers or []), json.dumps(payload).encode())

    async def too_large(self, limit: int, body_read: bool) -> None:
        # Closing with the body unread would reset the connection under the response;
        # a body read to its end lets the client see the 413 and keep the connection.
        await self.error(
            413,
            f"request body is larger than the limit of {limit} bytes",
            None if body_read else [(b"connection", b"close")],
        )


# -- reading a request -----------------------------------------------------------


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
            pairs: Iterable[tuple[str, str]] = parse_qsl(text, errors="strict")
        else:  # nothing to decode: split by hand, as parse_qsl would (empty values dropped)
            pairs = map(_split_pair, text.split("&"))
    except UnicodeDecodeError:
        raise BadRequest("the query string is not valid UTF-8 once percent-decoded") from None
    query: dict[str, Datum] = {}
    for name, value in pairs:
        if not value:
            continue
        existing = query.get(name)
        if existing is None:
            query[name] = Datum(value, "string")
        else:
            existing.value = f"{existing.value},{value}"
    return query


def _split_pair(part: str) -> tuple[str, str]:
    name, _, value = part.partition("=")
    return name, value


def presented_key(header_key: str | None, query: Mapping[str, Datum]) -> str | None:
    """The key a request presents: the ``x-functions-key`` header, else ``?code=``."""
    if header_key is not None:
        return header_key
    code = query.get(KEY_QUERY)
    return code.value if code is not None else None


def request_key(scope: Scope) -> str | None:
    """The key a request presents, read where nothing else of its headers or query is."""
    return presented_key(read_headers(scope)[1], parse_query(scope.get("query_string", b"")))


def key_needed(which: str) -> str:
    """The 401 message when ``which`` (a key, described) is missing or wrong."""
    return f"{which}: pass it in the '{KEY_HEADER}' header or the '{KEY_QUERY}' query parameter"


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


async def read_body(scope: Scope, receive: Receive, respond: Responder, limit: int) -> bytes | None:
    """The request body; None after answering 413 when it is over ``limit`` bytes."""
    declared = _content_length(scope)
    if declared is not None and declared > limit:
        # A client waiting for "100 Continue" has sent nothing: answer at once.
        waiting = header(scope, b"expect") == "100-continue"
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


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (``name`` lower-case), or None."""
    for raw_name, raw_value in scope["headers"]:
        if raw_name == name:
            return raw_value.decode("latin-1")  # type: ignore[no-any-return]
    return None


def _content_length(scope: Scope) -> int | None:
    text = header(scope, b"content-length")
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise BadRequest(f"expected a number in Content-Length, got {text!r}") from None


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
    status = int(status_text) if status_text.isdigit() else 0
    if not 100 <= status <= 999:
        raise ValueError(f"expected an HTTP status code, got {status_text!r}")
    headers: Headers = []
    for name, field in (value.get("headers") or {}).items():
        name_bytes = _NAMES.get(name)
        if name_bytes is None:
            if name.lower() in _FRAMING:
                continue
            name_bytes = _header_name(name)
        headers.append((name_bytes, _header_bytes(str(field.value), name)))
    for cookie in value.get("cookies") or ():
        for text in _cookies(cookie):
            headers.append((b"set-cookie", _header_bytes(text, "Set-Cookie")))
    body = value.get("body")
    return status, headers, b"" if body is None else _body_bytes(body.value)


# Header names already checked and encoded: a response names the same few headers on
# every request.  Framing headers are never added, so a hit is a name to send.
_NAMES: dict[str, bytes] = {}
_NAMES_KEPT = 512


def _header_name(name: str) -> bytes:
    encoded = _header_bytes(name, "name")
    if len(_NAMES) < _NAMES_KEPT:
        _NAMES[name] = encoded
    return encoded


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
