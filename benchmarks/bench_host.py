"""Host: requests per second and p99 latency of an HTTP hello, funcbind run vs bare ASGI.

Not a pair of timed calls like the other suites: each side is a real server in its
own process (uvicorn with the settings ``funcbind run`` uses, on loopback) driven by
the same bounded load from a small asyncio HTTP/1.1 client in this process: after a
warm-up, a number of requests in rounds, CONCURRENCY at a time (sized by the
``bench_mode`` fixture: LOADS; full mode sends 2,000 requests per round).
pytest-benchmark records the time of each round; ``extra_info`` holds
``requests_per_s`` (from the median round) and ``p99_ms`` (over every request) for the
report.

* ``bare ASGI``: an ASGI callable that answers "Hello, world!" and nothing else.  For
  row ``function=async`` it answers on the event loop.  For row ``function=sync`` it
  first calls a sync handler the way a plain ASGI framework runs a sync endpoint:
  ``loop.run_in_executor`` on the loop's default executor (one hop to a thread and
  back).  The sync row then compares funcbind's thread hand-off with the bare app's own
  instead of with no hand-off at all.
* ``funcbind``: ``funcbind run examples --no-auth --no-azurite``, calling a hello
  example (the storage examples stay idle; no Azurite is started for them): route
  lookup, request Datum, HttpRequest, the call, response encoding.  Row
  ``function=sync`` calls HttpHello (a sync function: one hop to the thread pool and
  back), ``function=async`` calls greet (a coroutine on the event loop).

The server's output (funcbind's console lines) is read and dropped in large reads by a
thread of this process, so that reading it takes little from the client.

``extra_info`` also holds ``server_cpu_us_per_request`` (Linux): the server process's
own CPU time per request, read from its CPU-time clock (nanoseconds; /proc's 10 ms
ticks would be 25 us per request in short mode), a figure that a busy machine disturbs
much less than requests per second.  Each timed round is preceded by an untimed round against the
other server, so the two are measured turn about; the funcbind rows' ``vs_bare`` is
funcbind's requests/s over the bare app's from those alternating rounds.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import re
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CONCURRENCY = 32


@dataclass(frozen=True)
class Load:
    requests: int
    rounds: int
    warm_up: int

    @property
    def per_round(self) -> int:
        return self.requests // self.rounds


# Short mode (the test command) keeps the whole file well under 20 s; full mode gives
# steadier figures.
LOADS = {"short": Load(400, 4, 50), "full": Load(16000, 8, 200)}
GROUP = "host: hello requests/s"
# The hello functions of examples/: HttpHello is a sync function.json function (it runs
# in the thread pool), greet an async decorator function (it runs on the event loop).
FUNCTIONS = {
    "sync": ("/api/HttpHello?name=world", b"Hello, world!"),
    "async": ("/api/greet/world", b"Hi, world!"),
}
# The bare app's sync path runs its handler in the default executor, "/" on the loop.
BARE_PATHS = {"sync": "/sync", "async": "/"}
IMPLEMENTATIONS = ("bare ASGI", "funcbind")
OTHER = {"bare ASGI": "funcbind", "funcbind": "bare ASGI"}

# The bare app is served by the same helpers funcbind run uses: same socket, same config.
BARE_SERVER = textwrap.dedent(
    """
    import asyncio
    import uvicorn
    from funcbind.host.cli import bind, uvicorn_config

    BODY = b"Hello, world!"
    HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"13")]

    def hello():
        return BODY

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        if scope["path"] == "/sync":
            # A sync endpoint, as a plain framework runs one: a hop to a thread and back.
            body = await asyncio.get_running_loop().run_in_executor(None, hello)
        else:
            body = BODY
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": body})

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
            env=environment,
        )
        assert self.process.stdout is not None
        seen = []
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace")
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
        # Whatever is there, in one read: a thread that took the lines one by one (two
        # console lines per invocation for funcbind, none for the bare app) would take
        # the GIL from the client's event loop thousands of times a second, and charge
        # the funcbind rounds for the client's own overhead.
        assert self.process.stdout is not None
        while os.read(self.process.stdout.fileno(), 1 << 16):
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


