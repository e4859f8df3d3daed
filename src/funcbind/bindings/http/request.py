"""The ``httpTrigger`` input: the http Datum to a lazy :class:`HttpRequest`.

:class:`HttpRequest` is an ``azure.functions.HttpRequest`` that keeps the worker's http
Datum and builds each field on first access, once (the readers are in ``fields``): a
function that reads only ``req.method`` pays for nothing else.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

import azure.functions.http
from azure.functions import _abc as azure_abc
from werkzeug.datastructures import ImmutableMultiDict

from ... import datum as _datum
from ..._typing import TypeSpec
from ...datum import JSON_ERRORS, DatumLike
from ...errors import UnsupportedDatumError
from ...registry import BindingSpec, Decoder
from .._common import UNSET, Metadata, binding_label
from .cookies import parse_cookie_header
from .fields import (
    RequestHeaders,
    encode_text,
    identities_of,
    parse_json_body,
    query_from_url,
    read_body,
    required_text,
    string_map,
)
from .form import Files, Form, is_form_type, parse_form

__all__ = ["HttpRequest", "HttpRequestConverter"]

# The form and files of every request whose body is not a form.  Shared: they are
# immutable, and building a MultiDict costs more than the rest of the decision.
_NO_FORM: Form = ImmutableMultiDict()
_NO_FILES: Files = ImmutableMultiDict()

# -- the request model -----------------------------------------------------------


class HttpRequest(azure.functions.http.HttpRequest):
    """An HTTP trigger request: an ``azure.functions.HttpRequest`` built lazily.

    Each field is built from the raw Datum on first access and kept.  Beyond the
    stock class: ``cookies`` (from the Cookie header), ``identities`` (RpcHttp
    claims identities) and ``datum`` (the raw wire value, for anything else).
    """

    # Every field lives in a slot, the lazy ones too (None or UNSET until built): a slot
    # is read in a few instructions, where a class-level default behind an empty
    # instance dict costs a dict miss and a class lookup on every read, and the first
    # field built would create that dict.  __init__ sets them all, which costs less.
    __slots__ = (
        "_body",
        "_cookies",
        "_datum",
        "_files",
        "_form",
        "_headers",
        "_identities",
        "_json",
        "_method",
        "_params",
        "_route_params",
        "_url",
        "_where",
        "_wire",
    )
    _headers: RequestHeaders | None
    _params: Mapping[str, str] | None
    _route_params: Mapping[str, str] | None
    _body: bytes | None
    _json: Any
    _form: Form | None
    _files: Files | None
    _cookies: Mapping[str, str] | None
    _identities: list[Any] | None

    def __init__(self, datum: DatumLike, where: str = "http request") -> None:
        wire = datum.value
        try:
            method = wire["method"].value
            url = wire["url"].value
            if type(method) is not str or type(url) is not str:
                raise TypeError
        except (KeyError, AttributeError, TypeError):  # plain strings, or bad wire data
            method = required_text(wire, "method", where)
            url = required_text(wire, "url", where)
        self._datum = datum
        self._wire: Mapping[str, Any] = wire
        self._where = where
        self._method = method
        self._url = url
        self._headers = None
        self._params = None
        self._route_params = None
        self._body = None
        self._json = UNSET
        self._form = None
        self._files = None
        self._cookies = None
        self._identities = None

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__qualname__} {self.method} {self._url}>"

    @property
    def datum(self) -> DatumLike:
        """The http Datum this request was decoded from."""
        return self._datum

    @property
    def method(self) -> str:
        """The request method, upper-case."""
        # Upper-cased when read, not at decode: most functions never read it.
        return self._method.upper()

    @property
    def url(self) -> str:
        """The full request URL, query string included."""
        return self._url

    @property
    def headers(self) -> RequestHeaders:
        """Request headers; names lower-case, lookups case-insensitive."""
        headers = self._headers
        if headers is None:
            headers = self._headers = RequestHeaders(self._wire.get("headers"), self._where)
        return headers

    @property
    def params(self) -> Mapping[str, str]:
        """Query parameters (repeated keys joined with commas, as the host sends them)."""
        params = self._params
        if params is None:
            wire = self._wire
            raw = wire.get("query")
            if raw is None:
                query = query_from_url(self._url, self._where)
            else:
                query = string_map(raw, "query", self._where, lower=False)
            params = self._params = types.MappingProxyType(query)
        return params

    @property
    def route_params(self) -> Mapping[str, str]:
        """Values captured by the route template."""
        route_params = self._route_params
        if route_params is None:
            wire = self._wire
            route_params = types.MappingProxyType(
                string_map(wire.get("params"), "params", self._where, lower=False)
            )
            self._route_params = route_params
        return route_params

    def get_body(self) -> bytes:
        """The body as bytes: the wire's own bytes object, or text encoded once as UTF-8."""
        body = self._body
        if body is None:
            source = read_body(self._wire, self._where)
            body = source if isinstance(source, bytes) else encode_text(source, self._where)
            self._body = body
        return body

    def get_json(self) -> Any:
        """The body parsed as JSON, once; ValueError (DecodeError) if it is not JSON.

        Every call returns the same object.
        """
        parsed = self._json
        if parsed is UNSET:
            body: Any = self._body
            if body is None:
                # What Python workers send, read in place (read_body() for the rest): the
                # parse itself is most of this call, so each step around it counts.
                item: Any = self._wire.get("body")
                try:
                    body = item.value if item.type == "bytes" else None
                except AttributeError:
                    body = None
                if type(body) is not bytes:
                    body = read_body(self._wire, self._where)
            # msgspec is called in place, not through parse_json_body and json_loads_utf8
            # (two calls that cost about as much as the rest of this request's decode);
            # whatever it refuses, or cannot parse at all while the standard library
            # parses alone, goes the general way, which decides.
            decode = _datum._fast_decode  # per call: FUNCBIND_JSON_PARSER and tests set it
            if decode is not None:
                try:
                    parsed = decode(body)
                except JSON_ERRORS:  # refused, or not resolved yet (not callable)
                    parsed = UNSET
            if parsed is UNSET:
                parsed = parse_json_body(body, self._where)
            self._json = parsed
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
        content_type = self.headers.get("content-type", "")
        if is_form_type(content_type):
            form, files = parse_form(self.get_body(), content_type, self._where)
        else:
            # Decided from the header alone, as werkzeug decides it for azure.functions:
            # a JSON request that reads req.form pays for no body and no option parsing.
            form, files = _NO_FORM, _NO_FILES
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
            identities = identities_of(self._wire.get("identities"), self._where)
            self._identities = identities
        return identities


# -- the converter -----------------------------------------------------------------


class HttpRequestConverter:
    """``httpTrigger``: the http Datum to a lazy :class:`HttpRequest`."""

    directions = frozenset({"in"})
    model = HttpRequest  # what decode() without an annotation gives (worker facade)
    accepted_inputs = (
        "azure.functions.HttpRequest or its ABC azure.functions._abc.HttpRequest "
        "(Optional of either), or no annotation"
    )

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        if spec.kind == "any":
            nullable = False
        elif not spec.out and spec.satisfied_by(HttpRequest, within=azure_abc.HttpRequest):
            nullable = spec.optional
        else:
            return None
        where = binding_label(binding)
        request = HttpRequest

        def decode(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
            try:
                kind = datum.type
            except AttributeError:
                kind = None
            if kind == "http":
                return request(datum, where)
            if nullable and (kind is None or getattr(datum, "value", None) is None):
                return None
            raise UnsupportedDatumError(
                f"{where}: expected an http Datum (an HTTP request), got "
                + (f"wire type {kind!r}" if datum is not None else "no value")
            )

        return decode
