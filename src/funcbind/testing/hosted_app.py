"""The app as the test client hosts it: loaded as ``funcbind run`` loads it, observed,
and the trigger inputs an event becomes.

With :mod:`funcbind.testing.hosting`, the modules of :mod:`funcbind.testing` that reach
into the host (through its public modules; trigger modules only through the kinds table).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..datum import Datum
from ..errors import FunctionLoadError
from .events import Event, EventError

if TYPE_CHECKING:
    from ..function import FunctionPlan
    from ..host.model import HostedApp, HostedFunction

__all__ = [
    "app_folder",
    "apply_environment",
    "load_app",
    "observe",
    "trigger_inputs",
    "uses_development_storage",
    "uses_storage",
]

# Loggers funcbind run quiets (the storage SDKs), and httpx, which logs each request.
_QUIET_LOGGERS = ("azure", "httpx")


def app_folder(app: Any) -> Path:
    if isinstance(app, str | Path):
        return Path(app).resolve()
    import azure.functions as func

    from .direct import CallError, defining_file

    if isinstance(app, func.FunctionRegister):
        return defining_file(app).resolve().parent
    raise CallError(
        f"expected an app folder or an azure.functions.FunctionApp, got {type(app).__name__}"
    )


def load_app(app_dir: Path, auth: bool, allow_errors: bool) -> HostedApp:
    from ..host.app import load_hosted_app
    from ..host.cli import _apply_log_level  # the levels funcbind run sets

    hosted = load_hosted_app(app_dir, auth=auth)
    if hosted.errors and not allow_errors:
        listed = "; ".join(f"{name}: {message}" for name, message in hosted.errors.items())
        raise FunctionLoadError(
            f"{len(hosted.errors)} function(s) of {app_dir} failed to load: {listed} "
            "(pass allow_errors=True to serve the others)"
        )
    logging.getLogger().setLevel(logging.INFO)
    for noisy in _QUIET_LOGGERS:  # their INFO lines would drown the app's in a report
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _apply_log_level(hosted)
    return hosted


def apply_environment(values: Mapping[str, str]) -> Callable[[], None]:
    """Set ``values`` in the environment (and keep the log levels); a function that puts
    both back as they were, local.settings.json Values the host adds included."""
    before = dict(os.environ)
    loggers = [logging.getLogger(), *map(logging.getLogger, _QUIET_LOGGERS)]
    levels = [logger.level for logger in loggers]
    os.environ.update(values)

    def restore() -> None:
        os.environ.clear()
        os.environ.update(before)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)

    return restore


def uses_development_storage(hosted: HostedApp) -> bool:
    from ..host.devstorage import development_endpoints

    return bool(development_endpoints(hosted))


def uses_storage(function: HostedFunction) -> bool:
    """Whether running ``function`` on an event may touch storage: a storage input or
    output, or a trigger given as an SDK client (the event itself is never read from
    storage; the listeners wait for Azurite on their own)."""
    trigger = function.plan.trigger
    if getattr(function.trigger_config, "reference", False):
        return True
    return any(
        binding.type.casefold() in _STORAGE_TYPES
        for binding in function.plan.bindings
        if binding is not trigger
    )


_STORAGE_TYPES = frozenset({"blob", "blobtrigger", "queue", "queuetrigger", "table"})


def observe(hosted: HostedApp, captured: dict[str, tuple[Any, dict[str, Any]]]) -> None:
    """Wrap each function to keep what it returned and set, by invocation id."""
    for function in hosted.functions.values():  # routes hold these same objects
        function.plan = _observed_plan(function.plan, captured)


def _observed_plan(
    plan: FunctionPlan, captured: dict[str, tuple[Any, dict[str, Any]]]
) -> FunctionPlan:
    from ..invocation_logs import current_invocation

    original = plan.function
    outs = tuple(param.name for param in plan.out_params)

    def keep(kwargs: Mapping[str, Any], returned: Any) -> None:
        log = current_invocation()
        if log is None:
            return
        values = {name: kwargs[name].get() for name in outs}
        captured[log.invocation_id] = (
            returned,
            {name: value for name, value in values.items() if value is not None},
        )

    async def later(kwargs: Mapping[str, Any], awaitable: Any) -> Any:
        returned = await awaitable
        keep(kwargs, returned)
        return returned

    if plan.is_async:

        async def observed_async(**kwargs: Any) -> Any:
            returned = await original(**kwargs)
            keep(kwargs, returned)
            return returned

        observed: Callable[..., Any] = observed_async
    else:

        def observed_sync(**kwargs: Any) -> Any:
            returned = original(**kwargs)
            if inspect.isawaitable(returned):  # a sync wrapper of a coroutine function
                return later(kwargs, returned)
            keep(kwargs, returned)
            return returned

        observed = observed_sync
    return dataclasses.replace(plan, function=observed)


def trigger_inputs(function: HostedFunction, event: Event) -> tuple[Datum, Any, Any]:
    """The payload, metadata and binding data the host's own trigger code would pass."""
    from ..host.expressions import BindingData

    metadata = {
        **event.metadata,
        "sys": Datum(json.dumps({"MethodName": function.name}), "json"),
    }
    payload = event.payload
    if function.trigger_type == "queueTrigger":
        text = metadata["QueueTrigger"].value if "QueueTrigger" in metadata else None
        return payload, metadata, _queue_binding_data(function, metadata, text)
    if function.trigger_type == "blobTrigger":
        config = function.trigger_config
        path = str(metadata["BlobTrigger"].value)
        container, _, name = path.partition("/")
        captures = config.pattern.match(name) if container == config.pattern.container else None
        if captures is None:
            raise EventError(
                f"function {function.name!r}: blob {path!r} does not match the trigger path "
                f"{config.pattern.text!r}"
            )
        metadata.update({key: Datum(value, "string") for key, value in captures.items()})
        if config.as_string and payload.type == "bytes":
            payload = Datum(bytes(payload.value).decode("utf-8"), "string")
        data = BindingData(metadata, trusted=captures, function_name=function.name)
        return payload, metadata, data
    return payload, metadata or None, None


def _queue_binding_data(function: HostedFunction, metadata: Any, text: str | None) -> Any:
    """A message's binding data as the queue listener makes it: the JSON properties of
    the message first, then its metadata.  (The listener's own helper lives in a trigger
    module, which only the kinds table may import.)"""
    from ..host.expressions import BindingData

    def payload() -> Any:
        if text is None or not text.lstrip().startswith("{"):
            return None
        return json.loads(text)

    return BindingData(metadata, payload=payload, payload_first=True, function_name=function.name)
