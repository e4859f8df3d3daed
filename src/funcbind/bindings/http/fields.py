"""The request side of the HTTP bindings: reading the fields of an http Datum.

``RequestHeaders`` and the readers behind :class:`funcbind.bindings.http.HttpRequest`:
string maps (headers, query, route values), the body, JSON and claims identities (the
Cookie header is read in ``cookies``).  Each reader turns bad wire data into a
``DecodeError`` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any
from urllib.parse import parse_qsl

from azure.functions._http import HttpRequestHeaders

from ...datum import json_loads_utf8, parse_json, python_value
from ...errors import DecodeError, describe

__all__ = [
    "RequestHeaders",
    "encode_text",
    "identities_of",
    "parse_json_body",
    "query_from_url",
    "read_body",
    "required_text",
    "string_map",
]

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_lower = str.lower

# Header names as functions spell them, each to its lower-case form: a function reads
# the same few names on every request.  Bounded, for names that come from data rather
# than from code; past the limit a name is lowered on each read, as it would be anyway.
_LOWER_NAMES: dict[str, str] = {}
_LOWER_NAMES_LIMIT = 512


class RequestHeaders(HttpRequestHeaders):
    """Request headers: a read-only mapping with lower-case names, looked up case-blind.

    A lookup reads the one value it needs from the wire map (the host sends lower-case
    names); the full dict is built, once, only to iterate, to count, or when a name is
    not found as sent.
    """

    __slots__ = ("_all", "_raw", "_source", "_where")

    def __init__(self, source: Mapping[str, Any] | None, where: str = "http request") -> None:
        # The base __init__ copies and lower-cases everything up front; that is the
        # work this class exists to avoid.
        self._source = source
        self._where = where
        self._raw = source if type(source) is dict or isinstance(source, Mapping) else None
        self._all: dict[str, str] | None = None  # the full dict, once built

    @property
    def __http_headers__(self) -> dict[str, str]:  # type: ignore[override]
        # Where the azure.functions base class keeps its dict; built on demand here.
        return self._full()

    def _full(self) -> dict[str, str]:
        full = self._all
        if full is None:
            full = string_map(self._source, "headers", self._where, lower=True)
            self._all = full
            self._raw = None  # from now on every lookup is one dict lookup
        return full

    # Lookups first read the wire map by the lower-cased name, inline in each method:
    # they run for every header a function reads.  The name comes lower-cased from
    # _LOWER_NAMES, where lowering it again would build and hash a new str each time.
    # Anything unexpected there (a name not remembered yet, no such header, a plain str
    # or a bad value, a key that is not a str) goes to _lookup, which decides.

    def __getitem__(self, key: str) -> str:
        raw = self._raw
        if raw is not None:
            try:
                value = raw[_LOWER_NAMES[key]].value
            except (KeyError, AttributeError, TypeError):
                pass
            else:
                if type(value) is str:
                    return value
        return self._lookup(key)

    def get(self, key: str, default: Any = None) -> Any:
        raw = self._raw
        if raw is not None:
            try:
                value = raw[_LOWER_NAMES[key]].value
            except (KeyError, AttributeError, TypeError):
                pass
            else:
                if type(value) is str:
                    return value
        try:
            return self._lookup(key)
        except KeyError:  # absent, or a key that is not a str
            return default

    def _lookup(self, key: object) -> str:
        try:
            name = key.lower()  # type: ignore[attr-defined]
        except AttributeError:
            raise KeyError(key) from None
        if type(key) is str and len(_LOWER_NAMES) < _LOWER_NAMES_LIMIT:
            _LOWER_NAMES[key] = name
        raw = self._raw
        if raw is not None:
            try:
                value = raw[name].value
            except (KeyError, AttributeError, TypeError):
                pass
            else:
                if type(value) is str:
                    return value
        return self._full()[name]

    def __contains__(self, key: object) -> bool:
        try:
            name = key.lower()  # type: ignore[attr-defined]
        except AttributeError:
            return False
        raw = self._raw
        return (raw is not None and raw.get(name) is not None) or name in self._full()

    def __iter__(self) -> Iterator[str]:
        return iter(self._full())

    def __len__(self) -> int:
        return len(self._full())

    def keys(self) -> KeysView[str]:
        return self._full().keys()

    def items(self) -> ItemsView[str, str]:
        return self._full().items()

    def values(self) -> ValuesView[str]:
        return self._full().values()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._full()!r})"


def required_text(wire: object, field: str, where: str) -> str:
    """A field that must hold a string (method, url); the slow path that says what's wrong."""
    if not isinstance(wire, Mapping):
        raise DecodeError(
            f"{where}: expected the http value to be a mapping of fields, got {describe(wire)}"
        )
    item = wire.get(field)
    if item is None:
        raise DecodeError(f"{where}, field {field!r}: expected a string, got no value")
    value = _item_value(item)
    if not isinstance(value, str):
        raise DecodeError(f"{where}, field {field!r}: expected a string, got {describe(value)}")
    return str(value)


def _item_value(item: Any) -> Any:
    """A Datum's value, or a plain value as it is."""
    if item is None or isinstance(item, str | bytes):
        return item
    return getattr(item, "value", item)


