"""Apache Kafka: the ``kafkaTrigger`` input and the ``kafka`` binding.

One record arrives as a ``string``, ``json`` or ``bytes`` payload with the trigger
metadata ``Key``, ``Partition``, ``Offset``, ``Topic``, ``Timestamp`` and ``Headers``;
a batch (cardinality ``many``) as ``collection_bytes`` or ``collection_string`` with
the metadata ``KeyArray``, ``PartitionArray``, ``OffsetArray`` (``collection_sint64``),
``TopicArray`` (``collection_string``), ``TimestampArray`` and ``HeadersArray``.  As
in azure.functions, the payload's wire kind decides between one :class:`KafkaEvent`
and a list of them.

Decoding keeps the wire values and reads nothing: each field is converted on first
access, and in a batch each metadata array is parsed once, on the first read of that
field by any event.  A field that cannot be read (an array shorter than the batch, a
non-numeric offset) raises :class:`DecodeError` naming binding, field and index when
it is read; the other fields stay readable.

azure.functions' Kafka encoder always raises; funcbind's sends ``str``, bytes-like
values and lists of ``str`` (one record each).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from azure.functions.kafka import KafkaEvent as StockKafkaEvent

from .._typing import TypeSpec
from ..datum import (
    COLLECTION_FIELDS,
    JSON_ERRORS,
    Datum,
    DatumLike,
    json_error,
    json_loads,
    parse_json,
)
from ..errors import DecodeError, UnsupportedValueError, describe
from ..registry import BindingSpec, Decoder, Encoder, Registry
from ._common import UNSET, Metadata, wrong_wire_kind
from ._output import output_accepts, plain_values_first

__all__ = [
    "KafkaConverter",
    "KafkaEvent",
    "KafkaTriggerConverter",
    "decode_kafka",
    "encode_records",
    "register",
]

TRIGGER = "kafkaTrigger"
BINDING = "kafka"

_ONE_RECORD = frozenset({"string", "json", "bytes"})
_BATCH = frozenset({"collection_bytes", "collection_string"})

# How a single record's metadata field is read.
_TEXT, _INT, _LIST = "text", "int", "list"


def register(registry: Registry) -> None:
    registry.register(TRIGGER, converter=KafkaTriggerConverter(), trigger=True)
    registry.register(BINDING, converter=KafkaConverter())


# -- the model -----------------------------------------------------------------------


class KafkaEvent(StockKafkaEvent):
    """One Kafka record; every field is read on first access.

    An instance of ``azure.functions.KafkaEvent``.  Without trigger metadata (the
    ``kafka`` input binding, or a direct call) the metadata fields are None.  The events
    of a batch are instances of a subclass that reads the batch's shared arrays.
    """

    __slots__ = (
        "_binding",
        "_body",
        "_datum",
        "_headers",
        "_key",
        "_metadata",
        "_metadata_values",
        "_offset",
        "_partition",
        "_timestamp",
        "_topic",
    )

    def __init__(
        self, datum: DatumLike, trigger_metadata: Metadata = None, *, binding: str = TRIGGER
    ) -> None:
        # The base __init__ takes every field converted up front; these slots replace
        # its attributes, so it is deliberately not called.
        self._datum = datum
        self._metadata = trigger_metadata
        self._binding = binding
        self._body = UNSET
        self._key = UNSET
        self._offset = UNSET
        self._partition = UNSET
        self._topic = UNSET
        self._timestamp = UNSET
        self._headers = UNSET
        self._metadata_values = UNSET

    def get_body(self) -> bytes:
        """The record value as bytes: the wire object itself, or text encoded once."""
        body = self._body
        if body is UNSET:
            body = self._body = _as_bytes(self._datum.value)
        return body  # type: ignore[no-any-return]

    @property
    def key(self) -> str | None:
        value = self._key
        if value is UNSET:
            value = self._key = _single_field(self._metadata, "Key", _TEXT, self._binding)
        return value  # type: ignore[no-any-return]

    @property
    def offset(self) -> int | None:
        value = self._offset
        if value is UNSET:
            value = self._offset = _single_field(self._metadata, "Offset", _INT, self._binding)
        return value  # type: ignore[no-any-return]

    @property
    def partition(self) -> int | None:
        value = self._partition
        if value is UNSET:
            value = self._partition = _single_field(
                self._metadata, "Partition", _INT, self._binding
            )
        return value  # type: ignore[no-any-return]

    @property
    def topic(self) -> str | None:
        value = self._topic
        if value is UNSET:
            value = self._topic = _single_field(self._metadata, "Topic", _TEXT, self._binding)
        return value  # type: ignore[no-any-return]

    @property
    def timestamp(self) -> str | None:
        """The record timestamp as the host sent it (text, as in azure.functions)."""
        value = self._timestamp
        if value is UNSET:
            value = self._timestamp = _single_field(
                self._metadata, "Timestamp", _TEXT, self._binding
            )
        return value  # type: ignore[no-any-return]

    @property
    def headers(self) -> list[Any] | None:
        """The record headers, ``[{"Key": ..., "Value": <base64>}, ...]`` as sent."""
        value = self._headers
        if value is UNSET:
            value = self._headers = _single_field(self._metadata, "Headers", _LIST, self._binding)
        return value  # type: ignore[no-any-return]

    @property
    def metadata(self) -> dict[str, Any] | None:
        """Every trigger metadata entry's raw wire value, by name (None without any)."""
        value = self._metadata_values
        if value is UNSET:
            value = self._metadata_values = _raw_values(self._metadata)
        return value  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"<funcbind KafkaEvent at 0x{id(self):x}>"


