"""Triggers with no local source: Event Hubs, Service Bus, Cosmos DB, Kafka, SQL, Durable...

Every trigger type that no other kind serves (and that is not HTTP) gets this kind: the
function loads and is listed with ``no local source: invoke through the admin endpoint``
instead of failing the app, nothing listens for it, and ``POST /admin/functions/{name}``
runs it with the call's ``input`` as the trigger's payload (text as a string, anything
else as JSON), which the binding's converter decodes as it would the host's event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model import plain_payload

if TYPE_CHECKING:
    import asyncio

    from ...function import FunctionPlan
    from ..console import Console
    from ..model import HostedApp, HostedFunction, Outcome
    from ..runner import Runner

__all__ = ["DESCRIPTION", "NoLocalSourceKind"]

DESCRIPTION = "no local source: invoke through the admin endpoint"


@dataclass(frozen=True)
class NoLocalSource:
    """The compiled form: nothing to compile, the binding type only."""

    binding_type: str


class _Idle:
    """The listener of a trigger with no local source: it has nothing to listen to."""

    def __init__(self, function: HostedFunction) -> None:
        self.function = function

    async def run(self, stopping: asyncio.Event) -> None:
        return None


@dataclass(frozen=True)
class NoLocalSourceKind:
    """A trigger type this host has no source for; one object per binding type."""

    binding_type: str
    admin_reads_storage: bool = False

    def compile(self, plan: FunctionPlan, settings: Mapping[str, str]) -> NoLocalSource:
        return NoLocalSource(self.binding_type)

    def describe(self, config: NoLocalSource) -> str:
        return DESCRIPTION

    def listener(
        self, app: HostedApp, function: HostedFunction, runner: Runner, console: Console
    ) -> _Idle:
        return _Idle(function)

    def admin_call(
        self, runner: Runner, function: HostedFunction, given: Any, invocation_id: str
    ) -> Awaitable[Outcome]:
        inputs = {function.trigger_name: plain_payload(given)}
        return runner.run(function, inputs, None, invocation_id)
