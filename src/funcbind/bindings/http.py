"""HTTP bindings: ``httpTrigger`` requests in, ``http`` responses out.

The request model, :class:`HttpRequest`, is an ``azure.functions.HttpRequest`` that
keeps the worker's http Datum and builds each field on first access, once: a function
that reads only ``req.method`` pays for nothing else.  The response side (in
``_http_response``) turns ``azure.functions.HttpResponse``, text, bytes and JSON-able
values into the http Datum the language workers send to the host.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any
from urllib.parse import parse_qsl

import azure.functions.http
from azure.functions import _abc as azure_abc
from azure.functions._http import HttpRequestHeaders

from .._typing import TypeSpec
from ..datum import DatumLike, python_value
from ..errors import DecodeError, UnsupportedDatumError, describe
from ..registry import BindingSpec, Decoder, Encoder, Registry
from ._http_form import (
    DEFAULT_FORM_SIZE_LIMIT,
    Files,
    Form,
    get_form_size_limit,
    parse_form,
    set_form_size_limit,
)
from ._http_response import HttpCookie, encode_http_output, encode_response

__all__ = [
    "DEFAULT_FORM_SIZE_LIMIT",
    "HttpCookie",
    "HttpRequest",
    "HttpRequestConverter",
    "HttpResponseConverter",
    "RequestHeaders",
    "encode_http_output",
    "encode_response",
    "get_form_size_limit",
    "parse_cookie_header",
    "register",
    "set_form_size_limit",
]

Metadata = Mapping[str, DatumLike] | None

_UNSET: Any = object()
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def register(registry: Registry) -> None:
    registry.register("httpTrigger", converter=HttpRequestConverter(), trigger=True)
    registry.register("http", converter=HttpResponseConverter())


# -- the request model -----------------------------------------------------------


class RequestHeaders(HttpRequestHeaders):
    """Request headers: a read-only mapping with lower-case names, looked up case-blind.

    A lookup reads the one value it needs from the wire map (the host sends lower-case
    names); the full dict is built, once, only to iterate, to count, or when a name is
    not found as sent.
    """

    __slots__ = ("_all", "_nullable", "_raw", "_source", "_where")

    def __init__(
        self,
        source: Mapping[str, Any] | None,
        *,
        nullable: Mapping[str, Any] | None = None,
        where: str = "http request",
    ) -> None:
        # The base __init__ copies and lower-cases everything up front; that is the
        # work this class exists to avoid.
        self._source = source
        self._nullable = nullable
        self._where = where
        self._all: dict[str, str] | None = None
        self._raw = source if isinstance(source, dict) and nullable is None else None

    @property
    def __http_headers__(self) -> dict[str, str]:  # type: ignore[override]
        # Where the azure.functions base class keeps its dict; built on demand here.
        return self._full()

    def _full(self) -> dict[str, str]:
        full = self._all
        if full is None:
            full = _string_map(self._source, self._nullable, "headers", self._where, lower=True)
            self._all = full
        return full

    def _as_sent(self, name: str) -> str | None:
        """The value under exactly this lower-case name in the wire map, if readable."""
        raw = self._raw
        if raw is None or self._all is not None:
            return None
        item = raw.get(name)
        value = item if type(item) is str else getattr(item, "value", None)
        return value if type(value) is str else None

    def __getitem__(self, key: str) -> str:
        try:
            name = key.lower()
        except AttributeError:
            raise KeyError(key) from None
        value = self._as_sent(name)
        return value if value is not None else self._full()[name]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            name = key.lower()
        except AttributeError:  # a key that is not a str is simply absent
            return default
        value = self._as_sent(name)
        return value if value is not None else self._full().get(name, default)

    def __contains__(self, key: object) -> bool:
        try:
            name = key.lower()  # type: ignore[attr-defined]
        except AttributeError:
            return False
        return self._as_sent(name) is not None or name in self._full()

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


class HttpRequest(azure.functions.http.HttpRequest):
    """An HTTP trigger request: an ``azure.functions.HttpRequest`` built lazily.

    Each field is built from the raw Datum on first access and kept.  Beyond the
    stock class: ``cookies`` (from the Cookie header), ``identities`` (RpcHttp
    claims identities) and ``datum`` (the raw wire value, for anything else).
    """

    # What decoding sets lives in slots.  The lazy fields start as these class-level
    # defaults and land in the instance dict (the azure.functions bases have no
    # __slots__, so there is one) when first built: decoding pays for none of them.
    __slots__ = ("_datum", "_method", "_url", "_where", "_wire")
    _headers: RequestHeaders | None = None
    _params: Mapping[str, str] | None = None
    _route_params: Mapping[str, str] | None = None
    _body: bytes | None = None
    _json: Any = _UNSET
    _form: Form | None = None
    _files: Files | None = None
    _cookies: Mapping[str, str] | None = None
    _identities: list[Any] | None = None

    def __init__(self, datum: DatumLike, where: str = "http request") -> None:
        wire = datum.value
        try:
            item = wire["method"]
            method = item if type(item) is str else item.value
            item = wire["url"]
            url = item if type(item) is str else item.value
            if type(method) is not str or type(url) is not str:
                raise TypeError
        except (KeyError, AttributeError, TypeError):
            method = _required_text(wire, "method", where)
            url = _required_text(wire, "url", where)
        self._datum = datum
        self._wire: Mapping[str, Any] = wire
        self._where = where
        self._method = method.upper()
        self._url = url

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__qualname__} {self._method} {self._url}>"

    @property
    def datum(self) -> DatumLike:
        """The http Datum this request was decoded from."""
        return self._datum

    @property
    def method(self) -> str:
        """The request method, upper-case."""
        return self._method

    @property
    def url(self) -> str:
        """The full request URL, query string included."""
        return self._url

    @property
    def headers(self) -> RequestHeaders:
        """Request headers; names lower-case, lookups case-insensitive."""
        headers = self._headers
        if headers is None:
            wire = self._wire
            headers = self._headers = RequestHeaders(
                wire.get("headers"), nullable=wire.get("nullable_headers"), where=self._where
            )
        return headers

    @property
    def params(self) -> Mapping[str, str]:
        """Query parameters (repeated keys joined with commas, as the host sends them)."""
        params = self._params
        if params is None:
            wire = self._wire
            raw, nullable = wire.get("query"), wire.get("nullable_query")
            if raw is None and nullable is None:
                query = _query_from_url(self._url, self._where)
            else:
                query = _string_map(raw, nullable, "query", self._where, lower=False)
            params = self._params = types.MappingProxyType(query)
        return params

    @property
    def route_params(self) -> Mapping[str, str]:
        """Values captured by the route template."""
        route_params = self._route_params
        if route_params is None:
            wire = self._wire
            route_params = types.MappingProxyType(
                _string_map(
                    wire.get("params"),
                    wire.get("nullable_params"),
                    "params",
                    self._where,
                    lower=False,
                )
            )
            self._route_params = route_params
        return route_params

    def get_body(self) -> bytes:
        """The body as bytes: the wire's own bytes object, or text encoded once as UTF-8."""
        body = self._body
        if body is None:
            source = _read_body(self._wire, self._where)
            body = source if isinstance(source, bytes) else _encode_text(source, self._where)
            self._body = body
        return body

    def get_json(self) -> Any:
        """The body parsed as JSON, once; ValueError (DecodeError) if it is not JSON.

        Every call returns the same object.
        """
        parsed = self._json
        if parsed is _UNSET:
            parsed = self._json = _parse_json_body(
                self._body if self._body is not None else _read_body(self._wire, self._where),
                self._where,
            )
        return parsed

    @property
    def form(self) -> Form:
        """Fields of a urlencoded or multipart body (empty for other content types)."""
        form = self._form
        if form is None:
            form = self._parse_form_data()[0]
        return form

    @property
    def files(self) -> Files:
        """Uploaded files of a multipart body, as werkzeug ``FileStorage`` objects."""
        files = self._files
        if files is None:
            files = self._parse_form_data()[1]
        return files

    def _parse_form_data(self) -> tuple[Form, Files]:
        # Also the name azure.functions uses internally; it parses form and files together.
        form, files = parse_form(self.get_body(), self.headers.get("content-type", ""), self._where)
        self._form = form
        self._files = files
        return form, files

    @property
    def cookies(self) -> Mapping[str, str]:
        """Cookies sent in the Cookie header, name to value (the first of repeated names)."""
        cookies = self._cookies
        if cookies is None:
            cookies = types.MappingProxyType(parse_cookie_header(self.headers.get("cookie", "")))
            self._cookies = cookies
        return cookies

    @property
    def identities(self) -> list[Any]:
        """The claims identities of an authenticated request (``RpcHttp.identities``).

        Items are as the worker delivered them (messages or JSON objects); empty when
        the request carried none.
        """
        identities = self._identities
        if identities is None:
            identities = _identities(self._wire.get("identities"), self._where)
            self._identities = identities
        return identities


