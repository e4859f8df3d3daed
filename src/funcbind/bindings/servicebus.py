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

from collections.abc import Sequence
from typing import Any

from azure.functions.servicebus import ServiceBusMessage as StockServiceBusMessage

from .._typing import TypeSpec
from ..datum import Datum, DatumLike
from ..errors import DecodeError, UnsupportedDatumError, UnsupportedValueError, describe
from ..registry import BindingSpec, Decoder, Encoder, Registry
from ._batch import Batch, compile_decoder
from ._common import UNSET, Metadata, wrong_wire_kind
from ._messaging import (
    BATCH_KINDS,
    INTEGER,
    MAPPING,
    MOMENT,
    SINGLE_KINDS,
    SPAN,
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


class _Payload(MessagePayload):
    """The payload of one decode and, for a batch, each ``...Array`` parsed once."""

    __slots__ = ("_arrays",)
    item_suffix = ARRAY

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


class ServiceBusMessage(LazyMessage, StockServiceBusMessage):
    """One Service Bus message as the trigger delivered it; each property read when used.

    An instance of ``azure.functions.ServiceBusMessage`` (and of the class
    azure.functions' converter returns).  A property whose wire value cannot be read
    raises :class:`DecodeError` naming the binding, the field and, in a batch, the
    message's index, when it is accessed; the other properties stay readable.
    """

    # The base classes keep no __slots__; these make the memo fields fast to read.
    __slots__ = (
        "_application_properties",
        "_content_type",
        "_correlation_id",
        "_dead_letter_error_description",
        "_dead_letter_reason",
        "_dead_letter_source",
        "_delivery_count",
        "_enqueued_sequence_number",
        "_enqueued_time_utc",
        "_expires_at_utc",
        "_label",
        "_lock_token",
        "_locked_until",
        "_message_id",
        "_partition_key",
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
    _payload: _Payload

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

    application_properties = message_field(
        "ApplicationProperties", *MAPPING, "The application properties the sender set"
    )
    content_type = message_field("ContentType", *TEXT, "The content type of the body")
    correlation_id = message_field("CorrelationId", *TEXT, "The correlation id")
    dead_letter_error_description = message_field(
        "DeadLetterErrorDescription", *TEXT, "Why the message was dead-lettered, in words"
    )
    dead_letter_reason = message_field(
        "DeadLetterReason", *TEXT, "Why the message was dead-lettered"
    )
    dead_letter_source = message_field(
        "DeadLetterSource", *TEXT, "The entity the message was dead-lettered from"
    )
    delivery_count = message_field("DeliveryCount", *INTEGER, "How many times it was delivered")
    enqueued_sequence_number = message_field(
        "EnqueuedSequenceNumber", *INTEGER, "The sequence number given on enqueueing"
    )
    enqueued_time_utc = message_field("EnqueuedTimeUtc", *MOMENT, "When it was enqueued")
    expires_at_utc = message_field("ExpiresAtUtc", *MOMENT, "When it expires")
    label = message_field("Label", *TEXT, "The application label (the subject, in older SDKs)")
    locked_until = message_field("LockedUntil", *MOMENT, "Until when the lock is held")
    lock_token = message_field("LockToken", *TEXT, "The lock token of this delivery")
    message_id = message_field("MessageId", *TEXT, "The message id")
    partition_key = message_field("PartitionKey", *TEXT, "The partition key")
    reply_to = message_field("ReplyTo", *TEXT, "The entity to reply to")
    reply_to_session_id = message_field("ReplyToSessionId", *TEXT, "The session to reply to")
    scheduled_enqueue_time_utc = message_field(
        "ScheduledEnqueueTimeUtc", *MOMENT, "When it was scheduled to be enqueued"
    )
    sequence_number = message_field("SequenceNumber", *INTEGER, "The sequence number")
    session_id = message_field("SessionId", *TEXT, "The session id")
    state = message_field(
        "State", *INTEGER, "The message state (0 active, 1 deferred, 2 scheduled)"
    )
    subject = message_field("Subject", *TEXT, "The application subject")
    time_to_live = message_field("TimeToLive", *SPAN, "How long it lives, as a timedelta")
    to = message_field("To", *TEXT, "The address it was sent to")
    transaction_partition_key = message_field(
        "TransactionPartitionKey", *TEXT, "The partition of the transfer queue"
    )
    user_properties = message_field("UserProperties", *MAPPING, "The user properties")

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

    def __repr__(self) -> str:
        try:
            ident = repr(self.message_id)
        except DecodeError:
            ident = "<unreadable>"
        return f"<funcbind ServiceBusMessage message_id={ident} at 0x{id(self):x}>"


# -- decoding ------------------------------------------------------------------------

_NO_PAYLOAD = Datum(b"", "bytes")


def decode_trigger(datum: DatumLike | None, trigger_metadata: Metadata = None) -> Any:
    """One message or a batch, decided by the trigger metadata as azure.functions does."""
    kind = None if datum is None else datum.type
    if trigger_metadata is not None and ONE not in trigger_metadata:
        if MANY in trigger_metadata:
            return _batch(datum, trigger_metadata)
        raise no_cardinality(TRIGGER, ONE, MANY, "message", kind)
    if datum is None or kind is None:
        # A message without a body: the workers pass no datum, funcbind a null one.
        datum, kind = _NO_PAYLOAD, "bytes"
    if kind in SINGLE_KINDS and datum.value is not None:
        return ServiceBusMessage(_Payload(datum, trigger_metadata))
    if trigger_metadata is None and kind in BATCH_KINDS:
        return _batch(datum, None)  # a direct call without metadata: a collection is a batch
    raise wrong_wire_kind(_TRIGGER_LABEL, "one message (string, bytes or json)", kind)


def _batch(datum: DatumLike | None, metadata: Metadata) -> Batch[ServiceBusMessage]:
    return lazy_batch(ServiceBusMessage, _Payload(batch_datum(datum, _TRIGGER_LABEL), metadata))


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
