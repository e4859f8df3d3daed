"""Running a FunctionPlan: decode the inputs, call the function, encode the outputs.

An invocation only walks what :func:`~funcbind.function.compile_function` resolved:
no registry lookup, no annotation, no ``issubclass``.  Async functions are awaited
on the caller's event loop; sync functions run in a bounded thread pool with the
caller's context variables copied in.  Nothing raised by a decoder, the function or
an encoder escapes: it becomes a failed :class:`InvocationResult` that names the
function, the parameter or output, and the binding -- and carries no outputs, so a
caller deletes a queue message or writes a blob only after success.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import logging
import os
import threading
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import azure.functions
from azure.functions import _abc as azure_abc

from . import invocation_logs
from .datum import Datum, DatumLike
from .errors import DecodeError, EncodeError, FuncbindError, describe
from .function import FunctionPlan, ParamPlan
from .sync_calls import SyncCall
from .threadpool import FunctionThreadPool

__all__ = [
    "THREAD_COUNT_SETTING",
    "ExceptionInfo",
    "FunctionInvocationError",
    "InvocationContext",
    "InvocationResult",
    "OutValue",
    "RetryInfo",
    "TraceInfo",
    "default_executor",
    "invoke",
    "make_executor",
    "shutdown_default_executor",
    "thread_pool_size",
]

THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"
Stage = Literal["decode", "call", "encode"]

_logger = logging.getLogger("funcbind.invoke")
_NULL = Datum(None, None)


class FunctionInvocationError(FuncbindError):
    """The function itself raised; the original exception is ``original`` (and the cause)."""

    original: BaseException


class InvocationResult(invocation_logs.InvocationLog):
    """What one invocation produced.

    ``outputs`` holds the Datum of each ``Out`` binding that was set to something
    other than None; ``return_value`` the Datum for the return binding (None when
    nothing is to be sent).  On failure both are empty, ``error`` says what went
    wrong and ``stage`` where: ``"decode"`` (an input, the trigger included: the
    caller keeps the message and decides about retries), ``"call"`` or ``"encode"``.
    ``logs`` are the records the invocation emitted, in order.
    """

    # The result is also the invocation's log (one object per call, not two).
    __slots__ = ("error", "outputs", "return_value", "stage")

    def __init__(self, invocation_id: str, function_name: str) -> None:
        # The log's fields set here rather than through super(): one call less per invocation.
        self.invocation_id = invocation_id
        self.function_name = function_name
        self.records = []
        self.open = True
        self.outputs: dict[str, Datum] = {}
        self.return_value: Datum | None = None
        self.error: BaseException | None = None
        self.stage: Stage | None = None

    @property
    def logs(self) -> list[logging.LogRecord]:
        return self.records

    @property
    def ok(self) -> bool:
        return self.error is None

    def failed(self, stage: Stage, error: BaseException) -> InvocationResult:
        """Mark the invocation failed: nothing is to be sent."""
        self.error = error
        self.stage = stage
        self.outputs = {}
        self.return_value = None
        return self

    def __repr__(self) -> str:
        state = "ok" if self.error is None else f"failed at {self.stage}: {self.error}"
        return f"<InvocationResult {self.function_name!r} {self.invocation_id!r} {state}>"


# -- what the function receives ------------------------------------------------


class OutValue(azure.functions.Out[Any]):
    """The object an ``Out[T]`` parameter receives; None (the default) sends nothing."""

    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value

    def __repr__(self) -> str:
        return f"<Out {describe(self._value)}>"


class TraceInfo(azure_abc.TraceContext):
    """Distributed-tracing context of an invocation (W3C ``traceparent``/``tracestate``)."""

    def __init__(
        self,
        trace_parent: str = "",
        trace_state: str = "",
        attributes: Mapping[str, str] | None = None,
    ) -> None:
        self._trace_parent = trace_parent
        self._trace_state = trace_state
        self._attributes = dict(attributes or {})

    @property
    def trace_parent(self) -> str:
        return self._trace_parent

    @property
    def trace_state(self) -> str:
        return self._trace_state

    @property
    def attributes(self) -> dict[str, str]:
        return self._attributes

    @classmethod
    def of(cls, value: object) -> TraceInfo:
        """From None, a mapping or any object with the three attributes (a gRPC message)."""
        if isinstance(value, TraceInfo):
            return value
        if value is None:
            return cls()
        get = value.get if isinstance(value, Mapping) else _attribute_getter(value)
        attributes = get("attributes", None) or {}
        if not hasattr(attributes, "keys"):  # what dict() needs to copy a mapping
            raise DecodeError(
                f"trace context: expected attributes to be a mapping, got {describe(attributes)}"
            )
        return cls(
            trace_parent=get("trace_parent", "") or "",
            trace_state=get("trace_state", "") or "",
            attributes=dict(attributes),
        )


class ExceptionInfo(azure_abc.RpcException):
    """The exception of the previous attempt, as the host reports it in a retry."""

    def __init__(self, message: str = "", source: str = "", stack_trace: str = "") -> None:
        self._message = message
        self._source = source
        self._stack_trace = stack_trace

    @property
    def message(self) -> str:
        return self._message

    @property
    def source(self) -> str:
        return self._source

    @property
    def stack_trace(self) -> str:
        return self._stack_trace


class RetryInfo(azure_abc.RetryContext):
    """Which attempt this is, when the function has a retry policy."""

    def __init__(
        self,
        retry_count: int = 0,
        max_retry_count: int = 0,
        exception: azure_abc.RpcException | None = None,
    ) -> None:
        self._retry_count = retry_count
        self._max_retry_count = max_retry_count
        self._exception = exception

    @property
    def retry_count(self) -> int:
        return self._retry_count

    @property
    def max_retry_count(self) -> int:
        return self._max_retry_count

    @property
    def exception(self) -> azure_abc.RpcException:
        return self._exception  # type: ignore[return-value]  # None on a first attempt

    @classmethod
    def of(cls, value: object) -> RetryInfo:
        """From None, a mapping or any object with the three attributes (a gRPC message)."""
        if isinstance(value, RetryInfo):
            return value
        if value is None:
            return cls()
        get = value.get if isinstance(value, Mapping) else _attribute_getter(value)
        exception = get("exception", None)
        if exception is not None and not isinstance(exception, azure_abc.RpcException):
            read = exception.get if isinstance(exception, Mapping) else _attribute_getter(exception)
            exception = ExceptionInfo(
                message=read("message", "") or "",
                source=read("source", "") or "",
                stack_trace=read("stack_trace", "") or "",
            )
        return cls(
            retry_count=_count(get("retry_count", 0), "retry_count"),
            max_retry_count=_count(get("max_retry_count", 0), "max_retry_count"),
            exception=exception,
        )


def _count(value: Any, field: str) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError, OverflowError):
        raise DecodeError(
            f"retry context: expected {field} to be a whole number, got {describe(value)}"
        ) from None


class InvocationContext(azure.functions.Context):
    """The ``context`` parameter: who is running, where, and as which attempt."""

    def __init__(
        self,
        invocation_id: str,
        function_name: str,
        function_directory: str,
        trace_context: TraceInfo | None = None,
        retry_context: RetryInfo | None = None,
    ) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory
        self._trace_context = trace_context if trace_context is not None else TraceInfo()
        self._retry_context = retry_context if retry_context is not None else RetryInfo()

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> TraceInfo:
        return self._trace_context

    @property
    def retry_context(self) -> RetryInfo:
        return self._retry_context

    @property
    def thread_local_storage(self) -> threading.local:  # type: ignore[override]
        """Per-thread storage; set ``.invocation_id`` in a thread you start to tag its logs."""
        return invocation_logs.thread_local_storage()

    def __repr__(self) -> str:
        return f"<Context {self._function_name!r} {self._invocation_id!r}>"


def _attribute_getter(obj: object) -> Callable[[str, Any], Any]:
    return lambda name, default: getattr(obj, name, default)


# -- the thread pool ------------------------------------------------------------


class _DefaultPool:
    """The process-wide pool (module state without ``global``)."""

    executor: FunctionThreadPool | None = None
    lock = threading.Lock()


def thread_pool_size(environ: Mapping[str, str] | None = None) -> int:
    """Workers for sync functions: ``PYTHON_THREADPOOL_THREAD_COUNT``, else Python's default.

    An invalid setting is reported as a warning and the default used, as the Azure
    worker does.
    """
    default = min(32, (os.cpu_count() or 1) + 4)
    raw = (os.environ if environ is None else environ).get(THREAD_COUNT_SETTING)
    if raw is None or not raw.strip():
        return default
    try:
        size = int(raw)
        if size < 1:
            raise ValueError("it must be at least 1")
    except ValueError as exc:
        _logger.warning(
            "%s: expected a whole number of threads (at least 1), got %r (%s); using %d",
            THREAD_COUNT_SETTING,
            raw,
            exc,
            default,
        )
        return default
    return size


def make_executor(max_workers: int | None = None) -> FunctionThreadPool:
    """A thread pool for sync functions, sized by ``max_workers`` or the setting."""
    size = max_workers if max_workers is not None else thread_pool_size()
    return FunctionThreadPool(size, thread_name_prefix="funcbind-function")


def default_executor() -> FunctionThreadPool:
    """The process-wide pool :func:`invoke` uses when given none (created on first use)."""
    executor = _DefaultPool.executor
    if executor is None:
        with _DefaultPool.lock:
            if _DefaultPool.executor is None:
                _DefaultPool.executor = make_executor()
            executor = _DefaultPool.executor
    return executor


def shutdown_default_executor(*, wait: bool = True) -> None:
    """Shut the default pool down (a host stopping); the next invoke creates a new one."""
    with _DefaultPool.lock:
        executor, _DefaultPool.executor = _DefaultPool.executor, None
    if executor is not None:
        executor.shutdown(wait=wait)


# -- invoking -------------------------------------------------------------------


async def invoke(
    plan: FunctionPlan,
    inputs: Mapping[str, DatumLike],
    *,
    trigger_metadata: Mapping[str, DatumLike] | None = None,
    invocation_id: str | None = None,
    trace_context: object = None,
    retry_context: object = None,
    executor: concurrent.futures.Executor | None = None,
) -> InvocationResult:
    """Run one invocation of ``plan``; never raises for anything the function or data did.

    ``inputs`` maps binding names to Datums (an input binding left out arrives as
    null, which a converter accepts for an Optional annotation).  ``trigger_metadata``
    goes to the trigger's decoder only.  ``trace_context`` and ``retry_context`` may be
    mappings or objects with the fields of the host's messages.
    """
    # One flat coroutine on purpose: this is the hot path of every invocation.
    if invocation_id is None:
        invocation_id = str(uuid.uuid4())
    result = InvocationResult(invocation_id, plan.name)
    token = invocation_logs.enter(result)
    context_parameter = plan.context_parameter
    try:
        kwargs: dict[str, Any] = {}
        for name, decoder, is_trigger in plan.decode_steps:
            datum = inputs.get(name)
            try:
                kwargs[name] = decoder(
                    _NULL if datum is None else datum, trigger_metadata if is_trigger else None
                )
            except Exception as exc:
                return result.failed("decode", _decode_error(plan, name, exc))
        out_params = plan.out_params
        for param in out_params:
            kwargs[param.name] = OutValue()
        if context_parameter is not None:
            invocation_logs.reachable_from_threads(result)
            try:
                kwargs[context_parameter] = InvocationContext(
                    invocation_id,
                    plan.name,
                    str(plan.directory),
                    TraceInfo.of(trace_context),
                    RetryInfo.of(retry_context),
                )
            except Exception as exc:
                return result.failed("decode", _context_error(plan, exc))

        try:
            if plan.is_async:
                returned = await plan.function(**kwargs)
            else:
                # _call_sync's steps here, not a coroutine of their own: one layer less
                # for every sync invocation to enter and resume.
                sync_call = SyncCall(invocation_id)
                pool = executor if executor is not None else default_executor()
                try:
                    returned = await _in_thread(pool, plan.function, kwargs, sync_call)
                except BaseException:
                    _abandon(pool, sync_call)
                    raise
                if inspect.isawaitable(returned):  # a sync wrapper around a coroutine function
                    returned = await returned
        except (Exception, SystemExit) as exc:
            return result.failed("call", _call_error(plan, exc))

        if out_params and not _encode_outputs(plan, kwargs, result):
            return result

        encoder = plan.return_encoder
        if encoder is not None:
            try:
                result.return_value = encoder(returned)
            except Exception as exc:
                return result.failed("encode", _encode_error(plan, "$return", None, returned, exc))
        elif returned is not None:
            _logger.warning(
                "function %r returned %s but has no '$return' output binding; the value is "
                "discarded (add a '$return' binding to send it)",
                plan.name,
                describe(returned),
            )
        return result
    finally:
        invocation_logs.end(result, token, context_parameter is not None)


async def _call_sync(
    function: Callable[..., Any],
    kwargs: dict[str, Any],
    invocation_id: str,
    executor: concurrent.futures.Executor | None,
) -> Any:
    """Run a sync function in the pool, the caller's context variables copied in."""
    pool = executor if executor is not None else default_executor()
    # Registered so that a host that stops waiting (a timeout) can tell whether the
    # thread still runs the function.
    sync_call = SyncCall(invocation_id)
    try:
        return await _in_thread(pool, function, kwargs, sync_call)
    except BaseException:
        _abandon(pool, sync_call)
        raise


