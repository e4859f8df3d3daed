"""The wire value: ``Datum``, one piece of typed data as a worker sees it.

``type`` names the TypedData field the value came from or goes to (``string``,
``bytes``, ``json``, ``http``, ``int``, ``double``, the ``collection_*`` kinds,
``model_binding_data``, ``collection_model_binding_data``) or is None for null.
Decoders never require this class: any object with ``.value`` and ``.type`` works
(``azure.functions.meta.Datum`` and the workers' own Datum classes included).

This module also holds THE JSON parser of funcbind (:func:`json_loads`, and
:func:`parse_json` for wire text): msgspec when it can be imported, the standard
library otherwise, with the standard library's results either way.
"""

from __future__ import annotations

import json
import json.scanner
import os
from collections.abc import Callable
from typing import Any, Protocol

from .errors import DecodeError

__all__ = [
    "COLLECTION_FIELDS",
    "JSON_ERRORS",
    "Datum",
    "DatumLike",
    "json_error",
    "json_loads",
    "json_loads_utf8",
    "json_parser_name",
    "parse_json",
    "python_value",
]

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
        value = self.value
        if self.type == "json" and value is not None:
            # The common case, with json_loads inlined: no call but the parser's own.
            decode = _fast_decode
            if decode is _UNRESOLVED:
                return json_loads(value)
            if decode is not None:
                try:
                    return decode(value)
                except _FAST_REFUSALS:
                    pass  # the standard library decides, as in json_loads
            return _stdlib_loads(value)
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
        return json_loads(value)
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
    loads: Callable[[Any], Any] | None = None,
) -> Any:
    """JSON text (str, bytes, bytearray or memoryview) parsed, or a DecodeError saying where.

    Whatever the parser raises for text off the wire becomes the DecodeError
    "<where>: expected <expected>, got <got> (<reason>)": invalid syntax, a value that
    is not text at all, an integer longer than Python converts (3.11+), and nesting
    deeper than the recursion limit, which ``json`` reports as a RecursionError.
    ``loads`` replaces :func:`json_loads` (tests count parses through it).
    """
    try:
        return (loads or json_loads)(text)
    except JSON_ERRORS as exc:
        raise json_error(exc, where, expected=expected, got=got) from exc


# What json_loads raises for text it cannot parse (UnicodeDecodeError is a ValueError).
JSON_ERRORS = (ValueError, TypeError, RecursionError)


def json_error(
    exc: BaseException, where: str, *, expected: str = "JSON text", got: str = "invalid JSON"
) -> DecodeError:
    """The DecodeError of :func:`parse_json`, for a caller that called json_loads itself."""
    return DecodeError(f"{where}: expected {expected}, got {got} ({exc})")


# -- the JSON parser --------------------------------------------------------------
#
# msgspec parses several times faster than the standard library, and has wheels for
# every platform and Python funcbind supports.  Where the two disagree, the standard
# library's answer is the one given: msgspec refuses what JSON itself refuses but
# Python's json accepts (NaN, Infinity, numbers too large for a float, lone
# surrogates, a byte order mark, text in UTF-16 or UTF-32), and every refusal is
# answered again by the standard library, which then returns its value or raises its
# error.  When msgspec accepts a text the standard library gives the same value (the
# differential tests in tests/test_json_parser.py hold it to that); the one known
# exception is nesting within a few levels of the recursion limit, where the standard
# library's own limit depends on how deep the caller's stack already is.
#
# FUNCBIND_JSON_PARSER=stdlib (read at the first parse) turns msgspec off.

_STDLIB = "stdlib"
_UNRESOLVED: Any = object()
_fast_decode: Any = _UNRESOLVED  # msgspec's decode, None for the standard library alone
# HTTP get_json, the hottest parse, calls _fast_decode in place, read through this module
# on every call so that setting it here reaches it, and hands whatever it refuses (or
# cannot do: None, unresolved) to json_loads_utf8.
_FAST_REFUSALS: tuple[type[BaseException], ...] = (ValueError, TypeError, RecursionError)

_JSON_SPACE = " \t\n\r"
_scan_json = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _resolve_fast_decode() -> Any:
    global _fast_decode  # noqa: PLW0603 - resolved once, on the first parse
    decode = None
    if os.environ.get("FUNCBIND_JSON_PARSER", "").strip().lower() != _STDLIB:
        try:
            import msgspec.json
        except ImportError:  # an install without it: the standard library alone
            pass
        else:
            decode = msgspec.json.Decoder().decode
    _fast_decode = decode
    return decode


def json_parser_name() -> str:
    """The parser :func:`json_loads` tries first: ``"msgspec <version>"`` or ``"stdlib"``."""
    decode = _fast_decode if _fast_decode is not _UNRESOLVED else _resolve_fast_decode()
    if decode is None:
        return _STDLIB
    import msgspec

    return f"msgspec {msgspec.__version__}"


def json_loads(text: Any) -> Any:
    """``json.loads(text)``, faster: the same values and the same errors.

    ``text`` is a str, bytes, bytearray or memoryview (the standard library takes no
    views: one is copied to bytes for it, and only when msgspec refused it).
    """
    decode = _fast_decode
    if decode is _UNRESOLVED:
        decode = _resolve_fast_decode()
    if decode is not None:
        try:
            return decode(text)
        except _FAST_REFUSALS:
            pass  # the standard library decides: its value, or its error
    return _stdlib_loads(text)


def json_loads_utf8(data: bytes | str) -> Any:
    """JSON text given as UTF-8 bytes (or as str): ``json_loads(data.decode("utf-8"))``.

    Bytes that are not UTF-8 raise UnicodeDecodeError; no byte order mark or other
    encoding is guessed (``json_loads`` of bytes would).  msgspec reads the bytes as they
    are, with no decoded copy: it accepts only valid UTF-8.
    """
    if isinstance(data, str):
        return json_loads(data)
    decode = _fast_decode
    if decode is _UNRESOLVED:
        decode = _resolve_fast_decode()
    if decode is not None:
        try:
            return decode(data)
        except _FAST_REFUSALS:
            pass
    return _stdlib_loads(bytes(data).decode("utf-8"))


def _stdlib_loads(text: Any) -> Any:
    """``json.loads`` itself, except that text skips its per-call overhead (two regular
    expression matches and two calls, more than a small document's whole parse): the
    standard library's own scanner, with the same whitespace rules and errors."""
    if type(text) is not str or text[:1] == "\ufeff":
        if isinstance(text, memoryview):
            text = bytes(text)
        return json.loads(text)  # bytes (any UTF), a BOM's error, a TypeError
    start = 0
    if text[:1] in _JSON_SPACE:
        start = len(text) - len(text.lstrip(_JSON_SPACE))
    try:
        value, end = _scan_json(text, start)
    except StopIteration as stop:
        raise json.JSONDecodeError("Expecting value", text, stop.value) from None
    if end != len(text) and text[end:].strip(_JSON_SPACE):
        end = len(text) - len(text[end:].lstrip(_JSON_SPACE))
        raise json.JSONDecodeError("Extra data", text, end)
    return value
