"""Azure Event Hubs: the ``eventHubTrigger`` input and the ``eventHub`` output.

A trigger decodes into :class:`EventHubEvent`, an ``azure.functions.EventHubEvent``
that keeps the wire payload and the trigger metadata as they arrived and converts a
field when it is read, or into a list of them for a batch.  One event or a batch is
decided as azure.functions decides it: trigger metadata ``SystemProperties`` means
one event (cardinality ``one``), ``SystemPropertiesArray`` a batch (``many``).  A
batch is a :class:`~funcbind.bindings._batch.Batch`, so decoding a thousand events
costs the same as decoding one until the function looks at them.

``str``, ``bytes``, ``dict`` and ``list[str]`` annotations get the bodies themselves
through the generic converter (funcbind's own loader; workers send exactly ``str`` and
``bytes`` to their generic binding).

The output takes what azure.functions' encoder sends (``str``, ``bytes``, ``int``, a
``list`` as one JSON array, which the host splits into one event per element) and
more: ``bytearray``/``memoryview`` as bytes, ``float``, ``dict`` and tuples as JSON.
Where azure.functions silently sends nothing for a value it cannot encode, funcbind
raises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from azure.functions._eventhub import EventHubEvent as StockEventHubEvent

from .._typing import TypeSpec
from ..datum import Datum, DatumLike
from ..errors import UnsupportedValueError, describe
from ..registry import BindingSpec, Decoder, Encoder, Registry
from ._batch import compile_decoder
from ._common import UNSET, Metadata, memo_slot, wrong_wire_kind
from ._messaging import (
    BATCH_KINDS,
    INTEGER,
    MOMENT,
    SINGLE_KINDS,
    TEXT,
    LazyMessage,
    MessagePayload,
    batch_datum,
    lazy_batch,
    message_field,
    no_cardinality,
)
from ._metadata import FieldReader
from ._output import json_datum, output_accepts, plain_values_first

__all__ = [
    "EventHubConverter",
    "EventHubEvent",
    "EventHubTriggerConverter",
    "encode_event",
    "register",
]

TRIGGER = "eventHubTrigger"
OUTPUT = "eventHub"

ONE = "SystemProperties"
MANY = "SystemPropertiesArray"
_IOTHUB = "iothub-"


def register(registry: Registry) -> None:
    registry.register(TRIGGER, converter=EventHubTriggerConverter(), trigger=True)
    registry.register(OUTPUT, converter=EventHubConverter())


# -- what the events of one decode share ---------------------------------------------


class _Payload(MessagePayload):
    """The payload of one decode and, for a batch, its SystemPropertiesArray parsed once.

    ``metadata`` is None for the ``eventHub`` input binding (azure.functions gives its
    events no metadata at all) and for a call without trigger metadata.
    """

    __slots__ = ("_properties",)

    def __init__(
        self, datum: DatumLike, metadata: Metadata, binding: str, *, raw_text: bool = False
    ) -> None:
        super().__init__(datum, metadata, FieldReader(binding), raw_text=raw_text)
        self._properties: Any = UNSET

    # -- system properties of a batch -------------------------------------------

    def item(self, key: str, index: int) -> Any:
        return self.properties(index, key).get(key)

    def properties(self, index: int, name: str) -> Mapping[str, Any]:
        """Event ``index``'s entry of SystemPropertiesArray (needed to read ``name``)."""
        found = self._system_properties() or ()
        if index >= len(found):
            raise self.fields.error(
                MANY,
                f"an entry for every event to read {name!r}",
                f"{len(found)} entries for a batch of {len(self.bodies())}",
                index,
            )
        entry = found[index]
        if not isinstance(entry, dict):
            raise self.fields.error(MANY, "a JSON object", describe(entry), index)
        return entry

    def _system_properties(self) -> Sequence[Any] | None:
        # Parsed once for the fields of every event.  This list is never handed out:
        # the fields give scalars or copies, and ``metadata`` a copy of its own.
        found = self._properties
        if found is UNSET:
            metadata = self.metadata or {}  # a batch decoded with metadata
            found = self._properties = self.fields.array(metadata.get(MANY), MANY)
        return found  # type: ignore[no-any-return]

    def plain_metadata(self) -> dict[str, Any] | None:
        plain = self._plain
        metadata = self.metadata
        if plain is None and metadata is not None:
            plain = self._plain = self.fields.everything(metadata, self._parsed(metadata))
        return plain

    def _parsed(self, metadata: Mapping[str, DatumLike]) -> dict[str, Any] | None:
        """SystemPropertiesArray for ``metadata``: a copy of the fields' parse, when they
        have made one (a copy costs a third of a parse); else None, and ``metadata``
        parses it for itself (so reading only ``metadata`` costs no copy)."""
        found = self._properties
        datum = metadata.get(MANY)
        if found is UNSET or datum is None or datum.type != "json":
            return None  # not parsed yet, or not JSON: python_value reads it as it is
        return {MANY: None if found is None else _copy_entries(found, datum.value)}


