"""Azure Storage queues: the ``queueTrigger`` input and the ``queue`` output.

A trigger decodes into :class:`QueueMessage`, an ``azure.functions.QueueMessage``
that keeps the wire payload and the trigger metadata as they arrived and reads a
field only when asked: a function that looks at the body alone never parses a
datetime.  ``str``, ``bytes``, ``dict`` and other plain annotations get the body
itself, through the generic converter.

The output takes ``str``, ``bytes``, a ``QueueMessage``, a ``dict`` or ``list`` (JSON),
and lists of messages: a list travels as one JSON array, which the host splits into
one queue message per element.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from azure.functions import _abc as azure_abc
from azure.functions.queue import QueueMessage as StockQueueMessage

from .._typing import TypeSpec
from ..datetimes import parse_datetime
from ..datum import Datum, DatumLike, json_loads, parse_json
from ..errors import (
    AnnotationError,
    DecodeError,
    UnsupportedValueError,
    describe,
)
from ..registry import BindingSpec, Decoder, Encoder, Registry
from . import storage_sdk
from ._common import UNSET, Metadata, not_utf8, wrong_wire_kind
from ._output import json_datum, list_item_error, output_accepts, plain_values_first
from .generic import GenericConverter

__all__ = [
    "QueueMessage",
    "QueueOutputConverter",
    "QueueTriggerConverter",
    "encode_queue_message",
    "register",
]

TRIGGER = "queueTrigger"
OUTPUT = "queue"

_PAYLOAD_TYPES = frozenset({"string", "bytes", "json", "stream"})
_GENERIC = GenericConverter()


def register(registry: Registry) -> None:
    registry.register(TRIGGER, converter=QueueTriggerConverter(), trigger=True)
    registry.register(OUTPUT, converter=QueueOutputConverter())


# -- the model -------------------------------------------------------------


class QueueMessage(StockQueueMessage):
    """A queue message as the trigger delivered it; every field is read on first access.

    An instance of ``azure.functions.QueueMessage`` and of the class azure.functions'
    own converter returns (``azure.functions.queue.QueueMessage``).

    Without trigger metadata (a message handed in directly) the metadata fields are
    None.  A field whose wire value cannot be read raises :class:`DecodeError` naming
    the field when it is accessed, not when the message is decoded.
    """

    # The base classes keep no __slots__, so instances still have a __dict__; the
    # slots make the memo fields fast to read and leave the dict unallocated.
    __slots__ = (
        "_body",
        "_datum",
        "_dequeue_count",
        "_expiration_time",
        "_id",
        "_insertion_time",
        "_metadata",
        "_pop_receipt",
        "_time_next_visible",
    )

    def __init__(self, datum: DatumLike, trigger_metadata: Metadata = None) -> None:
        # The base __init__ copies the body and stores private attributes that the
        # properties below replace, so it is deliberately not called.
        self._datum = datum
        self._metadata = trigger_metadata
        self._body = UNSET
        self._id = UNSET
        self._pop_receipt = UNSET
        self._dequeue_count = UNSET
        self._expiration_time = UNSET
        self._insertion_time = UNSET
        self._time_next_visible = UNSET

    @property
    def id(self) -> str | None:
        """The message ID (metadata ``Id``)."""
        value = self._id
        if value is UNSET:
            value = self._id = _text_field(self._metadata, "Id")
        return value  # type: ignore[no-any-return]

    @property
    def pop_receipt(self) -> str | None:
        """The pop receipt of this delivery (metadata ``PopReceipt``)."""
        value = self._pop_receipt
        if value is UNSET:
            value = self._pop_receipt = _text_field(self._metadata, "PopReceipt")
        return value  # type: ignore[no-any-return]

    @property
    def dequeue_count(self) -> int | None:
        """How many times the message has been dequeued (metadata ``DequeueCount``)."""
        value = self._dequeue_count
        if value is UNSET:
            value = self._dequeue_count = _int_field(self._metadata, "DequeueCount")
        return value  # type: ignore[no-any-return]

    @property
    def expiration_time(self) -> datetime | None:
        """When the message expires (metadata ``ExpirationTime``)."""
        value = self._expiration_time
        if value is UNSET:
            value = self._expiration_time = _datetime_field(self._metadata, "ExpirationTime")
        return value  # type: ignore[no-any-return]

    @property
    def insertion_time(self) -> datetime | None:
        """When the message was added to the queue (metadata ``InsertionTime``)."""
        value = self._insertion_time
        if value is UNSET:
            value = self._insertion_time = _datetime_field(self._metadata, "InsertionTime")
        return value  # type: ignore[no-any-return]

    @property
    def time_next_visible(self) -> datetime | None:
        """When the message becomes visible again (metadata ``NextVisibleTime``)."""
        value = self._time_next_visible
        if value is UNSET:
            value = self._time_next_visible = _datetime_field(self._metadata, "NextVisibleTime")
        return value  # type: ignore[no-any-return]

    def get_body(self) -> bytes:
        """The message content as bytes: the wire object itself, or text encoded once."""
        body = self._body
        if body is UNSET:
            value = self._datum.value
            if type(value) is bytes:
                body = value
            elif isinstance(value, str):
                body = value.encode("utf-8")
            else:  # bytearray, memoryview: get_body promises bytes
                body = bytes(value)
            self._body = body
        return body  # type: ignore[no-any-return]

    def get_json(self) -> Any:
        """The message content parsed as JSON (a new object on every call).

        A body that is not JSON raises ``json.JSONDecodeError``, as in azure.functions,
        so existing ``except`` clauses keep working.  Nesting too deep for Python's
        recursion limit raises :class:`DecodeError` (a ValueError too), not RecursionError.
        """
        value = self._datum.value
        try:
            return json_loads(value if isinstance(value, str) else self.get_body())
        except RecursionError as exc:
            raise DecodeError(
                f"binding {TRIGGER!r}, field 'body': expected JSON, got nesting too deep to "
                f"parse ({exc})"
            ) from exc

    def __repr__(self) -> str:
        try:
            ident = repr(self.id)
        except DecodeError:
            ident = "<unreadable>"
        return f"<funcbind QueueMessage id={ident} at 0x{id(self):x}>"


# -- metadata fields -------------------------------------------------------


def _text_field(metadata: Metadata, name: str) -> str | None:
    """A metadata value as text: string and json Datums; numbers as their digits."""
    if not metadata:
        return None
    datum = metadata.get(name)
    if datum is None:
        return None
    kind = datum.type
    value = datum.value
    if kind is None or value is None:
        return None
    if kind == "string":
        return value  # type: ignore[no-any-return]
    if kind == "json" and isinstance(value, str):
        return _json_text(value, name)
    if kind in ("int", "double"):
        return str(value)
    raise _field_error(name, "a string, json or int value", f"wire type {kind!r}")


def _json_text(text: str, name: str) -> str | None:
    # The host sends datetimes as quoted JSON strings; they never hold an escape, so
    # dropping the quotes is exact and far cheaper than json.loads.
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"' and "\\" not in text:
        return text[1:-1]
    # Rarely reached (the host quotes its texts), so naming the text up front is cheap.
    parsed = parse_json(text, _field_where(name), got=f"invalid JSON {describe(text)}")
    if parsed is None or isinstance(parsed, str):
        return parsed
    if isinstance(parsed, int | float) and not isinstance(parsed, bool):
        return str(parsed)
    raise _field_error(name, "a JSON string", describe(parsed))


def _int_field(metadata: Metadata, name: str) -> int | None:
    if not metadata:
        return None
    datum = metadata.get(name)
    if datum is None:
        return None
    kind = datum.type
    raw = datum.value
    if kind is None or raw is None:
        return None
    value = raw
    if kind in ("json", "string") and isinstance(raw, str):
        try:
            if raw.isascii() and raw.isdigit():  # the usual "3"
                return int(raw)
            value = parse_json(raw, _field_where(name))
            if isinstance(value, str):  # a quoted number
                value = int(value)
        except ValueError:  # DecodeError too; int() also refuses over 4300 digits (3.11+)
            raise _field_error(name, "an integer", f"{kind} {describe(raw)}") from None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _field_error(name, "an integer", f"{kind} {raw!r}")


def _datetime_field(metadata: Metadata, name: str) -> datetime | None:
    text = _text_field(metadata, name)
    if not text:  # absent, null or empty: azure.functions also gives None for ""
        return None
    try:
        return parse_datetime(text, field=name)
    except DecodeError as exc:
        raise exc.at(binding=TRIGGER) from None


def _field_where(name: str) -> str:
    return f"binding {TRIGGER!r}: trigger metadata field {name!r}"


def _field_error(name: str, expected: str, got: str) -> DecodeError:
    return DecodeError(f"{_field_where(name)}: expected {expected}, got {got}")


# -- the trigger converter -------------------------------------------------


class QueueTriggerConverter:
    """``queueTrigger``: the message model, or the body for plain annotations."""

    directions = frozenset({"in"})
    model = QueueMessage  # what decode() without an annotation gives (worker facade)
    accepted_inputs = (
        "azure.functions.QueueMessage (the default), or the body as str, bytes, int, "
        "float, bool, dict or list[...] (and Optional of them)"
    )

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        if spec.kind == "any" or spec.satisfied_by(QueueMessage):
            return _model_decoder(spec.optional)
        # Plain annotations want the body itself: the generic decoders already read
        # every payload kind a queue sends.
        return _GENERIC.decoder(spec, binding)


def _model_decoder(optional: bool) -> Decoder:
    def decode_message(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
        kind = datum.type
        if kind in _PAYLOAD_TYPES and datum.value is not None:
            return QueueMessage(datum, trigger_metadata)
        if optional and (kind is None or datum.value is None):
            return None
        raise wrong_wire_kind(
            f"binding {TRIGGER!r}", "a queue message payload (string or bytes)", kind
        )

    return decode_message


# -- the output converter --------------------------------------------------


_ONE_MESSAGE = "str, bytes, dict, list or azure.functions.QueueMessage"
_LIST_ITEM = "str, dict, list or azure.functions.QueueMessage"


class QueueOutputConverter:
    """``queue``: one message, or a list of messages sent as one JSON array.

    As an input, ``queue`` gives a Storage SDK ``QueueClient`` (storage_sdk.py).
    """

    directions = frozenset({"in", "out"})
    accepted_inputs = storage_sdk.ACCEPTED_QUEUE_TYPES
    accepted_outputs = f"{_ONE_MESSAGE}, a list of {_LIST_ITEM}, or None"

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        # An input queue binding is a QueueClient built from the host's reference.
        return storage_sdk.queue_decoder(spec, binding)

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        if output_accepts(spec, _ONE_CLASSES, lambda item: _list_item_encodable(item, spec)):
            return encode_queue_message
        return None


_ONE_CLASSES: tuple[type, ...] = (
    str,
    bytes,
    bytearray,
    memoryview,
    dict,
    list,
    tuple,
    azure_abc.QueueMessage,
)
_ITEM_CLASSES: tuple[type, ...] = (str, dict, list, tuple, azure_abc.QueueMessage)
_OUTPUT_LABEL = f"binding {OUTPUT!r}"
_JSON_VALUE = "a JSON-serialisable value"


def _list_item_encodable(item: TypeSpec, spec: TypeSpec) -> bool:
    if item.kind in ("any", "list"):
        return True
    if item.kind == "union":
        return all(_list_item_encodable(option, spec) for option in item.options)
    if item.subclass_of(*_ITEM_CLASSES):
        return True
    if item.subclass_of(bytes, bytearray, memoryview):
        raise AnnotationError(
            f"binding {OUTPUT!r}: {spec.describe()} cannot be sent: a list travels as one "
            f"JSON array, which cannot hold bytes; use a list of str, or send each "
            f"bytes value on its own"
        )
    return False


@plain_values_first
def encode_queue_message(value: Any) -> Datum | None:
    """Encode one queue message, or a list of them as the JSON array the host splits."""
    cls = type(value)
    if cls is list or cls is tuple:
        return _encode_list(value)
    if cls is dict:
        return json_datum(value, _JSON_VALUE, _OUTPUT_LABEL)
    if isinstance(value, azure_abc.QueueMessage):
        return json_datum(_message_entry(value, None), _JSON_VALUE, _OUTPUT_LABEL)
    if isinstance(value, str):
        return Datum(value, "string")
    if isinstance(value, bytes | bytearray):
        return Datum(value, "bytes")
    if isinstance(value, dict):
        return json_datum(value, _JSON_VALUE, _OUTPUT_LABEL)
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return _encode_list(list(value))
    raise UnsupportedValueError(
        f"binding {OUTPUT!r}: expected {_ONE_MESSAGE}, or a list of {_LIST_ITEM}, "
        f"got {describe(value)}"
    )


def _encode_list(items: Iterable[Any]) -> Datum:
    entries: list[Any] = []
    for index, item in enumerate(items):
        cls = type(item)
        if cls is str or cls is dict or cls is list:
            entries.append(item)
        elif isinstance(item, azure_abc.QueueMessage):
            entries.append(_message_entry(item, index))
        elif isinstance(item, str | dict | list | tuple):
            entries.append(item)
        else:
            raise list_item_error(_OUTPUT_LABEL, index, _LIST_ITEM, item)
    try:
        return Datum(json.dumps(entries), "json")
    except (TypeError, ValueError) as exc:
        raise _json_error(entries, exc) from exc


def _message_entry(message: azure_abc.QueueMessage, index: int | None) -> dict[str, Any]:
    """The ``{"id", "body"}`` object azure.functions sends for a QueueMessage."""
    if isinstance(message, QueueMessage) and isinstance(message._datum.value, str):
        body = message._datum.value
    else:
        raw = message.get_body()
        try:
            body = raw if isinstance(raw, str) else bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            where = f"binding {OUTPUT!r}" + (f", item {index}" if index is not None else "")
            raise not_utf8(
                exc, where, "a QueueMessage with a UTF-8 body", UnsupportedValueError
            ) from exc
    return {"id": message.id, "body": body}


def _json_error(entries: list[Any], exc: Exception) -> UnsupportedValueError:
    """Name the first list item that json.dumps refuses (the failure path only)."""
    for index, entry in enumerate(entries):
        try:
            json.dumps(entry)
        except (TypeError, ValueError) as item_exc:
            return UnsupportedValueError(
                f"binding {OUTPUT!r}, item {index}: expected a JSON-serialisable value, "
                f"got {describe(entry)} ({item_exc})"
            )
    return UnsupportedValueError(f"binding {OUTPUT!r}: cannot encode the list as JSON ({exc})")