def _as_bytes(raw: Any) -> bytes:
    if type(raw) is bytes:
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8")
    return bytes(raw)


def _raw_values(metadata: Metadata) -> dict[str, Any] | None:
    return None if metadata is None else {name: datum.value for name, datum in metadata.items()}


class _Batch:
    """What the events of one batch share: the payload items and the metadata arrays,
    each array parsed once, on first use."""

    __slots__ = ("binding", "columns", "items", "metadata")

    def __init__(self, items: Any, metadata: Metadata, binding: str) -> None:
        self.items = items
        self.metadata = metadata
        self.binding = binding
        self.columns: dict[str, list[Any] | None] = {}

    def value(self, array: str, index: int) -> Any:
        column = self.columns.get(array, UNSET)
        if column is UNSET:
            column = self._column(array)
            self.columns[array] = column
        if column is None:
            return None
        try:
            return column[index]
        except IndexError:
            raise DecodeError(
                f"binding {self.binding!r}, field {array!r}, index {index}: expected one "
                f"value per record ({len(self.items)}), got {len(column)}"
            ) from None

    def _column(self, array: str) -> list[Any] | None:
        datum = self.metadata.get(array) if self.metadata else None
        if datum is None or datum.type is None or datum.value is None:
            return None
        kind = datum.type
        field = COLLECTION_FIELDS.get(kind)
        if field is not None:
            return list(getattr(datum.value, field))
        where = f"binding {self.binding!r}, field {array!r}"
        if kind in ("json", "string"):
            parsed = parse_json(datum.value, where, expected="a JSON array")
            if isinstance(parsed, list):
                return parsed
            raise DecodeError(f"{where}: expected a JSON array, got {describe(parsed)}")
        raise DecodeError(f"{where}: expected a JSON array or a collection, got wire type {kind!r}")


class _BatchEvent(KafkaEvent):
    """One event of a batch: its fields are the batch's arrays at its index.

    The arrays are parsed once per batch and an item read is a list index, so nothing
    is memoised per event (which keeps a batch of N events at N two-slot objects).
    """

    __slots__ = ("_batch", "_index")

    def __init__(self, batch: _Batch, index: int) -> None:
        # KafkaEvent.__init__ is skipped: its memo slots stay unset and are never read.
        self._batch = batch
        self._index = index

    def get_body(self) -> bytes:
        return _as_bytes(self._batch.items[self._index])

    @property
    def key(self) -> str | None:
        return self._batch.value("KeyArray", self._index)  # type: ignore[no-any-return]

    @property
    def offset(self) -> int | None:
        return self._batch.value("OffsetArray", self._index)  # type: ignore[no-any-return]

    @property
    def partition(self) -> int | None:
        return self._batch.value("PartitionArray", self._index)  # type: ignore[no-any-return]

    @property
    def topic(self) -> str | None:
        return self._batch.value("TopicArray", self._index)  # type: ignore[no-any-return]

    @property
    def timestamp(self) -> str | None:
        return self._batch.value("TimestampArray", self._index)  # type: ignore[no-any-return]

    @property
    def headers(self) -> list[Any] | None:
        return self._batch.value("HeadersArray", self._index)  # type: ignore[no-any-return]

    @property
    def metadata(self) -> dict[str, Any] | None:
        return _raw_values(self._batch.metadata)

    def __repr__(self) -> str:
        return f"<funcbind KafkaEvent index {self._index} at 0x{id(self):x}>"


# -- single-record metadata ------------------------------------------------------------


