"""The HTTP output: ``HttpResponse`` and plain values to the http Datum workers send.

The Datum has the shape the language workers turn into ``RpcHttp``::

    Datum(
        type="http",
        value={
            "status_code": Datum("200", "string"),
            "headers": {name: Datum(text, "string")},
            "cookies": [HttpCookie, ...] or None,
            "body": Datum(bytes, "bytes"),
        },
    )

Each ``Set-Cookie`` header becomes one :class:`HttpCookie`; every other header name
appears once, repeated values joined with ", " (RFC 9110 §5.3).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import azure.functions
from azure.functions import _abc as azure_abc
from werkzeug.datastructures import Headers

from ..._typing import TypeSpec
from ...datum import Datum
from ...errors import EncodeError, UnsupportedValueError, describe
from ...registry import BindingSpec, Encoder
from .cookies import HttpCookie, read_set_cookie

__all__ = ["HttpResponseConverter", "encode_http_output", "encode_response"]

_STOCK_RESPONSE = azure.functions.HttpResponse


class HttpResponseConverter:
    """``http`` output: HttpResponse, text, bytes or JSON values to the http Datum."""

    directions = frozenset({"out"})
    accepted_outputs = (
        "azure.functions.HttpResponse, str, bytes, dict, list or None (and Optional of them)"
    )

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        return encode_http_output if _output_accepted(spec) else None


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


# -- encoding ----------------------------------------------------------------


def encode_http_output(value: Any) -> Datum | None:
    """Encode what a function returned or set for an ``http`` output binding."""
    if type(value) is str:  # the commonest return; before the (slow) ABC check
        return Datum(value, "string")
    if type(value) is _STOCK_RESPONSE or isinstance(value, azure_abc.HttpResponse):
        return encode_response(value)
    if isinstance(value, str):
        return Datum(value, "string")
    if value is None:
        return None  # no response: the host answers 200 with an empty body
    if isinstance(value, bytes | bytearray | memoryview):
        return _response_datum("200", {"content-type": _text("application/octet-stream")}, value)
    if isinstance(value, dict | list):
        try:
            text = json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise UnsupportedValueError(
                f"http output: expected a JSON-serialisable dict or list, got "
                f"{describe(value)} ({exc})"
            ) from exc
        return _response_datum(
            "200", {"content-type": _text("application/json")}, text.encode("utf-8")
        )
    raise UnsupportedValueError(
        "http output: expected azure.functions.HttpResponse, str, bytes, dict, list or None, "
        f"got {describe(value)}"
    )


def encode_response(response: azure_abc.HttpResponse) -> Datum:
    """Encode an ``HttpResponse`` without changing it (azure.functions pops its cookies)."""
    status = response.status_code
    status_text = str(status) if type(status) is int else _status_text(status)

    headers: dict[str, Datum] = {}
    spelling: dict[str, str] = {}  # lower-case name -> the first spelling seen
    cookies: list[HttpCookie] | None = None
    raw_headers = response.headers
    pairs = iter(raw_headers) if isinstance(raw_headers, Headers) else _header_pairs(raw_headers)
    for name, raw_value in pairs:
        if type(raw_value) is str and type(name) is str:
            value = raw_value
        else:
            value = _header_text(name, raw_value)
        lower = name.lower()
        if lower == "set-cookie":
            if cookies is None:
                cookies = []
            cookie = read_set_cookie(value)
            if cookie is not None:
                cookies.append(cookie)
            continue
        first = spelling.get(lower)
        if first is None:
            spelling[lower] = name
            headers[name] = Datum(value, "string")
        else:
            joined = headers[first]
            joined.value = f"{joined.value}, {value}"

    if "content-type" not in spelling:
        mimetype = response.mimetype
        if mimetype:
            if mimetype.startswith("text/"):
                mimetype = f"{mimetype}; charset={response.charset}"
            headers["content-type"] = Datum(mimetype, "string")

    body: Any = response.get_body()  # bytes for the stock class; be lenient with others
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode(response.charset or "utf-8")
    return Datum(
        {
            "status_code": Datum(status_text, "string"),
            "headers": headers,
            "cookies": cookies,
            "body": Datum(body, "bytes"),
        },
        "http",
    )


def _response_datum(status: str, headers: dict[str, Datum], body: object) -> Datum:
    return Datum(
        {
            "status_code": Datum(status, "string"),
            "headers": headers,
            "cookies": None,
            "body": Datum(body, "bytes"),
        },
        "http",
    )


def _text(value: str) -> Datum:
    return Datum(value, "string")


def _header_pairs(headers: object) -> Iterable[tuple[str, Any]]:
    """(name, value) pairs of headers other than werkzeug's (which iterate as pairs)."""
    if isinstance(headers, Mapping):
        return headers.items()
    if headers is None:
        return ()
    raise EncodeError(
        f"http response: expected headers as a mapping or werkzeug Headers, got {describe(headers)}"
    )


def _header_text(name: object, value: object) -> str:
    if not isinstance(name, str):
        raise EncodeError(f"http response: expected header names as str, got {describe(name)}")
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise EncodeError(f"http response header {name!r}: expected a str value, got {describe(value)}")


def _status_text(status: object) -> str:
    try:
        return str(int(status))  # type: ignore[call-overload]  # HTTPStatus, "201", ...
    except (TypeError, ValueError):
        raise EncodeError(
            f"http response: expected an integer status code, got {describe(status)}"
        ) from None
