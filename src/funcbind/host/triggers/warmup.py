"""Warm-up triggers: run once when the host starts and on every ``/admin/warmup`` call.

The Functions host runs an app's ``warmupTrigger`` functions when an instance is added,
before it takes traffic, and on ``/admin/warmup``; locally the start of ``funcbind run``
is that moment.  The payload is the host's empty warm-up context (``{}``), which the
binding's converter decodes (azure.functions' gives a ``WarmUpContext``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...datum import Datum
from ..console import HOST_API_REASON
from ..model import new_invocation_id

if TYPE_CHECKING:
    import asyncio

    from ...function import FunctionPlan
    from ..console import Console
    from ..model import HostedApp, HostedFunction, Outcome
    from ..runner import Runner

__all__ = ["KIND", "WarmupKind", "warmup_payload"]


def warmup_payload() -> Datum:
    """The warm-up context the host sends: an empty JSON object."""
    return Datum(json.dumps({}), "json")


@dataclass(frozen=True)
class WarmupConfig:
    """Nothing to configure: a warm-up function runs at start and on /admin/warmup."""


class WarmupListener:
    """Runs the function once, when the host starts."""

    def __init__(self, function: HostedFunction, runner: Runner) -> None:
        self.function = function
        self.runner = runner

    async def run(self, stopping: asyncio.Event) -> None:
        if not stopping.is_set():
            await KIND.admin_call(self.runner, self.function, None, new_invocation_id())


class WarmupKind:
    """Warm-up triggers, as :mod:`funcbind.host.triggers.kinds` sees them."""

    binding_type = "warmupTrigger"
    admin_reads_storage = False

    def compile(self, plan: FunctionPlan, settings: Mapping[str, str]) -> WarmupConfig:
        return WarmupConfig()

    def describe(self, config: WarmupConfig) -> str:
        return "runs at start and on /admin/warmup"

    def listener(
        self, app: HostedApp, function: HostedFunction, runner: Runner, console: Console
    ) -> WarmupListener:
        return WarmupListener(function, runner)

    def admin_call(
        self, runner: Runner, function: HostedFunction, given: Any, invocation_id: str
    ) -> Awaitable[Outcome]:
        inputs = {function.trigger_name: warmup_payload()}
        return runner.run(function, inputs, None, invocation_id, reason=HOST_API_REASON)


KIND = WarmupKind()
