"""The generic converter: custom and unknown binding types, and plain values.

It serves the binding name ``generic`` (which workers use for parameters
annotated exactly ``str`` or ``bytes``) and is the fallback for any binding type
without a converter of its own.  It moves scalars, JSON and collections, and
never claims a function's return value: an unknown input binding stays an input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

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
from ._common import Metadata, binding_label, not_utf8, wrong_wire_kind
from ._output import json_datum, plain_values_first

ValueDecoder = Callable[[DatumLike, str], Any]
_V = TypeVar("_V")

_TEXT_TYPES = ("string", "json")


def register(registry: Registry) -> None:
    registry.register("generic", converter=GenericConverter())


class GenericConverter:
    """Scalars, bytes, JSON and collections for any binding type."""

    directions = frozenset({"in", "out"})
    accepted_inputs = "str, bytes, int, float, bool, dict, list[...] (and Optional of them)"
    accepted_outputs = "str, bytes, bytearray, memoryview, int, float, bool, dict, list, None"

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        value_decoder = _value_decoder(spec)
        if value_decoder is None:
            return None
        nullable = spec.optional or spec.kind == "any"
        where = binding_label(binding)
        json_class = _JSON_CLASSES.get(value_decoder)
        if json_class is not None:
            return _json_decoder(json_class, spec, nullable, where)

        def decode(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
            if datum is None or datum.type is None or datum.value is None:
                if nullable:
                    return None
                raise _no_value(spec, where)
            return value_decoder(datum, where)

        return decode

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        if spec.kind in ("any", "none") or spec.subclass_of(*_ENCODABLE):
            return encode_value
        if spec.kind == "list":
            return encode_value
        if spec.kind == "union" and all(option.subclass_of(*_ENCODABLE) for option in spec.options):
            return encode_value
        return None


# -- decoding --------------------------------------------------------------


def _value_decoder(spec: TypeSpec) -> ValueDecoder | None:
    if spec.kind == "any":
        return _decode_raw
    if spec.kind == "list":
        item_cls = spec.item.cls if spec.item is not None and spec.item.kind == "class" else Any
        coerce = _lookup(_ITEM_COERCERS, item_cls)
        if coerce is None:
            return None
        return lambda datum, where: _decode_list(datum, where, coerce)
    if spec.kind != "class" or spec.cls is None:
        return None
    decoder = _lookup(_CLASS_DECODERS, spec.cls)
    if decoder is None and spec.subclass_of(dict):
        decoder = _CLASS_DECODERS[dict]
    return decoder


def _lookup(table: Mapping[object, _V], key: object) -> _V | None:
    try:
        return table.get(key)
    except TypeError:  # a class whose metaclass makes it unhashable
        return None


def _decode_raw(datum: DatumLike, where: str) -> Any:
    """What workers' own generic binding returns: JSON stays text, collections lists."""
    kind = datum.type
    if kind in ("string", "bytes", "json", "int", "double"):
        return datum.value
    if kind == "stream":
        return bytes(datum.value)
    field = COLLECTION_FIELDS.get(kind or "")
    if field is not None:
        return list(getattr(datum.value, field, datum.value))
    raise wrong_wire_kind(where, "string, bytes, json, int, double or a collection", datum.type)


