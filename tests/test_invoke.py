"""Running plans (funcbind.invoke) and per-invocation logs (funcbind.invocation_logs).

Uses custom binding types and the generic converter only; the seed examples with
the built-in families are in test_examples.py.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import azure.functions as func
import pytest

from funcbind import (
    BindingSpec,
    Datum,
    DecodeError,
    EncodeError,
    Registry,
    TypeSpec,
    invocation_logs,
)
from funcbind.bindings import generic
from funcbind.datum import DatumLike
from funcbind.errors import UnsupportedValueError
from funcbind.function import FunctionPlan, compile_function, parse_bindings
from funcbind.invoke import (
    FunctionInvocationError,
    InvocationContext,
    OutValue,
    RetryInfo,
    TraceInfo,
    default_executor,
    invoke,
    make_executor,
    shutdown_default_executor,
    thread_pool_size,
)
from funcbind.registry import Decoder, Encoder
from funcbind.threadpool import FunctionThreadPool

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # invoke awaits on asyncio's loop and thread pool


@pytest.fixture(autouse=True)
def info_level() -> Iterator[None]:
    """Records below the root logger's level are never created; the host sets INFO."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    yield
    root.setLevel(level)


@pytest.fixture(scope="module")
def executor() -> Iterator[FunctionThreadPool]:
    pool = make_executor(4)
    yield pool
    pool.shutdown()


# -- custom binding types -----------------------------------------------------------------


class Event:
    def __init__(self, body: Any, metadata: Mapping[str, DatumLike] | None) -> None:
        self.body = body
        self.metadata = metadata


class EventTrigger:
    """A custom trigger: Event with the metadata it was given, or str."""

    directions = frozenset({"in"})

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        if spec.kind == "any" or spec.subclass_of(Event):
            return decode_event
        if spec.is_class(str):
            return decode_text
        return None


def decode_event(datum: DatumLike, metadata: Mapping[str, DatumLike] | None) -> Event:
    if datum.type != "string":
        raise DecodeError(f"binding 'event': expected string, got wire type {datum.type!r}")
    return Event(datum.value, metadata)


def decode_text(datum: DatumLike, metadata: Mapping[str, DatumLike] | None) -> str:
    if datum.type != "string":
        raise DecodeError(f"binding 'event': expected string, got wire type {datum.type!r}")
    return str(datum.value)


class SeenMetadata:
    """An input that reports the metadata it was given (None for non-triggers)."""

    directions = frozenset({"in"})

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        return lambda datum, metadata: metadata


class Buggy:
    """A converter whose decoder and encoder fail with bare Python errors."""

    directions = frozenset({"in", "out"})

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        return lambda datum, metadata: {}["missing"]

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        return lambda value: value.nope


class TextOutput:
    directions = frozenset({"out"})

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        return encode_text


def encode_text(value: Any) -> Datum | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnsupportedValueError(f"binding 'text': expected str, got {type(value).__name__}")
    return Datum(value, "string") if value else None  # an empty text sends nothing


def make_registry() -> Registry:
    registry = Registry()
    generic.register(registry)
    registry.register("event", converter=EventTrigger(), trigger=True)
    registry.register("seen", converter=SeenMetadata())
    registry.register("buggy", converter=Buggy())
    registry.register("text", converter=TextOutput())
    return registry


TRIGGER = {"name": "event", "type": "event", "direction": "in"}
RETURN = {"name": "$return", "type": "text", "direction": "out"}


def plan_of(
    function: Callable[..., Any], *raw: dict[str, Any], registry: Registry | None = None
) -> FunctionPlan:
    return compile_function(
        function,
        parse_bindings(list(raw), function=function.__name__),
        name=function.__name__,
        registry=registry or make_registry(),
        directory="/apps/demo/" + function.__name__,
    )


EVENT = {"event": Datum("hello", "string")}


# -- inputs, outputs, return value -----------------------------------------------------------


