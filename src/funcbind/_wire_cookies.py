"""Cookies on the wire: ``RpcHttpCookie`` messages to and from Python cookie objects.

In, a response's cookie read back becomes the one-cookie ``SimpleCookie`` azure.functions
responses carry.  Out, ``SimpleCookie``s, ``Morsel``s, ``Set-Cookie`` strings and
cookie objects with the attributes of funcbind's ``HttpCookie`` become
``RpcHttpCookie``s.  ``Expires`` texts are read by :func:`funcbind._cookies.parse_cookie_date`,
the parser the HTTP response model uses too.  See ``docs/wire.md``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie
from types import SimpleNamespace
from typing import Any

from ._cookies import format_cookie_date, parse_cookie_date
from ._protobuf import new_message, nullable_string
from .errors import DecodeError, EncodeError, describe

__all__ = ["cookie_from_message", "cookie_messages"]

_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)

# RpcHttpCookie.SameSite: None=0 (unspecified), Lax=1, Strict=2, ExplicitNone=3.
_SAME_SITE_NUMBERS = {"": 0, "lax": 1, "strict": 2, "none": 3}
_SAME_SITE_NAMES = {1: "Lax", 2: "Strict", 3: "None"}


# -- in ---------------------------------------------------------------------------------


def cookie_from_message(message: Any) -> SimpleCookie:
    """An RpcHttpCookie as the one-cookie ``SimpleCookie`` azure.functions responses carry."""
    jar = SimpleCookie()
    try:
        jar[message.name] = message.value
    except CookieError as exc:
        raise DecodeError(f"HTTP cookie: expected a valid cookie name, got {exc}") from None
    morsel = jar[message.name]
    for field in ("domain", "path"):
        if message.HasField(field):
            text = nullable_string(getattr(message, field))
            if text is not None:
                morsel[field] = text
    if message.HasField("expires") and message.expires.WhichOneof("timestamp") is not None:
        stamp = message.expires.value
        try:
            moment = _EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)
        except OverflowError:
            raise DecodeError(
                f"HTTP cookie {message.name!r}: expected an expiry between the years 1 and "
                f"9999, got a timestamp of {stamp.seconds} seconds"
            ) from None
        morsel["expires"] = format_cookie_date(moment)
    for attribute, field in (("secure", "secure"), ("httponly", "http_only")):
        if message.HasField(field) and getattr(message, field).WhichOneof("bool") is not None:
            morsel[attribute] = bool(getattr(message, field).value)
    same_site = _SAME_SITE_NAMES.get(message.same_site)
    if same_site is not None:
        morsel["samesite"] = same_site
    if message.HasField("max_age") and message.max_age.WhichOneof("double") is not None:
        seconds = message.max_age.value
        morsel["max-age"] = str(int(seconds)) if float(seconds).is_integer() else repr(seconds)
    return jar


# -- out --------------------------------------------------------------------------------


def cookie_messages(cookies: Any, pb: Any) -> list[Any]:
    """RpcHttpCookies for SimpleCookies, Morsels, Set-Cookie strings or cookie objects."""
    if isinstance(cookies, BaseCookie | Morsel | str) or hasattr(cookies, "name"):
        cookies = [cookies]
    elif not isinstance(cookies, list | tuple):
        raise _cookie_error(cookies, "a list of cookies")
    messages: list[Any] = []
    for entry in cookies:
        if isinstance(entry, BaseCookie):
            messages.extend(_morsel_message(morsel, pb) for morsel in entry.values())
        elif isinstance(entry, Morsel):
            messages.append(_morsel_message(entry, pb))
        elif isinstance(entry, str):
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(entry)
            except CookieError as exc:
                raise _cookie_error(entry, f"a Set-Cookie value ({exc})") from None
            if not jar:
                raise _cookie_error(entry, "a Set-Cookie value such as 'name=value; Path=/'")
            messages.extend(_morsel_message(morsel, pb) for morsel in jar.values())
        elif hasattr(entry, "name") and hasattr(entry, "value"):
            messages.append(_cookie_message(entry, pb))
        else:
            raise _cookie_error(entry, "a SimpleCookie, Morsel, Set-Cookie string or HttpCookie")
    return messages


def _cookie_error(entry: object, expected: str) -> EncodeError:
    return EncodeError(f"'http' Datum, cookies: expected {expected}, got {describe(entry)}")


def _morsel_message(morsel: Morsel[Any], pb: Any) -> Any:
    """Morsel attributes are "" when unset; those are left out of the message."""
    expires = morsel["expires"]
    if isinstance(expires, int | float) and not isinstance(expires, bool):
        # http.cookies renders a number as that many seconds from now.
        expires = datetime.now(_UTC) + timedelta(seconds=expires)
    cookie = SimpleNamespace(
        name=morsel.key,
        value=morsel.value,
        domain=morsel["domain"] or None,
        path=morsel["path"] or None,
        expires=expires if expires != "" else None,
        secure=True if morsel["secure"] else None,
        http_only=True if morsel["httponly"] else None,
        same_site=morsel["samesite"] or None,
        max_age=morsel["max-age"] if morsel["max-age"] != "" else None,
    )
    return _cookie_message(cookie, pb)


def _cookie_message(cookie: Any, pb: Any) -> Any:
    """An RpcHttpCookie from the attributes of funcbind's HttpCookie; None means unset."""
    name, value = cookie.name, cookie.value
    where = f"'http' Datum, cookie {name!r}"
    if not isinstance(name, str) or not name:
        raise EncodeError(f"{where}: expected a non-empty str name, got {describe(name)}")
    if not isinstance(value, str):
        raise EncodeError(f"{where}: expected a str value, got {describe(value)}")
    fields: dict[str, Any] = {"name": name, "value": value}
    for key in ("domain", "path"):
        text = getattr(cookie, key, None)
        if text is not None:
            if not isinstance(text, str):
                raise EncodeError(f"{where}, {key}: expected str, got {describe(text)}")
            fields[key] = new_message(pb, "NullableString", value=text)
    expires = getattr(cookie, "expires", None)
    if expires is not None:
        fields["expires"] = new_message(pb, "NullableTimestamp", value=_timestamp(expires, where))
    for key in ("secure", "http_only"):
        flag = getattr(cookie, key, None)
        if flag is not None:
            fields[key] = new_message(pb, "NullableBool", value=bool(flag))
    same_site = _same_site_number(getattr(cookie, "same_site", None), where)
    if same_site:
        fields["same_site"] = same_site
    max_age = getattr(cookie, "max_age", None)
    if max_age is not None:
        fields["max_age"] = new_message(pb, "NullableDouble", value=_seconds(max_age, where))
    return new_message(pb, "RpcHttpCookie", **fields)


