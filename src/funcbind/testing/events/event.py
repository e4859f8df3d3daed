"""One realistic trigger input, and the kind of trigger it is for.

An :class:`Event` is what the Functions host sends for one invocation of a trigger:
the payload Datum and the trigger metadata, in the host's wire shapes (WIRE.md §5).
An :class:`EventKind` names a builder of such events; the table of kinds lives in
:mod:`funcbind.testing.events`, where a binding family adds its own with one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ...datum import Datum
from ...errors import FuncbindError

__all__ = ["Event", "EventError", "EventKind", "iso_datum", "utc_now"]


class EventError(FuncbindError, ValueError):
    """An event cannot be built from what was given, or does not fit the trigger."""


@dataclass(frozen=True)
class Event:
    """The payload and trigger metadata of one invocation, as the host sends them.

    ``admin_input`` is what ``POST /admin/functions/{name}`` takes as ``"input"`` to run
    a function on this event (None for kinds the admin endpoint does not run, HTTP).
    """

    kind: str
    trigger_type: str
    payload: Datum
    metadata: Mapping[str, Datum] = field(default_factory=dict)
    admin_input: Any = None

    def admin_body(self) -> dict[str, Any]:
        """The JSON body that runs a function on this event through the admin endpoint."""
        return {"input": self.admin_input}

    def wire(self) -> dict[str, Any]:
        """The event as plain JSON data: each Datum as ``{"type", "value"}``."""
        return {
            "kind": self.kind,
            "triggerType": self.trigger_type,
            "payload": _datum_json(self.payload),
            "metadata": {name: _datum_json(value) for name, value in self.metadata.items()},
        }


@dataclass(frozen=True)
class EventKind:
    """A kind of event: its name (``funcbind event NAME``), its trigger type, its builder.

    ``build`` takes keyword arguments only (the fields ``--set`` may name) and returns
    an :class:`Event`.
    """

    name: str
    trigger_type: str
    build: Callable[..., Event]
    summary: str
    # Whether POST /admin/functions/{name} runs a function of this kind (not HTTP ones).
    admin: bool = True


def iso_datum(moment: datetime | None) -> Datum:
    """A datetime as the host sends one in metadata: quoted ISO text in a json Datum."""
    return Datum(json.dumps(moment.isoformat() if moment is not None else None), "json")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _datum_json(datum: Datum) -> dict[str, Any]:
    return {"type": datum.type, "value": _plain(datum.value)}


def _plain(value: Any) -> Any:
    if isinstance(value, Datum):
        return _datum_json(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value