async def test_inputs_outputs_and_return(executor: FunctionThreadPool) -> None:
    def main(event: Event, doc: dict[str, int], out: func.Out[str], nothing: func.Out[str]) -> str:
        assert isinstance(out, func.Out) and isinstance(out, OutValue)
        out.set(f"{event.body}:{doc['n']}")
        return event.body.upper()

    plan = plan_of(
        main,
        TRIGGER,
        {"name": "doc", "type": "generic", "direction": "in"},
        {"name": "out", "type": "text", "direction": "out"},
        {"name": "nothing", "type": "text", "direction": "out"},
        RETURN,
    )
    result = await invoke(
        plan,
        {"event": Datum("hi", "string"), "doc": Datum('{"n": 3}', "json")},
        invocation_id="inv-1",
        executor=executor,
    )
    assert result.ok and result.error is None and result.stage is None
    assert result.invocation_id == "inv-1" and result.function_name == "main"
    assert result.outputs == {"out": Datum("hi:3", "string")}  # None Outs are left out
    assert result.return_value == Datum("HI", "string")


async def test_an_out_the_encoder_turns_into_nothing_is_left_out(executor: Any) -> None:
    def main(event: str, out: func.Out[str]) -> None:
        out.set("")

    plan = plan_of(main, TRIGGER, {"name": "out", "type": "text", "direction": "out"})
    result = await invoke(plan, EVENT, executor=executor)
    assert result.ok and result.outputs == {}


async def test_trigger_metadata_goes_to_the_trigger_only(executor: FunctionThreadPool) -> None:
    seen: dict[str, Any] = {}

    def main(event: Event, other: Any) -> None:
        seen["trigger"] = event.metadata
        seen["other"] = other

    plan = plan_of(main, TRIGGER, {"name": "other", "type": "seen", "direction": "in"})
    metadata = {"Id": Datum("42", "string")}
    result = await invoke(plan, EVENT, trigger_metadata=metadata, executor=executor)
    assert result.ok
    assert seen == {"trigger": metadata, "other": None}


async def test_a_missing_input_arrives_as_null(executor: FunctionThreadPool) -> None:
    def main(event: str, doc: str | None) -> str:
        return f"{event}/{doc}"

    plan = plan_of(main, TRIGGER, {"name": "doc", "type": "generic", "direction": "in"}, RETURN)
    result = await invoke(plan, EVENT, executor=executor)
    assert result.return_value == Datum("hello/None", "string")


async def test_a_generated_invocation_id(executor: FunctionThreadPool) -> None:
    def main(event: str) -> None: ...

    first = await invoke(plan_of(main, TRIGGER), EVENT, executor=executor)
    second = await invoke(plan_of(main, TRIGGER), EVENT, executor=executor)
    assert len(first.invocation_id) == 36 and first.invocation_id != second.invocation_id


async def test_a_none_returning_function_sends_no_return_value(executor: Any) -> None:
    def main(event: str) -> None: ...

    result = await invoke(plan_of(main, TRIGGER, RETURN), EVENT, executor=executor)
    assert result.ok and result.return_value is None


# -- failures become results -------------------------------------------------------------------


async def test_an_exception_in_the_function(executor: FunctionThreadPool) -> None:
    def main(event: str, out: func.Out[str]) -> str:
        out.set("partial")
        raise ValueError("boom")

    plan = plan_of(main, TRIGGER, {"name": "out", "type": "text", "direction": "out"}, RETURN)
    result = await invoke(plan, EVENT, executor=executor)
    assert not result.ok and result.stage == "call"
    assert isinstance(result.error, FunctionInvocationError)
    assert str(result.error) == "function 'main': function raised ValueError: boom"
    assert isinstance(result.error.original, ValueError)
    assert result.error.__cause__ is result.error.original
    assert result.outputs == {} and result.return_value is None  # nothing half-sent


async def test_an_exception_in_an_async_function() -> None:
    async def main(event: str) -> None:
        await asyncio.sleep(0)
        raise KeyError("k")

    result = await invoke(plan_of(main, TRIGGER), EVENT)
    assert result.stage == "call" and "raised KeyError: 'k'" in str(result.error)


async def test_system_exit_in_user_code_does_not_stop_the_caller(executor: Any) -> None:
    def main(event: str) -> None:
        raise SystemExit(3)

    result = await invoke(plan_of(main, TRIGGER), EVENT, executor=executor)
    assert result.stage == "call" and isinstance(result.error.original, SystemExit)  # type: ignore[union-attr]


