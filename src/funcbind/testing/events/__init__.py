"""Realistic trigger inputs: what the Functions host sends for each kind of trigger.

Each builder returns an :class:`Event`: the payload Datum and the trigger metadata in
the host's own wire shapes, usable with :class:`~funcbind.testing.FunctionAppClient`,
with :func:`~funcbind.testing.call`, and with the worker facade directly
(``get_binding_registry().get(event.trigger_type).decode(event.payload,
trigger_metadata=event.metadata)``).  ``funcbind event KIND --set field=value``
prints one.

A binding family adds its kind in one place: a module ``<family>_event.py`` beside
these, with a builder and its ``KIND``, and one line in ``KINDS`` below.
"""

from __future__ import annotations

import inspect

from . import blob_event, http_event, queue_event, timer_event
from .blob_event import blob
from .event import Event, EventError, EventKind
from .http_event import http
from .queue_event import queue
from .timer_event import timer

__all__ = [
    "KINDS",
    "Event",
    "EventError",
    "EventKind",
    "blob",
    "build",
    "fields_of",
    "for_trigger",
    "http",
    "kind",
    "queue",
    "timer",
]

# One line per kind of event; the name is what `funcbind event NAME` takes.
KINDS: dict[str, EventKind] = {
    entry.name: entry
    for entry in (
        http_event.KIND,
        queue_event.KIND,
        blob_event.KIND,
        timer_event.KIND,
    )
}


def kind(name: str) -> EventKind:
    """The kind of event called ``name``; EventError lists the kinds there are."""
    found = KINDS.get(name)
    if found is None:
        raise EventError(
            f"expected a kind of event, one of {', '.join(sorted(KINDS))}, got {name!r}"
        )
    return found


def for_trigger(trigger_type: str) -> EventKind | None:
    """The kind of event a trigger type receives (``queueTrigger`` -> queue), if known."""
    folded = trigger_type.casefold()
    for entry in KINDS.values():
        if entry.trigger_type.casefold() == folded:
            return entry
    return None


def build(name: str, **fields: object) -> Event:
    """An event of kind ``name`` with ``fields`` given to its builder."""
    entry = kind(name)
    known = fields_of(entry)
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise EventError(
            f"{name} event: expected fields among {', '.join(known)}, got "
            f"{', '.join(map(repr, unknown))}"
        )
    return entry.build(**fields)


def fields_of(entry: EventKind) -> dict[str, str]:
    """The fields a kind's builder takes, each with its annotation as text."""
    return {
        name: str(parameter.annotation)
        for name, parameter in inspect.signature(entry.build).parameters.items()
    }
