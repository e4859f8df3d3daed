"""Whole-invocation overhead: decode the inputs, call a trivial function, encode the outputs.

``funcbind`` runs a compiled :class:`~funcbind.function.FunctionPlan` through
:func:`funcbind.invoke.invoke`, sync functions in its own pool
(:class:`~funcbind.threadpool.FunctionThreadPool`).  ``azure.functions`` is the same
work done the way the language worker drives that library, written out here in the
order of ``azure_functions_runtime``'s ``invocation_request``: the invocation's
Context (built for every call), per binding a registry lookup,
``check_input_type_annotation`` and ``decode``, ``Out`` objects, the call (sync
functions through ``loop.run_in_executor`` on a ``ThreadPoolExecutor``, the invocation
id set in the thread), then ``check_output_type_annotation`` and ``encode``.  Neither
side converts protobuf messages (both start from Datums) or writes log lines.

Groups:

* ``invoke: ...`` -- invocations one after another: the cost of one.  In the sync
  rows the two thread wake-ups of the handoff (pool thread, then event loop) dominate:
  on a virtual machine each is a cross-CPU wake-up of 50-150 us that neither side's
  machinery changes; the "thread-pool handoff alone" rows time it for each pool.
* ``invoke under load: ...`` -- IN_FLIGHT invocations at once, as a worker serving a
  busy host runs them; here funcbind's pool delivers completions in batches.  A round
  is IN_FLIGHT streams of PER_STREAM invocations each.

Each round of the other groups runs ``BATCH`` invocations inside one
``run_until_complete`` so that entering the event loop does not dominate; medians are
per round.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
import typing
from collections.abc import Callable, Coroutine, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

import azure.functions
import azure.functions.meta
import pytest

from benchmarks._memory import peak_memory
from funcbind import Datum, default_registry
from funcbind.function import FunctionPlan, compile_function, parse_bindings
from funcbind.invoke import invoke, make_executor
from funcbind.threadpool import FunctionThreadPool

BATCH = 64
IN_FLIGHT = 32  # invocations at once in the groups under load
PER_STREAM = 8  # invocations each of those streams runs in a round (256 per round)
INVOCATION_ID = "5f1c3a52-8f0e-4c1b-9a55-1d2c3e4f5a6b"


# -- the functions (trivial bodies: the measurement is the machinery) -------------------------


def http_sync(req: azure.functions.HttpRequest) -> str:
    return "Hello!"


async def http_async(req: azure.functions.HttpRequest) -> str:
    return "Hello!"


async def http_async_query(req: azure.functions.HttpRequest) -> str:
    # Reads one field, as the seed example does: the lazy request pays for the query only.
    return f"Hello, {req.params.get('user')}!"


def queue_sync(msg: azure.functions.QueueMessage, out: azure.functions.Out[str]) -> None:
    out.set(msg.get_body().decode())


async def queue_async(msg: azure.functions.QueueMessage, out: azure.functions.Out[str]) -> None:
    out.set(msg.get_body().decode())


HTTP_BINDINGS = [
    {"name": "req", "type": "httpTrigger", "direction": "in", "authLevel": "anonymous"},
    {"name": "$return", "type": "http", "direction": "out"},
]
QUEUE_BINDINGS = [
    {"name": "msg", "type": "queueTrigger", "direction": "in", "queueName": "orders"},
    {"name": "out", "type": "queue", "direction": "out", "queueName": "receipts"},
]


# -- wire data, as a host sends it (built once per module) -----------------------------------


def http_wire(datum: Callable[[Any, str], Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    # A browser GET as the host forwards it on Azure: the front end adds most of these.
    headers = {
        "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "accept-encoding": "gzip, deflate, br",
        "accept-language": "en-GB,en;q=0.5",
        "host": "contoso-fn.azurewebsites.net",
        "max-forwards": "9",
        "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
        "x-arr-log-id": "4c1f5d3e-2b6a-4f8e-9d7c-1a2b3c4d5e6f",
        "client-ip": "203.0.113.7:51234",
        "x-site-deployment-id": "contoso-fn",
        "was-default-hostname": "contoso-fn.azurewebsites.net",
        "x-forwarded-proto": "https",
        "x-appservice-proto": "https",
        "x-forwarded-tlsversion": "1.3",
        "x-forwarded-for": "203.0.113.7:51234",
        "x-original-url": "/api/hello?user=Ann&lang=en",
        "x-waws-unencoded-url": "/api/hello?user=Ann&lang=en",
        "disguised-host": "contoso-fn.azurewebsites.net",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }
    query = {"user": "Ann", "lang": "en"}
    request = datum(
        {
            "method": datum("GET", "string"),
            "url": datum(
                "https://contoso-fn.azurewebsites.net/api/hello?user=Ann&lang=en", "string"
            ),
            "headers": {k: datum(v, "string") for k, v in headers.items()},
            "query": {k: datum(v, "string") for k, v in query.items()},
            "params": {},
            "body": datum(b"", "bytes"),
        },
        "http",
    )
    metadata = {
        "Query": datum(json.dumps(query), "json"),
        "Headers": datum(json.dumps(headers), "json"),
    }
    return {"req": request}, metadata


def queue_wire(datum: Callable[[Any, str], Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    body = json.dumps({"id": "A-17", "lines": [{"sku": "SKU-0001", "qty": 2, "price": 1.25}]})
    metadata = {
        "Id": datum("b2f7c3a0-5d1e-4f0a-9c3b-7e6d5c4b3a21", "string"),
        "PopReceipt": datum("AgAAAAMAAAAAAAAAn7tQ7gTX2gE=", "string"),
        "QueueTrigger": datum(body, "string"),
        "DequeueCount": datum("1", "json"),
        "InsertionTime": datum('"2026-01-02T03:04:05+00:00"', "json"),
        "ExpirationTime": datum('"2026-01-09T03:04:05+00:00"', "json"),
        "NextVisibleTime": datum('"2026-01-02T03:14:05+00:00"', "json"),
    }
    return {"msg": datum(body, "string")}, metadata


AZURE_DATUM = azure.functions.meta.Datum


def funcbind_datum(value: Any, type_: str) -> Datum:
    return Datum(value, type_)


# -- the azure.functions way, as the workers drive it -------------------------------------------


class WorkerOut(azure.functions.Out[Any]):
    """What the workers pass for an Out parameter."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