async def test_a_trigger_decode_error_calls_nothing(executor: FunctionThreadPool) -> None:
    calls = []

    def main(event: Event) -> None:
        calls.append(event)

    result = await invoke(
        plan_of(main, TRIGGER), {"event": Datum(b"x", "bytes")}, executor=executor
    )
    assert calls == []
    assert result.stage == "decode" and isinstance(result.error, DecodeError)
    assert str(result.error) == (
        "function 'main', parameter 'event', binding 'event': binding 'event': expected string, "
        "got wire type 'bytes'"
    )


async def test_an_input_decode_error(executor: FunctionThreadPool) -> None:
    def main(event: str, doc: int) -> None: ...

    plan = plan_of(main, TRIGGER, {"name": "doc", "type": "generic", "direction": "in"})
    result = await invoke(plan, {**EVENT, "doc": Datum("x", "string")}, executor=executor)
    assert result.stage == "decode"
    assert str(result.error).startswith("function 'main', parameter 'doc', binding 'generic': ")


async def test_a_bare_exception_from_a_decoder_is_wrapped(executor: FunctionThreadPool) -> None:
    def main(event: str, doc: Any) -> None: ...

    plan = plan_of(main, TRIGGER, {"name": "doc", "type": "buggy", "direction": "in"})
    result = await invoke(plan, EVENT, executor=executor)
    assert isinstance(result.error, DecodeError)
    assert str(result.error) == (
        "function 'main', parameter 'doc', binding 'buggy': decoding the input failed: "
        "KeyError: 'missing'"
    )
    assert isinstance(result.error.__cause__, KeyError)


async def test_a_wrong_value_set_on_out(executor: FunctionThreadPool) -> None:
    def main(event: str, out: func.Out[str], fine: func.Out[str]) -> str:
        fine.set("ok")
        out.set(42)  # type: ignore[arg-type]
        return "done"

    plan = plan_of(
        main,
        TRIGGER,
        {"name": "fine", "type": "text", "direction": "out"},
        {"name": "out", "type": "text", "direction": "out"},
        RETURN,
    )
    result = await invoke(plan, EVENT, executor=executor)
    assert result.stage == "encode" and isinstance(result.error, EncodeError)
    assert str(result.error) == (
        "function 'main', output 'out', binding 'text': binding 'text': expected str, got int"
    )
    assert result.outputs == {} and result.return_value is None


async def test_a_wrong_return_value(executor: FunctionThreadPool) -> None:
    def main(event: str):  # type: ignore[no-untyped-def]
        return 3.5

    result = await invoke(plan_of(main, TRIGGER, RETURN), EVENT, executor=executor)
    assert result.stage == "encode"
    assert str(result.error).startswith("function 'main', output '$return', binding 'text': ")


async def test_a_bare_exception_from_an_encoder_is_wrapped(executor: FunctionThreadPool) -> None:
    def main(event: str, out: func.Out[str]) -> None:
        out.set("x")

    plan = plan_of(main, TRIGGER, {"name": "out", "type": "buggy", "direction": "out"})
    result = await invoke(plan, EVENT, executor=executor)
    assert isinstance(result.error, EncodeError)
    assert "output 'out', binding 'buggy': cannot send str 'x': AttributeError" in str(result.error)


async def test_returning_a_value_with_no_return_binding_is_a_logged_warning(
    executor: FunctionThreadPool,
) -> None:
    def main(event):  # type: ignore[no-untyped-def]
        return "lost"

    result = await invoke(plan_of(main, TRIGGER), EVENT, executor=executor)
    assert result.ok and result.return_value is None
    (record,) = result.logs
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "function 'main' returned str 'lost' but has no '$return' output binding; the value "
        "is discarded (add a '$return' binding to send it)"
    )


async def test_a_none_annotated_function_that_returns_a_value(executor: Any) -> None:
    def main(event: str) -> None:
        return "surprise"  # type: ignore[return-value]

    result = await invoke(plan_of(main, TRIGGER, RETURN), EVENT, executor=executor)
    assert result.stage == "encode"
    assert "expected None (the function is annotated '-> None'), got str" in str(result.error)


