"""An httpx transport that hands each request to an ASGI app: no socket, no server.

httpx ships one (``httpx.ASGITransport``); this one does the same for the host's app
with less per request: the host reads the whole body at once and answers with one
start and one body message, and no async library needs to be detected on every call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

if TYPE_CHECKING:
    import httpx

__all__ = ["asgi_transport"]

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[Message]],
        Callable[[Message], Awaitable[None]],
    ],
    Awaitable[None],
]
# What the host sees as the peer of a request made through the client.
CLIENT_ADDRESS = ("127.0.0.1", 50000)
_FRAMING = frozenset({b"content-length", b"transfer-encoding"})


def asgi_transport(app: ASGIApp) -> httpx.AsyncBaseTransport:
    """A transport that runs each request through ``app`` on the caller's event loop."""
    import httpx

    class HostTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            body = await request.aread()  # a sync request read its body already
            url = request.url
            raw_path = url.raw_path.partition(b"?")[0]
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": request.method,
                "scheme": url.scheme,
                "path": unquote_to_bytes(raw_path).decode("utf-8", "surrogateescape"),
                "raw_path": raw_path,
                "query_string": url.query,
                "root_path": "",
                "headers": [(name.lower(), value) for name, value in request.headers.raw],
                "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
                "client": CLIENT_ADDRESS,
            }
            delivered = False

            async def receive() -> Message:
                nonlocal delivered
                if delivered:  # the response is complete: nothing more will come
                    return {"type": "http.disconnect"}
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}

            started: Message = {}
            chunks: list[bytes] = []

            async def send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    started.update(message)
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))

            await app(scope, receive, send)
            if not started:
                raise RuntimeError("the ASGI app ended without starting a response")
            headers = list(started.get("headers", ()))
            content = b"".join(chunks)
            if not any(name.lower() in _FRAMING for name, _ in headers):
                # A server frames every body; this one's whole length is known.
                headers.append((b"content-length", str(len(content)).encode()))
            # A stream, as a transport over a socket returns it: the client reads it
            # (which also sets response.elapsed), and httpx does no more than that.
            return httpx.Response(
                started["status"],
                headers=headers,
                stream=httpx.ByteStream(content),
                request=request,
            )

    return HostTransport()
