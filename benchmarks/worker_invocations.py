"""Whole invocations through the real Python worker, with the stock registry and with funcbind's.

    python -m benchmarks.worker_invocations [--rounds N] [--calls N]

The figure a user on Azure sees: the worker library (``azure-functions-runtime``, Python
3.13+) handles real ``InvocationRequest`` protobuf messages exactly as it does for the
host (``tests/worker/worker_driver.py``), and each invocation is timed from the request
message to the response message: the worker's own work, the binding registry's decoding
and encoding, and the function of ``tests/worker/app`` itself.  Only the registry
differs between the two sides (``azure.functions.get_binding_registry`` returns
funcbind's during worker init, as in ``tests/worker/test_real_worker.py``).

The sides take turns, a round each (ABBA), and each round starts the worker afresh; a
case's figure is the median over all its calls, of the wall clock (what the host waits;
it includes the hand-off of a sync function to the worker's thread pool, which a busy
machine stretches) and of the process's CPU time (the work itself); then, over as many
calls again, the time spent in the registry's own ``decode`` and ``encode``, and that
plus the function's body (medians over rounds, of each round's mean).

Why both: funcbind's models are lazy, so its ``decode`` returns at once and converts a
field when the function reads it.  ``decode + encode`` alone would leave that work out
of funcbind's figure while counting all of azure.functions' (which converts everything
in ``decode``) and flatter funcbind most where it does the most deferred work (an
Event Hubs batch).  The function of ``tests/worker/app`` reads every field it reports
and does the same work on both sides, so ``decode + function + encode`` is the fair
figure of what a registry costs an invocation; the worker's own conversions, its thread
hand-off and its bookkeeping are the rest.  Nothing asserts on time, but both sides
must answer every invocation with the same response, field for field, or the run
fails.  The ``worker-3.13`` nox session runs this after its tests, so
``./scripts/test.sh`` prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "worker"))

import response_diff  # noqa: E402
import rpc_protos  # noqa: E402
import worker_driver  # noqa: E402

from benchmarks._json_parser import use_funcbinds_parser_in_azure_functions  # noqa: E402

# (row label, invocation id in tests/worker/invocations.json)
CASES = (
    ("HTTP GET (query, route value, headers)", "http-get-query"),
    ("HTTP POST with a JSON body", "http-post-json"),
    ("queue trigger with its metadata", "queue-trigger-string"),
    ("Event Hubs batch of 10 with the host's metadata", "eventhub-batch-host-metadata"),
    ("Service Bus message with the host's metadata", "servicebus-message-host-metadata"),
)
SIDES = ("azure.functions", "funcbind")
WARM_UP_CALLS = 20


@contextmanager
def registry(side: str) -> Iterator[None]:
    """``azure.functions.get_binding_registry`` returning ``side``'s registry, for one run."""
    import azure.functions

    stock = azure.functions.get_binding_registry
    if side == "funcbind":
        import funcbind

        azure.functions.get_binding_registry = funcbind.get_binding_registry
    try:
        yield
    finally:
        azure.functions.get_binding_registry = stock


class _TimedBinding:
    """A registry's binding whose decode and encode add their time to a shared clock."""

    def __init__(self, binding: Any, clock: list[float]) -> None:
        self._binding = binding
        self._clock = clock

    def decode(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._binding.decode(*args, **kwargs)
        finally:
            self._clock[0] += time.perf_counter() - started

    def encode(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._binding.encode(*args, **kwargs)
        finally:
            self._clock[0] += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self._binding, name)


class _TimedRegistry:
    """The worker's loaded registry, its bindings timed (installed after the loads)."""

    def __init__(self, registry: Any, clock: list[float]) -> None:
        self._registry = registry
        self._clock = clock
        self._bindings: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        timed = self._bindings.get(name)
        if timed is None:
            binding = self._registry.get(name)
            if binding is None:
                return None
            timed = self._bindings[name] = _TimedBinding(binding, self._clock)
        return timed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._registry, name)


async def _round(protos: Any, requests: dict[str, tuple[str, Any]], calls: int) -> dict[str, Any]:
    """Start the worker, then time ``calls`` invocations of each case; seconds and responses."""
    from azure_functions_runtime.bindings import meta

    worker = await worker_driver.start_worker(protos, worker_driver.APP_DIR)
    results: dict[str, Any] = {}
    for invocation_id, (function_name, invocation) in requests.items():
        message = worker.invocation(function_name, invocation)
        for _ in range(WARM_UP_CALLS):  # first-call caches, on both sides
            response = await worker.invoke(message)
        wall, cpu = [], []
        for _ in range(calls):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = await worker.invoke(message)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        # Then the registry's own share: its decode and encode calls, timed apart, and
        # the function's body, where a lazy model does the rest of its decoding.
        clock, function_clock = [0.0], [0.0]
        loaded = meta.BINDING_REGISTRY
        meta.BINDING_REGISTRY = _TimedRegistry(loaded, clock)
        try:
            with _timed_function(message.function_id, function_clock):
                for _ in range(calls):
                    await worker.invoke(message)
        finally:
            meta.BINDING_REGISTRY = loaded
        registry_share = clock[0] / calls
        with_function = registry_share + function_clock[0] / calls
        results[invocation_id] = (wall, cpu, [registry_share], [with_function], response)
    return results


