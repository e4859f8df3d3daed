"""Adapters between ``Datum`` and the gRPC ``TypedData`` messages of the Functions protocol.

funcbind never imports protobuf: the caller passes the generated message classes as a
namespace ``pb`` (a module or any object with attributes ``TypedData``, ``RpcHttp``,
``RpcHttpCookie``, ``NullableString``, ``NullableBool``, ``NullableDouble`` and
``NullableTimestamp``).  Nested messages that have no class in that list (timestamps,
claims identities, collections) are handed to the message constructors as dicts, which
generated classes accept.

In: every ``TypedData`` kind becomes a ``Datum`` of the same name; an unset message
becomes ``Datum(None, None)``; an HTTP message becomes the dict the workers build, plus
what they drop (the ``nullable_*`` maps are merged into the plain ones here, and only
here: the HTTP request model reads the result).  Out: the Datum types workers send
(``string``, ``bytes``, ``json``, ``http``, ``int``, ``double``, ``bool``, ``dict``,
``list``) plus the in-only kinds, so that every kind round-trips.  Cookies are mapped in
:mod:`funcbind._wire_cookies`.  See ``docs/wire.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ._protobuf import new_message, nullable_string
from ._wire_cookies import cookie_from_message, cookie_messages
from ._wire_maps import StringDatums
from .datum import COLLECTION_FIELDS, Datum
from .errors import (
    DecodeError,
    EncodeError,
    FuncbindError,
    UnsupportedDatumError,
    UnsupportedValueError,
    describe,
)

__all__ = [
    "TYPED_DATA_KINDS",
    "TypedDataMetadata",
    "datum_from_typed_data",
    "datum_to_typed_data",
    "metadata_from_typed_data",
]

# The members of TypedData's oneof ``data``, in field-number order.
TYPED_DATA_KINDS: tuple[str, ...] = (
    "string",
    "json",
    "bytes",
    "stream",
    "http",
    "int",
    "double",
    "collection_bytes",
    "collection_string",
    "collection_double",
    "collection_sint64",
    "model_binding_data",
    "collection_model_binding_data",
)

_SINT64_MIN, _SINT64_MAX = -(2**63), 2**63 - 1
_new_instance = object.__new__  # an object without its __init__ call, on the hot paths
_EMPTY_BODY_BYTES = b""


# -- in: TypedData -> Datum ---------------------------------------------------


def datum_from_typed_data(td: Any) -> Datum:
    """The Datum for one ``TypedData`` message; an unset message gives ``Datum(None, None)``.

    Each field is read exactly once: with protobuf's default backend every access to a
    ``bytes`` field copies it.
    """
    if td is None:
        return Datum(None, None)
    try:
        # Text first, read before WhichOneof: it is the most common kind, and a oneof
        # member that is not empty is the one set, so non-empty text needs no other call.
        text = td.string
        if text:
            datum: Datum = _new_instance(Datum)
            datum.value = text
            datum.type = "string"
            return datum
        kind = td.WhichOneof("data")
    except (AttributeError, TypeError, ValueError) as exc:
        raise DecodeError(f"expected a TypedData message, got {describe(td)} ({exc})") from None
    # The common kinds first, inline: a dict dispatch and a call cost more than they do.
    if kind == "string":
        return Datum(text, kind)
    if kind == "bytes":
        return Datum(td.bytes, kind)
    if kind == "json":
        return Datum(td.json, kind)
    if kind is None:
        return Datum(None, None)
    read = _READERS.get(kind)
    if read is None:
        raise UnsupportedDatumError(
            f"expected a TypedData kind funcbind knows ({', '.join(TYPED_DATA_KINDS)}), "
            f"got {kind!r}"
        )
    return read(td)


def _http_from_message(td: Any) -> Datum:
    http = td.http
    # headers, query and params stay the message's own maps, seen as Datums entry by
    # entry when read (StringDatums): most functions read few of them, or none.
    value: dict[str, Any] = {
        "method": Datum(http.method, "string"),
        "url": Datum(http.url, "string"),
        "headers": StringDatums(http.headers),
        "query": StringDatums(http.query),
        "params": StringDatums(http.params),
        "body": _body_datum(http),
    }
    # The host fills the nullable maps *instead of* the plain ones when the worker
    # advertises UseNullableValueDictionaryForHttp, and only they keep empty values.
    # The one merge rule (docs/wire.md): add what the plain map lacks, except nulls.
    for plain, nullable in _NULLABLE_MAPS:
        entries: Any = getattr(http, nullable, {})  # absent from older protocol versions
        if len(entries):
            datums = {name: _nullable_string_datum(entries[name]) for name in entries}
            value[nullable] = datums
            merged = value[plain]
            for name, datum in datums.items():
                if datum.value is not None and name not in merged:
                    merged[name] = datum
    if http.HasField("rawBody"):
        raw_body = datum_from_typed_data(http.rawBody)
        if raw_body.type is not None:
            value["rawBody"] = raw_body
    if len(http.identities):
        value["identities"] = [_identity_dict(identity) for identity in http.identities]
    status_code = http.status_code
    if status_code:
        value["status_code"] = Datum(status_code, "string")
    if len(http.cookies):
        value["cookies"] = [cookie_from_message(cookie) for cookie in http.cookies]
    return Datum(value, "http")


_NULLABLE_MAPS = (
    ("headers", "nullable_headers"),
    ("query", "nullable_query"),
    ("params", "nullable_params"),
)


def _body_datum(http: Any) -> Datum:
    if http.HasField("body"):
        body = datum_from_typed_data(http.body)
        if body.type is not None:
            return body
    return Datum(_EMPTY_BODY_BYTES, "bytes")


def _nullable_string_datum(message: Any) -> Datum:
    text = nullable_string(message)
    return Datum(None, None) if text is None else Datum(text, "string")


def _identity_dict(identity: Any) -> dict[str, Any]:
    return {
        "authentication_type": nullable_string(identity.authentication_type),
        "name_claim_type": nullable_string(identity.name_claim_type),
        "role_claim_type": nullable_string(identity.role_claim_type),
        "claims": [{"type": claim.type, "value": claim.value} for claim in identity.claims],
    }


def _field_reader(kind: str) -> Callable[[Any], Datum]:
    def read(td: Any) -> Datum:
        return Datum(getattr(td, kind), kind)

    return read


_READERS: dict[str, Callable[[Any], Datum]] = {
    kind: _field_reader(kind) for kind in TYPED_DATA_KINDS if kind != "http"
}
_READERS["http"] = _http_from_message


# -- trigger metadata -----------------------------------------------------------


class TypedDataMetadata(Mapping[str, Datum]):
    """Trigger metadata as a read-only mapping that converts each entry on first access.

    Wraps the ``map<string, TypedData>`` of an InvocationRequest (or any mapping of
    TypedData messages).  Entries nobody reads are never converted; each one read is
    converted once.
    """

    __slots__ = ("_converted", "_raw")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = raw
        self._converted: dict[str, Datum] = {}

    def __getitem__(self, key: str) -> Datum:
        converted = self._converted
        if key in converted:
            return converted[key]
        # get(), not []: indexing a protobuf message map inserts a missing key.
        message = self._raw.get(key)
        if message is None:
            raise KeyError(key)
        # The kinds the host sends as metadata, inline (one call per entry read, not
        # three). A oneof member that is not empty is the one set: non-empty text or
        # JSON is known by reading it, without WhichOneof. Anything else, or anything
        # odd, goes through datum_from_typed_data.
        kind: str | None
        try:
            value = message.string
            if value:
                kind = "string"
            else:
                value = message.json
                kind = "json" if value else None
        except (AttributeError, TypeError, ValueError):
            kind = None
        if kind is None:
            datum = converted[key] = datum_from_typed_data(message)
            return datum
        datum = _new_instance(Datum)
        datum.value = value
        datum.type = kind
        converted[key] = datum
        return datum

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._raw else default

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"<TypedDataMetadata {sorted(self._raw)!r} ({len(self._converted)} converted)>"


def metadata_from_typed_data(raw: Mapping[str, Any] | None) -> Mapping[str, Datum]:
    """Trigger metadata (``map<string, TypedData>``) as a lazily converted mapping of Datums."""
    # Built without the __init__ call: once per invocation, before anything is read.
    metadata: TypedDataMetadata = _new_instance(TypedDataMetadata)
    metadata._raw = {} if raw is None else raw
    metadata._converted = {}
    return metadata


# -- out: Datum -> TypedData ------------------------------------------------------

_OUTGOING_TYPES = (
    "string, bytes, json, http, int, double, bool, dict, list, stream, "
    "the collection_* kinds, model_binding_data, collection_model_binding_data"
)


def datum_to_typed_data(datum: Any, pb: Any) -> Any:
    """The ``pb.TypedData`` message for a Datum-like object, or None when nothing is sent.

    A None datum, a None type and a None value all mean "send nothing".  A value of the
    wrong Python type for its declared type raises an EncodeError that says both.
    """
    if datum is None:
        return None
    try:
        kind = datum.type
        value = datum.value
    except AttributeError:
        raise EncodeError(
            f"expected a Datum (an object with .value and .type), got {describe(datum)}"
        ) from None
    if kind is None or value is None:
        return None
    try:
        return _typed_data(kind, value, pb)
    except FuncbindError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        # Values are checked before they reach a message; this is the message's own
        # refusal of something the checks let through (a collection of the wrong items,
        # an int too large for a double).
        raise EncodeError(
            f"{kind!r} Datum: expected a value the message's {kind!r} field takes, "
            f"got {describe(value)} ({exc})"
        ) from exc


def _typed_data(kind: str, value: Any, pb: Any) -> Any:
    if kind in {"string", "json"}:
        if not isinstance(value, str):
            raise _wrong_type(kind, "str", value)
        return new_message(pb, "TypedData", **{kind: value})
    if kind in {"bytes", "stream"}:
        return new_message(pb, "TypedData", **{kind: _as_bytes(kind, value)})
    if kind == "http":
        return new_message(pb, "TypedData", http=_http_message(value, pb))
    if kind in {"int", "bool"}:
        # TypedData has no boolean, and generated classes refuse a Python bool for an
        # int field: int() sends it as the plain 0 or 1.
        if not isinstance(value, int) or (kind == "bool" and value not in (0, 1)):
            raise _wrong_type(kind, kind, value)
        if not _SINT64_MIN <= value <= _SINT64_MAX:
            raise _wrong_type(kind, "an int within the signed 64-bit range", value)
        return new_message(pb, "TypedData", int=int(value))
    if kind == "double":
        if not isinstance(value, int | float):
            raise _wrong_type(kind, "float or int", value)
        try:
            number = float(value)
        except OverflowError:  # an int beyond the range of a double
            raise _wrong_type(
                kind, "a float or an int within the range of a double", value
            ) from None
        return new_message(pb, "TypedData", double=number)
    if kind in {"dict", "list"}:
        if not isinstance(value, dict if kind == "dict" else list | tuple):
            raise _wrong_type(kind, kind, value)
        try:
            text = json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise EncodeError(
                f"{kind!r} Datum: expected a JSON-serialisable {kind}, got {describe(value)} "
                f"({exc})"
            ) from exc
        return new_message(pb, "TypedData", json=text)
    # In-only kinds (never sent back today); encoding them makes every kind round-trip.
    # A list becomes the collection message, a dict the message; a message goes as is.
    field = _COLLECTION_ITEMS.get(kind)
    if field is not None and isinstance(value, list | tuple):
        value = {field: list(value)}
    elif kind == "model_binding_data" and isinstance(value, Mapping):
        value = dict(value)
    elif field is None and kind != "model_binding_data":
        raise UnsupportedValueError(
            f"expected a Datum of type {_OUTGOING_TYPES} or None, got type {kind!r}"
        )
    return new_message(pb, "TypedData", **{kind: value})


_COLLECTION_ITEMS = {**COLLECTION_FIELDS, "collection_model_binding_data": "model_binding_data"}


def _wrong_type(kind: str, expected: str, value: object) -> EncodeError:
    return EncodeError(f"{kind!r} Datum: expected {expected}, got {describe(value)}")


def _as_bytes(kind: str, value: Any) -> bytes:
    if type(value) is bytes:
        return value
    # Generated classes take only ``bytes`` and copy it in; a bytearray or memoryview
    # costs exactly one more copy, here, and nothing is copied before it.
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise _wrong_type(kind, "bytes, bytearray or memoryview", value)


# -- out: HTTP ----------------------------------------------------------------------


def _http_message(value: Any, pb: Any) -> Any:
    if not isinstance(value, Mapping):
        raise _wrong_type("http", "a dict of Datums (status_code, headers, cookies, body)", value)
    fields: dict[str, Any] = {}
    for key in ("method", "url"):
        text = _text_of(value.get(key), key)
        if text:
            fields[key] = text
    status = value.get("status_code")
    if status is not None:
        fields["status_code"] = _status_code(status)
    cookies: list[Any] = []
    if value.get("cookies") is not None:
        cookies = cookie_messages(value["cookies"], pb)
    headers = _entries(value, "headers")
    if headers:
        fields["headers"] = _encode_headers(headers, cookies, pb)
    if cookies:
        fields["cookies"] = cookies
    for key in ("query", "params"):
        entries = _entries(value, key)
        if entries:
            fields[key] = {name: _text_of(item, f"{key} {name!r}") for name, item in entries}
    for _, key in _NULLABLE_MAPS:
        entries = _entries(value, key)
        if entries:
            fields[key] = {name: _nullable_of(pb, item, key, name) for name, item in entries}
    for key in ("body", "rawBody"):
        body = value.get(key)
        if body is not None:
            message = datum_to_typed_data(body, pb)
            if message is not None:
                fields[key] = message
    identities = value.get("identities")
    if identities:
        if not isinstance(identities, list | tuple):
            raise _wrong_type("http", "a list of identity dicts for identities", identities)
        fields["identities"] = [_identity_message(identity) for identity in identities]
    return new_message(pb, "RpcHttp", **fields)


def _entries(value: Mapping[str, Any], key: str) -> list[tuple[str, Any]]:
    """The (name, item) pairs of a map in an HTTP dict; the names must be text."""
    entries = value.get(key)
    if entries is None:
        return []
    if not isinstance(entries, Mapping):
        raise EncodeError(f"'http' Datum, {key}: expected a dict, got {describe(entries)}")
    pairs = list(entries.items())
    for name, _ in pairs:
        if not isinstance(name, str):
            raise EncodeError(f"'http' Datum, {key}: expected str names, got {describe(name)}")
    return pairs


def _text_of(item: Any, where: str) -> str:
    """The text of a string Datum (or of a plain str) in an HTTP dict."""
    text = getattr(item, "value", item)
    if text is None:
        return ""
    if not isinstance(text, str):
        raise EncodeError(f"'http' Datum, {where}: expected str, got {describe(text)}")
    return text


def _status_code(status: Any) -> str:
    code = getattr(status, "value", status)
    if isinstance(code, int) and not isinstance(code, bool):
        return str(int(code))  # int() first: str(HTTPStatus.OK) is not "200" on 3.10
    if isinstance(code, str) and code.strip().isdigit():
        return code.strip()
    raise EncodeError(f"'http' Datum, status_code: expected an int or digits, got {describe(code)}")


def _encode_headers(headers: list[tuple[str, Any]], cookies: list[Any], pb: Any) -> dict[str, str]:
    """One text per header name; several values are joined with commas (RFC 9110 5.3).

    ``Set-Cookie`` cannot be folded that way, so its values become RpcHttpCookies.
    """
    encoded: dict[str, str] = {}
    for name, item in headers:
        raw = getattr(item, "value", item)
        values = list(raw) if isinstance(raw, list | tuple) else [raw]
        if name.lower() == "set-cookie":
            cookies.extend(cookie_messages([_text_of(v, "Set-Cookie") for v in values], pb))
        else:
            encoded[name] = ", ".join(_text_of(v, f"header {name!r}") for v in values)
    return encoded


def _nullable_of(pb: Any, item: Any, key: str, name: str) -> Any:
    text = getattr(item, "value", item)
    if text is None:
        return new_message(pb, "NullableString")
    return new_message(pb, "NullableString", value=_text_of(text, f"{key} {name!r}"))


def _identity_message(identity: Any) -> dict[str, Any]:
    if not isinstance(identity, Mapping):
        raise _wrong_type("http", "an identity dict", identity)
    message: dict[str, Any] = {"claims": []}
    for claim in identity.get("claims") or ():
        if not isinstance(claim, Mapping):
            raise _wrong_type("http", "a claim dict with 'type' and 'value'", claim)
        message["claims"].append(
            {
                "type": _text_of(claim.get("type"), "identity claim type"),
                "value": _text_of(claim.get("value"), "identity claim value"),
            }
        )
    for key in ("authentication_type", "name_claim_type", "role_claim_type"):
        text = identity.get(key)
        if text is not None:
            message[key] = {"value": _text_of(text, f"identity {key}")}
    return message
