"""The trigger kinds this host listens for, and the one table from binding type to kind.

A :class:`TriggerKind` is everything the rest of the host needs to know about one kind
of trigger: how to compile its binding (with the app settings) at start, how to
describe it in the function table, the listener that runs the function when the
trigger fires, and what an admin call (``POST /admin/functions/{name}``) runs for a
given input.  :mod:`funcbind.host.app`, :mod:`funcbind.host.listeners` and
:mod:`funcbind.host.admin` reach a trigger only through :func:`trigger_kind`.

Adding a kind is one module beside these (which imports none of its siblings) with a
``KIND`` object, and one line in :data:`TRIGGER_KINDS`.  Every other trigger type but
HTTP (which the ASGI app serves) is a trigger with no local source
(:mod:`~funcbind.host.triggers.no_local_source`): it loads, and runs only through the
admin endpoint, with the input as its payload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from . import blob, eventgrid, queue, timer, warmup
from .no_local_source import NoLocalSourceKind

if TYPE_CHECKING:
    from ...function import FunctionPlan
    from ..console import Console
    from ..model import HostedApp, HostedFunction, Outcome
    from ..runner import Runner
    from .polling import Listener

__all__ = ["TRIGGER_KINDS", "TriggerKind", "WebhookKind", "trigger_kind", "webhook_kind"]


class TriggerKind(Protocol):
    """One kind of trigger the host listens for (queue, blob, timer, ...)."""

    @property
    def binding_type(self) -> str:
        """The trigger's binding type in function.json, such as ``queueTrigger``."""

    @property
    def admin_reads_storage(self) -> bool:
        """True when an admin call reads the trigger's input from storage (a blob
        trigger's blob): a trigger that does not compile then cannot run at all, where
        other kinds still run through the admin endpoint."""

    def compile(self, plan: FunctionPlan, settings: Mapping[str, str]) -> Any:
        """The trigger's compiled form (kept as ``HostedFunction.trigger_config``).

        Raises :class:`~funcbind.host.storage_bindings.StorageConfigError` naming the
        binding when it cannot work as declared.
        """

    def describe(self, config: Any) -> str:
        """The trigger in a few words for the function table (``queue orders``)."""

    def listener(
        self, app: HostedApp, function: HostedFunction, runner: Runner, console: Console
    ) -> Listener:
        """The listener that runs ``function`` whenever its trigger fires."""

    def admin_call(
        self, runner: Runner, function: HostedFunction, given: Any, invocation_id: str
    ) -> Awaitable[Outcome | None] | str:
        """The invocation an admin call with input ``given`` starts, or why that input
        cannot be used (the 400 message).  The invocation's ``None`` means it did not
        run, having said why on the console."""


TRIGGER_KINDS: Mapping[str, TriggerKind] = {
    kind.binding_type: kind
    for kind in (
        queue.KIND,
        blob.KIND,
        timer.KIND,
        warmup.KIND,
        eventgrid.KIND,
    )
}

# Served by the ASGI app, not by a trigger kind.
_HTTP_TRIGGER = "httpTrigger"


def trigger_kind(binding_type: str) -> TriggerKind | None:
    """The kind of trigger behind a binding type: one of the table, else the kind with
    no local source; None for HTTP."""
    found = TRIGGER_KINDS.get(binding_type)
    if found is not None or binding_type == _HTTP_TRIGGER:
        return found
    return NoLocalSourceKind(binding_type)


# -- webhooks: kinds whose events arrive at /runtime/webhooks/{extension} --------------

Reply = tuple[int, list[tuple[bytes, bytes]], bytes]


class WebhookKind(Protocol):
    """A trigger kind that also takes events over HTTP, as a host extension's webhook."""

    @property
    def webhook(self) -> str:
        """The extension's name in ``/runtime/webhooks/{name}`` (lower case)."""

    @property
    def system_key(self) -> str:
        """The name of the system key that opens the webhook (``eventgrid_extension``)."""

    def webhook_function(self, app: HostedApp, name: str) -> HostedFunction | None:
        """The function ``?functionName=`` names, if this webhook serves it."""

    def deliver(
        self,
        runner: Runner,
        function: HostedFunction,
        method: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Awaitable[Reply]:
        """Handle one webhook request for ``function``: the status, headers and body."""


def webhook_kind(extension: str) -> WebhookKind | None:
    """The kind behind ``/runtime/webhooks/{extension}``; None when no kind has it."""
    folded = extension.casefold()
    for kind in TRIGGER_KINDS.values():
        if getattr(kind, "webhook", None) == folded:
            return kind  # type: ignore[return-value]
    return None
