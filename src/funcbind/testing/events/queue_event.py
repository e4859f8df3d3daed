"""Queue messages as the host sends them to a ``queueTrigger`` (WIRE.md §5)."""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import datetime, timedelta
from typing import Any

from ...datum import Datum
from .event import Event, EventError, EventKind, iso_datum, utc_now

__all__ = ["KIND", "queue"]


def queue(
    body: Any = "",
    *,
    id: str | None = None,  # noqa: A002 - the message field's own name
    pop_receipt: str | None = None,
    dequeue_count: int = 1,
    insertion_time: datetime | None = None,
    expiration_time: datetime | None = None,
    next_visible_time: datetime | None = None,
) -> Event:
    """A queue message: its body as the payload, its id, receipt, count and times.

    ``body`` is text, bytes, or any JSON value (sent as its JSON text, as a message
    holding JSON is).  Bytes that are UTF-8 arrive as text, others as bytes, as the
    host sends a message it decoded from base64.  Times default to a message inserted
    now, visible again in 10 minutes and expiring in 7 days.
    """
    if isinstance(dequeue_count, bool) or not isinstance(dequeue_count, int) or dequeue_count < 1:
        raise EventError(
            f"queue event: expected dequeue_count to be a whole number of at least 1, "
            f"got {dequeue_count!r}"
        )
    payload, text = _payload(body)
    inserted = insertion_time or utc_now()
    # "sys" (the function's name) is added when a function receives the event.
    metadata = {
        "Id": Datum(id or str(uuid.uuid4()), "string"),
        "PopReceipt": Datum(pop_receipt or base64.b64encode(os.urandom(12)).decode(), "string"),
        "DequeueCount": Datum(str(dequeue_count), "json"),
        "InsertionTime": iso_datum(inserted),
        "ExpirationTime": iso_datum(expiration_time or inserted + timedelta(days=7)),
        "NextVisibleTime": iso_datum(next_visible_time or inserted + timedelta(minutes=10)),
    }
    if text is not None:
        metadata["QueueTrigger"] = Datum(text, "string")
    return Event("queue", "queueTrigger", payload, metadata, admin_input=_admin_input(text, body))


def _payload(body: Any) -> tuple[Datum, str | None]:
    if isinstance(body, str):
        return Datum(body, "string"), body
    if isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Datum(raw, "bytes"), None
        return Datum(text, "string"), text
    try:
        text = json.dumps(body)
    except (TypeError, ValueError) as exc:
        raise EventError(
            f"queue event: expected the body as text, bytes or a JSON value, got "
            f"{type(body).__name__} ({exc})"
        ) from None
    return Datum(text, "string"), text


def _admin_input(text: str | None, body: Any) -> Any:
    if text is None:
        return None  # binary content cannot travel in the admin endpoint's JSON
    return body if not isinstance(body, str | bytes | bytearray | memoryview) else text


KIND = EventKind("queue", "queueTrigger", queue, "a queue message (queueTrigger)")