def _decode_str(datum: DatumLike, where: str) -> str:
    kind = datum.type
    if kind in _TEXT_TYPES:
        return datum.value  # type: ignore[no-any-return]
    if kind in ("bytes", "stream"):
        try:
            return bytes(datum.value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise not_utf8(exc, where, "UTF-8 text for a str annotation") from exc
    if kind in ("int", "double"):
        return str(datum.value)
    raise wrong_wire_kind(where, "string, json, bytes, int or double for str", datum.type)


def _decode_bytes(datum: DatumLike, where: str) -> bytes:
    kind = datum.type
    value = datum.value
    if kind in ("bytes", "stream"):
        return value if type(value) is bytes else bytes(value)
    if kind in _TEXT_TYPES:
        return value.encode("utf-8")  # type: ignore[no-any-return]
    raise wrong_wire_kind(where, "bytes, stream, string or json for bytes", datum.type)


_JSON_SOURCES = frozenset({*_TEXT_TYPES, "bytes", "stream"})


def _parse_json(datum: DatumLike, where: str) -> Any:
    kind = datum.type
    if kind in _JSON_SOURCES:
        return parse_json(datum.value, where)
    if kind in ("int", "double"):
        return datum.value
    field = COLLECTION_FIELDS.get(kind or "")
    if field is not None:
        return list(getattr(datum.value, field, datum.value))
    raise wrong_wire_kind(where, "json, string or bytes holding JSON", datum.type)


def _json_of(expected: type) -> ValueDecoder:
    def decode(datum: DatumLike, where: str) -> Any:
        if datum.type in _JSON_SOURCES:  # _parse_json inlined: the usual path, fewer calls
            try:
                value = json_loads(datum.value)
            except JSON_ERRORS as exc:
                raise json_error(exc, where) from exc
        else:
            value = _parse_json(datum, where)
        if not isinstance(value, expected):
            raise _not_json_of(expected, value, where)
        return value

    return decode


def _not_json_of(expected: type, value: Any, where: str) -> DecodeError:
    return DecodeError(f"{where}: expected a JSON {_JSON_NAMES[expected]}, got {describe(value)}")


def _no_value(spec: TypeSpec, where: str) -> DecodeError:
    return DecodeError(
        f"{where}: expected {spec.describe()}, got no value (null); "
        "annotate the parameter as Optional to accept a missing value"
    )


def _number_of(expected: type[int] | type[float]) -> ValueDecoder:
    def decode(datum: DatumLike, where: str) -> Any:
        kind = datum.type
        value = datum.value
        if kind in ("int", "double") or kind in _TEXT_TYPES:
            try:
                if expected is int and isinstance(value, float):
                    if not value.is_integer():
                        raise ValueError("it has a fractional part")
                    return int(value)
                return expected(value)
            except (ValueError, TypeError) as exc:
                raise DecodeError(
                    f"{where}: expected {expected.__name__}, got {kind} {value!r} ({exc})"
                ) from exc
        raise wrong_wire_kind(
            where, f"int, double, string or json for {expected.__name__}", datum.type
        )

    return decode


def _decode_bool(datum: DatumLike, where: str) -> bool:
    value = _parse_json(datum, where) if datum.type != "string" else datum.value
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise DecodeError(f"{where}: expected a boolean, got {describe(value)}")


def _decode_list(datum: DatumLike, where: str, coerce: ItemCoercer) -> list[Any]:
    field = COLLECTION_FIELDS.get(datum.type or "")
    if field is not None:
        items = list(getattr(datum.value, field, datum.value))
    else:
        items = _parse_json(datum, where)
        if not isinstance(items, list):
            raise DecodeError(
                f"{where}: expected a JSON array or a collection, got {describe(items)}"
            )
    return [coerce(item, where, index) for index, item in enumerate(items)]


_JSON_NAMES: dict[type, str] = {dict: "object", list: "array"}
_CLASS_DECODERS: dict[object, ValueDecoder] = {
    str: _decode_str,
    bytes: _decode_bytes,
    bool: _decode_bool,
    int: _number_of(int),
    float: _number_of(float),
    dict: _json_of(dict),
    list: _json_of(list),
}
_JSON_CLASSES: dict[ValueDecoder, type] = {_CLASS_DECODERS[cls]: cls for cls in (dict, list)}


def _json_decoder(expected: type, spec: TypeSpec, nullable: bool, where: str) -> Decoder:
    """The decoder for a dict or list annotation: JSON text (most custom bindings' whole
    work) is parsed with no call but json_loads; anything else goes the general way."""
    value_decoder = _CLASS_DECODERS[expected]

    def decode(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
        if datum is not None:
            kind = datum.type
            value = datum.value
            if kind in _JSON_SOURCES and value is not None:
                try:
                    parsed = json_loads(value)
                except JSON_ERRORS as exc:
                    raise json_error(exc, where) from exc
                if isinstance(parsed, expected):
                    return parsed
                raise _not_json_of(expected, parsed, where)
            if kind is not None and value is not None:
                return value_decoder(datum, where)
        if nullable:
            return None
        raise _no_value(spec, where)

    return decode


# -- list items (already Python values: collection entries or parsed JSON) --

ItemCoercer = Callable[[Any, str, int], Any]


def _item_error(where: str, index: int, expected: str, item: object) -> DecodeError:
    return DecodeError(f"{where}, item {index}: expected {expected}, got {describe(item)}")


def _item_any(item: Any, where: str, index: int) -> Any:
    return item


def _item_str(item: Any, where: str, index: int) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, bytes):
        try:
            return item.decode("utf-8")
        except UnicodeDecodeError:
            raise _item_error(where, index, "UTF-8 text", item) from None
    raise _item_error(where, index, "str", item)


def _item_bytes(item: Any, where: str, index: int) -> bytes:
    if isinstance(item, bytes):
        return item
    if isinstance(item, str):
        return item.encode("utf-8")
    raise _item_error(where, index, "bytes", item)


def _item_int(item: Any, where: str, index: int) -> int:
    if isinstance(item, int) and not isinstance(item, bool):
        return item
    if isinstance(item, float) and item.is_integer():
        return int(item)
    raise _item_error(where, index, "int", item)


def _item_float(item: Any, where: str, index: int) -> float:
    if isinstance(item, int | float) and not isinstance(item, bool):
        return float(item)
    raise _item_error(where, index, "float", item)


def _item_of(expected: type) -> ItemCoercer:
    def coerce(item: Any, where: str, index: int) -> Any:
        if isinstance(item, expected):
            return item
        raise _item_error(where, index, expected.__name__, item)

    return coerce


_ITEM_COERCERS: dict[object, ItemCoercer] = {
    Any: _item_any,
    str: _item_str,
    bytes: _item_bytes,
    int: _item_int,
    float: _item_float,
    bool: _item_of(bool),
    dict: _item_of(dict),
    list: _item_of(list),
}


# -- encoding --------------------------------------------------------------

_ENCODABLE = (str, bytes, bytearray, memoryview, int, float, bool, dict, list)
_JSON_VALUE = "a JSON-serialisable dict or list"


@plain_values_first
def encode_value(value: Any) -> Datum | None:
    """Encode a plain value: text, bytes (no copy), numbers, booleans, JSON, None."""
    cls = type(value)
    if cls is bool:
        # TypedData has no boolean; generated message classes reject a bool for an
        # int field, so send the integer explicitly.
        return Datum(int(value), "int")
    if cls is int:
        return Datum(value, "int")
    if cls is float:
        return Datum(value, "double")
    if cls is dict or cls is list:
        return json_datum(value, _JSON_VALUE)
    # Subclasses (str enums, OrderedDict, numpy-free int subclasses) take the slow path.
    for base, kind in ((str, "string"), (bytes, "bytes"), (bytearray, "bytes")):
        if isinstance(value, base):
            return Datum(value, kind)
    if isinstance(value, bool | int):
        return Datum(int(value), "int")
    if isinstance(value, float):
        return Datum(float(value), "double")
    if isinstance(value, dict | list | tuple):
        return json_datum(value, _JSON_VALUE)
    raise UnsupportedValueError(
        f"expected str, bytes, bytearray, memoryview, int, float, bool, dict, list or None, "
        f"got {describe(value)}"
    )
