"""Calling a function yourself, with arguments made by the real converters.

:func:`call` runs one function of an app (a folder, or a ``FunctionApp`` object you
imported) with events or ready objects as arguments: an :class:`~.events.Event` goes
through the function's own compiled decoder, exactly as in the host; anything else is
passed unchanged.  :func:`http_request`, :func:`queue_message`, :func:`input_stream`
and :func:`timer_request` build the objects a function receives -- the real lazy
``HttpRequest``, ``QueueMessage``, ``InputStream``, ``TimerRequest`` -- for tests that
call the user's function themselves.  Nothing here needs a host, storage or a server.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..datum import Datum
from ..errors import FuncbindError
from ..function import FunctionPlan
from . import events
from .events import Event, EventError

if TYPE_CHECKING:
    import azure.functions as func

    from ..loader import LoadedApp
    from ..registry import Registry

__all__ = [
    "CallError",
    "acall",
    "call",
    "http_request",
    "input_stream",
    "queue_message",
    "timer_request",
]


class CallError(FuncbindError, LookupError):
    """A function or an argument of a direct call does not exist or does not fit."""


# -- the objects a function receives --------------------------------------------


def http_request(method: str = "GET", url: str = "/", **fields: Any) -> func.HttpRequest:
    """The ``HttpRequest`` a function receives for this request (see :func:`.events.http`)."""
    import azure.functions as func

    return _decode(events.http(method, url, **fields), func.HttpRequest)  # type: ignore[no-any-return]


def queue_message(body: Any = "", **fields: Any) -> func.QueueMessage:
    """The ``QueueMessage`` a function receives (see :func:`.events.queue`)."""
    import azure.functions as func

    return _decode(events.queue(body, **fields), func.QueueMessage)  # type: ignore[no-any-return]


def input_stream(
    path: str = "samples/blob.txt", content: bytes | str = b"", **fields: Any
) -> func.InputStream:
    """The ``InputStream`` a blob trigger receives (see :func:`.events.blob`)."""
    import azure.functions as func

    return _decode(events.blob(path, content, **fields), func.InputStream)  # type: ignore[no-any-return]


def timer_request(**fields: Any) -> func.TimerRequest:
    """The ``TimerRequest`` a timer trigger receives (see :func:`.events.timer`)."""
    import azure.functions as func

    return _decode(events.timer(**fields), func.TimerRequest)  # type: ignore[no-any-return]


class _Registries:
    """The registry the helpers decode with, built on first use (module state)."""

    registry: Registry | None = None
    lock = threading.Lock()

    @classmethod
    def get(cls) -> Registry:
        with cls.lock:
            if cls.registry is None:
                from ..registry import default_registry

                cls.registry = default_registry(plugins=True)
            return cls.registry


def _decode(event: Event, annotation: object) -> Any:
    from ..registry import BindingSpec

    binding = BindingSpec(type=event.trigger_type, name="trigger", direction="in")
    decoder = _Registries.get().decoder(event.trigger_type, annotation, binding)
    return decoder(event.payload, event.metadata)


# -- calling a function -------------------------------------------------------------


def call(app: Any, name: str, /, **arguments: Any) -> Any:
    """Call function ``name`` of ``app`` and return what it returns.

    ``app`` is an app folder or a ``FunctionApp`` object.  Each argument is named after
    its binding: an :class:`~.events.Event` (or a Datum) is decoded by the function's
    own converter, any other value is passed as it is.  An ``Out`` parameter left out
    receives a fresh ``Out`` (pass your own to read what the function set); ``context``
    is made for you.  A coroutine function is run to its end (use :func:`acall` from
    async code).
    """
    plan = _plan(app, name)
    kwargs = _arguments(plan, arguments)
    if not plan.is_async:
        returned = plan.function(**kwargs)
        return _run(returned) if inspect.isawaitable(returned) else returned
    return _run(plan.function(**kwargs))


async def acall(app: Any, name: str, /, **arguments: Any) -> Any:
    """:func:`call` for async tests: a coroutine function is awaited on this loop."""
    plan = _plan(app, name)
    returned = plan.function(**_arguments(plan, arguments))
    return await returned if inspect.isawaitable(returned) else returned


def _run(awaitable: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(awaitable))
    awaitable.close()
    raise CallError(
        "call() cannot run a coroutine function inside a running event loop; "
        "use 'await acall(...)' there"
    )


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _plan(app: Any, name: str) -> FunctionPlan:
    loaded = _loaded(app)
    plan = loaded.functions.get(name)
    if plan is None:
        folded = name.casefold()
        plan = next((p for p in loaded.functions.values() if p.name.casefold() == folded), None)
    if plan is not None:
        return plan
    if name in loaded.errors:
        raise CallError(f"function {name!r} failed to load: {loaded.errors[name].message}")
    known = ", ".join(sorted(loaded.functions)) or "none"
    raise CallError(f"expected the name of a function of the app ({known}), got {name!r}")


# Loaded apps by folder, and by FunctionApp object (kept alive by the app itself).
_loaded_folders: dict[Path, LoadedApp] = {}
_loaded_objects: dict[int, tuple[Any, LoadedApp]] = {}


def _loaded(app: Any) -> LoadedApp:
    from ..loader import LoadedApp, load_app, load_function_app

    if isinstance(app, LoadedApp):
        return app
    if isinstance(app, str | Path):
        folder = Path(app).resolve()
        found = _loaded_folders.get(folder)
        if found is None:
            found = _loaded_folders[folder] = load_app(folder)
        return found
    import azure.functions as func

    if isinstance(app, func.FunctionRegister):
        entry = _loaded_objects.get(id(app))
        if entry is None or entry[0] is not app:
            entry = (app, load_function_app(app, defining_file(app)))
            _loaded_objects[id(app)] = entry
        return entry[1]
    raise CallError(
        f"expected an app folder or an azure.functions.FunctionApp, got {type(app).__name__}"
    )


def defining_file(function_app: Any) -> Path:
    """The file of the module that holds ``function_app`` as a global."""
    for module in list(sys.modules.values()):
        origin = getattr(module, "__file__", None)
        if origin is None:
            continue
        try:
            held = any(value is function_app for value in vars(module).values())
        except TypeError:
            continue
        if held:
            return Path(origin)
    raise CallError(
        "cannot tell which file defines this FunctionApp; give the app folder instead, or "
        "assign the FunctionApp to a module-level name (app = func.FunctionApp())"
    )


def _arguments(plan: FunctionPlan, given: Mapping[str, Any]) -> dict[str, Any]:
    from ..invoke import InvocationContext, OutValue

    names = {p.name for p in plan.params}
    unknown = sorted(set(given) - names)
    if unknown:
        raise CallError(
            f"function {plan.name!r} has no parameter {', '.join(map(repr, unknown))}; its "
            f"parameters: {', '.join(p.name for p in plan.params)}"
        )
    kwargs: dict[str, Any] = {}
    for param in plan.params:
        if param.is_context:
            kwargs[param.name] = given.get(param.name) or InvocationContext(
                str(uuid.uuid4()), plan.name, str(plan.directory)
            )
        elif param.is_out:
            kwargs[param.name] = given[param.name] if param.name in given else OutValue()
        elif param.decoder is not None:
            kwargs[param.name] = _input(plan, param.name, param.is_trigger, given)
    return kwargs


def _input(plan: FunctionPlan, name: str, is_trigger: bool, given: Mapping[str, Any]) -> Any:
    param = next(p for p in plan.params if p.name == name)
    assert param.decoder is not None and param.binding is not None
    binding_type = param.binding.type
    if name not in given:
        if is_trigger:
            kind = events.for_trigger(binding_type)
            hint = f" such as events.{kind.name}(...)" if kind is not None else ""
            raise CallError(
                f"function {plan.name!r}: expected the trigger argument {name}= "
                f"({binding_type}){hint}"
            )
        return param.decoder(Datum(None, None), None)
    value = given[name]
    if isinstance(value, Event):
        if is_trigger and value.trigger_type.casefold() != binding_type.casefold():
            raise EventError(
                f"function {plan.name!r}: the trigger {name!r} is a {binding_type}, got a "
                f"{value.kind} event (for {value.trigger_type})"
            )
        return param.decoder(value.payload, value.metadata if is_trigger else None)
    if isinstance(value, Datum):
        return param.decoder(value, None)
    return value
