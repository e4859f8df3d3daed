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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

import azure.functions
from azure.functions import _abc as azure_abc
from werkzeug.datastructures import Headers

from .._cookies import format_cookie_date, parse_cookie_date
from ..datum import Datum
from ..errors import EncodeError, UnsupportedValueError, describe

__all__ = ["HttpCookie", "encode_http_output", "encode_response", "parse_cookie_date"]

SameSite = Literal["Lax", "Strict", "None"]

_SAME_SITE: dict[str, SameSite] = {"lax": "Lax", "strict": "Strict", "none": "None"}
_STOCK_RESPONSE = azure.functions.HttpResponse


@dataclass(frozen=True, slots=True, init=False)
class HttpCookie:
    """One ``Set-Cookie`` of a response, as the fields of ``RpcHttpCookie``.

    Attributes the header did not set are None, so a wire adapter leaves them out.
    ``expires`` is an aware datetime in UTC; ``max_age`` is in seconds.  Unknown
    attributes (``Partitioned``, ``Priority``) have no place in ``RpcHttpCookie`` and
    are dropped.

    For the language workers that predate funcbind, an ``HttpCookie`` also reads like
    the one-entry ``http.cookies.SimpleCookie`` they expect: ``items()`` yields
    ``(name, cookie)`` and ``cookie["domain"]`` answers as a ``Morsel`` would (None
    instead of "" for an unset domain or path, so those stay unset on the wire).
    """

    name: str
    value: str
    domain: str | None = None
    path: str | None = None
    expires: datetime | None = None
    max_age: int | None = None
    secure: bool | None = None
    http_only: bool | None = None
    same_site: SameSite | None = None

    def __init__(
        self,
        name: str,
        value: str,
        domain: str | None = None,
        path: str | None = None,
        expires: datetime | None = None,
        max_age: int | None = None,
        secure: bool | None = None,
        http_only: bool | None = None,
        same_site: SameSite | None = None,
    ) -> None:
        # A frozen dataclass's own __init__ assigns through object.__setattr__, which
        # made this the slowest step of encoding a response; the slot setters are not.
        _set_name(self, name)
        _set_value(self, value)
        _set_domain(self, domain)
        _set_path(self, path)
        _set_expires(self, expires)
        _set_max_age(self, max_age)
        _set_secure(self, secure)
        _set_http_only(self, http_only)
        _set_same_site(self, same_site)

    @classmethod
    def parse(cls, header_value: str) -> HttpCookie:
        """Parse one ``Set-Cookie`` header value (RFC 6265 §5.2); EncodeError if invalid."""
        return parse_set_cookie(header_value)

    def header_value(self) -> str:
        """This cookie as a ``Set-Cookie`` header value (what an HTTP server sends)."""
        parts = [f"{self.name}={self.value}"]
        if self.domain is not None:
            parts.append(f"Domain={self.domain}")
        if self.path is not None:
            parts.append(f"Path={self.path}")
        if self.expires is not None:
            parts.append(f"Expires={format_cookie_date(self.expires)}")
        if self.max_age is not None:
            parts.append(f"Max-Age={self.max_age}")
        if self.secure:
            parts.append("Secure")
        if self.http_only:
            parts.append("HttpOnly")
        if self.same_site is not None:
            parts.append(f"SameSite={self.same_site}")
        return "; ".join(parts)

    # -- what the stock workers read from a SimpleCookie and its Morsel ---------

    def items(self) -> Iterator[tuple[str, HttpCookie]]:
        """``(name, self)``: the cookie seen as a one-entry ``SimpleCookie``."""
        yield self.name, self

    def __getitem__(self, key: str) -> Any:
        """A ``Morsel`` attribute by its cookie name (``"max-age"``, ``"httponly"``...)."""
        key = key.lower()
        if key == "domain":
            return self.domain
        if key == "path":
            return self.path
        if key == "expires":
            return format_cookie_date(self.expires) if self.expires is not None else None
        if key == "max-age":
            return self.max_age
        if key == "secure":
            return bool(self.secure)
        if key == "httponly":
            return bool(self.http_only)
        if key == "samesite":
            return self.same_site or ""
        if key in ("comment", "version", "partitioned"):
            return ""
        raise KeyError(key)


(
    _set_name,
    _set_value,
    _set_domain,
    _set_path,
    _set_expires,
    _set_max_age,
    _set_secure,
    _set_http_only,
    _set_same_site,
) = (HttpCookie.__dict__[field.name].__set__ for field in fields(HttpCookie))


def parse_set_cookie(header_value: str) -> HttpCookie:
    """Parse a ``Set-Cookie`` header value into an :class:`HttpCookie`."""
    pair, _, attributes = header_value.partition(";")
    name, equals, value = pair.partition("=")
    name = name.strip()
    if not equals or not name:
        raise EncodeError(
            f"http response header 'Set-Cookie': expected 'name=value[; attributes]', "
            f"got {header_value!r}"
        )
    value = value.strip()
    if len(value) > 1 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    if not attributes:
        return HttpCookie(name, value)
    parsed = _attribute_cache.get(attributes)
    if parsed is None:
        parsed = _parse_attributes(attributes, name)
        if len(_attribute_cache) >= _ATTRIBUTE_CACHE_SIZE:
            _attribute_cache.clear()
        _attribute_cache[attributes] = parsed
    return HttpCookie(name, value, *parsed)


# An application sets the same attributes on a cookie response after response (and the
# same Expires text for a whole second); only the value changes.  So the attribute part
# of a header is parsed once and its (immutable) result kept, in a small bounded cache.
Attributes = tuple[
    str | None, str | None, datetime | None, int | None, bool | None, bool | None, SameSite | None
]
_ATTRIBUTE_CACHE_SIZE = 256
_attribute_cache: dict[str, Attributes] = {}


def _parse_attributes(attributes: str, name: str) -> Attributes:
    """(domain, path, expires, max_age, secure, http_only, same_site) of '; a=b; c'."""
    domain = path = None
    expires = None
    max_age = None
    secure = http_only = None
    same_site = None
    for attribute in attributes.split(";"):
        key, _, text = attribute.partition("=")
        key = key.strip().lower()
        # Unknown attributes (Partitioned, Priority, ...) fall through: RpcHttpCookie
        # has no field for them.  A repeated attribute: the last one wins (RFC 6265).
        if key == "path":
            path = text.strip() or None
        elif key == "secure":
            secure = True
        elif key == "httponly":
            http_only = True
        elif key == "samesite":
            same_site = _SAME_SITE.get(text.strip().lower())
        elif key == "expires":
            text = text.strip()
            expires = parse_cookie_date(text)
            if expires is None:
                raise EncodeError(
                    f"http response cookie {name!r}: expected an HTTP date for Expires "
                    f"(such as 'Wed, 21 Oct 2026 07:28:00 GMT'), got {text!r}"
                )
        elif key == "domain":
            domain = text.strip() or None
        elif key == "max-age":
            text = text.strip()
            if not _is_whole_number(text):
                raise EncodeError(
                    f"http response cookie {name!r}: expected a whole number of seconds "
                    f"for Max-Age, got {text!r}"
                )
            max_age = int(text)
    return domain, path, expires, max_age, secure, http_only, same_site


def _is_whole_number(text: str) -> bool:
    digits = text[1:] if text[:1] == "-" else text
    return digits.isascii() and digits.isdigit()


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
            cookies.append(parse_set_cookie(value))
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
