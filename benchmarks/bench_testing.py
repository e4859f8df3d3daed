"""Testing: one HTTP request through the test client, beside the same request to a real
``funcbind run`` over a loopback socket.

Both sides send the same GET with an ``httpx.Client`` (keep-alive) and check the body:

* ``funcbind run (socket)``: ``funcbind run examples --no-auth --no-azurite`` in its own
  process, started as the host benchmark starts it (:func:`benchmarks.bench_host.start`);
* ``funcbind``: :class:`funcbind.testing.FunctionAppClient` on the same app in this
  process -- the same host code, no socket, no server (the example functions that use
  storage are disabled through settings, so no Azurite starts; ``--no-azurite`` keeps the
  server from starting one too).

Row ``function=async`` calls greet (a coroutine, on the loop); ``function=sync`` calls
HttpHello (a sync function: one hop to the thread pool and back, on both sides).

Where the client's time goes (cProfile over 2,000 requests): about half is the host's
own request path (routing, converters, the call, the response), the rest httpx building
the request and reading the response, one run of the client's event loop per call, and
the transport to the ASGI app; the sync row adds the thread-pool hop (~0.1 ms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from benchmarks.bench_host import EXAMPLES, FUNCTIONS, start

SOCKET = "funcbind run (socket)"
GROUP = "testing: one HTTP request"
STORAGE_FUNCTIONS = ("BlobByName", "EnqueueMessage", "process_order")


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, Any]]:
    import httpx

    from funcbind.testing import FunctionAppClient

    server = start("funcbind")
    off = {f"AzureWebJobs.{name}.Disabled": "true" for name in STORAGE_FUNCTIONS}
    try:
        with (
            httpx.Client(base_url=server.url) as over_socket,
            FunctionAppClient(EXAMPLES, settings=off) as in_process,
        ):
            yield {SOCKET: over_socket, "funcbind": in_process.http}
    finally:
        server.stop()


@pytest.mark.benchmark(group=GROUP)
@pytest.mark.parametrize("function", ["async", "sync"], ids=lambda f: f"function={f}")
@pytest.mark.parametrize("impl", [SOCKET, "funcbind"])
def test_one_http_request(
    benchmark: Any, clients: dict[str, Any], impl: str, function: str
) -> None:
    path, expected = FUNCTIONS[function]
    get: Callable[[str], Any] = clients[impl].get

    def request() -> bytes:
        response = get(path)
        return bytes(response.content)

    assert benchmark(request) == expected