@contextmanager
def _timed_function(function_id: str, clock: list[float]) -> Iterator[None]:
    """The loaded function's body adding its time to ``clock`` (the worker's own call of
    it, its thread hand-off included, stays outside)."""
    from azure_functions_runtime.handle_event import _functions

    loaded = _functions._functions[function_id]
    function = loaded.func

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            clock[0] += time.perf_counter() - started

    _functions._functions[function_id] = loaded._replace(func=timed)
    try:
        yield
    finally:
        _functions._functions[function_id] = loaded


def measure(rounds: int, calls: int) -> dict[str, dict[str, Any]]:
    protos = rpc_protos.load()
    wanted = {invocation_id for _, invocation_id in CASES}
    requests = {
        message.invocation_id: (function_name, message)
        for function_name, message in worker_driver.load_invocations(protos)
        if message.invocation_id in wanted
    }
    figures: dict[str, dict[str, Any]] = {side: {} for side in SIDES}
    for round_number in range(rounds):
        # Turn about, and who goes first alternates too (ABBA): a busy machine's drift
        # and whatever the first side of a round pays for the second are shared out.
        for side in SIDES if round_number % 2 == 0 else SIDES[::-1]:
            with registry(side), worker_driver.app_in_place():
                results = asyncio.run(_round(protos, requests, calls))
            for invocation_id, (wall, cpu, share, with_function, response) in results.items():
                entry = figures[side].setdefault(
                    invocation_id, {"wall": [], "cpu": [], "registry": [], "with_function": []}
                )
                entry["wall"].extend(wall)
                entry["cpu"].extend(cpu)
                entry["registry"].extend(share)
                entry["with_function"].extend(with_function)
                entry["response"] = response
    return figures


def check_equal_responses(figures: dict[str, dict[str, Any]]) -> None:
    for label, invocation_id in CASES:
        stock = figures["azure.functions"][invocation_id]["response"]
        ours = figures["funcbind"][invocation_id]["response"]
        if stock.result.status != stock.result.Success:
            raise SystemExit(f"worker_invocations: the stock side failed {label}: {stock.result}")
        stock_leaves, our_leaves = response_diff.leaves(stock), response_diff.leaves(ours)
        if stock_leaves != our_leaves:
            different = sorted(
                path
                for path in stock_leaves.keys() | our_leaves.keys()
                if stock_leaves.get(path) != our_leaves.get(path)
            )
            raise SystemExit(
                f"worker_invocations: the two registries answered {label} differently "
                f"({invocation_id}): {different}"
            )


def _format(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs" if seconds < 0.01 else f"{seconds * 1e3:.1f} ms"


def table(figures: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| invocation (real worker, real protobuf) | measure | azure.functions median | "
        "funcbind median | speed-up | saved per call |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, invocation_id in CASES:
        for measure, name in (
            ("wall", "wall clock"),
            ("cpu", "CPU time"),
            ("registry", "of which decode + encode"),
            ("with_function", "of which decode + function + encode"),
        ):
            stock = statistics.median(figures["azure.functions"][invocation_id][measure])
            ours = statistics.median(figures["funcbind"][invocation_id][measure])
            lines.append(
                f"| {label} | {name} | {_format(stock)} | {_format(ours)} | "
                f"{stock / ours:.2f}× | {_format(stock - ours)} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6, help="rounds per side (alternating)")
    parser.add_argument("--calls", type=int, default=200, help="timed calls per case and round")
    args = parser.parse_args(argv)
    try:
        import azure_functions_runtime  # noqa: F401
    except ImportError:
        print("worker_invocations: azure-functions-runtime is not installed (nox -s worker)")
        return 1
    parser_name = use_funcbinds_parser_in_azure_functions()
    figures = measure(args.rounds, args.calls)
    check_equal_responses(figures)
    import platform

    print(
        f"\nWhole invocations through azure-functions-runtime, Python "
        f"{platform.python_version()}; {args.rounds} rounds of {args.calls} calls per side "
        f"and case, the sides taking turns; JSON parser on both sides: {parser_name}. "
        "Both sides gave the same responses.\n"
    )
    print(table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