def _single_field(metadata: Metadata, name: str, shape: str, binding: str) -> Any:
    if not metadata:
        return None
    datum = metadata.get(name)
    if datum is None:
        return None
    kind, raw = datum.type, datum.value
    if kind is None or raw is None:
        return None
    if kind == "json" and type(raw) is str:
        # The host's usual shapes, without a parse: a quoted text with no escape, digits.
        if shape == _TEXT and raw.count('"') == 2 and raw[0] == '"' == raw[-1]:
            if "\\" not in raw:
                return raw[1:-1]
        elif shape == _INT and raw.isdigit() and raw.isascii() and (raw[0] != "0" or raw == "0"):
            return int(raw)
    if kind == "json":
        # The error's location is built only when there is an error: on this path, every
        # field read, it would cost about as much as parsing the host's small values.
        try:
            value = json_loads(raw)
        except JSON_ERRORS as exc:
            raise json_error(exc, _where(binding, name)) from exc
    elif kind in ("string", "int", "double"):
        value = raw
    else:
        raise DecodeError(
            f"{_where(binding, name)}: expected a json, string or number value, "
            f"got wire type {kind!r}"
        )
    if value is None:
        return None
    if shape == _TEXT:
        # azure.functions turns any JSON value into its text with str(); kept.
        return value if isinstance(value, str) else str(value)
    if shape == _INT:
        if type(value) is int:
            return value
        return _whole_number(value, _where(binding, name))
    if isinstance(value, str) and kind == "string":
        value = parse_json(value, _where(binding, name), expected="a JSON array")
    if isinstance(value, list):
        return value
    raise DecodeError(f"{_where(binding, name)}: expected a JSON array, got {describe(value)}")


def _whole_number(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise DecodeError(f"{where}: expected a whole number, got {describe(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise DecodeError(f"{where}: expected a whole number, got {describe(value)}")


def _where(binding: str, name: str) -> str:
    return f"binding {binding!r}, trigger metadata field {name!r}"


# -- decoding --------------------------------------------------------------------------


def decode_kafka(
    datum: DatumLike, trigger_metadata: Metadata = None, *, binding: str = TRIGGER
) -> KafkaEvent | list[KafkaEvent]:
    """One event for a single payload, a list for a collection (as azure.functions)."""
    kind = datum.type
    if kind in _ONE_RECORD and datum.value is not None:
        return KafkaEvent(datum, trigger_metadata, binding=binding)
    if kind in _BATCH and datum.value is not None:
        items = getattr(datum.value, COLLECTION_FIELDS[kind])
        batch = _Batch(items, trigger_metadata, binding)
        return [_BatchEvent(batch, index) for index in range(len(items))]
    raise wrong_wire_kind(
        f"binding {binding!r}",
        "a record (string, json or bytes) or a batch (collection_bytes or collection_string)",
        kind,
    )


class KafkaTriggerConverter:
    """``kafkaTrigger``: a KafkaEvent, or a list of them for a batch."""

    directions = frozenset({"in"})
    accepted_inputs = "azure.functions.KafkaEvent or list[azure.functions.KafkaEvent]"
    binding = TRIGGER

    def delivers(self, spec: TypeSpec) -> bool:
        """Whether the annotation-less decode satisfies ``spec`` (the worker facade)."""
        if spec.kind == "any" or spec.satisfied_by(KafkaEvent):
            return True
        item = spec.item
        return spec.kind == "list" and (
            item is None or item.kind == "any" or item.satisfied_by(KafkaEvent)
        )

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        if not self.delivers(spec):
            return None
        name = self.binding
        optional = spec.optional

        def decode(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
            if optional and (datum.type is None or datum.value is None):
                return None
            return decode_kafka(datum, trigger_metadata, binding=name)

        return decode


class KafkaConverter(KafkaTriggerConverter):
    """``kafka``: records as an input (without metadata) and as an output."""

    directions = frozenset({"in", "out"})
    accepted_outputs = "str, bytes, bytearray, memoryview, a list of str, or None"
    binding = BINDING

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        accepted = output_accepts(spec, _ENCODABLE, _list_item_encodable)
        return encode_records if accepted else None


# -- encoding --------------------------------------------------------------------------


_ENCODABLE: tuple[type, ...] = (str, bytes, bytearray, memoryview, list, tuple)


def _list_item_encodable(item: TypeSpec) -> bool:
    return item.subclass_of(str)


@plain_values_first
def encode_records(value: Any) -> Datum | None:
    """One record (str or bytes), or a list of str as the JSON array the host splits."""
    if isinstance(value, str):
        return Datum(str(value), "string")
    if isinstance(value, bytes | bytearray):
        return Datum(bytes(value), "bytes")
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        records = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise UnsupportedValueError(
                    f"binding {BINDING!r}, item {index}: expected str (a list travels as "
                    f"one JSON array of records), got {describe(item)}"
                )
            records.append(item)
        return Datum(json.dumps(records), "json")
    raise UnsupportedValueError(
        f"binding {BINDING!r}: expected str, bytes or a list of str, got {describe(value)}"
    )
