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

from ..datum import COLLECTION_FIELDS, DatumLike, parse_json
from ..errors import DecodeError, describe
from ._common import Metadata
from ._metadata import FieldReader

__all__ = ["Batch", "Payload"]

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