# -- reading the wire fields -----------------------------------------------------


def _required_text(wire: object, field: str, where: str) -> str:
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


def _string_map(raw: Any, nullable: Any, field: str, where: str, *, lower: bool) -> dict[str, str]:
    """A wire map of string Datums (or plain strings) as a dict of str.

    ``nullable`` is the map's NullableString twin, present only when the worker asked
    for those: it also holds the names whose value is empty or null, which the plain
    map leaves out.
    """
    result: dict[str, str] = {}
    if raw:
        try:
            if lower:
                result = {name.lower(): item.value for name, item in raw.items()}
            else:
                result = {name: item.value for name, item in raw.items()}
            for name, value in result.items():
                if type(value) is not str or type(name) is not str:
                    raise TypeError
        except (AttributeError, TypeError):
            result = _string_map_checked(raw, field, where, lower=lower)
    if nullable:
        for name, value in _string_map_checked(nullable, field, where, lower=lower).items():
            result.setdefault(name, value)
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
            value = ""  # a NullableString without a value
        elif not isinstance(value, str):
            raise DecodeError(
                f"{where}, field {field!r}, name {name!r}: expected a string value, "
                f"got {describe(value)}"
            )
        result[name.lower() if lower else str(name)] = str(value)
    return result


def _query_from_url(url: str, where: str) -> dict[str, str]:
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


