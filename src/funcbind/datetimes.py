"""Parse the datetimes and .NET time spans that arrive in trigger metadata.

Every converter that reads a datetime or a time span from the host goes through
:func:`parse_datetime` or :func:`parse_timespan`.  Both take the bare text: callers
strip JSON quotes first.  Where ``azure.functions`` accepts a value, the result is
equal to what it returns; the shapes it rejects but the host and Azure services send
(offsets other than UTC, US dates with a space, time spans with days or fractions)
parse too.  See ``docs/`` for the exact differences.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone, tzinfo

from .errors import DecodeError

__all__ = ["parse_datetime", "parse_timespan"]

# One pattern, one fullmatch: no format is tried and discarded on the way.  Fields may
# have one or two digits because azure.functions' strptime formats accept that.
# re.ASCII keeps \d to 0-9, so int() below cannot fail on what matched.
_DATETIME = re.compile(
    r"(?:(\d{4})-(\d\d?)-(\d\d?)|(\d\d?)/(\d\d?)/(\d{4}))"  # yyyy-MM-dd or MM/dd/yyyy
    r"[Tt ](\d\d?):(\d\d?):(\d\d?)"
    r"(?:\.(\d+))?"
    r"(?:([Zz])|([+-]\d\d(?::?\d\d)?))?",
    re.ASCII,
)

_TIMESPAN = re.compile(
    r"(-)?(?:(\d+)\.)?(\d+):(\d\d?):(\d\d?)(?:\.(\d+))?"  # [-][d.]hh:mm:ss[.fffffff]
    r"|(\d\d?):(\d\d?)"  # mm:ss, as azure.functions reads two parts (.NET reads hh:mm)
    r"|([+-]?\d+)",  # whole seconds
    re.ASCII,
)

# The fast path's field tables: every accepted spelling to its value in seconds.
_HOUR_SECONDS = {
    **{str(hour): hour * 3600 for hour in range(10)},
    **{f"{hour:02d}": hour * 3600 for hour in range(100)},
}
_MINUTE_SECONDS = {f"{minute:02d}": minute * 60 for minute in range(60)}
_SECONDS = {f"{second:02d}": second for second in range(60)}
_INVALID = -(10**9)  # below any sum of valid fields

_DATETIME_EXPECTED = "an ISO 8601 or MM/dd/yyyy HH:mm:ss datetime"
_TIMESPAN_EXPECTED = "a time span ([-][d.]hh:mm:ss[.fffffff], mm:ss or whole seconds)"

_UTC = timezone.utc
_fromisoformat = datetime.fromisoformat
# Since 3.11 fromisoformat reads Z and fractions of any length (truncating them).
_READS_ISO_8601 = sys.version_info >= (3, 11)

# One tzinfo per offset text on the general path: a new timezone per value would cost
# more than the parse.  Only valid texts enter, so it stays small (under 6,000 keys).
# -00:00 is UTC, as in azure.functions.
_OFFSETS: dict[str, tzinfo] = dict.fromkeys(
    ("+00:00", "-00:00", "+0000", "-0000", "+00", "-00"), _UTC
)

# timedelta's own range (it is not symmetric), checked here so that the message is the
# same on every Python version.
_MAX_SECONDS = timedelta.max.days * 86400 + 86399  # plus 999999 microseconds
_MIN_SECONDS = -timedelta.min.days * 86400  # magnitude of the most negative span
_TOO_LARGE = "time span out of range: beyond 999999999 days"

_REPR_LIMIT = 80


def parse_datetime(text: str, *, field: str | None = None) -> datetime:
    """Parse an ISO 8601 or ``MM/dd/yyyy HH:mm:ss`` datetime, with or without an offset.

    The date and time are separated by ``T`` or a space; ``Z`` or ``±hh:mm``
    (``±hhmm``, ``±hh``) makes the result aware, no offset leaves it naive.  Fractions
    beyond microseconds are truncated, so ``9999-12-31T23:59:59.9999999Z`` stays in
    range.  Raises :class:`DecodeError` naming *field* and *text* on failure.
    """
    # Fast path for the shape the host and Azure Storage send, yyyy-MM-ddTHH:mm:ss with
    # an optional fraction and Z or ±hh:mm, so that C (fromisoformat) does the rest.
    # The checks rule out what some versions would read differently (hour 24, offset
    # minutes over 59, other shapes); anything else, and every error, takes the general
    # path.  Python 3.11+ reads these texts as they are (Z, any number of fraction
    # digits, truncated); 3.10 needs them rewritten (_canonical).
    if text[4:17:3] == "--T::" and text[11:13] < "24" and text.isascii():
        size = len(text)
        if text[-1] == "Z":
            end = size - 1
        elif size >= 25 and (
            (suffix := text[-6:]) == "+00:00"
            or (suffix[0] in "+-" and suffix[3] == ":" and suffix[1:3] < "24" and suffix[4:] < "60")
        ):
            end = size - 6
        else:
            end = size
        if end == 19 or (end > 20 and text[19] == "." and text[20:end].isdigit()):
            try:
                return _fromisoformat(text if _READS_ISO_8601 else _canonical(text, end))
            except ValueError:
                pass  # out of range: the general path reports it
    return _parse_general(text, field)


def _canonical(text: str, end: int) -> str:
    """A fast-path text in the one form every fromisoformat reads: six fraction digits,
    ±hh:mm offset (*end* is where the fraction ends)."""
    suffix = "+00:00" if end == len(text) - 1 else text[end:]
    if end == 19:
        return text[:19] + suffix
    # Truncate, never round: rounding .9999999 would step past 9999-12-31.
    return (text[:26] if end >= 26 else (text[:end] + "00000")[:26]) + suffix


def _parse_general(text: str, field: str | None) -> datetime:
    """Every accepted shape, through the regex; raises DecodeError."""
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise DecodeError(_message(field, _DATETIME_EXPECTED, text))
    year, month, day, us_month, us_day, us_year, hour, minute, second, fraction, zulu, offset = (
        match.groups()
    )
    if year is None:
        year, month, day = us_year, us_month, us_day
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        zone = _UTC if zulu else (_offset(offset) if offset else None)
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, zone
        )
    except ValueError as exc:
        raise DecodeError(_message(field, _DATETIME_EXPECTED, text, exc)) from exc


def parse_timespan(text: str, *, field: str | None = None) -> timedelta:
    """Parse a .NET TimeSpan: ``[-][d.]hh:mm:ss[.fffffff]``, ``mm:ss`` or whole seconds.

    Hours may exceed 23.  Fractions beyond microseconds are truncated towards zero.
    Raises :class:`DecodeError` naming *field* and *text* on failure.
    """
    # Fast path for what the host sends (TimeToLive, timer schedules): an unsigned
    # [d.]hh:mm:ss[.fffffff] with two-digit minutes and seconds.  The hour, minute and
    # second fields are looked up in tables that hold only valid spellings (their value
    # in seconds), which checks and converts each in one step; an invalid one adds
    # _INVALID and leaves the sum negative.  Up to 8 day digits and 2 hour digits keep
    # every value in timedelta's range.  Anything else, and every error, takes the
    # general path, which reads these texts the same way.
    parts = text.split(":")
    if len(parts) == 3 and text.isascii():
        day_hours, minutes, second_fraction = parts
        days, day_dot, hours = day_hours.rpartition(".")
        seconds, dot, fraction = second_fraction.partition(".")
        total = (
            _HOUR_SECONDS.get(hours, _INVALID)
            + _MINUTE_SECONDS.get(minutes, _INVALID)
            + _SECONDS.get(seconds, _INVALID)
        )
        if (
            total >= 0
            and (not day_dot or (days.isdigit() and len(days) < 9))
            and (not dot or fraction.isdigit())
        ):
            return timedelta(
                int(days) if days else 0,
                total,
                int(fraction[:6].ljust(6, "0")) if fraction else 0,
            )
    return _parse_timespan_general(text, field)


def _parse_timespan_general(text: str, field: str | None) -> timedelta:
    """Every accepted time span shape, through the regex; raises DecodeError."""
    match = _TIMESPAN.fullmatch(text)
    if match is None:
        raise DecodeError(_message(field, _TIMESPAN_EXPECTED, text))
    try:
        return _timespan(match)
    except (ValueError, OverflowError) as exc:
        raise DecodeError(_message(field, _TIMESPAN_EXPECTED, text, exc)) from exc


def _offset(text: str) -> tzinfo:
    """The tzinfo for a matched ``±hh[[:]mm]``, cached; ValueError when out of range."""
    zone = _OFFSETS.get(text)
    if zone is None:
        hours = int(text[1:3])
        minutes = int(text[-2:]) if len(text) > 3 else 0
        if hours > 23 or minutes > 59:
            raise ValueError("offset must be between -23:59 and +23:59")
        delta = timedelta(hours=hours, minutes=minutes)
        zone = timezone(-delta if text[0] == "-" else delta)
        _OFFSETS[text] = zone
    return zone


def _timespan(match: re.Match[str]) -> timedelta:
    negative, days, hours, minutes, seconds, fraction, mm, ss, whole = match.groups()
    if whole is not None:
        value = _count(whole, 1)
        if value < -_MIN_SECONDS:
            raise OverflowError(_TOO_LARGE)
        return timedelta(0, value)
    if mm is not None:
        return timedelta(0, _seconds_of(0, mm, ss))
    total = _seconds_of(_count(hours, 3600), minutes, seconds)
    if days is not None:
        total += _count(days, 86400) * 86400
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    if total > _MAX_SECONDS or (negative and (total, micro) > (_MIN_SECONDS, 0)):
        raise OverflowError(_TOO_LARGE)
    span = timedelta(0, total, micro)
    # The sign applies to the whole span, as in .NET; truncation is towards zero.
    return -span if negative else span


def _seconds_of(hours: int, minutes: str, seconds: str) -> int:
    mins, secs = int(minutes), int(seconds)
    if mins > 59 or secs > 59:
        raise ValueError("minutes and seconds must be in 0..59")
    return hours * 3600 + mins * 60 + secs


def _count(digits: str, unit: int) -> int:
    """int(digits), or OverflowError when that many units cannot fit a timedelta."""
    # The length check keeps int() away from huge strings, whose limits and messages
    # differ between Python versions.
    if len(digits.lstrip("+-0")) > 20 or abs(value := int(digits)) * unit > _MAX_SECONDS:
        raise OverflowError(_TOO_LARGE)
    return value


def _message(field: str | None, expected: str, text: str, cause: Exception | None = None) -> str:
    shown = repr(text)
    if len(shown) > _REPR_LIMIT:
        shown = shown[: _REPR_LIMIT - 4] + "...'"
    where = f"trigger metadata field {field!r}: " if field else ""
    reason = f" ({cause})" if cause is not None else ""
    return f"{where}expected {expected}, got {shown}{reason}"
