"""Host: a CPU-bound sync HTTP function, ``funcbind run --workers 2`` against one process.

A sync function holds the GIL for its whole run, so one process serves such requests
one core at a time; ``--workers 2`` runs two processes behind the port.  Each side is
a real ``funcbind run`` of the several-hosts test app (its ``spin`` function: a loop
of squares) driven by the same load: CLIENTS clients in threads, each
sending its share of the requests.  A funcbind-only row: ``extra_info`` holds the
requests per second of both sides and ``speedup`` (two processes over one).  Nothing
is asserted on time.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "tests" / "host" / "apps" / "scaleapp"
CLIENTS = 4
SPIN = 100_000  # about 10 ms of Python per request
REQUESTS = {"short": 80, "full": 600}
_LISTENING = re.compile(r"listening on http://([\d.]+):(\d+)")


def start(workers: int) -> tuple[subprocess.Popen[str], str, int]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("beat", "arrived", "work"):
        env[f"AzureWebJobs.{name}.Disabled"] = "true"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "funcbind", "run", str(APP), "--no-auth", "--no-azurite"]
    process = subprocess.Popen(
        [*command, "--port", "0", "--workers", str(workers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    for line in process.stdout:
        found = _LISTENING.search(line)
        if found:
            threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
            return process, found[1], int(found[2])
    raise AssertionError(f"funcbind run --workers {workers} did not start")


def _drain(stream: Any) -> None:
    try:
        for _ in stream:
            pass
    except ValueError:  # closed when the server stops
        pass


def load(host: str, port: int, requests: int) -> float:
    """Requests per second from CLIENTS clients at once."""
    each = requests // CLIENTS
    failures: list[str] = []

    def client() -> None:
        for _ in range(each):
            # A connection per request: the kernel spreads connections, not requests,
            # over the processes.
            connection = http.client.HTTPConnection(host, port, timeout=60)
            connection.request("GET", f"/api/spin?n={SPIN}")
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                failures.append(f"{response.status} {body[:100]!r}")
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert not failures, failures[:3]
    return each * CLIENTS / elapsed


def measure(workers: int, requests: int) -> float:
    process, host, port = start(workers)
    try:
        load(host, port, CLIENTS * 2)  # warm-up: every process imported and serving
        return load(host, port, requests)
    finally:
        process.terminate()
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.benchmark(group="host: CPU-bound sync HTTP, --workers 2 vs 1")
def test_two_worker_processes_serve_cpu_bound_requests(benchmark: Any, bench_mode: str) -> None:
    requests = REQUESTS[bench_mode]
    one = measure(1, requests)
    two: list[float] = []
    benchmark.pedantic(lambda: two.append(measure(2, requests)), rounds=1, iterations=1)
    benchmark.extra_info["requests_per_s_1_process"] = round(one, 1)
    benchmark.extra_info["requests_per_s"] = round(two[0], 1)
    benchmark.extra_info["speedup"] = round(two[0] / one, 2)