def string_map(raw: Any, field: str, where: str, *, lower: bool) -> dict[str, str]:
    """A wire map of string Datums (or plain strings) as a dict of str.

    Only the plain map is read: the ``nullable_*`` twins the host may send instead are
    merged into it by the wire adapter (:mod:`funcbind.wire`), the one place that rule
    lives.
    """
    result: dict[str, str] = {}
    if raw:
        try:
            if lower:
                # str.lower refuses names that are not str (bytes have a .lower() too)
                # and gives a plain str, so only the values are checked below.
                result = {_lower(name): item.value for name, item in raw.items()}
            else:
                result = {name: item.value for name, item in raw.items()}
                for name in result:
                    if type(name) is not str:
                        raise TypeError
            for value in result.values():
                if type(value) is not str:
                    raise TypeError
        except (AttributeError, TypeError):
            result = _string_map_checked(raw, field, where, lower=lower)
    return result


def _string_map_checked(raw: Any, field: str, where: str, *, lower: bool) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise DecodeError(
            f"{where}, field {field!r}: expected a mapping of names to strings, got {describe(raw)}"
        )
    result: dict[str, str] = {}
    for name, item in raw.items():
        if not isinstance(name, str):
            raise DecodeError(f"{where}, field {field!r}: expected str names, got {describe(name)}")
        value = _item_value(item)
        if value is None:
            value = ""  # a null Datum: the name was sent without a value
        elif not isinstance(value, str):
            raise DecodeError(
                f"{where}, field {field!r}, name {name!r}: expected a string value, "
                f"got {describe(value)}"
            )
        result[name.lower() if lower else str(name)] = str(value)
    return result


def query_from_url(url: str, where: str) -> dict[str, str]:
    """The query of a datum that carries none, from its URL, as the host would build it."""
    query = url.partition("?")[2].partition("#")[0]
    if not query:
        return {}
    bad = _BAD_PERCENT.search(query)
    if bad is not None:
        raise DecodeError(
            f"{where}, field 'url': expected a valid percent-encoding in the query, got "
            f"{query[bad.start() : bad.start() + 3]!r} at offset {bad.start()} of {query!r}"
        )
    try:
        pairs = parse_qsl(query, errors="strict")
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"{where}, field 'url': expected percent-encoded UTF-8 in the query, got bytes "
            f"that are not UTF-8 ({exc.reason}) in {query!r}"
        ) from exc
    result: dict[str, str] = {}
    for name, value in pairs:
        # The host joins repeated keys with commas and drops empty values.
        result[name] = f"{result[name]},{value}" if name in result else value
    return result


def read_body(wire: Mapping[str, Any], where: str) -> bytes | str:
    """The body as the wire holds it: bytes, or str for string and json bodies."""
    item = wire.get("body")
    if item is not None and getattr(item, "type", None) == "bytes":
        value = item.value
        if type(value) is bytes:
            return value  # what Python workers receive (RawHttpBodyBytes)
    body = _body_value(item, "body", where)
    if body is None:
        body = _body_value(wire.get("rawBody"), "rawBody", where)
    return b"" if body is None else body


def _body_value(item: Any, field: str, where: str) -> bytes | str | None:
    if item is None or isinstance(item, bytes | str):
        return item
    if isinstance(item, bytearray | memoryview):
        return bytes(item)
    try:
        kind = item.type
        value = item.value
    except AttributeError:
        raise DecodeError(
            f"{where}, field {field!r}: expected a Datum, bytes or str, got {describe(item)}"
        ) from None
    if kind is None or value is None:
        return None
    if kind in ("bytes", "stream"):
        if type(value) is bytes:
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
    elif kind in ("string", "json"):
        if isinstance(value, str):
            return value
    else:
        raise DecodeError(
            f"{where}, field {field!r}: expected a bytes, string or json body, "
            f"got wire type {kind!r}"
        )
    raise DecodeError(f"{where}, field {field!r}: expected a {kind} value, got {describe(value)}")


def encode_text(text: str, where: str) -> bytes:
    """A text body as UTF-8 bytes."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DecodeError(
            f"{where}, field 'body': expected text that UTF-8 can encode, got {exc.reason} "
            f"at character {exc.start}"
        ) from exc


def parse_json_body(source: bytes | str, where: str) -> Any:
    """The body parsed as JSON; bytes must be UTF-8 (as azure.functions requires)."""
    try:  # the bytes as they are, no decoded copy; a failure is read again below
        return _loads(source)
    except (ValueError, RecursionError):
        pass
    if not source:
        raise DecodeError(f"{where}, field 'body': expected JSON, got an empty body")
    if isinstance(source, str):
        text = source
    else:
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(
                f"{where}, field 'body': expected UTF-8 JSON text, got bytes that are not "
                f"UTF-8 ({exc.reason} at byte {exc.start})"
            ) from exc
    return parse_json(
        text,
        f"{where}, field 'body'",
        expected="JSON",
        got="a body that is not valid JSON",
        loads=_loads,  # looked up per call: tests count the parses through it
    )


# THE parser (datum.py), as a module global that parse_json_body looks up per call.
_loads = json_loads_utf8


def identities_of(raw: Any, where: str) -> list[Any]:
    """The ``identities`` field as a list: a Datum (JSON parsed), a list, or absent."""
    if raw is None:
        return []
    if hasattr(raw, "type") and hasattr(raw, "value"):
        if raw.type == "json" and raw.value is not None:
            raw = parse_json(raw.value, f"{where}, field 'identities'", expected="JSON")
        else:
            try:
                raw = python_value(raw)
            except (ValueError, TypeError) as exc:
                raise DecodeError(f"{where}, field 'identities': expected JSON ({exc})") from exc
        if raw is None:
            return []
    if isinstance(raw, Mapping):
        return [raw]
    try:
        return list(raw)
    except TypeError:
        raise DecodeError(
            f"{where}, field 'identities': expected a list of identities, got {describe(raw)}"
        ) from None