# -- context -----------------------------------------------------------------------------------


async def test_context(executor: FunctionThreadPool) -> None:
    seen: dict[str, Any] = {}

    def main(event: str, context: func.Context) -> None:
        seen["context"] = context
        seen["local"] = context.thread_local_storage.invocation_id

    plan = plan_of(main, TRIGGER)
    result = await invoke(
        plan,
        EVENT,
        invocation_id="inv-ctx",
        trace_context={
            "trace_parent": "00-abc-def-01",
            "trace_state": "k=v",
            "attributes": {"a": "1"},
        },
        retry_context={
            "retry_count": 2,
            "max_retry_count": 5,
            "exception": {"message": "earlier", "source": "main", "stack_trace": "..."},
        },
        executor=executor,
    )
    assert result.ok
    context = seen["context"]
    assert isinstance(context, func.Context) and isinstance(context, InvocationContext)
    assert context.invocation_id == "inv-ctx"
    assert context.function_name == "main"
    assert context.function_directory == "/apps/demo/main"
    assert context.trace_context.trace_parent == "00-abc-def-01"
    assert context.trace_context.trace_state == "k=v"
    assert context.trace_context.attributes == {"a": "1"}
    assert context.retry_context.retry_count == 2
    assert context.retry_context.max_retry_count == 5
    assert context.retry_context.exception.message == "earlier"
    assert context.retry_context.exception.source == "main"
    assert seen["local"] == "inv-ctx"
    assert "main" in repr(context)


async def test_context_from_objects_and_defaults(executor: FunctionThreadPool) -> None:
    class Trace:
        trace_parent = "00-1-2-01"
        trace_state = None
        attributes = None

    class Retry:
        retry_count = 1
        max_retry_count = 3
        exception = None

    contexts: list[func.Context] = []

    async def main(event: str, context: func.Context) -> None:
        contexts.append(context)

    plan = plan_of(main, TRIGGER)
    await invoke(plan, EVENT, trace_context=Trace(), retry_context=Retry())
    await invoke(plan, EVENT)
    given, default = contexts
    assert given.trace_context.trace_parent == "00-1-2-01"
    assert given.trace_context.trace_state == "" and given.trace_context.attributes == {}
    assert given.retry_context.retry_count == 1 and given.retry_context.exception is None
    assert default.trace_context.trace_parent == ""
    assert (default.retry_context.retry_count, default.retry_context.max_retry_count) == (0, 0)


@pytest.mark.parametrize(
    ("trace_context", "retry_context", "message"),
    [
        (None, {"retry_count": "abc"}, "expected retry_count to be a whole number, got str 'abc'"),
        (None, {"max_retry_count": [1]}, "expected max_retry_count to be a whole number"),
        (None, {"retry_count": float("inf")}, "expected retry_count to be a whole number"),
        ({"attributes": 5}, None, "expected attributes to be a mapping, got int 5"),
        ({"attributes": "k=v"}, None, "expected attributes to be a mapping, got str"),
    ],
)
async def test_a_malformed_context_fails_the_invocation(
    executor: FunctionThreadPool, trace_context: Any, retry_context: Any, message: str
) -> None:
    called = []

    def main(event: str, context: func.Context) -> None:
        called.append(context)

    result = await invoke(
        plan_of(main, TRIGGER),
        EVENT,
        trace_context=trace_context,
        retry_context=retry_context,
        executor=executor,
    )
    assert not result.ok and result.stage == "decode" and not called
    assert isinstance(result.error, DecodeError)
    assert str(result.error).startswith("function 'main', parameter 'context': ")
    assert message in str(result.error)


async def test_a_context_object_that_raises_fails_the_invocation(
    executor: FunctionThreadPool,
) -> None:
    class Broken:
        @property
        def trace_parent(self) -> str:
            raise RuntimeError("no trace")

    def main(event: str, context: func.Context) -> None:
        pass

    result = await invoke(plan_of(main, TRIGGER), EVENT, trace_context=Broken(), executor=executor)
    assert result.stage == "decode" and isinstance(result.error, DecodeError)
    assert "building the context failed: RuntimeError: no trace" in str(result.error)
    assert isinstance(result.error.__cause__, RuntimeError)