def _in_thread(
    pool: concurrent.futures.Executor,
    function: Callable[..., Any],
    kwargs: dict[str, Any],
    sync_call: SyncCall,
) -> Awaitable[Any]:
    """The call in a pool thread with the caller's context variables, to await."""
    call = contextvars.copy_context().run
    if isinstance(pool, FunctionThreadPool):
        return pool.run(call, _call_in_thread, function, kwargs, sync_call)
    # Any other Executor the caller chose.
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(pool, call, _call_in_thread, function, kwargs, sync_call)


def _abandon(pool: concurrent.futures.Executor, sync_call: SyncCall) -> None:
    """The caller stopped waiting.  A thread still running the abandoned call is lent
    back to the pool: the pool may start another in its place until it ends, and so
    keeps serving."""
    if isinstance(pool, FunctionThreadPool):
        pool.cover_stuck(sync_call.abandon)
    else:
        sync_call.abandon()


def _encode_outputs(plan: FunctionPlan, kwargs: dict[str, Any], result: InvocationResult) -> bool:
    """Encode what the ``Out`` parameters were set to into ``result``; False when one
    failed (``result`` then says which)."""
    outputs = result.outputs
    for param in plan.out_params:
        value = kwargs[param.name]._value
        if value is None:
            continue
        try:
            datum = param.encoder(value)  # type: ignore[misc]
        except Exception as exc:
            result.failed("encode", _encode_error(plan, param.name, param, value, exc))
            return False
        if datum is not None:
            outputs[param.name] = datum
    return True


