"""What the conformance suite observes for Event Grid and Kafka (hooked into the
tables of ``conformance_support``); no harness import here, so the support module
can take these tables without a cycle.

``eventGridTrigger`` decodes into an EventGridEvent or a CloudEvent, whichever the
payload is: one plan probes the members of both (a member the model lacks raises
AttributeError on both sides) and ``<class>`` says which one arrived.  ``kafkaTrigger``
decodes into one KafkaEvent or a list: every probe maps over a list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import azure.functions as func

TRIGGERS = frozenset({"eventGridTrigger", "kafkaTrigger"})
DECODE_BINDINGS = ("eventGridTrigger", "kafkaTrigger", "kafka")
ENCODE_BINDINGS = ("eventGrid", "kafka")

Probe = Callable[[Any, Any], Any]

_EVENT_GRID_CLASSES = (func.EventGridEvent, func.CloudEvent)


def _member(name: str) -> Probe:
    return lambda model, case: getattr(model, name)


def _event_member(name: str) -> Probe:
    """A member of one of the two event classes; the other class says it has none."""
    return lambda model, case: (
        getattr(model, name) if hasattr(type(model), name) else "<not a member of this class>"
    )


def _call(name: str) -> Probe:
    return lambda model, case: getattr(model, name)()


EVENT_GRID_PLAN: dict[str, Probe] = {
    "<class>": lambda m, c: [cls.__name__ for cls in _EVENT_GRID_CLASSES if isinstance(m, cls)],
    **{
        name: _event_member(name)
        for name in (
            "id",
            "topic",
            "subject",
            "event_type",
            "event_time",
            "data_version",
            "source",
            "type",
            "specversion",
            "time",
            "datacontenttype",
            "dataschema",
            "extension_attrs",
        )
    },
    "get_json()": _call("get_json"),
    "to_dict()": _call("to_dict"),
    "to_json()": _call("to_json"),
}


def _each(probe: Probe) -> Probe:
    """A probe applied to one event, or to each event of a batch."""

    def run(model: Any, case: Any) -> Any:
        if isinstance(model, list):
            return [probe(event, case) for event in model]
        return probe(model, case)

    return run


KAFKA_PLAN: dict[str, Probe] = {
    "<shape>": lambda m, c: len(m) if isinstance(m, list) else "one event",
    **{
        name: _each(_member(name))
        for name in ("key", "offset", "partition", "topic", "timestamp", "headers", "metadata")
    },
    "get_body()": _each(_call("get_body")),
    "to_dict()": _each(_call("to_dict")),
    "to_json()": _each(_call("to_json")),
}

PLANS: dict[str, dict[str, Probe]] = {
    "eventGridTrigger": EVENT_GRID_PLAN,
    "kafkaTrigger": KAFKA_PLAN,
    "kafka": KAFKA_PLAN,
}
MODEL_CLASSES: dict[str, Any] = {
    "eventGridTrigger": _EVENT_GRID_CLASSES,
    "kafkaTrigger": func.KafkaEvent,
    "kafka": func.KafkaEvent,
}


def output_event(content: dict[str, Any]) -> Any:
    """``{"EventGridOutputEvent": {...}}``: ``event_time`` as ISO text or null."""
    moment = content.get("event_time")
    return func.EventGridOutputEvent(
        id=content.get("id"),
        data=content.get("data"),
        subject=content.get("subject"),
        event_type=content.get("event_type"),
        event_time=None if moment is None else datetime.fromisoformat(moment),
        data_version=content.get("data_version"),
    )


VALUE_KINDS: dict[str, Callable[[Any], Any]] = {"EventGridOutputEvent": output_event}
