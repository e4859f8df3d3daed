"""Whole-invocation overhead: decode the inputs, call a trivial function, encode the outputs.

``funcbind`` runs a compiled :class:`~funcbind.function.FunctionPlan` through
:func:`funcbind.invoke.invoke`.  ``azure.functions`` is the same work done the way the
language workers drive that library, written out here: per call a registry lookup,
``check_input_type_annotation``, ``decode``, the call, ``check_output_type_annotation``
and ``encode`` for each binding.  Both sides await async functions on the loop and
hand sync ones to the same one-thread pool through ``loop.run_in_executor`` with the
context copied in, as the worker does.

The async groups therefore measure the machinery alone.  In the sync groups both
sides also pay the thread handoff (a worker wake-up and a loop wake-up, tens of
microseconds on a busy machine), which is not decoding or encoding and which neither
can avoid; "invoke: thread-pool handoff alone" times just that handoff (funcbind
only, a reference row) so it can be subtracted.  Each round runs ``BATCH``
invocations inside one ``run_until_complete`` so that entering the event loop does
not dominate; the median is per round of ``BATCH``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
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
from funcbind.invoke import invoke

BATCH = 50
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


class WorkerStyleFunction:
    """One function as the worker keeps it: binding names, types and annotations."""

    def __init__(self, function: Callable[..., Any], bindings: list[dict[str, Any]]) -> None:
        annotations = typing.get_type_hints(function)  # the worker resolves them at load
        self.function = function
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
        executor: Executor,
    ) -> tuple[dict[str, Any], Any]:
        registry = azure.functions.get_binding_registry()
        args: dict[str, Any] = {}
        for name, binding_type, pytype in self.inputs:
            binding = registry.get(binding_type)
            if not binding.check_input_type_annotation(pytype):
                raise TypeError(f"{binding_type} does not accept {pytype}")
            metadata = trigger_metadata if binding.has_trigger_support() else None
            args[name] = binding.decode(inputs[name], trigger_metadata=metadata)
        for name, _, _ in self.outputs:
            args[name] = WorkerOut()
        if self.is_async:
            returned = await self.function(**args)
        else:
            loop = asyncio.get_running_loop()
            call = functools.partial(self.function, **args)
            returned = await loop.run_in_executor(executor, contextvars.copy_context().run, call)
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
    "invoke: http sync": (http_sync, HTTP_BINDINGS, http_wire),
    "invoke: http async": (http_async, HTTP_BINDINGS, http_wire),
    "invoke: http async, reads the query": (http_async_query, HTTP_BINDINGS, http_wire),
    "invoke: queue + Out sync": (queue_sync, QUEUE_BINDINGS, queue_wire),
    "invoke: queue + Out async": (queue_async, QUEUE_BINDINGS, queue_wire),
}


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-invoke")
    yield pool
    pool.shutdown()


@pytest.fixture(scope="module")
def plans() -> dict[str, FunctionPlan]:
    registry = default_registry()
    return {
        group: compile_function(
            function,
            parse_bindings(bindings, function=function.__name__),
            name=function.__name__,
            registry=registry,
        )
        for group, (function, bindings, _) in CASES.items()
    }


def one_call(
    impl: str, group: str, plans: dict[str, FunctionPlan], executor: Executor
) -> Callable[[], Coroutine[Any, Any, Any]]:
    function, bindings, wire = CASES[group]
    if impl == "funcbind":
        plan = plans[group]
        inputs, metadata = wire(funcbind_datum)

        async def run() -> Any:
            result = await invoke(
                plan,
                inputs,
                trigger_metadata=metadata,
                invocation_id=INVOCATION_ID,
                executor=executor,
            )
            return result.outputs, result.return_value

        return run
    worker_style = WorkerStyleFunction(function, bindings)
    inputs, metadata = wire(AZURE_DATUM)

    async def run_worker_style() -> Any:
        return await worker_style.invoke(inputs, metadata, executor)

    return run_worker_style


def measure(
    benchmark: Any,
    impl: str,
    group: str,
    loop: asyncio.AbstractEventLoop,
    executor: Executor,
    plans: dict[str, FunctionPlan],
) -> None:
    call = one_call(impl, group, plans, executor)

    async def batch() -> Any:
        for _ in range(BATCH - 1):
            await call()
        return await call()

    outputs, returned = benchmark(lambda: loop.run_until_complete(batch()))
    if "queue" in group:
        assert outputs["out"].value.startswith('{"id": "A-17"')
    else:
        assert returned.value == ("Hello, Ann!" if "query" in group else "Hello!")
    benchmark.extra_info["peak_bytes"] = peak_memory(lambda: loop.run_until_complete(call()))


@pytest.mark.benchmark(group="invoke: http sync")
def test_http_sync(benchmark: Any, impl: str, loop: Any, executor: Any, plans: Any) -> None:
    measure(benchmark, impl, "invoke: http sync", loop, executor, plans)


@pytest.mark.benchmark(group="invoke: http async")
def test_http_async(benchmark: Any, impl: str, loop: Any, executor: Any, plans: Any) -> None:
    measure(benchmark, impl, "invoke: http async", loop, executor, plans)


@pytest.mark.benchmark(group="invoke: http async, reads the query")
def test_http_async_query(benchmark: Any, impl: str, loop: Any, executor: Any, plans: Any) -> None:
    measure(benchmark, impl, "invoke: http async, reads the query", loop, executor, plans)


@pytest.mark.benchmark(group="invoke: queue + Out sync")
def test_queue_out_sync(benchmark: Any, impl: str, loop: Any, executor: Any, plans: Any) -> None:
    measure(benchmark, impl, "invoke: queue + Out sync", loop, executor, plans)


@pytest.mark.benchmark(group="invoke: queue + Out async")
def test_queue_out_async(benchmark: Any, impl: str, loop: Any, executor: Any, plans: Any) -> None:
    measure(benchmark, impl, "invoke: queue + Out async", loop, executor, plans)


@pytest.mark.benchmark(group="invoke: thread-pool handoff alone")
def test_thread_pool_handoff(benchmark: Any, loop: Any, executor: Any) -> None:
    """The part of a sync invocation both sides pay alike: run_in_executor and back."""

    def trivial() -> str:
        return "Hello!"

    async def batch() -> Any:
        running = asyncio.get_running_loop()
        for _ in range(BATCH - 1):
            await running.run_in_executor(executor, contextvars.copy_context().run, trivial)
        return await running.run_in_executor(executor, contextvars.copy_context().run, trivial)

    assert benchmark(lambda: loop.run_until_complete(batch())) == "Hello!"
