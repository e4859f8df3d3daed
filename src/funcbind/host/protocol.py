"""The HTTP/1.1 connection the host serves with: uvicorn's httptools protocol (h11's when
httptools is not installed, or ``FUNCBIND_HTTP_PARSER=h11``), with the limits of the
Functions host's server (Kestrel) that uvicorn lacks, the same on either.

* Request headers over ``MAX_HEADER_BYTES`` (32 KiB of names and values) or over
  ``MAX_HEADER_FIELDS`` (100) fields: 431, and the connection is closed.
* A client that has not sent a whole request head within the header timeout
  (``FUNCBIND_REQUEST_HEADERS_TIMEOUT`` seconds, default 30 as in Kestrel): 408, closed.
* A request body that stalls (no byte for that long) while the app waits for it: the
  connection is closed, so the function sees the client gone.
* An idle keep-alive connection is closed by uvicorn (``timeout_keep_alive``), and
  ``limit_concurrency`` bounds connections (503 past it).

The parser and uvicorn are imported when :func:`host_protocol` first builds the class.
httptools (llhttp, in C) parses a request several times faster than h11 (pure Python);
h11 stays as the fallback.
"""

from __future__ import annotations

import asyncio
import functools
import os
from typing import Any

__all__ = [
    "HEADERS_TIMEOUT_SETTING",
    "HTTP_PARSER_SETTING",
    "MAX_CONNECTIONS",
    "MAX_HEADER_BYTES",
    "MAX_HEADER_FIELDS",
    "MAX_HEAD_BYTES",
    "AcceptTrouble",
    "headers_timeout",
    "host_protocol",
]

MAX_HEADER_BYTES = 32 * 1024
MAX_HEADER_FIELDS = 100
# h11 buffers at most this much of an unfinished request head; past it the head is
# refused as too large, as past MAX_HEADER_BYTES (the request line has room besides).
MAX_HEAD_BYTES = 2 * MAX_HEADER_BYTES
HEADERS_TIMEOUT_SETTING = "FUNCBIND_REQUEST_HEADERS_TIMEOUT"
DEFAULT_HEADERS_TIMEOUT = 30.0
# Connections (and requests) served at once; past it uvicorn answers 503.
MAX_CONNECTIONS = 4096
# "h11" serves with h11 even where httptools is installed.
HTTP_PARSER_SETTING = "FUNCBIND_HTTP_PARSER"


def headers_timeout(env: Any = None) -> float:
    text = (os.environ if env is None else env).get(HEADERS_TIMEOUT_SETTING, "")
    try:
        value = float(text)
    except ValueError:
        return DEFAULT_HEADERS_TIMEOUT
    return value if value > 0 else DEFAULT_HEADERS_TIMEOUT


def _header_problem(headers: Any) -> str | None:
    if len(headers) > MAX_HEADER_FIELDS:
        return f"expected at most {MAX_HEADER_FIELDS} request header fields, got {len(headers)}"
    size = sum(len(name) + len(value) for name, value in headers)
    if size > MAX_HEADER_BYTES:
        return f"expected at most {MAX_HEADER_BYTES} bytes of request headers, got {size}"
    return None