def _copy_entries(entries: Sequence[Any], text: Any) -> list[Any]:
    """A copy of the parsed SystemPropertiesArray ``text`` that shares nothing mutable."""
    # One "[" (the array's own) and one "{" per entry in the text, every entry an object:
    # then no entry holds an object or an array, and copying each entry is a deep copy,
    # at about a third of the cost of parsing again.  A bracket inside a string only adds
    # to the counts, so it can send a flat array down the slow path, never a nested one
    # down the fast one.
    if (
        isinstance(text, str)
        and text.find("[", text.find("[") + 1) == -1  # one "[": find is a memchr, count is not
        and text.count("{") == len(entries)
    ):
        copies = [entry.copy() for entry in entries if type(entry) is dict]
        if len(copies) == len(entries):
            return copies
    return [_copy_json(entry) for entry in entries]


def _copy_json(value: Any) -> Any:
    """A deep copy of parsed JSON (dicts, lists and immutable scalars)."""
    cls = type(value)
    if cls is dict:
        return {name: _copy_json(item) for name, item in value.items()}
    if cls is list:
        return [_copy_json(item) for item in value]
    return value


# -- the model -----------------------------------------------------------------------


class EventHubEvent(LazyMessage, StockEventHubEvent):
    """One Event Hubs event as the trigger delivered it; each field read on first access.

    An instance of ``azure.functions.EventHubEvent``.  In a batch, the system
    properties (enqueued time, offset, sequence number, partition key, IoT Hub
    properties) come from the event's entry of ``SystemPropertiesArray``, and
    ``metadata`` is the trigger metadata of the whole batch, as in azure.functions.
    A field whose wire value cannot be read raises :class:`DecodeError` naming the
    binding, the field and the event's index when it is accessed.  ``get_body()`` gives
    bytes (``str`` for the text items of an ``eventHub`` input).
    """

    # The base class keeps no __slots__; these make the memo fields fast to read.
    __slots__ = (
        "_enqueued_time",
        "_iothub_metadata",
        "_offset",
        "_partition_key",
        "_sequence_number",
    )
    _payload: _Payload

    def __init__(self, payload: _Payload, index: int | None = None) -> None:
        # The base __init__ stores private attributes that the properties below
        # replace, so it is deliberately not called.
        self._payload = payload
        self._index = index
        # Filled slots: a read of an empty one raises, which costs more than the read.
        self._body = self._enqueued_time = self._iothub_metadata = self._metadata = UNSET
        self._offset = self._partition_key = self._sequence_number = UNSET

    partition_key = message_field("PartitionKey", *TEXT, "The partition key the sender set")
    sequence_number = message_field(
        "SequenceNumber", *INTEGER, "The event's sequence number in its partition"
    )
    enqueued_time = message_field("EnqueuedTimeUtc", *MOMENT, "When the event was enqueued")
    # azure.functions' batch decoder converts the offset to int; a single event's is text.
    offset = message_field(
        "Offset",
        FieldReader.text,
        FieldReader.item_integer,
        "The event's offset in its partition: text, or an int for an event of a batch",
    )

    @memo_slot
    def iothub_metadata(self) -> dict[str, Any] | None:
        """The IoT Hub system properties (``iothub-*``) without their prefix."""
        payload, index = self._payload, self._index
        metadata = payload.metadata
        if metadata is None:
            return None
        if index is not None:
            return _iothub(payload.properties(index, "iothub-*"))
        fields = payload.fields
        found = {
            name[len(_IOTHUB) :]: fields.text(datum, name)
            for name, datum in metadata.items()
            if name.startswith(_IOTHUB)
        }
        if not found and ONE in metadata:
            system = fields.mapping(metadata[ONE], ONE)
            found = _iothub(system or {})
        return found

    def __repr__(self) -> str:
        where = "" if self._index is None else f" index={self._index}"
        return f"<funcbind EventHubEvent{where} at 0x{id(self):x}>"


def _iothub(properties: Mapping[str, Any]) -> dict[str, Any]:
    # Copied: properties can be the batch's shared parse (see _Payload._system_properties).
    return {
        name[len(_IOTHUB) :]: _copy_json(value)
        for name, value in properties.items()
        if isinstance(name, str) and name.startswith(_IOTHUB)
    }