def start(impl: str) -> Server:
    if impl == "bare ASGI":
        return Server([sys.executable, "-c", BARE_SERVER])
    command = [
        sys.executable,
        "-m",
        "funcbind",
        "run",
        str(EXAMPLES),
        "--port",
        "0",
        "--no-auth",
        "--no-azurite",
    ]
    return Server(command)


def target(impl: str, function: str) -> tuple[str, bytes]:
    """The path to call and the body expected."""
    if impl == "bare ASGI":
        return BARE_PATHS[function], b"Hello, world!"
    return FUNCTIONS[function]


def server_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far, or None where unknown.

    Read from the process's CPU-time clock (nanoseconds) where the C library gives it
    out (``clock_getcpuclockid``, Linux): ``/proc/PID/stat`` counts 10 ms ticks, which
    in short mode (400 requests a row) is 25 us of the figure per request.
    """
    clock = _cpu_clock(pid)
    if clock is not None:
        try:
            return time.clock_gettime(clock)
        except OSError:
            pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_clock(pid: int) -> int | None:
    try:
        libc = ctypes.CDLL(None)
        clock = ctypes.c_int()
        if libc.clock_getcpuclockid(pid, ctypes.byref(clock)) != 0:
            return None
    except (OSError, AttributeError):
        return None
    return clock.value


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


@pytest.fixture(scope="module")
def sizes(bench_mode: str) -> Load:
    return LOADS.get(bench_mode, LOADS["full"])


@pytest.fixture(scope="module")
def servers(sizes: Load) -> Iterator[dict[str, Server]]:
    started: dict[str, Server] = {}
    try:
        for impl in IMPLEMENTATIONS:
            started[impl] = start(impl)
            for function in FUNCTIONS:
                path, expected = target(impl, function)
                asyncio.run(load(started[impl].url, path, expected, sizes.warm_up))
        yield started
    finally:
        for running in started.values():
            running.stop()


@pytest.mark.parametrize("function", list(FUNCTIONS))
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_hello_requests_per_second(
    benchmark: Any, impl: str, function: str, servers: dict[str, Server], sizes: Load
) -> None:
    running = servers[impl]
    path, expected = target(impl, function)
    benchmark.group = GROUP
    latencies: list[float] = []

    def run_round() -> None:
        latencies.extend(asyncio.run(load(running.url, path, expected, sizes.per_round)))

    # Before each timed round, an untimed round against the other server: the two are
    # measured turn about, so a noisy stretch of the shared machine falls on both.
    other = servers[OTHER[impl]]
    other_path, other_expected = target(OTHER[impl], function)
    other_rounds: list[float] = []

    def other_round() -> None:
        began = time.perf_counter()
        asyncio.run(load(other.url, other_path, other_expected, sizes.per_round))
        other_rounds.append(time.perf_counter() - began)

    requests = sizes.per_round * sizes.rounds
    cpu_before = server_cpu_seconds(running.process.pid)
    benchmark.pedantic(run_round, setup=other_round, rounds=sizes.rounds, iterations=1)
    cpu_after = server_cpu_seconds(running.process.pid)
    assert len(latencies) == requests
    # The median round, not the mean: a noisy neighbour slows a round, not the server.
    benchmark.extra_info["requests_per_s"] = round(
        sizes.per_round / benchmark.stats.stats.median, 1
    )
    benchmark.extra_info["p99_ms"] = round(p99(latencies) * 1000, 2)
    if cpu_before is not None and cpu_after is not None:
        # The server's own CPU time per request: steadier than wall time on a shared machine.
        cpu_us = (cpu_after - cpu_before) / requests * 1e6
        benchmark.extra_info["server_cpu_us_per_request"] = round(cpu_us, 1)
    if impl == "funcbind":
        # funcbind's requests/s over the bare app's, from the rounds taken turn about.
        benchmark.extra_info["vs_bare"] = round(
            statistics.median(other_rounds) / benchmark.stats.stats.median, 2
        )
    benchmark.extra_info["requests"] = requests
    benchmark.extra_info["concurrency"] = CONCURRENCY
