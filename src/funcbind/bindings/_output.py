"""What the output converters share: which annotations they take, and JSON encoding.

Each family keeps its own fast path for the values it sends (the order of the checks
is tuned per family, and subclasses are treated differently from family to family);
what is the same everywhere is decided here once: the annotations, JSON encoding, and
the plain values every family sends as they are (:func:`plain_values_first`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from .._typing import TypeSpec
from ..datum import Datum
from ..errors import UnsupportedValueError, describe

__all__ = ["json_datum", "list_item_error", "output_accepts", "plain_values_first"]


def output_accepts(
    spec: TypeSpec,
    classes: tuple[type, ...],
    items: Callable[[TypeSpec], bool] | None = None,
) -> bool:
    """True when an output annotated ``spec`` can be sent by the family.

    No annotation and ``None`` always can; a class when it derives from one of
    ``classes``; a union when every option can; a list when ``items`` accepts its
    annotated item (any list when ``items`` is None; an unannotated item always).
    """
    kind = spec.kind
    if kind in ("any", "none"):
        return True
    if kind == "union":
        return all(output_accepts(option, classes, items) for option in spec.options)
    if kind == "list":
        item = spec.item
        return items is None or item is None or item.kind == "any" or items(item)
    return spec.subclass_of(*classes)


_Encode = Callable[[Any], Datum | None]


def plain_values_first(encode: _Encode) -> _Encode:
    """``encode`` behind the shortcut every family's encoder starts with.

    A ``str`` goes as ``string`` and a ``bytes``, ``bytearray`` or ``memoryview`` as
    ``bytes``, the value itself (no copy); ``None`` sends nothing.  Anything else,
    subclasses of those included, is ``encode``'s to send or refuse.  These are what
    functions return most, so they cost one call, not two.
    """

    def encode_plain_first(value: Any) -> Datum | None:
        cls = type(value)
        if cls is str:
            return Datum(value, "string")
        if cls is bytes or cls is bytearray or cls is memoryview:
            return Datum(value, "bytes")
        if value is None:
            return None
        return encode(value)

    return functools.wraps(encode)(encode_plain_first)


def json_datum(value: Any, expected: str, where: str | None = None) -> Datum:
    """``value`` as a ``json`` Datum; a value JSON cannot hold is an UnsupportedValueError
    that says ``expected`` (after ``where``, the binding, when given)."""
    try:
        return Datum(json.dumps(value), "json")
    except (TypeError, ValueError) as exc:
        at = f"{where}: " if where else ""
        raise UnsupportedValueError(
            f"{at}expected {expected}, got {describe(value)} ({exc})"
        ) from exc


def list_item_error(where: str, index: int, expected: str, item: Any) -> UnsupportedValueError:
    """The error for item ``index`` of a list output the family cannot send: it says
    ``expected`` (after ``where``, the binding) and, for bytes, why and what to do."""
    hint = (
        "; a list travels as one JSON array, which cannot hold bytes: decode it to str"
        if isinstance(item, bytes | bytearray | memoryview)
        else ""
    )
    return UnsupportedValueError(
        f"{where}, item {index}: expected {expected}, got {describe(item)}{hint}"
    )
