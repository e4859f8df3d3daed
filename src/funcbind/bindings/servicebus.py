"""Azure Service Bus: the ``serviceBusTrigger`` input and the ``serviceBus`` output.

A trigger decodes into :class:`ServiceBusMessage`, an
``azure.functions.ServiceBusMessage`` that keeps the wire payload and the trigger
metadata as they arrived and converts each of its ~25 properties when it is read, or
into a list of them for a batch.  One message or a batch is decided as
azure.functions decides it: trigger metadata ``UserProperties`` means one message
(cardinality ``one``), ``UserPropertiesArray`` a batch (``many``), whose properties
come from the ``...Array`` fields (a missing array, or one too short, gives None, as
in azure.functions).  A batch is a :class:`~funcbind.bindings._batch.Batch`: decoding
it costs the same whatever its size, until the function looks at it.

Datetimes go through :func:`funcbind.datetimes.parse_datetime` and ``TimeToLive``
through :func:`~funcbind.datetimes.parse_timespan` (days and fractions included).

``str``, ``bytes``, ``dict`` and ``list[str]`` annotations get the bodies themselves
through the generic converter.  The output takes ``str`` and ``bytes`` as
azure.functions does, and ``bytearray``/``memoryview``, ``dict``/``list`` (JSON) and
``None`` (nothing sent), which it refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from azure.functions.servicebus import ServiceBusMessage as StockServiceBusMessage

from .._typing import TypeSpec
from ..datum import Datum, DatumLike
from ..errors import DecodeError, UnsupportedDatumError, UnsupportedValueError, describe
from ..registry import BindingSpec, Decoder, Encoder, Registry
from ._batch import Batch, Payload, compile_decoder
from ._common import UNSET, Metadata, memo_slot, wrong_wire_kind
from ._metadata import FieldReader
from ._output import json_datum, output_accepts, plain_values_first

__all__ = [
    "ServiceBusMessage",
    "ServiceBusOutputConverter",
    "ServiceBusTriggerConverter",
    "encode_message",
    "register",
]

TRIGGER = "serviceBusTrigger"
OUTPUT = "serviceBus"

ONE = "UserProperties"
MANY = "UserPropertiesArray"
ARRAY = "Array"

_FIELDS = FieldReader(TRIGGER)
_TRIGGER_LABEL = f"binding {TRIGGER!r}"


def register(registry: Registry) -> None:
    registry.register(TRIGGER, converter=ServiceBusTriggerConverter(), trigger=True)
    registry.register(OUTPUT, converter=ServiceBusOutputConverter())


class _Payload(Payload):
    """The payload of one decode and, for a batch, each ``...Array`` parsed once."""

    __slots__ = ("_arrays",)

    def __init__(self, datum: DatumLike, metadata: Metadata) -> None:
        super().__init__(datum, metadata, _FIELDS)
        self._arrays: dict[str, Sequence[Any] | None] = {}

    def item(self, key: str, index: int) -> Any:
        """Message ``index``'s value of field ``key`` in a batch (None when missing)."""
        name = key + ARRAY
        try:
            items = self._arrays[name]
        except KeyError:
            metadata = self.metadata or {}
            items = self._arrays[name] = self.fields.array(metadata.get(name), name)
        if items is None or index >= len(items):
            return None  # a missing or short array, as azure.functions reads it
        return items[index]


# -- the model -----------------------------------------------------------------------

Single = Callable[[FieldReader, "DatumLike | None", str], Any]
Item = Callable[[FieldReader, Any, str, int], Any]


def _field(key: str, single: Single, item: Item, doc: str) -> memo_slot[Any]:
    """A lazy property reading metadata field ``key`` (or its batch array ``keyArray``)."""

    def read(message: ServiceBusMessage) -> Any:
        payload, index = message._payload, message._index
        metadata = payload.metadata
        if metadata is None:
            return None
        if index is None:
            return single(payload.fields, metadata.get(key), key)
        return item(payload.fields, payload.item(key, index), key + ARRAY, index)

    read.__doc__ = f"{doc} (metadata ``{key}``)."
    return memo_slot(read)


_text = (FieldReader.text, FieldReader.item_text)
_int = (FieldReader.integer, FieldReader.item_integer)
_moment = (FieldReader.moment, FieldReader.item_moment)
_span = (FieldReader.span, FieldReader.item_span)
_mapping = (FieldReader.mapping, FieldReader.item_mapping)