class WorkerTraceContext:
    """The worker's trace context: three fields behind properties."""

    def __init__(self, trace_parent: str, trace_state: str, attributes: dict[str, str]) -> None:
        self._trace_parent = trace_parent
        self._trace_state = trace_state
        self._attributes = attributes


class WorkerRetryContext:
    """The worker's retry context: three fields behind properties."""

    def __init__(self, retry_count: int, max_retry_count: int, exception: Any) -> None:
        self._retry_count = retry_count
        self._max_retry_count = max_retry_count
        self._exception = exception


class WorkerContext:
    """The worker's Context, which it builds for every invocation."""

    def __init__(
        self,
        function_name: str,
        function_directory: str,
        invocation_id: str,
        thread_local_storage: threading.local,
        trace_context: WorkerTraceContext,
        retry_context: WorkerRetryContext,
    ) -> None:
        self._function_name = function_name
        self._function_directory = function_directory
        self._invocation_id = invocation_id
        self.thread_local_storage = thread_local_storage
        self._trace_context = trace_context
        self._retry_context = retry_context


WORKER_THREAD_LOCAL = threading.local()
WORKER_INVOCATION_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "invocation_id", default=None
)


def run_sync_in_worker_thread(
    invocation_id: str, context: WorkerContext, function: Callable[..., Any], args: dict[str, Any]
) -> Any:
    """What the worker runs in its pool thread: the invocation id for logs and user threads."""
    context.thread_local_storage.invocation_id = invocation_id
    token = WORKER_INVOCATION_ID.set(invocation_id)
    try:
        return function(**args)
    finally:
        WORKER_INVOCATION_ID.reset(token)
        context.thread_local_storage.invocation_id = None


