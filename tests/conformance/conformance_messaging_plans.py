"""What the conformance suite observes on Event Hubs and Service Bus models.

Every public member of ``azure.functions.EventHubEvent`` and
``azure.functions.ServiceBusMessage`` (``to_dict()``/``to_json()`` exist on 2.x only;
the harness skips members the installed class lacks).  A batch is observed as its
length and these members of each of its items (``conformance_support``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import azure.functions as func

Probe = Callable[[Any, Any], Any]


def _member(name: str) -> Probe:
    return lambda model, case: getattr(model, name)


EVENT_HUB_PLAN: dict[str, Probe] = {
    "get_body()": lambda e, c: e.get_body(),
    **{
        name: _member(name)
        for name in (
            "partition_key",
            "sequence_number",
            "enqueued_time",
            "offset",
            "iothub_metadata",
            "metadata",
        )
    },
    "to_dict()": lambda e, c: e.to_dict(),
    "to_json()": lambda e, c: e.to_json(),
}

SERVICE_BUS_FIELDS = (
    "application_properties",
    "content_type",
    "correlation_id",
    "dead_letter_error_description",
    "dead_letter_reason",
    "dead_letter_source",
    "delivery_count",
    "enqueued_sequence_number",
    "enqueued_time_utc",
    "expiration_time",
    "expires_at_utc",
    "force_persistence",
    "label",
    "lock_token",
    "locked_until",
    "message_id",
    "metadata",
    "partition_key",
    "reply_to",
    "reply_to_session_id",
    "scheduled_enqueue_time",
    "scheduled_enqueue_time_utc",
    "sequence_number",
    "session_id",
    "state",
    "subject",
    "time_to_live",
    "to",
    "transaction_partition_key",
    "user_properties",
)

SERVICE_BUS_PLAN: dict[str, Probe] = {
    "get_body()": lambda m, c: m.get_body(),
    **{name: _member(name) for name in SERVICE_BUS_FIELDS},
    "to_dict()": lambda m, c: m.to_dict(),
    "to_json()": lambda m, c: m.to_json(),
}

MESSAGING_PLANS: dict[str, dict[str, Probe]] = {
    "eventHubTrigger": EVENT_HUB_PLAN,
    "eventHub": EVENT_HUB_PLAN,
    "serviceBusTrigger": SERVICE_BUS_PLAN,
}
MESSAGING_MODELS: dict[str, type] = {
    "eventHubTrigger": func.EventHubEvent,
    "eventHub": func.EventHubEvent,
    "serviceBusTrigger": func.servicebus.ServiceBusMessage,
}
MESSAGING_TRIGGERS = frozenset({"eventHubTrigger", "serviceBusTrigger"})
MESSAGING_DECODE = ("eventHubTrigger", "eventHub", "serviceBusTrigger")
MESSAGING_ENCODE = ("eventHub", "serviceBus")
