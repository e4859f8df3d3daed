"""The httptools protocol's head accounting, driven piece by piece without a socket: how
the bytes arrive decides what is counted, which a real connection cannot pin down."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("httptools")

from funcbind.host.protocol import MAX_HEAD_BYTES, _httptools_protocol


class FakeTransport(asyncio.Transport):
    """Collects what the protocol writes; closing is remembered."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False
        self.protocol: Any = None

    def write(self, data: Any) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 7071), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def get_protocol(self) -> Any:
        return self.protocol

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def echo_length(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    size = 0
    more = True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = str(size).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def serve(pieces: list[bytes]) -> FakeTransport:
    import uvicorn
    from uvicorn.server import ServerState

    config = uvicorn.Config(echo_length, lifespan="off", log_config=None)
    config.load()
    protocol = _httptools_protocol()(
        config=config, server_state=ServerState(), app_state={}, _loop=asyncio.get_running_loop()
    )
    transport = FakeTransport()
    transport.protocol = protocol
    protocol.connection_made(transport)
    for piece in pieces:
        protocol.data_received(piece)
        await asyncio.sleep(0.01)  # let the app run
    protocol.connection_lost(None)
    return transport


def test_a_large_body_and_the_next_head_in_one_piece_are_not_a_large_head() -> None:
    size = MAX_HEAD_BYTES * 2
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size
    # The whole body and the start of the next head arrive as one piece.
    pieces = [head, b"x" * size + b"GET / HTTP/1.1\r\nHost: x\r\n", b"\r\n"]
    transport = asyncio.run(serve(pieces))
    assert bytes(transport.written).count(b"HTTP/1.1 200 ") == 2
    assert b" 431 " not in transport.written


def test_an_unfinished_head_past_the_limit_gets_431() -> None:
    pieces = [b"GET / HTTP/1.1\r\nHost: x\r\nx-endless: "] + [b"a" * 8192] * 9
    transport = asyncio.run(serve(pieces))
    assert transport.written.startswith(b"HTTP/1.1 431 ")
    assert transport.closed
