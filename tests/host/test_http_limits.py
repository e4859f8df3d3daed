"""Connection limits of the real ``funcbind run`` (docs/host.md, "Connections"): 431 for
too many or too large request headers, 408 for a head that does not arrive in time, a
stalled body closed, and other clients served meanwhile."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from hostrunner import WEBAPP, RunningHost

from funcbind.host.protocol import MAX_HEAD_BYTES

HEADERS_TIMEOUT = 1.5


def _httptools_installed() -> bool:
    try:
        import httptools  # noqa: F401
    except ImportError:
        return False
    return True


# The limits hold on either parser the host serves with: httptools (the default where it
# is installed) and h11 (the fallback).
PARSERS = [
    pytest.param(
        "httptools",
        marks=pytest.mark.skipif(not _httptools_installed(), reason="httptools not installed"),
    ),
    "h11",
]


@pytest.fixture(scope="module", params=PARSERS)
def host(request: pytest.FixtureRequest) -> Iterator[RunningHost]:
    env = {
        "FUNCBIND_REQUEST_HEADERS_TIMEOUT": str(HEADERS_TIMEOUT),
        "FUNCBIND_HTTP_PARSER": request.param,
        # The default limit, whatever app settings earlier tests left in os.environ.
        "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": str(100 * 1024 * 1024),
    }
    running = RunningHost(WEBAPP, "--no-auth", env=env)
    try:
        yield running
    finally:
        running.stop()


def connect(host: RunningHost) -> socket.socket:
    address = urlsplit(host.url)
    assert address.hostname is not None and address.port is not None
    return socket.create_connection((address.hostname, address.port), timeout=10)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_33_kib_of_headers_get_431(host: RunningHost) -> None:
    big = {"x-big": "a" * (33 * 1024)}
    response = httpx.get(f"{host.url}/api/hello", headers=big)
    assert response.status_code == 431
    assert "bytes of request headers" in response.text
    assert httpx.get(f"{host.url}/api/hello").status_code == 200


def test_100_kib_of_headers_get_431_too(host: RunningHost) -> None:
    huge = {f"x-h{n}": "a" * 2000 for n in range(50)}
    assert httpx.get(f"{host.url}/api/hello", headers=huge).status_code == 431


def test_101_header_fields_get_431_and_100_are_served(host: RunningHost) -> None:
    def fields(count: int) -> dict[str, str]:
        # httpx adds host, accept, accept-encoding, connection and user-agent itself.
        return {f"x-f{n}": "v" for n in range(count - 5)}

    response = httpx.get(f"{host.url}/api/hello", headers=fields(101))
    assert response.status_code == 431
    assert "header fields" in response.text
    assert httpx.get(f"{host.url}/api/hello", headers=fields(100)).status_code == 200


def test_a_head_that_never_ends_gets_431(host: RunningHost) -> None:
    endless = connect(host)
    try:
        # One header value that never ends: refused once the unfinished head passes what
        # the host buffers (a little more is sent, and no more: bytes left unread when
        # the host closes would reset the connection under its answer), not after the
        # header timeout.
        endless.sendall(b"GET /api/hello HTTP/1.1\r\nHost: x\r\nx-endless: ")
        started = time.monotonic()
        endless.sendall(b"a" * (MAX_HEAD_BYTES + 1024))
        answer = read_all(endless)
        assert answer.startswith(b"HTTP/1.1 431 ")
        assert time.monotonic() - started < HEADERS_TIMEOUT
    finally:
        endless.close()


def test_a_body_in_pieces_within_the_timeout_is_served(host: RunningHost) -> None:
    pieces = connect(host)
    try:
        pieces.sendall(
            b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n" + b"x" * 10
        )
        for _ in range(2):
            time.sleep(HEADERS_TIMEOUT * 0.6)  # together longer than the timeout
            pieces.sendall(b"y" * 10)
        head = pieces.recv(65536)
        assert head.startswith(b"HTTP/1.1 201 ")
        assert b"x-body-length: 30" in head.lower()
    finally:
        pieces.close()


def test_a_large_body_then_the_next_head_on_one_connection_is_served(host: RunningHost) -> None:
    pipelined = connect(host)
    try:
        # Pipelined: a body larger than a head may be, and in the same bytes the start of
        # the next request's head, which is no large head.
        size = MAX_HEAD_BYTES * 7 + 1000
        pipelined.sendall(
            b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size
            + b"x" * size
            + b"GET /api/hello HTTP/1.1\r\nHost: x\r\n"
        )
        time.sleep(0.2)
        pipelined.sendall(b"\r\n")
        answers = b""
        while answers.count(b"HTTP/1.1 ") < 2 or not answers.endswith(b"!"):
            chunk = pipelined.recv(65536)
            assert chunk, f"closed after {answers[:200]!r}"
            answers += chunk
        assert answers.startswith(b"HTTP/1.1 201 ")
        assert b"HTTP/1.1 200 " in answers
    finally:
        pipelined.close()


def test_a_slow_header_client_gets_408_while_others_are_served(host: RunningHost) -> None:
    slow = connect(host)
    slow.sendall(b"GET /api/hello HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
    started = time.monotonic()
    assert httpx.get(f"{host.url}/api/hello").status_code == 200  # others are served
    answer = read_all(slow)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started >= HEADERS_TIMEOUT - 0.2
    slow.close()


def test_a_stalled_body_is_closed_while_others_are_served(host: RunningHost) -> None:
    stalled = connect(host)
    stalled.sendall(
        b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 10
    )
    assert httpx.get(f"{host.url}/api/hello").status_code == 200
    started = time.monotonic()
    stalled.settimeout(HEADERS_TIMEOUT * 5)
    answer = read_all(stalled)  # ends when the host closes the connection
    assert b" 200 " not in answer and b" 201 " not in answer
    assert time.monotonic() - started < HEADERS_TIMEOUT * 4
    stalled.close()


def test_a_request_within_the_limits_on_a_kept_alive_connection(host: RunningHost) -> None:
    with httpx.Client() as client:
        for _ in range(2):
            assert client.get(f"{host.url}/api/hello").status_code == 200
        time.sleep(HEADERS_TIMEOUT + 0.5)  # idle, not a slow head: kept or closed cleanly
        assert client.get(f"{host.url}/api/hello").status_code == 200


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux /proc and prlimit")
def test_running_out_of_file_descriptors_is_one_line_a_second_not_a_traceback() -> None:
    import resource

    running = RunningHost(WEBAPP, "--no-auth")
    pid = running.process.pid
    clients: list[socket.socket] = []
    try:
        assert httpx.get(f"{running.url}/api/hello", timeout=10).status_code == 200  # serving
        open_now = len(os.listdir(f"/proc/{pid}/fd"))
        old = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (open_now + 2, old[1]))
        for _ in range(8):
            clients.append(connect(running))
        running.wait_for("cannot accept connections: Too many open files", timeout=10)
        time.sleep(2.5)  # asyncio retries every second meanwhile
        resource.prlimit(pid, resource.RLIMIT_NOFILE, old)
        assert httpx.get(f"{running.url}/api/hello", timeout=10).status_code == 200
    finally:
        for client in clients:
            client.close()
        running.stop()
    assert "Traceback" not in running.output, running.output[-3000:]
    said = [line for line in running.lines if "cannot accept connections" in line]
    assert 1 <= len(said) <= 5  # about one a second, not one per try
