"""Azure Event Grid: the ``eventGridTrigger`` input and the ``eventGrid`` output.

The host delivers one event per invocation as a JSON object.  An object with a
``specversion`` key is a CloudEvents 1.0 event and decodes into :class:`CloudEvent`;
any other object is an Event Grid schema event and decodes into
:class:`EventGridEvent` (the choice azure.functions makes).  Both are instances of the
azure.functions classes.  The object is parsed once, at decode, because the choice of
class needs it; every field is then read from it on access, and the event time is
parsed from text only when it is read.

The output takes what azure.functions' encoder takes (``str``, ``bytes``,
``EventGridOutputEvent``, and lists of ``str`` and ``EventGridOutputEvent``) with
the same wire values, plus bytes-like buffers, ``dict`` events and ``None``
(docs/bindings/eventgrid.md lists each difference).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from azure.functions import _abc as azure_abc
from azure.functions._eventgrid import CloudEvent as StockCloudEvent
from azure.functions._eventgrid import EventGridEvent as StockEventGridEvent
from azure.functions._eventgrid import EventGridOutputEvent as StockEventGridOutputEvent

from .._typing import TypeSpec
from ..datetimes import parse_datetime
from ..datum import Datum, DatumLike, parse_json
from ..errors import DecodeError, UnsupportedValueError, describe
from ..registry import BindingSpec, Decoder, Encoder, Registry
from ._common import UNSET, Metadata, wrong_wire_kind
from ._output import json_datum, list_item_error, output_accepts, plain_values_first
from .generic import GenericConverter

__all__ = [
    "CloudEvent",
    "EventGridEvent",
    "EventGridOutputConverter",
    "EventGridTriggerConverter",
    "decode_event",
    "encode_events",
    "register",
]

TRIGGER = "eventGridTrigger"
OUTPUT = "eventGrid"

_PAYLOAD_TYPES = frozenset({"json", "string", "bytes", "stream"})
_GENERIC = GenericConverter()

# The CloudEvents attributes azure.functions names; every other key of a CloudEvent is
# an extension attribute.
_CLOUD_EVENT_KEYS = frozenset(
    {
        "specversion",
        "id",
        "source",
        "type",
        "time",
        "subject",
        "datacontenttype",
        "dataschema",
        "data",
    }
)


def register(registry: Registry) -> None:
    registry.register(TRIGGER, converter=EventGridTriggerConverter(), trigger=True)
    registry.register(OUTPUT, converter=EventGridOutputConverter())


# -- the models ----------------------------------------------------------------------


def _event_datetime(body: Mapping[str, Any], key: str) -> datetime | None:
    text = body.get(key)
    if not text:  # azure.functions: None for a missing, null or empty time (any falsy value)
        return None
    if not isinstance(text, str):
        raise DecodeError(
            f"binding {TRIGGER!r}, field {key!r}: expected a datetime string, got {describe(text)}"
        )
    try:
        return parse_datetime(text, field=key)
    except DecodeError as exc:
        raise exc.at(binding=TRIGGER) from None


class EventGridEvent(StockEventGridEvent):
    """An Event Grid schema event; fields are read from the parsed object on access.

    An instance of ``azure.functions.EventGridEvent``.  ``event_time`` is parsed when
    first read; a time that cannot be parsed raises :class:`DecodeError` naming the
    field then, and leaves every other field readable.
    """

    # The base classes keep no __slots__ (instances still have a __dict__); the slots
    # make the fields fast to read and leave the dict unallocated.
    __slots__ = ("_body", "_event_time")

    def __init__(self, body: Mapping[str, Any]) -> None:
        # The base __init__ stores private copies of every field, which the properties
        # below replace, so it is deliberately not called.
        self._body: Any = body
        self._event_time = UNSET

    @property
    def id(self) -> str:
        return self._body.get("id")  # type: ignore[no-any-return]

    @property
    def topic(self) -> str:
        return self._body.get("topic")  # type: ignore[no-any-return]

    @property
    def subject(self) -> str:
        return self._body.get("subject")  # type: ignore[no-any-return]

    @property
    def event_type(self) -> str:
        return self._body.get("eventType")  # type: ignore[no-any-return]

    @property
    def data_version(self) -> str:
        return self._body.get("dataVersion")  # type: ignore[no-any-return]

    @property
    def event_time(self) -> datetime | None:
        value = self._event_time
        if value is UNSET:
            value = self._event_time = _event_datetime(self._body, "eventTime")
        return value  # type: ignore[no-any-return]

    def get_json(self) -> Any:
        """The event's ``data``, as parsed (the same object on every call, as in
        azure.functions)."""
        return self._body.get("data")

    def __repr__(self) -> str:
        return (
            f"<funcbind EventGridEvent id={self.id!r} topic={self.topic!r} "
            f"subject={self.subject!r} at 0x{id(self):x}>"
        )


class CloudEvent(StockCloudEvent):
    """A CloudEvents 1.0 event; extension attributes are kept in ``extension_attrs``.

    An instance of ``azure.functions.CloudEvent``.  ``time`` is parsed when first read.
    """

    __slots__ = ("_body", "_time")

    def __init__(self, body: Mapping[str, Any]) -> None:
        self._body: Any = body
        self._time = UNSET

    @property
    def id(self) -> str:
        return self._body.get("id")  # type: ignore[no-any-return]

    @property
    def source(self) -> str:
        return self._body.get("source")  # type: ignore[no-any-return]

    @property
    def type(self) -> str:
        return self._body.get("type")  # type: ignore[no-any-return]

    @property
    def specversion(self) -> str:
        return self._body.get("specversion")  # type: ignore[no-any-return]

    @property
    def subject(self) -> str | None:
        return self._body.get("subject")  # type: ignore[no-any-return]

    @property
    def datacontenttype(self) -> str | None:
        return self._body.get("datacontenttype")  # type: ignore[no-any-return]

    @property
    def dataschema(self) -> str | None:
        return self._body.get("dataschema")  # type: ignore[no-any-return]

    @property
    def time(self) -> datetime | None:
        value = self._time
        if value is UNSET:
            value = self._time = _event_datetime(self._body, "time")
        return value  # type: ignore[no-any-return]

    @property
    def extension_attrs(self) -> dict[str, Any]:
        """Every attribute the CloudEvents core does not name (a new dict per call)."""
        return {k: v for k, v in self._body.items() if k not in _CLOUD_EVENT_KEYS}

    def get_json(self) -> Any:
        return self._body.get("data")

    def __repr__(self) -> str:
        return (
            f"<funcbind CloudEvent id={self.id!r} source={self.source!r} "
            f"type={self.type!r} at 0x{id(self):x}>"
        )


def decode_event(payload: Any) -> EventGridEvent | CloudEvent:
    """The model for one parsed event object, chosen as azure.functions chooses it."""
    if type(payload) is not dict:
        raise DecodeError(
            f"binding {TRIGGER!r}: expected an event as a JSON object, got {describe(payload)}"
        )
    if "specversion" in payload:
        return CloudEvent(payload)
    return EventGridEvent(payload)


# -- the trigger converter -----------------------------------------------------------


class EventGridTriggerConverter:
    """``eventGridTrigger``: an EventGridEvent or CloudEvent, or the event as plain data."""

    directions = frozenset({"in"})
    accepted_inputs = (
        "azure.functions.EventGridEvent or azure.functions.CloudEvent (which one the "
        "payload decides), or the event as str, bytes or dict (and Optional of them)"
    )

    def delivers(self, spec: TypeSpec) -> bool:
        """Whether the annotation-less decode satisfies ``spec`` (the worker facade)."""
        return (
            spec.kind == "any" or spec.satisfied_by(EventGridEvent) or spec.satisfied_by(CloudEvent)
        )

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        if self.delivers(spec):
            return _model_decoder(spec.optional)
        if spec.is_class(str, bytes) or spec.subclass_of(dict):
            return _GENERIC.decoder(spec, binding)
        return None


def _model_decoder(optional: bool) -> Decoder:
    def decode_event_datum(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
        kind = datum.type
        value = datum.value
        if kind in _PAYLOAD_TYPES and value is not None:
            payload = parse_json(value, f"binding {TRIGGER!r}", expected="an event as JSON text")
            return decode_event(payload)
        if optional and (kind is None or value is None):
            return None
        raise wrong_wire_kind(f"binding {TRIGGER!r}", "an event as json", kind)

    return decode_event_datum


# -- the output converter ------------------------------------------------------------

_ONE_EVENT = "str, bytes, dict or azure.functions.EventGridOutputEvent"
_LIST_ITEM = "str, dict or azure.functions.EventGridOutputEvent"
_ONE_CLASSES: tuple[type, ...] = (
    str,
    bytes,
    bytearray,
    memoryview,
    dict,
    list,
    tuple,
    azure_abc.EventGridOutputEvent,
)
_ITEM_CLASSES: tuple[type, ...] = (str, dict, azure_abc.EventGridOutputEvent)
_OUTPUT_LABEL = f"binding {OUTPUT!r}"
_EVENT_DATA = "JSON-serialisable event data"


class EventGridOutputConverter:
    """``eventGrid``: one event, or a list of events sent as one JSON array."""

    directions = frozenset({"out"})
    accepted_outputs = f"{_ONE_EVENT}, a list of {_LIST_ITEM}, or None"

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        accepted = output_accepts(spec, _ONE_CLASSES, _list_item_encodable)
        return encode_events if accepted else None


def _list_item_encodable(item: TypeSpec) -> bool:
    if item.kind == "union":
        return all(option.subclass_of(*_ITEM_CLASSES) for option in item.options)
    return item.subclass_of(*_ITEM_CLASSES)


# Where azure.functions' own EventGridOutputEvent keeps its fields (name-mangled
# attributes); reading them skips six property calls per event.
_STOCK_FIELDS = tuple(
    f"_EventGridOutputEvent__{name}"
    for name in ("id", "subject", "data_version", "event_type", "data", "event_time")
)
_stock_fields = operator.itemgetter(*_STOCK_FIELDS)


def _stock_output_event(event: Any) -> dict[str, Any]:
    """``_output_event`` for azure.functions' own class, from its attributes."""
    try:
        ident, subject, version, kind, data, moment = _stock_fields(event.__dict__)
    except KeyError:  # a release that stores them otherwise: the public way
        return _output_event(event)
    return {
        "id": ident,
        "subject": subject,
        "dataVersion": version,
        "eventType": kind,
        "data": data,
        "eventTime": None if moment is None else moment.isoformat(),
    }


