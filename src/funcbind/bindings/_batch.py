"""Batches of messages: the list a batch trigger delivers, and the payload its items share.

A trigger with cardinality ``many`` hands a function a ``list`` of messages.  Making
a thousand message objects up front costs a thousand constructions a function that
only forwards the batch, or reads one element, never needs; a ``Batch`` is a real
``list`` (``isinstance`` holds, every list method works) that fills itself the first
time anything looks at its items.  Filling makes light, lazy message objects only:
their bodies and metadata are still decoded field by field when read.

:class:`Payload` holds what the messages of one decode share: the wire payload, read
once, and the trigger metadata.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from .._typing import TypeSpec
from ..datum import COLLECTION_FIELDS, DatumLike, parse_json
from ..errors import DecodeError, describe
from ..registry import BindingSpec, Decoder
from ._common import Metadata
from ._metadata import FieldReader
from .generic import GenericConverter

__all__ = ["Batch", "Payload", "compile_decoder"]

_GENERIC = GenericConverter()

_T = TypeVar("_T")


class Batch(list[_T]):
    """A list filled from ``make()`` when first used; until then it holds nothing."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], Iterable[_T]]) -> None:
        super().__init__()
        self._make: Callable[[], Iterable[_T]] | None = make

    def _fill(self) -> None:
        make = self._make
        if make is not None:
            self._make = None
            list.extend(self, make())


def _filling(name: str) -> Callable[..., Any]:
    base = getattr(list, name)

    def method(self: Batch[Any], *args: Any, **kwargs: Any) -> Any:
        if self._make is not None:
            self._fill()
        for arg in args:  # list methods read another list's storage directly
            if type(arg) is Batch and arg._make is not None:
                arg._fill()
        return base(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = base.__doc__
    return method


# Every list method that reads or changes the items; the C code of list reads the
# storage directly, so each must fill the batch first.
for _name in (
    "__add__",
    "__contains__",
    "__delitem__",
    "__eq__",
    "__ge__",
    "__getitem__",
    "__gt__",
    "__iadd__",
    "__imul__",
    "__iter__",
    "__le__",
    "__len__",
    "__lt__",
    "__mul__",
    "__ne__",
    "__reduce_ex__",
    "__repr__",
    "__reversed__",
    "__rmul__",
    "__setitem__",
    "__sizeof__",
    "append",
    "clear",
    "copy",
    "count",
    "extend",
    "index",
    "insert",
    "pop",
    "remove",
    "reverse",
    "sort",
):
    setattr(Batch, _name, _filling(_name))
del _name


class Payload:
    """The wire payload and trigger metadata of one decode, shared by its messages.

    A single message's body is the payload itself (``string``, ``json`` or ``bytes``);
    a batch's bodies are the items of a ``collection_bytes`` or ``collection_string``
    message, or of a JSON array (each item sent on as its JSON text), as azure.functions
    reads them.  ``raw_text`` keeps ``collection_string`` items as ``str``.
    """

    __slots__ = ("_bodies", "_plain", "datum", "fields", "metadata", "raw_text")

    def __init__(
        self, datum: DatumLike, metadata: Metadata, fields: FieldReader, *, raw_text: bool = False
    ) -> None:
        self.datum = datum
        self.metadata = metadata
        self.fields = fields
        self.raw_text = raw_text
        self._bodies: Sequence[Any] | None = None
        self._plain: dict[str, Any] | None = None

    def single_body(self) -> bytes:
        value = self.datum.value
        if type(value) is bytes:
            return value
        if isinstance(value, str):
            return value.encode("utf-8")
        return bytes(value)  # bytearray, memoryview: get_body promises bytes

    def bodies(self) -> Sequence[Any]:
        """The items of a batch payload: a collection's items, or a JSON array's."""
        bodies = self._bodies
        if bodies is None:
            datum = self.datum
            field = COLLECTION_FIELDS.get(datum.type or "")
            if field is not None:
                bodies = getattr(datum.value, field, datum.value)
            else:
                where = f"binding {self.fields.binding!r}: the batch payload"
                bodies = parse_json(datum.value, where, expected="a JSON array of messages")
                if not isinstance(bodies, list):
                    raise DecodeError(f"{where}: expected a JSON array, got {describe(bodies)}")
            self._bodies = bodies
        return bodies

    def body(self, index: int) -> Any:
        item = self.bodies()[index]
        kind = self.datum.type
        if kind == "collection_bytes":
            return item
        if kind == "collection_string":
            return item if self.raw_text else item.encode("utf-8")
        return json.dumps(item).encode("utf-8")

    def plain_metadata(self) -> dict[str, Any] | None:
        """The trigger metadata as plain Python, made once for all messages of a batch.

        azure.functions documents the metadata of a batch as shared by its events (read
        it from any one); one dict, not a copy per message, keeps that O(1) per read.
        """
        plain = self._plain
        if plain is None and self.metadata is not None:
            plain = self._plain = self.fields.everything(self.metadata)
        return plain


def compile_decoder(
    spec: TypeSpec,
    binding: BindingSpec,
    decode: Decoder,
    model: type,
    noun: str,
    *,
    null_is_a_message: bool = False,
) -> Decoder | None:
    """The decoder of a batch trigger for one annotation.

    ``decode`` gives one ``model`` or a list of them, as the trigger metadata says (what
    workers call, without an annotation).  An annotation of the model turns a batch into
    an error that says what to change; ``list[model]`` turns one message into a list of
    one; plain annotations (``str``, ``dict``, ``list[str]``) get the bodies themselves.
    ``Optional[model]`` gives None for a null payload, unless ``null_is_a_message`` (a
    Service Bus message may have no body at all).
    """
    if spec.kind == "any":
        return decode
    if spec.satisfied_by(model):
        compiled = _one(decode, binding.type, model, noun)
    elif spec.kind == "list" and spec.item is not None and spec.item.satisfied_by(model):
        compiled = _listed(decode)
    else:
        return _GENERIC.decoder(spec, binding)
    return _optional(compiled) if spec.optional and not null_is_a_message else compiled


def _one(decode: Decoder, binding: str, model: type, noun: str) -> Decoder:
    def decode_one(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
        found = decode(datum, trigger_metadata)
        if isinstance(found, list):
            raise DecodeError(
                f"binding {binding!r}: expected one {noun} for a {model.__name__} parameter, "
                f"got a batch of {len(found)}; annotate the parameter as "
                f"list[func.{model.__name__}], or set cardinality to 'one'"
            )
        return found

    return decode_one


def _listed(decode: Decoder) -> Decoder:
    def decode_list(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
        found = decode(datum, trigger_metadata)
        return found if isinstance(found, list) else [found]

    return decode_list


def _optional(decode: Decoder) -> Decoder:
    def decode_optional(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
        if datum is None or datum.type is None or datum.value is None:
            return None
        return decode(datum, trigger_metadata)

    return decode_optional
