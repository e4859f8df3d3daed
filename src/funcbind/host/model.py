"""The hosted app as data: its functions, what the host decided about each, invocation
ids and outcomes.

A leaf of the host: every other host module may import it, it imports none of them
except the settings, routes and keys it holds.  :mod:`funcbind.host.app` fills these
classes at start; the routes, triggers, admin app and console read them.

An invocation ends in one of four :data:`Outcome` values: :class:`Succeeded` and
:class:`Failed` (both carry the function layer's result), :class:`TimedOut` (it ran
past ``functionTimeout`` and was cancelled) and :class:`Cancelled` (the function's own
code was cancelled while the host was not stopping).  The runner returns one to every
trigger and to the admin app; each decides what it means for its message, blob or
response.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..datum import Datum
from .keys import ANONYMOUS, KeyStore
from .routes import Route, Router
from .settings import DEFAULT_MAX_BODY_SIZE, HostSettings, LocalSettings

if TYPE_CHECKING:
    from ..function import FunctionPlan
    from ..invoke import InvocationResult, Stage
    from .storage_bindings import StoragePlan

__all__ = [
    "HOST_ID_SETTING",
    "HTTP_OUTPUT",
    "HTTP_TRIGGER",
    "MAX_HOST_ID_LENGTH",
    "RETURN",
    "SITE_NAME_SETTING",
    "Cancelled",
    "Failed",
    "HostedApp",
    "HostedFunction",
    "Metadata",
    "Outcome",
    "RetryPolicy",
    "Succeeded",
    "TimedOut",
    "new_invocation_id",
    "plain_payload",
]

HTTP_TRIGGER = "httpTrigger"
HTTP_OUTPUT = "http"
RETURN = "$return"
# The app setting the Functions host reads for its id (blob receipts and timer status
# live under it).
HOST_ID_SETTING = "AzureFunctionsWebHost__hostid"
# Without it the host derives the id from the site name, cut to 32 characters.
SITE_NAME_SETTING = "WEBSITE_SITE_NAME"
MAX_HOST_ID_LENGTH = 32

# Trigger metadata as the host sends it: one Datum per name, or none at all.
Metadata = dict[str, Datum] | None

_random_bits = random.Random().getrandbits
# A version 4 UUID's fixed bits, set on 128 random ones: the version (4, bits 76-79) and
# the RFC 4122 variant (10, bits 62-63).
_UUID4_KEEP = ~((0xF << 76) | (0x3 << 62))
_UUID4_SET = (0x4 << 76) | (0x2 << 62)


@dataclass(frozen=True)
class RetryPolicy:
    """A function's retry policy, checked at load (:mod:`funcbind.host.retry`).

    ``max_retry_count`` -1 means no limit.  ``fixedDelay`` waits ``delay`` between
    attempts; ``exponentialBackoff`` waits ``minimum``, doubling up to ``maximum``.
    """

    strategy: str
    max_retry_count: int
    delay: float = 0.0
    minimum: float = 0.0
    maximum: float = 0.0

    def delay_before(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first)."""
        if self.strategy == "fixedDelay":
            return self.delay
        return min(self.maximum, self.minimum * 2.0 ** min(retry - 1, 60))

    def allows(self, retry: int) -> bool:
        return self.max_retry_count < 0 or retry <= self.max_retry_count


@dataclass
class HostedFunction:
    """One function and everything the host decided about it at start.

    ``route`` is set for HTTP-triggered functions.  ``storage`` holds its compiled
    blob and queue bindings, ``trigger_config`` its compiled trigger (what its
    :class:`~funcbind.host.triggers.kinds.TriggerKind` made of it; ``trigger_detail``
    describes it for the function table).  ``problem`` says why the function cannot
    run in this host (its calls answer 500 with that message); ``listener_problem``
    why its trigger cannot listen (admin calls work).
    """

    name: str
    plan: FunctionPlan
    trigger_type: str
    route: Route | None = None
    route_template: str | None = None
    methods: tuple[str, ...] | None = None
    auth_level: str = ANONYMOUS
    response_binding: str | None = None
    problem: str | None = None
    disabled: bool = False
    storage: StoragePlan | None = None
    trigger_config: Any = None
    trigger_detail: str | None = None
    listener_problem: str | None = None
    retry: RetryPolicy | None = None

    @property
    def is_http(self) -> bool:
        return self.route is not None

    @property
    def trigger_name(self) -> str:
        return self.plan.trigger.name


@dataclass
class HostedApp:
    """Everything loaded at start: settings, functions, their errors, routes and keys."""

    app_dir: Path
    host_settings: HostSettings
    local_settings: LocalSettings
    functions: dict[str, HostedFunction] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    router: Router = field(default_factory=lambda: Router(()))
    keys: KeyStore | None = None
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    host_id: str = "funcbind"
    kept_environment: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def find(self, name: str) -> HostedFunction | None:
        """A function by name, compared case-insensitively as the host does."""
        found = self.functions.get(name)
        if found is not None:
            return found
        folded = name.casefold()
        for function in self.functions.values():
            if function.name.casefold() == folded:
                return function
        return None


def function_id(function_name: str) -> str:
    """The id the host keeps a function's state under in storage (locks, receipts)."""
    return f"Host.Functions.{function_name}"


def new_invocation_id() -> str:
    """A random (version 4) UUID as text.

    From the ``random`` module rather than ``os.urandom``: an id needs to be unique, not
    secret, and the system call releases the GIL, which under load (sync functions busy
    in the thread pool) costs far more than the id itself.
    """
    # The fixed bits masked in and the digits made in C: every request makes an id.
    digits = ((_random_bits(128) & _UUID4_KEEP) | _UUID4_SET).to_bytes(16, "big").hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def plain_payload(given: Any) -> Datum:
    """The trigger Datum for an input given as JSON (an admin call): text as a string,
    anything else as JSON, nothing as no value."""
    if given is None:
        return Datum(None, None)
    if isinstance(given, str):
        return Datum(given, "string")
    return Datum(json.dumps(given), "json")


# -- how an invocation ended ------------------------------------------------------------


@dataclass(frozen=True)
class Succeeded:
    """The function returned; ``result`` holds its outputs and return value."""

    result: InvocationResult

    @property
    def invocation_id(self) -> str:
        return self.result.invocation_id


@dataclass(frozen=True)
class Failed:
    """An input, the call or an output failed; ``result.error`` and ``result.stage`` say
    which and how (outputs were not written)."""

    result: InvocationResult

    @property
    def invocation_id(self) -> str:
        return self.result.invocation_id

    @property
    def error(self) -> BaseException:
        error = self.result.error
        assert error is not None  # a Failed is made from a failed result only
        return error

    @property
    def stage(self) -> Stage | None:
        return self.result.stage


@dataclass(frozen=True)
class TimedOut:
    """The invocation ran past ``functionTimeout`` (``seconds``) and was cancelled.

    A sync function cannot be cancelled: ``thread`` is then set when its thread ends
    (None: nothing runs on), and its trigger must not be handed out again before that.
    """

    invocation_id: str
    seconds: float
    thread: threading.Event | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Cancelled:
    """The function's own code was cancelled (it raised or awaited a cancellation) while
    the host was not stopping; a stop that cancels invocations lets the cancellation
    propagate instead."""

    invocation_id: str


Outcome = Succeeded | Failed | TimedOut | Cancelled