def _output_event(event: azure_abc.EventGridOutputEvent) -> dict[str, Any]:
    """The JSON object azure.functions sends for an EventGridOutputEvent (same keys,
    same order)."""
    moment = event.event_time
    return {
        "id": event.id,
        "subject": event.subject,
        "dataVersion": event.data_version,
        "eventType": event.event_type,
        "data": event.get_json(),
        "eventTime": None if moment is None else moment.isoformat(),
    }


@plain_values_first
def encode_events(value: Any) -> Datum | None:
    """Encode one event, or a list of them as the JSON array the host splits."""
    cls = type(value)
    if cls is list or cls is tuple:
        return json_datum(_list_entries(value), _EVENT_DATA, _OUTPUT_LABEL)
    if cls is StockEventGridOutputEvent:
        return json_datum(_stock_output_event(value), _EVENT_DATA, _OUTPUT_LABEL)
    if isinstance(value, azure_abc.EventGridOutputEvent):
        return json_datum(_output_event(value), _EVENT_DATA, _OUTPUT_LABEL)
    if isinstance(value, str):
        return Datum(str(value), "string")
    if isinstance(value, bytes | bytearray):
        return Datum(bytes(value), "bytes")
    if isinstance(value, Mapping):
        return json_datum(dict(value), _EVENT_DATA, _OUTPUT_LABEL)
    if isinstance(value, Iterable):
        return json_datum(_list_entries(value), _EVENT_DATA, _OUTPUT_LABEL)
    raise UnsupportedValueError(
        f"binding {OUTPUT!r}: expected {_ONE_EVENT}, or a list of {_LIST_ITEM}, "
        f"got {describe(value)}"
    )


def _list_entries(items: Iterable[Any]) -> list[Any]:
    entries: list[Any] = []
    for index, item in enumerate(items):
        cls = type(item)
        if cls is StockEventGridOutputEvent:
            entries.append(_stock_output_event(item))
        elif isinstance(item, str):
            entries.append(item)
        elif isinstance(item, azure_abc.EventGridOutputEvent):
            entries.append(_output_event(item))
        elif isinstance(item, Mapping):
            entries.append(dict(item))
        else:
            raise list_item_error(_OUTPUT_LABEL, index, _LIST_ITEM, item)
    return entries
