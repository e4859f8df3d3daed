"""Event Grid triggers: events delivered over HTTP, as the host's Event Grid extension takes them.

A publisher (Event Grid through a tunnel, a local emulator, or curl) POSTs to
``/runtime/webhooks/eventgrid?functionName=NAME`` with the system key
``eventgrid_extension`` (or the master key) and the ``aeg-event-type`` header:

- ``SubscriptionValidation``: the body is the Event Grid schema's array with one
  validation event; the answer is ``{"validationResponse": <its data.validationCode>}``.
- ``Notification``: the body is an array of events (Event Grid schema, or a CloudEvents
  batch) or one event (CloudEvents).  Each event runs the function once, all at once,
  and the answer waits for them: 202 when every one succeeded, 500 otherwise.  With
  ``cardinality: many`` the function runs once with the whole array.
- ``Unsubscribe``: 202, nothing runs.
- an ``OPTIONS`` request with ``WebHook-Request-Origin`` (the CloudEvents webhook
  handshake): 200 with ``WebHook-Allowed-Origin``.

Anything else is a 400 naming the function and what was expected.  The trigger's Datum
is the event as JSON, which the registry's ``eventGridTrigger`` converter decodes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...datum import Datum
from ..binding_config import StorageConfigError, binding_property
from ..eventgrid_http import (
    Reply,
    dispatch,
    parse_events,
    reply,
)
from ..model import Succeeded, new_invocation_id

if TYPE_CHECKING:
    from ...function import FunctionPlan
    from ..console import Console
    from ..model import HostedApp, HostedFunction, Outcome
    from ..runner import Runner

__all__ = ["KIND", "EventGridConfig", "EventGridKind", "webhook_path"]

WEBHOOK = "eventgrid"
SYSTEM_KEY = "eventgrid_extension"


@dataclass(frozen=True)
class EventGridConfig:
    many: bool  # cardinality many: one invocation with the whole batch


def webhook_path(function_name: str) -> str:
    """Where a function's events go (without the key)."""
    return f"/runtime/webhooks/{WEBHOOK}?functionName={function_name}"


class EventGridListener:
    """Nothing to poll: the webhook runs the function.  Says where to send events."""

    def __init__(self, app: HostedApp, function: HostedFunction, console: Console) -> None:
        self.function = function
        self.console = console
        self.code = "" if app.keys is None else f"&code={app.keys.system_key(SYSTEM_KEY)}"

    async def run(self, stopping: asyncio.Event) -> None:
        self.console.line(
            f"{self.function.name}: Event Grid events are taken at "
            f"{webhook_path(self.function.name)}{self.code}",
            "dim",
        )
        await stopping.wait()


async def _notification(runner: Runner, function: HostedFunction, body: bytes) -> Reply:
    events = parse_events(_where(function), body)
    if isinstance(events, str):
        return reply(400, events)
    config: EventGridConfig = function.trigger_config
    payloads = [json.dumps(events)] if config.many else [json.dumps(e) for e in events]
    outcomes = await asyncio.gather(*(run_event(runner, function, p) for p in payloads))
    failed = [o.invocation_id for o in outcomes if not isinstance(o, Succeeded)]
    if failed:
        return reply(
            500,
            f"function {function.name!r} failed for {len(failed)} of {len(outcomes)} "
            f"event(s) (invocations {', '.join(failed)}); see the host's console",
        )
    return reply(202)


def _where(function: HostedFunction) -> str:
    return f"function {function.name!r}, binding {function.trigger_name!r}"


async def run_event(runner: Runner, function: HostedFunction, payload: str) -> Outcome:
    """Run the function once on one event (or a batch, for cardinality many) as JSON."""
    metadata = {"sys": Datum(json.dumps({"MethodName": function.name}), "json")}
    inputs = {function.trigger_name: Datum(payload, "json")}
    return await runner.run(function, inputs, metadata, new_invocation_id())


class EventGridKind:
    """Event Grid triggers, as :mod:`funcbind.host.triggers.kinds` sees them."""

    binding_type = "eventGridTrigger"
    admin_reads_storage = False
    webhook = WEBHOOK
    system_key = SYSTEM_KEY

    def compile(self, plan: FunctionPlan, settings: Mapping[str, str]) -> EventGridConfig:
        cardinality = binding_property(plan.trigger, "cardinality")
        if cardinality is not None and (
            not isinstance(cardinality, str) or cardinality.casefold() not in ("one", "many")
        ):
            raise StorageConfigError(
                f"binding {plan.trigger.name!r} (eventGridTrigger): expected cardinality "
                f"'one' or 'many', got {cardinality!r}"
            )
        return EventGridConfig(isinstance(cardinality, str) and cardinality.casefold() == "many")

    def describe(self, config: EventGridConfig) -> str:
        return "webhook" + (", batches" if config.many else "")

    def listener(
        self, app: HostedApp, function: HostedFunction, runner: Runner, console: Console
    ) -> EventGridListener:
        return EventGridListener(app, function, console)

    def admin_call(
        self, runner: Runner, function: HostedFunction, given: Any, invocation_id: str
    ) -> Any:
        if not isinstance(given, dict | list):
            return 'expected the event as the input, such as {"input": {"id": "1", ...}}'
        inputs = {function.trigger_name: Datum(json.dumps(given), "json")}
        metadata = {"sys": Datum(json.dumps({"MethodName": function.name}), "json")}
        return runner.run(function, inputs, metadata, invocation_id)

    def webhook_function(self, app: HostedApp, name: str) -> HostedFunction | None:
        function = app.find(name)
        if function is None or function.trigger_type != self.binding_type:
            return None
        return function

    async def deliver(
        self,
        runner: Runner,
        function: HostedFunction,
        method: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Reply:
        return await dispatch(
            method,
            headers,
            body,
            function=function.name,
            where=_where(function),
            notification=lambda: _notification(runner, function, body),
            validated=lambda: runner.console.line(
                f"{function.name}: Event Grid subscription validated", "dim"
            ),
        )


KIND = EventGridKind()