def _read_body(wire: Mapping[str, Any], where: str) -> bytes | str:
    """The body as the wire holds it: bytes, or str for string and json bodies."""
    body = _body_value(wire.get("body"), "body", where)
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


def _encode_text(text: str, where: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DecodeError(
            f"{where}, field 'body': expected text that UTF-8 can encode, got {exc.reason} "
            f"at character {exc.start}"
        ) from exc


def _parse_json_body(source: bytes | str, where: str) -> Any:
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
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(
            f"{where}, field 'body': expected JSON, got a body that is not valid JSON ({exc})"
        ) from exc


def parse_cookie_header(header: str) -> dict[str, str]:
    """The cookies of a ``Cookie`` request header: 'a=1; b="2"' -> {'a': '1', 'b': '2'}."""
    cookies: dict[str, str] = {}
    if not header:
        return cookies
    for pair in header.split(";"):
        name, equals, value = pair.partition("=")
        name = name.strip()
        if not equals or not name or name in cookies:
            continue
        value = value.strip()
        if len(value) > 1 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        cookies[name] = value
    return cookies


def _identities(raw: Any, where: str) -> list[Any]:
    if raw is None:
        return []
    if hasattr(raw, "type") and hasattr(raw, "value"):
        try:
            raw = python_value(raw)
        except ValueError as exc:
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


# -- converters ------------------------------------------------------------------


def _where(binding: BindingSpec) -> str:
    # The type only: a compiled decoder is cached per binding type and annotation, and so
    # shared by every binding of that type; the function layer adds the parameter name.
    return f"binding {binding.type!r}"


class HttpRequestConverter:
    """``httpTrigger``: the http Datum to a lazy :class:`HttpRequest`."""

    directions = frozenset({"in"})
    accepted_inputs = (
        "azure.functions.HttpRequest or its ABC azure.functions._abc.HttpRequest "
        "(Optional of either), or no annotation"
    )

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        if spec.kind == "any":
            nullable = False
        elif spec.kind == "class" and not spec.out and _is_request_type(spec.cls):
            nullable = spec.optional
        else:
            return None
        where = _where(binding)
        request = HttpRequest

        def decode(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
            kind = getattr(datum, "type", None)
            if kind == "http":
                return request(datum, where)
            if nullable and (kind is None or getattr(datum, "value", None) is None):
                return None
            raise UnsupportedDatumError(
                f"{where}: expected an http Datum (an HTTP request), got "
                + (f"wire type {kind!r}" if datum is not None else "no value")
            )

        return decode


def _is_request_type(cls: type | None) -> bool:
    # Accept the classes an instance of ours satisfies: azure.functions.HttpRequest,
    # its ABC, the worker-side subclass and ours.  A user subclass cannot be produced.
    if not isinstance(cls, type):
        return False
    try:
        return issubclass(HttpRequest, cls) and issubclass(cls, azure_abc.HttpRequest)
    except TypeError:
        return False


_OUTPUT_CLASSES: tuple[type, ...] = (
    azure_abc.HttpResponse,
    str,
    bytes,
    bytearray,
    memoryview,
    dict,
    list,
)


def _output_accepted(spec: TypeSpec) -> bool:
    if spec.kind in ("any", "none", "list"):
        return True
    if spec.kind == "union":
        return all(_output_accepted(option) for option in spec.options)
    return spec.subclass_of(*_OUTPUT_CLASSES)


class HttpResponseConverter:
    """``http`` output: HttpResponse, text, bytes or JSON values to the http Datum."""

    directions = frozenset({"out"})
    accepted_outputs = (
        "azure.functions.HttpResponse, str, bytes, dict, list or None (and Optional of them)"
    )

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        return encode_http_output if _output_accepted(spec) else None