class ServiceBusMessage(StockServiceBusMessage):
    """One Service Bus message as the trigger delivered it; each property read when used.

    An instance of ``azure.functions.ServiceBusMessage`` (and of the class
    azure.functions' converter returns).  A property whose wire value cannot be read
    raises :class:`DecodeError` naming the binding, the field and, in a batch, the
    message's index, when it is accessed; the other properties stay readable.
    """

    # The base classes keep no __slots__; these make the memo fields fast to read.
    __slots__ = (
        "_application_properties",
        "_body",
        "_content_type",
        "_correlation_id",
        "_dead_letter_error_description",
        "_dead_letter_reason",
        "_dead_letter_source",
        "_delivery_count",
        "_enqueued_sequence_number",
        "_enqueued_time_utc",
        "_expires_at_utc",
        "_index",
        "_label",
        "_lock_token",
        "_locked_until",
        "_message_id",
        "_metadata",
        "_partition_key",
        "_payload",
        "_reply_to",
        "_reply_to_session_id",
        "_scheduled_enqueue_time_utc",
        "_sequence_number",
        "_session_id",
        "_state",
        "_subject",
        "_time_to_live",
        "_to",
        "_transaction_partition_key",
        "_user_properties",
    )
    _body: bytes

    def __init__(self, payload: _Payload, index: int | None = None) -> None:
        # The base __init__ stores private copies of every property, which the
        # properties below replace, so it is deliberately not called.
        self._payload = payload
        self._index = index
        # Filled slots: a read of an empty one raises, which costs more than the read
        # (one chained assignment per line is the cheapest way to fill them).
        self._application_properties = self._body = self._content_type = UNSET
        self._correlation_id = self._dead_letter_error_description = UNSET
        self._dead_letter_reason = self._dead_letter_source = self._delivery_count = UNSET
        self._enqueued_sequence_number = self._enqueued_time_utc = UNSET
        self._expires_at_utc = self._label = self._lock_token = self._locked_until = UNSET
        self._message_id = self._metadata = self._partition_key = self._reply_to = UNSET
        self._reply_to_session_id = self._scheduled_enqueue_time_utc = UNSET
        self._sequence_number = self._session_id = self._state = self._subject = UNSET
        self._time_to_live = self._to = self._transaction_partition_key = UNSET
        self._user_properties = UNSET

    def get_body(self) -> bytes:
        """The message body as bytes (empty for a message without a payload)."""
        body: bytes = self._body
        if body is UNSET:
            payload, index = self._payload, self._index
            body = self._body = payload.single_body() if index is None else payload.body(index)
        return body

    application_properties = _field(
        "ApplicationProperties", *_mapping, "The application properties the sender set"
    )
    content_type = _field("ContentType", *_text, "The content type of the body")
    correlation_id = _field("CorrelationId", *_text, "The correlation id")
    dead_letter_error_description = _field(
        "DeadLetterErrorDescription", *_text, "Why the message was dead-lettered, in words"
    )
    dead_letter_reason = _field("DeadLetterReason", *_text, "Why the message was dead-lettered")
    dead_letter_source = _field(
        "DeadLetterSource", *_text, "The entity the message was dead-lettered from"
    )
    delivery_count = _field("DeliveryCount", *_int, "How many times it was delivered")
    enqueued_sequence_number = _field(
        "EnqueuedSequenceNumber", *_int, "The sequence number given on enqueueing"
    )
    enqueued_time_utc = _field("EnqueuedTimeUtc", *_moment, "When it was enqueued")
    expires_at_utc = _field("ExpiresAtUtc", *_moment, "When it expires")
    label = _field("Label", *_text, "The application label (the subject, in older SDKs)")
    locked_until = _field("LockedUntil", *_moment, "Until when the lock is held")
    lock_token = _field("LockToken", *_text, "The lock token of this delivery")
    message_id = _field("MessageId", *_text, "The message id")
    partition_key = _field("PartitionKey", *_text, "The partition key")
    reply_to = _field("ReplyTo", *_text, "The entity to reply to")
    reply_to_session_id = _field("ReplyToSessionId", *_text, "The session to reply to")
    scheduled_enqueue_time_utc = _field(
        "ScheduledEnqueueTimeUtc", *_moment, "When it was scheduled to be enqueued"
    )
    sequence_number = _field("SequenceNumber", *_int, "The sequence number")
    session_id = _field("SessionId", *_text, "The session id")
    state = _field("State", *_int, "The message state (0 active, 1 deferred, 2 scheduled)")
    subject = _field("Subject", *_text, "The application subject")
    time_to_live = _field("TimeToLive", *_span, "How long it lives, as a timedelta")
    to = _field("To", *_text, "The address it was sent to")
    transaction_partition_key = _field(
        "TransactionPartitionKey", *_text, "The partition of the transfer queue"
    )
    user_properties = _field("UserProperties", *_mapping, "The user properties")

    @property
    def expiration_time(self) -> Any:
        """Deprecated spelling of :attr:`expires_at_utc`."""
        return self.expires_at_utc

    @property
    def scheduled_enqueue_time(self) -> Any:
        """Deprecated spelling of :attr:`scheduled_enqueue_time_utc`."""
        return self.scheduled_enqueue_time_utc

    @property
    def force_persistence(self) -> bool | None:
        """Not available: the host sends no boolean (a NotImplementedError, as the stock)."""
        raise UnsupportedDatumError(
            f"binding {TRIGGER!r}: force_persistence is not sent by the host (it would need "
            f"a boolean in trigger metadata)"
        )

    @memo_slot
    def metadata(self) -> dict[str, Any] | None:
        """The trigger metadata as plain Python (JSON parsed), or None without any."""
        return self._payload.plain_metadata()

    def __repr__(self) -> str:
        try:
            ident = repr(self.message_id)
        except DecodeError:
            ident = "<unreadable>"
        return f"<funcbind ServiceBusMessage message_id={ident} at 0x{id(self):x}>"