class WorkerStyleFunction:
    """One function as the worker keeps it: binding names, types and annotations."""

    def __init__(self, function: Callable[..., Any], bindings: list[dict[str, Any]]) -> None:
        annotations = typing.get_type_hints(function)  # the worker resolves them at load
        self.function = function
        self.name = function.__name__
        self.directory = "/home/site/wwwroot"
        self.is_async = asyncio.iscoroutinefunction(function)
        self.inputs = []
        self.outputs = []
        self.return_binding: tuple[str, Any] | None = None
        for binding in bindings:
            name, binding_type = binding["name"], binding["type"]
            if name == "$return":
                self.return_binding = (binding_type, annotations.get("return"))
            elif binding["direction"] == "out":
                (value_type,) = annotations[name].__args__
                self.outputs.append((name, binding_type, value_type))
            else:
                self.inputs.append((name, binding_type, annotations.get(name)))

    async def invoke(
        self,
        inputs: Mapping[str, Any],
        trigger_metadata: Mapping[str, Any],
        invocation_id: str,
        trace: Mapping[str, Any],
        executor: Executor,
    ) -> tuple[dict[str, Any], Any]:
        # The order of azure_functions_runtime's invocation_request, without the protobuf
        # conversions (both sides start from Datums) and without its log lines.
        context = WorkerContext(
            self.name,
            self.directory,
            invocation_id,
            WORKER_THREAD_LOCAL,
            WorkerTraceContext(trace["trace_parent"], trace["trace_state"], trace["attributes"]),
            WorkerRetryContext(0, 0, None),
        )
        registry = azure.functions.get_binding_registry()
        args: dict[str, Any] = {}
        for name, binding_type, pytype in self.inputs:
            binding = registry.get(binding_type)
            if not binding.check_input_type_annotation(pytype):
                raise TypeError(f"{binding_type} does not accept {pytype}")
            metadata = trigger_metadata if binding.has_trigger_support() else None
            args[name] = binding.decode(inputs[name], trigger_metadata=metadata)
        context.thread_local_storage.invocation_id = invocation_id
        for name, _, _ in self.outputs:
            args[name] = WorkerOut()
        if self.is_async:
            returned = await self.function(**args)
        else:
            loop = asyncio.get_running_loop()
            returned = await loop.run_in_executor(
                executor, run_sync_in_worker_thread, invocation_id, context, self.function, args
            )
        outputs = {}
        for name, binding_type, pytype in self.outputs:
            value = args[name].get()
            if value is None:
                continue
            binding = registry.get(binding_type)
            if not binding.check_output_type_annotation(pytype):
                raise TypeError(f"{binding_type} does not accept {pytype}")
            outputs[name] = binding.encode(value, expected_type=pytype)
        return_datum = None
        if self.return_binding is not None and returned is not None:
            binding_type, pytype = self.return_binding
            binding = registry.get(binding_type)
            if not binding.check_output_type_annotation(pytype):
                raise TypeError(f"{binding_type} does not accept {pytype}")
            return_datum = binding.encode(returned, expected_type=pytype)
        return outputs, return_datum


# -- the harness ------------------------------------------------------------------------------

CASES: dict[str, tuple[Callable[..., Any], list[dict[str, Any]], Callable[..., Any]]] = {
    "http sync": (http_sync, HTTP_BINDINGS, http_wire),
    "http async": (http_async, HTTP_BINDINGS, http_wire),
    "http async, reads the query": (http_async_query, HTTP_BINDINGS, http_wire),
    "queue + Out sync": (queue_sync, QUEUE_BINDINGS, queue_wire),
    "queue + Out async": (queue_async, QUEUE_BINDINGS, queue_wire),
}
# As the host sends it with every invocation.
TRACE = {
    "trace_parent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "trace_state": "",
    "attributes": {},
}


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def pools() -> Iterator[dict[str, Executor]]:
    """Each side's own one-thread pool for sync functions."""
    worker_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-worker")
    funcbind_pool = make_executor(1)
    yield {"azure.functions": worker_pool, "funcbind": funcbind_pool}
    worker_pool.shutdown()
    funcbind_pool.shutdown()


@pytest.fixture(scope="module")
def plans() -> dict[str, FunctionPlan]:
    registry = default_registry()
    return {
        case: compile_function(
            function,
            parse_bindings(bindings, function=function.__name__),
            name=function.__name__,
            registry=registry,
        )
        for case, (function, bindings, _) in CASES.items()
    }


def invocations(
    impl: str, case: str, plans: dict[str, FunctionPlan], executor: Executor, count: int
) -> Callable[[], Coroutine[Any, Any, Any]]:
    """A coroutine function running ``count`` invocations one after another.

    The loop calls each side's invoke directly, with no wrapper of ours in between,
    so that nothing but the invocation is timed.
    """
    function, bindings, wire = CASES[case]
    if impl == "funcbind":
        plan = plans[case]
        inputs, metadata = wire(funcbind_datum)

        async def run_funcbind() -> Any:
            for _ in range(count - 1):
                await invoke(
                    plan,
                    inputs,
                    trigger_metadata=metadata,
                    invocation_id=INVOCATION_ID,
                    trace_context=TRACE,
                    executor=executor,
                )
            result = await invoke(
                plan,
                inputs,
                trigger_metadata=metadata,
                invocation_id=INVOCATION_ID,
                trace_context=TRACE,
                executor=executor,
            )
            return result.outputs, result.return_value

        return run_funcbind
    worker_style = WorkerStyleFunction(function, bindings)
    inputs, metadata = wire(AZURE_DATUM)

    async def run_worker_style() -> Any:
        for _ in range(count - 1):
            await worker_style.invoke(inputs, metadata, INVOCATION_ID, TRACE, executor)
        return await worker_style.invoke(inputs, metadata, INVOCATION_ID, TRACE, executor)

    return run_worker_style


def check(case: str, outputs: Any, returned: Any) -> None:
    if "queue" in case:
        assert outputs["out"].value.startswith('{"id": "A-17"')
    else:
        assert returned.value == ("Hello, Ann!" if "query" in case else "Hello!")