def test_context_infos_validate_what_they_are_given() -> None:
    assert RetryInfo.of({"retry_count": "2", "max_retry_count": None}).retry_count == 2
    assert TraceInfo.of({"attributes": {"a": "1"}}).attributes == {"a": "1"}
    with pytest.raises(DecodeError, match="retry context"):
        RetryInfo.of({"max_retry_count": object()})
    with pytest.raises(DecodeError, match="trace context"):
        TraceInfo.of({"attributes": [("a", "1")]})


# -- where functions run -----------------------------------------------------------------------


async def test_sync_functions_run_in_the_pool_async_ones_on_the_loop(
    executor: FunctionThreadPool,
) -> None:
    threads: dict[str, int] = {}

    def sync_main(event: str) -> None:
        threads["sync"] = threading.get_ident()

    async def async_main(event: str) -> None:
        threads["async"] = threading.get_ident()

    await invoke(plan_of(sync_main, TRIGGER), EVENT, executor=executor)
    await invoke(plan_of(async_main, TRIGGER), EVENT, executor=executor)
    loop_thread = threading.get_ident()
    assert threads["async"] == loop_thread
    assert threads["sync"] != loop_thread
    assert threads["sync"] in {thread.ident for thread in executor.threads}


@pytest.fixture
def default_pool() -> Iterator[None]:
    """Stop the process-wide pool a test started, so its threads do not outlive the test."""
    yield
    pool = default_executor()
    shutdown_default_executor()
    assert all(not thread.is_alive() for thread in pool.threads)


@pytest.mark.usefixtures("default_pool")
async def test_the_default_pool_is_named_and_used_without_an_executor() -> None:
    names = []

    def main(event: str) -> None:
        names.append(threading.current_thread().name)

    await invoke(plan_of(main, TRIGGER), EVENT)
    assert names[0].startswith("funcbind-function")


async def test_the_pool_bounds_concurrency() -> None:
    lock = threading.Lock()
    running = 0
    peak = 0
    both_running = threading.Barrier(2, timeout=10)

    def main(event: str) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            both_running.wait()  # proves two run at once; a third would break the barrier
        finally:
            with lock:
                running -= 1

    plan = plan_of(main, TRIGGER)
    with make_executor(2) as pool:
        results = await asyncio.gather(*(invoke(plan, EVENT, executor=pool) for _ in range(6)))
    assert all(result.ok for result in results)
    assert peak == 2


async def test_any_executor_the_caller_passes_is_used() -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    request_id.set("from the caller")
    seen = []

    def main(event: str) -> str:
        seen.append((threading.current_thread().name, request_id.get()))
        return "done"

    with ThreadPoolExecutor(1, thread_name_prefix="callers-own") as pool:
        result = await invoke(plan_of(main, TRIGGER, RETURN), EVENT, executor=pool)
    assert result.return_value == Datum("done", "string")
    assert seen[0][0].startswith("callers-own")
    assert seen[0][1] == "from the caller"


async def test_context_variables_are_copied_into_the_thread(executor: Any) -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    request_id.set("from the caller")
    seen = []

    def main(event: str) -> None:
        seen.append(request_id.get())

    await invoke(plan_of(main, TRIGGER), EVENT, executor=executor)
    assert seen == ["from the caller"]


async def test_a_sync_wrapper_around_a_coroutine_is_awaited(executor: FunctionThreadPool) -> None:
    async def inner(event: str) -> str:
        await asyncio.sleep(0)
        return "awaited"

    def main(event: str) -> Any:
        return inner(event)

    result = await invoke(plan_of(main, TRIGGER, RETURN), EVENT, executor=executor)
    assert result.return_value == Datum("awaited", "string")


def test_thread_pool_size(caplog: pytest.LogCaptureFixture) -> None:
    assert thread_pool_size({"PYTHON_THREADPOOL_THREAD_COUNT": "3"}) == 3
    default = thread_pool_size({})
    assert 1 <= default <= 32
    with caplog.at_level(logging.WARNING, logger="funcbind.invoke"):
        assert thread_pool_size({"PYTHON_THREADPOOL_THREAD_COUNT": "many"}) == default
        assert thread_pool_size({"PYTHON_THREADPOOL_THREAD_COUNT": "0"}) == default
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "PYTHON_THREADPOOL_THREAD_COUNT",
        "PYTHON_THREADPOOL_THREAD_COUNT",
    ]
    assert "got 'many'" in caplog.records[0].getMessage()


