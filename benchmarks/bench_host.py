"""Host: requests per second and p99 latency of an HTTP hello, funcbind run vs bare ASGI.

Not a pair of timed calls like the other suites: each side is a real server in its
own process (uvicorn with the settings ``funcbind run`` uses, on loopback) driven by
the same bounded load from a small asyncio HTTP/1.1 client in this process: after a
warm-up, REQUESTS requests in ROUNDS rounds, CONCURRENCY at a time.  pytest-benchmark
records the time of each round; ``extra_info`` holds ``requests_per_s`` (from the median
round) and ``p99_ms`` (over every request) for the report.

* ``bare ASGI``: an ASGI callable that answers "Hello, world!" and nothing else.
* ``funcbind``: ``funcbind run examples --no-auth``, calling the HttpHello example
  (a sync function.json function: route lookup, request Datum, HttpRequest, thread
  pool call, response encoding).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
REQUESTS = 2000
ROUNDS = 8
PER_ROUND = REQUESTS // ROUNDS
CONCURRENCY = 32
WARM_UP = 100
GROUP = "host: hello requests/s"
IMPLEMENTATIONS = ("bare ASGI", "funcbind")

# The bare app is served by the same helpers funcbind run uses: same socket, same config.
BARE_SERVER = textwrap.dedent(
    """
    import sys
    import uvicorn
    from funcbind.host.cli import bind, uvicorn_config

    BODY = b"Hello, world!"
    HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"13")]

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": BODY})

    sock = bind("127.0.0.1", 0)
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    try:
        uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    """
)

_LISTENING = re.compile(r"listening on (http://\S+)")


class Server:
    """A server subprocess; ``url`` once it listens."""

    def __init__(self, command: list[str]) -> None:
        environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        assert self.process.stdout is not None
        seen = []
        for line in self.process.stdout:
            seen.append(line)
            found = _LISTENING.search(line)
            if found:
                self.url = found[1]
                break
        else:
            raise RuntimeError("the server did not start:\n" + "".join(seen[-40:]))
        # Keep reading, or a server that logs fills the pipe and blocks.
        self._drain = threading.Thread(target=self._discard, daemon=True)
        self._drain.start()

    def _discard(self) -> None:
        assert self.process.stdout is not None
        for _ in self.process.stdout:
            pass

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self._drain.join(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start(impl: str) -> tuple[Server, str, bytes]:
    """The server for ``impl``, the path to call and the body expected."""
    if impl == "bare ASGI":
        return Server([sys.executable, "-c", BARE_SERVER]), "/", b"Hello, world!"
    command = [sys.executable, "-m", "funcbind", "run", str(EXAMPLES), "--port", "0", "--no-auth"]
    return Server(command), "/api/HttpHello?name=world", b"Hello, world!"


async def load(url: str, path: str, expected: bytes, count: int) -> list[float]:
    """``count`` keep-alive GETs over CONCURRENCY connections; each one's latency in seconds.

    A minimal HTTP/1.1 client on asyncio streams: httpx's pool stalls for seconds at
    this concurrency on a busy machine, and a lean client leaves the CPU to the server.
    """
    host, port = url.removeprefix("http://").rsplit(":", 1)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    latencies: list[float] = []
    remaining = iter(range(count))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for _ in remaining:
                began = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length: *(\d+)", head)
                if not head.startswith(b"HTTP/1.1 200 ") or length is None:
                    raise AssertionError(f"unexpected response: {head[:200]!r}")
                body = await reader.readexactly(int(length[1]))
                latencies.append(time.perf_counter() - began)
                if body != expected:
                    raise AssertionError(f"unexpected body: {body[:80]!r}")
        finally:
            writer.close()
            await writer.wait_closed()

    await asyncio.gather(*(connection() for _ in range(CONCURRENCY)))
    return latencies


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@pytest.fixture
def server(impl: str) -> Iterator[tuple[Server, str, bytes]]:
    running, path, expected = start(impl)
    try:
        asyncio.run(load(running.url, path, expected, WARM_UP))
        yield running, path, expected
    finally:
        running.stop()


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_hello_requests_per_second(
    benchmark: Any, impl: str, server: tuple[Server, str, bytes]
) -> None:
    running, path, expected = server
    benchmark.group = GROUP
    latencies: list[float] = []

    def run_round() -> None:
        latencies.extend(asyncio.run(load(running.url, path, expected, PER_ROUND)))

    benchmark.pedantic(run_round, rounds=ROUNDS, iterations=1)
    assert len(latencies) == REQUESTS
    # The median round, not the mean: a noisy neighbour slows a round, not the server.
    benchmark.extra_info["requests_per_s"] = round(PER_ROUND / benchmark.stats.stats.median, 1)
    benchmark.extra_info["p99_ms"] = round(p99(latencies) * 1000, 2)
    benchmark.extra_info["requests"] = REQUESTS
    benchmark.extra_info["concurrency"] = CONCURRENCY
