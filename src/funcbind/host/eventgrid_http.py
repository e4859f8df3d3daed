"""What the host's two Event Grid webhooks share: the handshakes and reading the events.

Event Grid triggers (``/runtime/webhooks/eventgrid``) and blob triggers with ``source:
EventGrid`` (``/runtime/webhooks/blobs``) take the same requests: the subscription
validation handshake, the CloudEvents ``OPTIONS`` handshake, and notifications holding
one event or an array of them.  A reply is ``(status, headers, body)``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

__all__ = [
    "EVENT_TYPE_HEADER",
    "Reply",
    "bad_event_type",
    "dispatch",
    "handshake",
    "parse_events",
    "reply",
    "validation",
]

EVENT_TYPE_HEADER = "aeg-event-type"
_JSON = [(b"content-type", b"application/json; charset=utf-8")]

Reply = tuple[int, list[tuple[bytes, bytes]], bytes]


def reply(status: int, message: str | None = None) -> Reply:
    """An empty reply, or a JSON ``{"error": message}`` one."""
    if message is None:
        return status, [], b""
    return status, list(_JSON), json.dumps({"error": message}).encode()


def handshake(method: str, headers: Mapping[str, str]) -> Reply | None:
    """The CloudEvents webhook handshake (``OPTIONS`` with ``WebHook-Request-Origin``)."""
    origin = headers.get("webhook-request-origin")
    if method == "OPTIONS" and origin is not None:
        return 200, [(b"webhook-allowed-origin", origin.encode("latin-1"))], b""
    return None


def validation(where: str, body: bytes) -> Reply:
    """The answer to a SubscriptionValidation request: the event's validation code."""
    try:
        events = json.loads(body)
    except ValueError as exc:
        return reply(400, f"{where}: expected a JSON array with the validation event, got {exc}")
    event = events[0] if isinstance(events, list) and events else events
    data = event.get("data") if isinstance(event, dict) else None
    code = data.get("validationCode") if isinstance(data, dict) else None
    if not isinstance(code, str):
        return reply(
            400,
            f"{where}: expected a SubscriptionValidation event with data.validationCode, got "
            f"{body[:80]!r}",
        )
    return 200, list(_JSON), json.dumps({"validationResponse": code}).encode()


def parse_events(where: str, body: bytes) -> list[dict[str, Any]] | str:
    """The events of a Notification body, or why it holds none (the 400 message)."""
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        return f"{where}: expected an event (a JSON object) or a batch (a JSON array), got {exc}"
    if isinstance(parsed, dict):
        return [parsed]
    if not isinstance(parsed, list):
        return (
            f"{where}: expected an event (a JSON object) or a batch (a JSON array), got a JSON "
            f"{type(parsed).__name__}"
        )
    for index, event in enumerate(parsed):
        if not isinstance(event, dict):
            return (
                f"{where}: expected event {index} of the batch to be a JSON object, got "
                f"{json.dumps(event)[:60]}"
            )
    return parsed


def bad_event_type(function: str, shown: str | None) -> Reply:
    return reply(
        400,
        f"function {function!r}: expected the {EVENT_TYPE_HEADER!r} header to be "
        f"'Notification', 'SubscriptionValidation' or 'Unsubscribe', got "
        f"{'none' if shown is None else repr(shown)}",
    )


async def dispatch(
    method: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    function: str,
    where: str,
    notification: Callable[[], Awaitable[Reply]],
    validated: Callable[[], None] | None = None,
) -> Reply:
    """One webhook request for ``function``, dispatched on its ``aeg-event-type``.

    The handshakes and Unsubscribe are answered here; ``notification`` handles the
    events, and ``validated`` (if given) is told of a subscription validated.
    """
    answered = handshake(method, headers)
    if answered is not None:
        return answered
    kind = (headers.get(EVENT_TYPE_HEADER) or "").casefold()
    if kind == "subscriptionvalidation":
        if validated is not None:
            validated()
        return validation(where, body)
    if kind == "notification":
        return await notification()
    if kind == "unsubscribe":
        return reply(202)
    return bad_event_type(function, headers.get(EVENT_TYPE_HEADER))