class _HostLimits:
    """What both protocol classes add to uvicorn's the same way: the header timer and
    the refusal that replaces uvicorn's 400.  Each class says when to arm the timer,
    what a timeout does (``_timed_out``) and how an error is written (``_send_error``)."""

    # Set by uvicorn's protocol classes, which come after this one in the MRO.
    loop: asyncio.AbstractEventLoop
    cycle: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refusal: tuple[int, str] | None = None
        self.timeout = headers_timeout()
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()  # the first request head must arrive in time

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def on_response_complete(self) -> None:
        self._disarm()
        super().on_response_complete()  # type: ignore[misc]

    def send_400_response(self, msg: str) -> None:
        status, text = self.refusal or (400, msg)
        self.refusal = None
        self._send_error(status, text)

    def _in_progress(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._timer = self.loop.call_later(self.timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _send_error(self, status: int, text: str) -> None:
        raise NotImplementedError

    def _timed_out(self) -> None:
        raise NotImplementedError


@functools.cache
def host_protocol() -> type[Any]:
    """The protocol class (built on first use: the parser and uvicorn come with the
    server): httptools' when it is installed, unless ``FUNCBIND_HTTP_PARSER=h11``."""
    if os.environ.get(HTTP_PARSER_SETTING, "").strip().casefold() != "h11":
        try:
            import httptools  # noqa: F401
        except ImportError:
            pass
        else:
            return _httptools_protocol()
    return _h11_protocol()


def _h11_protocol() -> type[Any]:
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class _Refused(h11.RemoteProtocolError):
        """A request head the host refuses: answered with ``status``, then closed."""

    class _GuardedConnection(h11.Connection):
        """The h11 connection, with the host's limits checked on each request head."""

        def __init__(self, protocol: HostProtocol, max_incomplete_event_size: int) -> None:
            super().__init__(h11.SERVER, max_incomplete_event_size)
            self._protocol = protocol

        def next_event(self) -> Any:
            try:
                event = super().next_event()
            except h11.RemoteProtocolError as exc:
                if exc.error_status_hint == 431:
                    self._protocol.refusal = (431, "request headers too large")
                raise
            if isinstance(event, h11.Request):
                problem = _header_problem(event.headers)
                if problem is not None:
                    self._protocol.refusal = (431, problem)
                    raise _Refused(problem, 431)
                # A body, if any, must keep coming.
                self._protocol.expect(self.their_state is h11.SEND_BODY)
            elif isinstance(event, h11.Data):
                self._protocol.expect(True)
            elif isinstance(event, h11.EndOfMessage):
                self._protocol.expect(False)
            return event

    class HostProtocol(_HostLimits, H11Protocol):
        """uvicorn's h11 protocol with the host's header limits and timeouts."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.conn = _GuardedConnection(
                self, self.config.h11_max_incomplete_event_size or MAX_HEAD_BYTES
            )

        def data_received(self, data: bytes) -> None:
            if self._timer is None and not self._in_progress():
                self._arm()  # the next request's head, on a kept-alive connection
            super().data_received(data)

        def expect(self, more_body: bool) -> None:
            """After a request head or a piece of body: wait for more body, or nothing."""
            if more_body:
                self._arm()
            else:
                self._disarm()

        def _send_error(self, status: int, text: str) -> None:
            self._disarm()
            headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
            try:
                for event in (
                    h11.Response(status_code=status, headers=headers),
                    h11.Data(data=text.encode("utf-8")),
                    h11.EndOfMessage(),
                ):
                    self.transport.write(self.conn.send(event))
            except h11.LocalProtocolError:
                pass  # a response cannot be sent any more: closing is all that is left
            self.transport.close()

        def _timed_out(self) -> None:
            self._timer = None
            if self.transport.is_closing():
                return
            if not self._in_progress():
                self._send_error(408, "the request headers did not arrive in time")
            elif self.conn.their_state is h11.SEND_BODY:
                # The body stalled while the function waits for it: it sees the client gone.
                self.transport.close()

    return HostProtocol


def _httptools_protocol() -> type[Any]:
    from http import HTTPStatus

    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class _Refused(Exception):
        """A request head the host refuses (``refusal`` says how): the parser stops, and
        uvicorn's answer to a malformed request, sent by ``send_400_response``, becomes
        this one."""

    class HostProtocol(_HostLimits, HttpToolsProtocol):
        """uvicorn's httptools protocol with the host's header limits and timeouts.

        llhttp hands each header over whole, so the fields and their bytes are counted
        as they come (``on_header``); the raw bytes of an unfinished head are counted
        too, so that a head that never ends is refused at ``MAX_HEAD_BYTES`` as h11
        refuses it.  The timer is armed only while a head or a body is unfinished after
        the bytes received so far: a request that arrives whole costs no timer.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._reading_head = False  # between a request's first byte and its blank line
            self._head_received = 0  # raw bytes received while a head was unfinished
            self._header_fields = 0
            self._header_bytes = 0
            self._body_pending = False  # a head was read, its body has not all arrived
            self._ended_here = False  # a request ended in the bytes being parsed

        def data_received(self, data: bytes) -> None:
            self._ended_here = False
            super().data_received(data)
            if self.transport.is_closing():
                return
            if self._reading_head:
                # Bytes that ended another request (a pipelined one) are not this head's:
                # such a piece is not counted, so a large body before a head is never
                # taken for a large head.
                if not self._ended_here:
                    self._head_received += len(data)
                if self._head_received > MAX_HEAD_BYTES:
                    self._send_error(431, "request headers too large")
                elif self._timer is None:
                    self._arm()
            elif self._body_pending and self._timer is None:
                self._arm()  # the rest of the body must keep coming

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._reading_head = True
            self._head_received = self._header_fields = self._header_bytes = 0

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_fields += 1
            self._header_bytes += len(name) + len(value)
            if self._header_fields > MAX_HEADER_FIELDS:
                self._refuse(
                    f"expected at most {MAX_HEADER_FIELDS} request header fields, got "
                    f"at least {self._header_fields}"
                )
            if self._header_bytes > MAX_HEADER_BYTES:
                self._refuse(
                    f"expected at most {MAX_HEADER_BYTES} bytes of request headers, got "
                    f"at least {self._header_bytes}"
                )
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._reading_head = False
            self._body_pending = True  # until on_message_complete says otherwise
            self._disarm()
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            self._disarm()  # a piece arrived: data_received arms again if more is due
            super().on_body(body)

        def on_message_complete(self) -> None:
            self._body_pending = False
            self._ended_here = True
            self._disarm()
            super().on_message_complete()

        def _refuse(self, problem: str) -> None:
            self.refusal = (431, problem)
            raise _Refused(problem)

        def _send_error(self, status: int, text: str) -> None:
            self._disarm()
            body = text.encode("utf-8")
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                % (status, HTTPStatus(status).phrase.encode("ascii"), len(body), body)
            )
            self.transport.close()

        def _timed_out(self) -> None:
            self._timer = None
            if self.transport.is_closing() or self.transport.get_protocol() is not self:
                return  # closed, or handed over (a WebSocket upgrade)
            if self._body_pending:
                # The body stalled while the function waits for it: it sees the client gone.
                self.transport.close()
            elif not self._in_progress():
                self._send_error(408, "the request headers did not arrive in time")

    return HostProtocol


class AcceptTrouble:
    """A loop exception handler: when accepting fails for lack of file descriptors (or
    memory), one console line a second with how often, instead of asyncio's traceback
    per try.  asyncio itself pauses accepting for a second each time; clients wait in
    the listen backlog meanwhile.  Anything else goes to the default handler."""

    MESSAGE = "socket.accept() out of system resource"
    EVERY = 1.0

    def __init__(self, console: Any) -> None:
        self.console = console
        self.count = 0
        self._said = 0.0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if _late_retry(context):
            return
        if context.get("message") != self.MESSAGE:
            loop.default_exception_handler(context)
            return
        self.count += 1
        now = loop.time()
        if now - self._said >= self.EVERY:
            error = context.get("exception")
            why = getattr(error, "strerror", None) or str(error)
            self.console.line(
                f"cannot accept connections: {why} ({self.count} time(s) so far); new "
                "connections wait until file descriptors are free (raise the limit: ulimit -n)",
                "error",
            )
            self._said = now


def _late_retry(context: dict[str, Any]) -> bool:
    """asyncio's accept retry, scheduled after running out of descriptors, firing after
    the server closed its socket at shutdown: nothing is left to retry."""
    return isinstance(context.get("exception"), ValueError) and "_start_serving" in repr(
        context.get("handle")
    )