def test_make_executor_reads_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_THREADPOOL_THREAD_COUNT", "5")
    with make_executor() as pool:
        assert pool.max_workers == 5
    with make_executor(2) as pool:
        assert pool.max_workers == 2
    with pytest.raises(ValueError, match="at least 1"):
        make_executor(0)


# -- compile once, run many --------------------------------------------------------------------


class CountingRegistry(Registry):
    """Counts every lookup and compilation the registry is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def get(self, name: str) -> Any:
        self.calls.append(f"get {name}")
        return super().get(name)

    def resolve(self, name: str) -> Any:
        self.calls.append(f"resolve {name}")
        return super().resolve(name)

    def decoder(self, binding_type: str, annotation: object, binding: Any = None) -> Decoder:
        self.calls.append(f"decoder {binding_type}")
        return super().decoder(binding_type, annotation, binding)

    def encoder(self, binding_type: str, annotation: object, binding: Any = None) -> Encoder:
        self.calls.append(f"encoder {binding_type}")
        return super().encoder(binding_type, annotation, binding)

    def _build(self, *args: Any) -> Any:
        self.calls.append(f"build {args[1]}")
        return super()._build(*args)


async def test_invocations_never_consult_the_registry(executor: FunctionThreadPool) -> None:
    registry = CountingRegistry()
    generic.register(registry)
    registry.register("event", converter=EventTrigger(), trigger=True)
    registry.register("text", converter=TextOutput())

    def sync_main(event: Event, doc: dict[str, Any], out: func.Out[str]) -> str:
        out.set(event.body)
        return str(doc)

    async def async_main(event: Event, doc: dict[str, Any], out: func.Out[str]) -> str:
        out.set(event.body)
        return str(doc)

    raw = (
        TRIGGER,
        {"name": "doc", "type": "generic", "direction": "in"},
        {"name": "out", "type": "text", "direction": "out"},
        RETURN,
    )
    plans = [
        plan_of(sync_main, *raw, registry=registry),
        plan_of(async_main, *raw, registry=registry),
    ]
    assert any(call.startswith("build") for call in registry.calls)  # compiling does consult it
    registry.calls.clear()
    inputs = {"event": Datum("e", "string"), "doc": Datum('{"a": 1}', "json")}
    for _ in range(25):
        for plan in plans:
            result = await invoke(plan, inputs, executor=executor)
            assert result.ok and result.outputs == {"out": Datum("e", "string")}
    assert registry.calls == []


# -- logging -----------------------------------------------------------------------------------


async def test_logs_are_collected_and_tagged(executor: FunctionThreadPool) -> None:
    named = logging.getLogger("tests.invoke.named")

    def main(event: str) -> None:
        logging.info("root %s", event)
        named.warning("named")

    result = await invoke(plan_of(main, TRIGGER), EVENT, invocation_id="inv-log", executor=executor)
    assert [r.getMessage() for r in result.logs] == ["root hello", "named"]
    assert [r.name for r in result.logs] == ["root", "tests.invoke.named"]
    for record in result.logs:
        assert record.funcbind_invocation_id == "inv-log"  # type: ignore[attr-defined]
        assert record.funcbind_function_name == "main"  # type: ignore[attr-defined]


async def test_records_outside_invocations_are_tagged_none() -> None:
    invocation_logs.install()
    record = logging.getLogger("tests.invoke").makeRecord("x", logging.INFO, "f", 1, "m", (), None)
    assert record.funcbind_invocation_id is None  # type: ignore[attr-defined]
    assert invocation_logs.current_invocation() is None


async def test_a_thread_naming_an_invocation_not_collecting_tags_only_its_id() -> None:
    invocation_logs.install()
    storage = invocation_logs.thread_local_storage()
    storage.invocation_id = "finished-earlier"
    try:
        logger = logging.getLogger("tests.invoke")
        record = logger.makeRecord("x", logging.INFO, "f", 1, "m", (), None)
    finally:
        storage.invocation_id = None
    assert record.funcbind_invocation_id == "finished-earlier"  # type: ignore[attr-defined]
    assert record.funcbind_function_name is None  # type: ignore[attr-defined]


async def test_logs_of_a_non_propagating_logger_are_still_collected(executor: Any) -> None:
    quiet = logging.getLogger("tests.invoke.quiet")
    quiet.propagate = False
    try:

        def main(event: str) -> None:
            quiet.error("kept")

        result = await invoke(plan_of(main, TRIGGER), EVENT, executor=executor)
    finally:
        quiet.propagate = True
    assert [r.getMessage() for r in result.logs] == ["kept"]


async def test_logs_from_the_functions_own_tasks_and_threads() -> None:
    async def main(event: str, context: func.Context) -> None:
        async def child() -> None:
            await asyncio.sleep(0)
            logging.info("from a task")

        await asyncio.gather(child(), child())

        def in_thread() -> None:
            context.thread_local_storage.invocation_id = context.invocation_id
            logging.info("from a thread")
            context.thread_local_storage.invocation_id = None

        def untagged_thread() -> None:
            logging.info("from an untagged thread")

        for target in (in_thread, untagged_thread):
            thread = threading.Thread(target=target)
            thread.start()
            thread.join()

    result = await invoke(plan_of(main, TRIGGER), EVENT)
    assert [r.getMessage() for r in result.logs] == ["from a task", "from a task", "from a thread"]


async def test_records_after_the_invocation_are_not_collected() -> None:
    leftovers: list[asyncio.Task[None]] = []

    async def main(event: str) -> None:
        async def later() -> None:
            await asyncio.sleep(0.01)
            logging.info("too late")

        leftovers.append(asyncio.create_task(later()))

    result = await invoke(plan_of(main, TRIGGER), EVENT, invocation_id="inv-late")
    await leftovers[0]
    assert result.logs == []


async def test_concurrent_invocations_each_see_only_their_own_records() -> None:
    async def async_main(event: str, context: func.Context) -> None:
        for step in range(5):
            logging.info("%s step %d", context.invocation_id, step)
            await asyncio.sleep(0)

    def sync_main(event: str, context: func.Context) -> None:
        for step in range(5):
            logging.getLogger("tests.invoke.sync").info("%s step %d", context.invocation_id, step)

    plans = [plan_of(async_main, TRIGGER), plan_of(sync_main, TRIGGER)]
    with make_executor(4) as pool:
        results = await asyncio.gather(
            *(
                invoke(plans[n % 2], EVENT, invocation_id=f"inv-{n}", executor=pool)
                for n in range(40)
            )
        )
    for n, result in enumerate(results):
        assert result.ok
        assert [r.getMessage() for r in result.logs] == [f"inv-{n} step {s}" for s in range(5)]
        assert {r.funcbind_invocation_id for r in result.logs} == {f"inv-{n}"}  # type: ignore[attr-defined]


async def test_installing_twice_never_collects_twice(executor: FunctionThreadPool) -> None:
    original = logging.getLogRecordFactory()
    try:
        invocation_logs.install()
        invocation_logs.install()
        ours = logging.getLogRecordFactory()

        # Someone wraps our factory; installing again wraps theirs; records are still single.
        def theirs(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return ours(*args, **kwargs)

        logging.setLogRecordFactory(theirs)
        invocation_logs.install()

        def main(event: str) -> None:
            logging.info("once")

        result = await invoke(plan_of(main, TRIGGER), EVENT, executor=executor)
        assert [r.getMessage() for r in result.logs] == ["once"]
    finally:
        logging.setLogRecordFactory(original)


async def test_invoke_puts_tagging_back_when_the_factory_was_replaced(executor: Any) -> None:
    original = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)
    try:

        def main(event: str) -> None:
            logging.info("still collected")

        result = await invoke(plan_of(main, TRIGGER), EVENT, executor=executor)
        assert [r.getMessage() for r in result.logs] == ["still collected"]
    finally:
        logging.setLogRecordFactory(original)