# -- decoding ------------------------------------------------------------------------

_TRIGGER_LABEL = f"binding {TRIGGER!r}"


def decode_trigger(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
    """One event or a batch, decided by the trigger metadata as azure.functions does."""
    kind = datum.type
    if trigger_metadata is None:
        # A direct call without metadata: the payload says which (see docs).
        return _decode_by_payload(datum, None, TRIGGER)
    if ONE in trigger_metadata:
        if kind in SINGLE_KINDS and datum.value is not None:
            return EventHubEvent(_Payload(datum, trigger_metadata, TRIGGER))
        raise wrong_wire_kind(
            _TRIGGER_LABEL, "one event (string, bytes or json) with SystemProperties", kind
        )
    if MANY in trigger_metadata:
        payload = _Payload(batch_datum(datum, _TRIGGER_LABEL), trigger_metadata, TRIGGER)
        return lazy_batch(EventHubEvent, payload)
    raise no_cardinality(TRIGGER, ONE, MANY, "event", kind)


def _decode_by_payload(datum: DatumLike, metadata: Metadata, binding: str) -> Any:
    kind = datum.type
    if datum.value is not None:
        if kind in SINGLE_KINDS:
            return EventHubEvent(_Payload(datum, metadata, binding))
        if kind in BATCH_KINDS:
            payload = _Payload(datum, metadata, binding, raw_text=binding == OUTPUT)
            return lazy_batch(EventHubEvent, payload)
    raise wrong_wire_kind(
        f"binding {binding!r}", "string, bytes, json, collection_bytes or collection_string", kind
    )


def decode_input(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
    """The ``eventHub`` input: one event or a list by the payload, without metadata."""
    return _decode_by_payload(datum, None, OUTPUT)


class EventHubTriggerConverter:
    """``eventHubTrigger``: an event, a batch of events, or the bodies as plain values."""

    directions = frozenset({"in"})
    model = EventHubEvent  # what decode() without an annotation gives (worker facade)
    batches = True  # ...or a list of them (cardinality many)
    accepted_inputs = (
        "azure.functions.EventHubEvent (the default), list[azure.functions.EventHubEvent], "
        "or the bodies as str, bytes, dict or list[str] (and Optional of them)"
    )

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        return compile_decoder(spec, binding, decode_trigger, EventHubEvent, "event")


# -- the output (and the eventHub input) ---------------------------------------------


class EventHubConverter:
    """``eventHub``: events to send; as an input (rare), events without metadata."""

    directions = frozenset({"in", "out"})
    model = EventHubEvent
    batches = True
    accepted_inputs = "azure.functions.EventHubEvent or list[azure.functions.EventHubEvent]"
    accepted_outputs = (
        "str, bytes, bytearray, memoryview, int, float, dict, a list or tuple of JSON "
        "values (one event each), or None"
    )

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        return compile_decoder(spec, binding, decode_input, EventHubEvent, "event")

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        if output_accepts(spec, _ENCODABLE):
            return encode_event
        return None


_ENCODABLE: tuple[type, ...] = (
    str,
    bytes,
    bytearray,
    memoryview,
    int,
    float,
    dict,
    list,
    tuple,
)
_OUTPUT_LABEL = f"binding {OUTPUT!r}"
_JSON_VALUES = "JSON values (a list is one event per element)"


@plain_values_first
def encode_event(value: Any) -> Datum | None:
    """Encode events to send: one value, or a list as the JSON array the host splits."""
    cls = type(value)
    if cls is bool:
        return Datum(int(value), "int")  # TypedData has no bool; protobuf refuses one for int
    if cls is int:
        return Datum(value, "int")
    if cls is list or cls is tuple or cls is dict:
        return json_datum(value, _JSON_VALUES, _OUTPUT_LABEL)
    if cls is float:
        return Datum(value, "double")
    # Subclasses (str enums, int flags) take the slow path.
    if isinstance(value, str):
        return Datum(str(value), "string")
    if isinstance(value, bytes | bytearray):
        return Datum(value, "bytes")
    if isinstance(value, int):
        return Datum(int(value), "int")
    if isinstance(value, list | tuple | dict):
        return json_datum(value, _JSON_VALUES, _OUTPUT_LABEL)
    raise UnsupportedValueError(
        f"binding {OUTPUT!r}: expected str, bytes, int, float, dict or a list of JSON "
        f"values, got {describe(value)}"
    )