def _timestamp(expires: Any, where: str) -> dict[str, int]:
    """A google.protobuf.Timestamp (as a dict) for a cookie expiry, always in UTC.

    Naive datetimes and zone-less texts are taken as UTC, as cookie dates are GMT by
    definition: the machine's time zone never shifts the instant.
    """
    if isinstance(expires, str):
        moment = _parse_cookie_date(expires, where)
    elif isinstance(expires, datetime):
        moment = expires
    else:
        raise EncodeError(f"{where}, expires: expected a datetime or text, got {describe(expires)}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=_UTC)
    delta = moment - _EPOCH
    return {"seconds": delta.days * 86400 + delta.seconds, "nanos": delta.microseconds * 1000}


def _parse_cookie_date(text: str, where: str) -> datetime:
    moment = parse_cookie_date(text)
    if moment is None:
        raise EncodeError(
            f"{where}, expires: expected a cookie date such as 'Wed, 21 Oct 2015 07:28:00 GMT' "
            f"or ISO 8601, got {text.strip()!r}"
        )
    return moment


def _same_site_number(same_site: Any, where: str) -> int:
    if same_site is None:
        return 0
    if not isinstance(same_site, str):  # an enum: use its text value or its name
        text = getattr(same_site, "value", None)
        same_site = text if isinstance(text, str) else getattr(same_site, "name", same_site)
    number = _SAME_SITE_NUMBERS.get(same_site.lower()) if isinstance(same_site, str) else None
    if number is None:
        raise EncodeError(
            f"{where}, samesite: expected 'Lax', 'Strict' or 'None', got {describe(same_site)}"
        )
    return number


def _seconds(max_age: Any, where: str) -> float:
    if isinstance(max_age, timedelta):
        return max_age.total_seconds()
    if isinstance(max_age, int | float | str) and not isinstance(max_age, bool):
        try:
            seconds = float(max_age)
        except (ValueError, OverflowError):  # not a number, or an int beyond a double
            pass
        else:
            if math.isfinite(seconds):
                return seconds
    raise EncodeError(f"{where}, max-age: expected seconds, got {describe(max_age)}")
