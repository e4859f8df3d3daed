"""Cookie dates: the one parser and formatter for ``Expires``, used by every cookie path.

Both the HTTP response model (``Set-Cookie`` headers) and the wire adapter (cookies given
as ``SimpleCookie``/``Morsel`` text) read an ``Expires`` text through
:func:`parse_cookie_date`, so the same text is the same instant whichever way a cookie
reaches the host.

The rule is RFC 6265 §5.1.1, what browsers do: a cookie date is always UTC.  Its
tokens (time, day of month, month name, year) are found wherever they are, and zone
names *and numeric offsets* are ignored: ``Wed, 21 Oct 2026 09:28:00 +0200`` is
09:28 UTC, because that is how a browser would read the header.  Text the RFC
algorithm cannot read is tried as ISO 8601 as a courtesy (``2026-10-21T07:28:00Z``);
a browser would drop such an ``Expires`` altogether, so there the ISO meaning is the
only one: an explicit offset is applied and a time without one is UTC.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from .datetimes import parse_datetime
from .errors import DecodeError

__all__ = ["format_cookie_date", "parse_cookie_date"]

_UTC = timezone.utc
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MONTH_DIGITS = {name: f"{number:02d}" for name, number in _MONTHS.items()}
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_from_iso = datetime.fromisoformat

# RFC 6265 §5.1.1: the delimiters, and the time, day-of-month and year tokens.
_DATE_DELIMITERS = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_TIME_TOKEN = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D.*)?", re.ASCII | re.DOTALL)
_DAY_TOKEN = re.compile(r"(\d{1,2})(?:\D.*)?", re.ASCII | re.DOTALL)
_YEAR_TOKEN = re.compile(r"(\d{2,4})(?:\D.*)?", re.ASCII | re.DOTALL)


def parse_cookie_date(text: str) -> datetime | None:
    """A cookie date as an aware UTC datetime, or None if it is not one.

    RFC 6265 dates ignore any zone or offset; ISO 8601 text is read as a fallback
    (see the module docstring).  The machine's own time zone never enters.
    """
    # The one format nearly every server writes, 'Wed, 21 Oct 2026 07:28:00 GMT' (RFC
    # 9110 IMF-fixdate), by position: fromisoformat checks the digits in C.
    if len(text) == 29 and text[25:] == " GMT":
        month = _MONTH_DIGITS.get(text[8:11].lower())
        if month is not None:
            try:
                moment = _from_iso(f"{text[12:16]}-{month}-{text[5:7]}T{text[17:25]}+00:00")
            except ValueError:
                pass
            else:
                if moment.year >= 1601:
                    return moment
    parsed = _parse_rfc6265(text)
    return parsed if parsed is not None else _parse_iso(text)


def _parse_rfc6265(text: str) -> datetime | None:
    time: tuple[int, int, int] | None = None
    day = month = year = None
    for token in _DATE_DELIMITERS.split(text):
        if not token:
            continue
        if time is None and (match := _TIME_TOKEN.fullmatch(token)) is not None:
            time = (int(match[1]), int(match[2]), int(match[3]))
        elif day is None and (match := _DAY_TOKEN.fullmatch(token)) is not None:
            day = int(match[1])
        elif month is None and token[:3].lower() in _MONTHS:
            month = _MONTHS[token[:3].lower()]
        elif year is None and (match := _YEAR_TOKEN.fullmatch(token)) is not None:
            year = int(match[1])
    if time is None or day is None or month is None or year is None:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    if year < 1601:
        return None
    try:
        return datetime(year, month, day, *time, tzinfo=_UTC)
    except ValueError:  # hour 24, day 31 of a 30-day month, ...
        return None


def _parse_iso(text: str) -> datetime | None:
    text = text.strip()
    if not text[:4].isdigit():  # every ISO date starts with its year
        return None
    try:
        moment = parse_datetime(text, field="expires")
    except DecodeError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=_UTC)
    try:
        return moment.astimezone(_UTC)
    except OverflowError:  # the offset moves it past year 1 or 9999
        return None


def format_cookie_date(moment: datetime) -> str:
    """An aware (or UTC-naive) datetime as an IMF-fixdate: 'Wed, 21 Oct 2026 07:28:00 GMT'."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(_UTC)
    return (
        f"{_DAY_NAMES[moment.weekday()]}, {moment.day:02d} {_MONTH_NAMES[moment.month - 1]} "
        f"{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} GMT"
    )