def _call_in_thread(
    function: Callable[..., Any], kwargs: dict[str, Any], sync_call: SyncCall
) -> Any:
    storage = invocation_logs.thread_local_storage()
    storage.invocation_id = sync_call.invocation_id
    try:
        return sync_call.run(function, kwargs)
    finally:
        storage.invocation_id = None


def _binding_type(param: ParamPlan | None, plan: FunctionPlan) -> str | None:
    if param is not None and param.binding is not None:
        return param.binding.type
    return plan.return_binding.type if plan.return_binding is not None else None


def _decode_error(plan: FunctionPlan, name: str, exc: Exception) -> FuncbindError:
    param = next(p for p in plan.input_params if p.name == name)
    binding = _binding_type(param, plan)
    what = "trigger" if param.is_trigger else "input"
    if isinstance(exc, FuncbindError):
        error = exc.at(function=plan.name, parameter=param.name, binding=binding)
    else:
        error = DecodeError(f"decoding the {what} failed: {type(exc).__name__}: {exc}").at(
            function=plan.name, parameter=param.name, binding=binding
        )
    error.__cause__ = exc
    return error


def _context_error(plan: FunctionPlan, exc: Exception) -> FuncbindError:
    if isinstance(exc, FuncbindError):
        error = exc.at(function=plan.name, parameter=plan.context_parameter)
    else:
        error = DecodeError(f"building the context failed: {type(exc).__name__}: {exc}").at(
            function=plan.name, parameter=plan.context_parameter
        )
    error.__cause__ = exc
    return error


def _call_error(plan: FunctionPlan, exc: BaseException) -> FunctionInvocationError:
    error = FunctionInvocationError(f"function raised {type(exc).__name__}: {exc}").at(
        function=plan.name
    )
    error.original = exc
    error.__cause__ = exc
    return error


def _encode_error(
    plan: FunctionPlan, output: str, param: ParamPlan | None, value: object, exc: Exception
) -> FuncbindError:
    binding = _binding_type(param, plan)
    if isinstance(exc, FuncbindError):
        error = exc.at(function=plan.name, output=output, binding=binding)
    else:
        error = EncodeError(f"cannot send {describe(value)}: {type(exc).__name__}: {exc}").at(
            function=plan.name, output=output, binding=binding
        )
    error.__cause__ = exc
    return error
