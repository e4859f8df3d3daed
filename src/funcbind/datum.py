"""The wire value: ``Datum``, one piece of typed data as a worker sees it.

``type`` names the TypedData field the value came from or goes to (``string``,
``bytes``, ``json``, ``http``, ``int``, ``double``, the ``collection_*`` kinds,
``model_binding_data``, ``collection_model_binding_data``) or is None for null.
Decoders never require this class: any object with ``.value`` and ``.type`` works
(``azure.functions.meta.Datum`` and the workers' own Datum classes included).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from .errors import DecodeError

__all__ = ["COLLECTION_FIELDS", "Datum", "DatumLike", "parse_json", "python_value"]

# The attribute of each collection message that holds its items.
COLLECTION_FIELDS = {
    "collection_bytes": "bytes",
    "collection_string": "string",
    "collection_double": "double",
    "collection_sint64": "sint64",
}

_SCALAR_TYPES = frozenset({"string", "bytes", "stream", "int", "double"})
_REPR_LIMIT = 20


class DatumLike(Protocol):
    """What every decoder accepts: an object with a wire ``value`` and its ``type``."""

    @property
    def value(self) -> Any: ...

    @property
    def type(self) -> str | None: ...


class Datum:
    """One value on the wire and the TypedData kind it travels as."""

    __slots__ = ("type", "value")

    def __init__(self, value: Any, type: str | None) -> None:  # noqa: A002 - the wire's name
        self.value = value
        self.type = type

    @property
    def python_value(self) -> Any:
        """The value as plain Python: JSON parsed, collections as lists."""
        return python_value(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Datum):
            return NotImplemented
        return self.type == other.type and self.value == other.value

    __hash__ = None  # type: ignore[assignment]  # values are often mutable (dict, bytearray)

    def __repr__(self) -> str:
        text = repr(self.value)
        if len(text) > _REPR_LIMIT:
            text = text[: _REPR_LIMIT - 3] + "..."
        return f"<Datum {self.type} {text}>"


def python_value(datum: DatumLike) -> Any:
    """Plain Python for any Datum-like object (the same rules as ``Datum.python_value``)."""
    kind = datum.type
    value = datum.value
    if value is None or kind is None:
        return None
    if kind in _SCALAR_TYPES:
        return value
    if kind == "json":
        return json.loads(value)
    field = COLLECTION_FIELDS.get(kind)
    if field is not None:
        return list(getattr(value, field, value))
    return value


def parse_json(
    text: Any,
    where: str,
    *,
    expected: str = "JSON text",
    got: str = "invalid JSON",
    loads: Callable[[Any], Any] = json.loads,
) -> Any:
    """JSON text (str, bytes, bytearray or memoryview) parsed, or a DecodeError saying where.

    Whatever the parser raises for text off the wire becomes the DecodeError
    "<where>: expected <expected>, got <got> (<reason>)": invalid syntax, a value that
    is not text at all, an integer longer than Python converts (3.11+), and nesting
    deeper than the recursion limit, which ``json`` reports as a RecursionError.
    ``loads`` lets a caller keep a faster parser with the same results.
    """
    if isinstance(text, memoryview):
        text = bytes(text)  # json accepts bytes and bytearray, not views
    try:
        return loads(text)
    except (ValueError, TypeError, RecursionError) as exc:
        raise DecodeError(f"{where}: expected {expected}, got {got} ({exc})") from exc