def _messages(payload: _Payload) -> Iterator[ServiceBusMessage]:
    return (ServiceBusMessage(payload, index) for index in range(len(payload.bodies())))


# -- decoding ------------------------------------------------------------------------

_SINGLE_KINDS = frozenset({"string", "bytes", "json"})
_NO_PAYLOAD = Datum(b"", "bytes")
_BATCH_KINDS = frozenset({"collection_bytes", "collection_string"})


def decode_trigger(datum: DatumLike | None, trigger_metadata: Metadata = None) -> Any:
    """One message or a batch, decided by the trigger metadata as azure.functions does."""
    kind = None if datum is None else datum.type
    if trigger_metadata is not None and ONE not in trigger_metadata:
        if MANY in trigger_metadata:
            return _batch(datum, trigger_metadata)
        raise UnsupportedDatumError(
            f"binding {TRIGGER!r}: expected trigger metadata {ONE!r} (one message) or "
            f"{MANY!r} (a batch), got neither; the payload is wire type {kind!r}"
        )
    if datum is None or kind is None:
        # A message without a body: the workers pass no datum, funcbind a null one.
        datum, kind = _NO_PAYLOAD, "bytes"
    if kind in _SINGLE_KINDS and datum.value is not None:
        return ServiceBusMessage(_Payload(datum, trigger_metadata))
    if trigger_metadata is None and kind in _BATCH_KINDS:
        return _batch(datum, None)  # a direct call without metadata: a collection is a batch
    raise wrong_wire_kind(_TRIGGER_LABEL, "one message (string, bytes or json)", kind)


def _batch(datum: DatumLike | None, metadata: Metadata) -> Batch[ServiceBusMessage]:
    kind = None if datum is None else datum.type
    if datum is None or datum.value is None or (kind not in _BATCH_KINDS and kind != "json"):
        raise wrong_wire_kind(
            _TRIGGER_LABEL, "a batch (collection_bytes, collection_string or a JSON array)", kind
        )
    payload = _Payload(datum, metadata)
    if kind == "json":
        payload.bodies()  # a payload that is not a JSON array fails the decode
    return Batch(lambda: _messages(payload))


class ServiceBusTriggerConverter:
    """``serviceBusTrigger``: a message, a batch of messages, or the bodies as plain values."""

    directions = frozenset({"in"})
    model = ServiceBusMessage  # what decode() without an annotation gives (worker facade)
    batches = True  # ...or a list of them (cardinality many)
    accepted_inputs = (
        "azure.functions.ServiceBusMessage (the default), "
        "list[azure.functions.ServiceBusMessage], or the bodies as str, bytes, dict or "
        "list[str] (and Optional of them)"
    )

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        return compile_decoder(
            spec, binding, decode_trigger, ServiceBusMessage, "message", null_is_a_message=True
        )


# -- the output ----------------------------------------------------------------------


class ServiceBusOutputConverter:
    """``serviceBus``: one message (text, bytes or JSON), or a JSON array of them."""

    directions = frozenset({"out"})
    accepted_outputs = "str, bytes, bytearray, memoryview, dict, list (JSON) or None"

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        if output_accepts(spec, _ENCODABLE):
            return encode_message
        return None


_ENCODABLE: tuple[type, ...] = (str, bytes, bytearray, memoryview, dict, list, tuple)
_OUTPUT_LABEL = f"binding {OUTPUT!r}"


@plain_values_first
def encode_message(value: Any) -> Datum | None:
    """Encode a message to send: text, bytes, or JSON (a list: one message per element)."""
    if isinstance(value, str):
        return Datum(str(value), "string")
    if isinstance(value, bytes | bytearray):
        return Datum(value, "bytes")
    if isinstance(value, dict | list | tuple):
        return json_datum(value, "a JSON-serialisable value", _OUTPUT_LABEL)
    raise UnsupportedValueError(
        f"binding {OUTPUT!r}: expected str, bytes, dict or list, got {describe(value)}"
    )
