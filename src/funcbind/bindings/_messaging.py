"""What the Event Hubs and Service Bus triggers share: lazy messages over one payload.

Both deliver one message, or a batch of them, whose body and trigger metadata fields
are converted when read.  :class:`MessagePayload` is what the messages of one decode
share; :class:`LazyMessage` is the part of the two models that is the same (the body,
``metadata``, how a field is found), placed before the azure.functions class in each
model's bases; :func:`message_field` makes one lazy field property.  Each family keeps
its own model, its fields and its decode rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

from ..datum import DatumLike
from ..errors import UnsupportedDatumError
from ._batch import Batch, Payload
from ._common import UNSET, memo_slot, wrong_wire_kind
from ._metadata import FieldReader

__all__ = [
    "BATCH_KINDS",
    "INTEGER",
    "MAPPING",
    "MOMENT",
    "SINGLE_KINDS",
    "SPAN",
    "TEXT",
    "LazyMessage",
    "MessagePayload",
    "batch_datum",
    "lazy_batch",
    "message_field",
    "no_cardinality",
]

# Wire types of one message, and of a batch (a JSON array is a batch too, see batch_datum).
SINGLE_KINDS = frozenset({"string", "bytes", "json"})
BATCH_KINDS = frozenset({"collection_bytes", "collection_string"})
_BATCH_OR_JSON = BATCH_KINDS | {"json"}


class MessagePayload(Payload):
    """A :class:`Payload` that also finds a batch message's value of a metadata field."""

    __slots__ = ()

    # How an error names field ``key`` of a batch: ``key`` followed by this.
    item_suffix = ""

    def item(self, key: str, index: int) -> Any:
        """Message ``index``'s value of field ``key`` in a batch (already plain Python)."""
        raise NotImplementedError


class LazyMessage:
    """The shared half of a lazy message model: its payload, index, body and metadata.

    A model lists this before its azure.functions base class (so ``get_body`` and
    ``metadata`` are these), declares ``__slots__`` for its own fields and, in its
    constructor, sets ``_payload`` and ``_index`` and fills every memo slot, these
    included, with UNSET (one constructor, not two: a batch makes one model per message).
    """

    __slots__ = ("_body", "_index", "_metadata", "_payload")
    _payload: MessagePayload
    _index: int | None  # None: the one message of a single-message decode
    _body: Any

    def get_body(self) -> bytes:
        """The body as bytes (empty for a message without a payload)."""
        body = self._body
        if body is UNSET:
            payload, index = self._payload, self._index
            body = self._body = payload.single_body() if index is None else payload.body(index)
        return cast(bytes, body)

    @memo_slot
    def metadata(self) -> dict[str, Any] | None:
        """The trigger metadata as plain Python (JSON parsed), or None without any."""
        return self._payload.plain_metadata()


# How a field is read: of a single message, from its own Datum; of a batch, one item.
Single = Callable[[FieldReader, "DatumLike | None", str], Any]
Item = Callable[[FieldReader, Any, str, int], Any]

# The (single, item) readers of each kind of field: message_field(key, *TEXT, doc).
TEXT = (FieldReader.text, FieldReader.item_text)
INTEGER = (FieldReader.integer, FieldReader.item_integer)
MOMENT = (FieldReader.moment, FieldReader.item_moment)
SPAN = (FieldReader.span, FieldReader.item_span)
MAPPING = (FieldReader.mapping, FieldReader.item_mapping)


def message_field(key: str, single: Single, item: Item, doc: str) -> memo_slot[Any]:
    """A lazy property of a :class:`LazyMessage` reading metadata field ``key``.

    ``single`` converts the field's Datum (one message), ``item`` its batch value, found
    by the payload's :meth:`~MessagePayload.item`; no metadata at all gives None.  The
    model needs a slot ``_<property name>``.
    """

    def read(message: LazyMessage) -> Any:
        payload, index = message._payload, message._index
        metadata = payload.metadata
        if metadata is None:
            return None
        if index is None:
            return single(payload.fields, metadata.get(key), key)
        return item(payload.fields, payload.item(key, index), key + payload.item_suffix, index)

    read.__doc__ = f"{doc} (metadata ``{key}``)."
    return memo_slot(read)


# -- decoding ------------------------------------------------------------------------


def batch_datum(datum: DatumLike | None, where: str) -> DatumLike:
    """``datum`` when it can hold a batch (a collection, or JSON text of an array)."""
    kind = None if datum is None else datum.type
    if datum is None or datum.value is None or kind not in _BATCH_OR_JSON:
        raise wrong_wire_kind(
            where, "a batch (collection_bytes, collection_string or a JSON array)", kind
        )
    return datum


def lazy_batch(model: Callable[[Any, int], Any], payload: Payload) -> Batch[Any]:
    """The batch of ``payload``'s messages, each ``model(payload, index)`` when first used.

    A JSON payload is parsed now: one that is not an array fails the decode, not the
    first look at the list.
    """
    if payload.datum.type == "json":
        payload.bodies()

    def messages() -> Iterator[Any]:
        return (model(payload, index) for index in range(len(payload.bodies())))

    return Batch(messages)


def no_cardinality(
    binding: str, one: str, many: str, noun: str, kind: str | None
) -> UnsupportedDatumError:
    """The error for trigger metadata that says neither one message nor a batch."""
    return UnsupportedDatumError(
        f"binding {binding!r}: expected trigger metadata {one!r} (one {noun}) or {many!r} "
        f"(a batch), got neither; the payload is wire type {kind!r}"
    )
