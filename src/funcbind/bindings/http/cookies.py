"""HTTP cookies: ``Set-Cookie`` headers of responses and the ``Cookie`` header of requests.

A response's ``Set-Cookie`` header becomes one :class:`HttpCookie`, the fields of
``RpcHttpCookie``.  ``Expires`` texts are read by :func:`funcbind._cookies.parse_cookie_date`,
the parser the wire adapter uses too (the wire layer sits below the bindings, so the
date rule lives there).

A response never fails over a cookie that azure.functions would send.  As RFC 6265
§5.2 tells browsers, a header without ``name=value`` is dropped and an ``Expires`` or
``Max-Age`` that cannot be read is ignored (the cookie is sent without it); each such
case logs a warning naming the cookie.  ``Max-Age`` accepts what the stock workers
accept, any number ``float()`` reads (``10000.0`` is 10000 seconds).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

from ..._cookies import format_cookie_date, parse_cookie_date
from ...errors import EncodeError

__all__ = ["HttpCookie", "parse_cookie_header", "parse_set_cookie", "read_set_cookie"]

_logger = logging.getLogger(__name__)

SameSite = Literal["Lax", "Strict", "None"]

_SAME_SITE: dict[str, SameSite] = {"lax": "Lax", "strict": "Strict", "none": "None"}


@dataclass(frozen=True, slots=True, init=False)
class HttpCookie:
    """One ``Set-Cookie`` of a response, as the fields of ``RpcHttpCookie``.

    Attributes the header did not set are None, so a wire adapter leaves them out.
    ``expires`` is an aware datetime in UTC; ``max_age`` is in seconds (an int, or a
    float for a fraction such as ``Max-Age=2.5``, which the wire carries as is).  Unknown
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
    max_age: int | float | None = None
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
        max_age: int | float | None = None,
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
        """Parse one ``Set-Cookie`` value (RFC 6265 §5.2); EncodeError if it has no cookie."""
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
            # Whole seconds, as the Functions host writes a fractional Max-Age.
            parts.append(f"Max-Age={math.trunc(self.max_age)}")
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
    """Parse a ``Set-Cookie`` header value into an :class:`HttpCookie`.

    EncodeError if it has no ``name=value``; unreadable attributes are ignored with a
    warning (see the module docstring).
    """
    cookie = _read(header_value)
    if cookie is None:
        raise EncodeError(
            f"http response header 'Set-Cookie': expected 'name=value[; attributes]', "
            f"got {header_value!r}"
        )
    return cookie


def read_set_cookie(header_value: str) -> HttpCookie | None:
    """The cookie of a response's ``Set-Cookie`` header; None (and a warning) when it has none.

    azure.functions' ``SimpleCookie`` yields no cookie for such a header, so the
    response goes out without it; so does funcbind's.
    """
    cookie = _read(header_value)
    if cookie is None:
        _logger.warning(
            "http response: a Set-Cookie header without a cookie name (%r) is dropped; "
            "expected 'name=value[; attributes]'",
            header_value,
        )
    return cookie


def _read(header_value: str) -> HttpCookie | None:
    pair, _, attributes = header_value.partition(";")
    name, equals, value = pair.partition("=")
    name = name.strip()
    if not equals or not name:
        return None
    value = value.strip()
    if len(value) > 1 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    if not attributes:
        return HttpCookie(name, value)
    parsed = _attribute_cache.get(attributes)
    if parsed is None:
        parsed, readable = _parse_attributes(attributes, name)
        # Only what was read cleanly is kept: a warning names each cookie it concerns.
        if readable:
            if len(_attribute_cache) >= _ATTRIBUTE_CACHE_SIZE:
                _attribute_cache.clear()
            _attribute_cache[attributes] = parsed
    return HttpCookie(name, value, *parsed)


# An application sets the same attributes on a cookie response after response (and the
# same Expires text for a whole second); only the value changes.  So the attribute part
# of a header is parsed once and its (immutable) result kept, in a small bounded cache.
Attributes = tuple[
    str | None,
    str | None,
    datetime | None,
    int | float | None,
    bool | None,
    bool | None,
    SameSite | None,
]
_ATTRIBUTE_CACHE_SIZE = 256
_attribute_cache: dict[str, Attributes] = {}


def _parse_attributes(attributes: str, name: str) -> tuple[Attributes, bool]:
    """(domain, path, expires, max_age, secure, http_only, same_site) of '; a=b; c',
    and whether every attribute could be read."""
    domain = path = None
    expires = None
    max_age: int | float | None = None
    secure = http_only = None
    same_site = None
    readable = True
    for attribute in attributes.split(";"):
        key, _, text = attribute.partition("=")
        key = key.strip().lower()
        # Unknown attributes (Partitioned, Priority, ...) fall through: RpcHttpCookie
        # has no field for them.  A repeated attribute: the last readable one wins
        # (RFC 6265); an empty one is no attribute, as for azure.functions.
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
            if text:
                moment = parse_cookie_date(text)
                if moment is None:
                    _warn_ignored(name, "Expires", text, "an HTTP date")
                    readable = False
                else:
                    expires = moment
        elif key == "domain":
            domain = text.strip() or None
        elif key == "max-age":
            text = text.strip()
            if text:
                seconds = _seconds(text)
                if seconds is None:
                    _warn_ignored(name, "Max-Age", text, "a number of seconds")
                    readable = False
                else:
                    max_age = seconds
    return (domain, path, expires, max_age, secure, http_only, same_site), readable


def _seconds(text: str) -> int | float | None:
    """Max-Age seconds as the stock workers read them (``float()``), whole ones as int."""
    digits = text[1:] if text[:1] == "-" else text
    if digits.isascii() and digits.isdigit():
        return int(text)  # exact, however large
    try:
        seconds = float(text)
    except ValueError:
        return None
    if not math.isfinite(seconds):
        return None  # no wire adapter can send it, and no browser would read it
    return int(seconds) if seconds.is_integer() else seconds


def _warn_ignored(name: str, attribute: str, text: str, expected: str) -> None:
    _logger.warning(
        "http response cookie %r: %s %r is not %s; the cookie is sent without it, as a "
        "browser would read it",
        name,
        attribute,
        text,
        expected,
    )


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