def measure(
    benchmark: Any,
    impl: str,
    case: str,
    loop: asyncio.AbstractEventLoop,
    pools: dict[str, Executor],
    plans: dict[str, FunctionPlan],
) -> None:
    """One after another: the cost of a single invocation (median per round of BATCH)."""
    executor = pools[impl]
    batch = invocations(impl, case, plans, executor, BATCH)
    outputs, returned = benchmark(lambda: loop.run_until_complete(batch()))
    check(case, outputs, returned)
    once = invocations(impl, case, plans, executor, 1)
    benchmark.extra_info["peak_bytes"] = peak_memory(lambda: loop.run_until_complete(once()))


def measure_under_load(
    benchmark: Any,
    impl: str,
    case: str,
    loop: asyncio.AbstractEventLoop,
    pools: dict[str, Executor],
    plans: dict[str, FunctionPlan],
) -> None:
    """IN_FLIGHT invocation streams at once, as a worker serving a busy host runs them."""
    executor = pools[impl]
    stream = invocations(impl, case, plans, executor, PER_STREAM)

    async def streams() -> Any:
        results = await asyncio.gather(*(stream() for _ in range(IN_FLIGHT)))
        return results[0]

    outputs, returned = benchmark(lambda: loop.run_until_complete(streams()))
    check(case, outputs, returned)


# One test per group (no parameter but impl), so the report names each row by its group.


@pytest.mark.benchmark(group="invoke: http sync")
def test_http_sync(benchmark: Any, impl: str, loop: Any, pools: Any, plans: Any) -> None:
    measure(benchmark, impl, "http sync", loop, pools, plans)


@pytest.mark.benchmark(group="invoke: http async")
def test_http_async(benchmark: Any, impl: str, loop: Any, pools: Any, plans: Any) -> None:
    measure(benchmark, impl, "http async", loop, pools, plans)


@pytest.mark.benchmark(group="invoke: http async, reads the query")
def test_http_async_query(benchmark: Any, impl: str, loop: Any, pools: Any, plans: Any) -> None:
    measure(benchmark, impl, "http async, reads the query", loop, pools, plans)


@pytest.mark.benchmark(group="invoke: queue + Out sync")
def test_queue_out_sync(benchmark: Any, impl: str, loop: Any, pools: Any, plans: Any) -> None:
    measure(benchmark, impl, "queue + Out sync", loop, pools, plans)


@pytest.mark.benchmark(group="invoke: queue + Out async")
def test_queue_out_async(benchmark: Any, impl: str, loop: Any, pools: Any, plans: Any) -> None:
    measure(benchmark, impl, "queue + Out async", loop, pools, plans)


@pytest.mark.benchmark(group="invoke under load: http sync")
def test_http_sync_under_load(benchmark: Any, impl: str, loop: Any, pools: Any, plans: Any) -> None:
    measure_under_load(benchmark, impl, "http sync", loop, pools, plans)


@pytest.mark.benchmark(group="invoke under load: http async")
def test_http_async_under_load(
    benchmark: Any, impl: str, loop: Any, pools: Any, plans: Any
) -> None:
    measure_under_load(benchmark, impl, "http async", loop, pools, plans)


@pytest.mark.benchmark(group="invoke under load: queue + Out sync")
def test_queue_out_sync_under_load(
    benchmark: Any, impl: str, loop: Any, pools: Any, plans: Any
) -> None:
    measure_under_load(benchmark, impl, "queue + Out sync", loop, pools, plans)


def trivial() -> str:
    return "Hello!"


@pytest.mark.benchmark(group="invoke: thread-pool handoff alone (ThreadPoolExecutor)")
def test_handoff_thread_pool_executor(benchmark: Any, loop: Any, pools: Any) -> None:
    """Reference: run_in_executor of a trivial function, as the worker hands off."""
    executor = pools["azure.functions"]

    async def batch() -> Any:
        running = asyncio.get_running_loop()
        for _ in range(BATCH - 1):
            await running.run_in_executor(executor, contextvars.copy_context().run, trivial)
        return await running.run_in_executor(executor, contextvars.copy_context().run, trivial)

    assert benchmark(lambda: loop.run_until_complete(batch())) == "Hello!"


@pytest.mark.benchmark(group="invoke: thread-pool handoff alone (FunctionThreadPool)")
def test_handoff_function_thread_pool(benchmark: Any, loop: Any, pools: Any) -> None:
    """Reference: the same through funcbind's pool, as invoke hands off."""
    executor: FunctionThreadPool = pools["funcbind"]

    async def batch() -> Any:
        for _ in range(BATCH - 1):
            await executor.run(contextvars.copy_context().run, trivial)
        return await executor.run(contextvars.copy_context().run, trivial)

    assert benchmark(lambda: loop.run_until_complete(batch())) == "Hello!"
