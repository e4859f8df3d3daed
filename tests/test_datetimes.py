"""Tests for funcbind.datetimes, with azure.functions' own parser as the oracle.

Where azure.functions accepts a text, funcbind must return an equal value: same instant,
same wall-clock fields, same offset, naive exactly when it is naive.  Where it rejects a
text (offsets other than UTC, US dates with a space, time spans with days...), the
expected value is built here from the parts the text was rendered from.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from funcbind import datetimes
from funcbind.datetimes import (
    _parse_general,
    _parse_timespan_general,
    parse_datetime,
    parse_timespan,
)
from funcbind.errors import DecodeError

try:
    from azure.functions.meta import _BaseConverter

    _AF_DATETIME: Callable[[str], Any] | None = _BaseConverter._parse_datetime
    _AF_TIMESPAN: Callable[[str], Any] | None = _BaseConverter._parse_timedelta
except (ImportError, AttributeError):  # a release without the private parser
    _AF_DATETIME = _AF_TIMESPAN = None

needs_oracle = pytest.mark.skipif(
    _AF_DATETIME is None, reason="azure.functions has no _BaseConverter._parse_datetime"
)

# Generous: the oracle tries up to sixteen strptime formats per text.
_PROPERTY = settings(deadline=None, max_examples=300)

UTC = timezone.utc


def af_datetime(text: str) -> datetime | None:
    """azure.functions' result, or None where it rejects the text (it returns None for "")."""
    assert _AF_DATETIME is not None
    try:
        result = _AF_DATETIME(text)
    except ValueError:
        return None
    assert result is None or isinstance(result, datetime)
    return result


def af_timespan(text: str) -> timedelta | None:
    assert _AF_TIMESPAN is not None
    try:
        result = _AF_TIMESPAN(text)
    except (ValueError, OverflowError):  # int() of a huge number overflows timedelta
        return None
    assert result is None or isinstance(result, timedelta)
    return result


def assert_same(actual: datetime, expected: datetime) -> None:
    """Equal as values and as wall-clock readings, with the same offset (or none)."""
    assert type(actual) is datetime
    assert actual == expected
    assert (actual.tzinfo is None) == (expected.tzinfo is None)
    assert actual.utcoffset() == expected.utcoffset()
    assert actual.replace(tzinfo=None) == expected.replace(tzinfo=None)


def outcome(parse: Callable[[str], Any], text: str) -> tuple[str, Any]:
    """What a parser does with text, comparable across parsers."""
    try:
        value = parse(text)
    except DecodeError as exc:
        return "error", (exc.message, type(exc.__cause__))
    if isinstance(value, datetime):
        return "value", (value, value.replace(tzinfo=None), value.utcoffset())
    return "value", value


# -- rendering datetimes ------------------------------------------------------------------

# (date style, separator, offset style).  Offset styles: "" none; literal suffixes; "colon",
# "nocolon" and "hours" render a drawn offset as ±hh:mm, ±hhmm and ±hh.
Layout = tuple[str, str, str]

AF_LAYOUTS: list[Layout] = [
    *(("iso", sep, off) for sep in "Tt" for off in ("", "Z", "z", "+00:00", "-00:00")),
    *(("us", " ", off) for off in ("Z", "z", "+00:00", "-00:00")),
    *(("us", sep, "") for sep in "Tt"),
]

# Shapes azure.functions rejects (or, after 7+ fraction digits, misreads) and we accept.
EXTRA_LAYOUTS: list[Layout] = [
    *(("iso", sep, off) for sep in "T " for off in ("colon", "nocolon", "hours")),
    *(("iso", " ", off) for off in ("", "Z", "+00:00")),
    *(("us", " ", off) for off in ("", "colon", "nocolon")),
    *(("us", "T", off) for off in ("Z", "+00:00", "colon", "nocolon")),
]

moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
fractions = st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=9))


def micro_of(fraction: str) -> int:
    """Microseconds of a fraction's digits, truncated as azure.functions does."""
    return int(fraction[:6].ljust(6, "0")) if fraction else 0


def numeral(value: int, padded: bool) -> str:
    return f"{value:02d}" if padded else str(value)


@st.composite
def rendered(draw: st.DrawFn, layouts: list[Layout]) -> tuple[str, datetime, int]:
    """A datetime text in one of the layouts, its value, and its fraction's digit count."""
    date_style, separator, offset_style = draw(st.sampled_from(layouts))
    moment = draw(moments)
    fraction = draw(fractions)
    pad = draw(st.lists(st.booleans(), min_size=5, max_size=5))
    month, day = numeral(moment.month, pad[0]), numeral(moment.day, pad[1])
    if date_style == "iso":
        date_part = f"{moment.year:04d}-{month}-{day}"
    else:
        date_part = f"{month}/{day}/{moment.year:04d}"
    time_part = ":".join(
        numeral(v, p)
        for v, p in zip((moment.hour, moment.minute, moment.second), pad[2:], strict=True)
    )
    if fraction:
        time_part += "." + fraction
    zone: timezone | None = None
    suffix = offset_style
    if offset_style in ("Z", "z", "+00:00", "-00:00"):
        zone = UTC
    elif offset_style:
        if offset_style == "hours":
            minutes = draw(st.integers(-23, 23)) * 60
        elif offset_style == "colon":  # nonzero: ±00:00 is the azure.functions layout above
            minutes = draw(st.integers(-1439, 1439).filter(bool))
        else:
            minutes = draw(st.integers(-1439, 1439))
        hh, mm = divmod(abs(minutes), 60)
        sign = "-" if minutes < 0 else "+"
        suffix = {"colon": f"{sign}{hh:02d}:{mm:02d}", "nocolon": f"{sign}{hh:02d}{mm:02d}"}.get(
            offset_style, f"{sign}{hh:02d}"
        )
        zone = timezone(timedelta(minutes=minutes))
    expected = moment.replace(microsecond=micro_of(fraction), tzinfo=zone)
    return f"{date_part}{separator}{time_part}{suffix}", expected, len(fraction)


# -- datetimes: against azure.functions ----------------------------------------------------


@needs_oracle
@_PROPERTY
@given(rendered(AF_LAYOUTS))
@example(("2018-08-07T23:17:57.4610507Z", datetime(2018, 8, 7, 23, 17, 57, 461050, UTC), 7))
@example(("2026-01-02T03:04:05.12345678901234Z", datetime(2026, 1, 2, 3, 4, 5, 123456, UTC), 14))
def test_equal_to_azure_functions_where_it_accepts(case: tuple[str, datetime, int]) -> None:
    text, expected, _ = case
    ours = parse_datetime(text)
    assert_same(ours, expected)  # the rendering is what we think it is
    oracle = af_datetime(text)
    if documented_exception(text):
        # 7+ fraction digits then a lowercase "z": azure.functions' truncation regex drops
        # the z, then reads the rest as naive (ISO) or rejects it (US date with a space).
        assert text.endswith("z")
        assert oracle is None or oracle.tzinfo is None
    else:
        assert oracle is not None, f"the layout of {text!r} is not one azure.functions accepts"
        assert_same(ours, oracle)


@needs_oracle
@_PROPERTY
@given(rendered(EXTRA_LAYOUTS))
def test_correct_where_azure_functions_rejects(case: tuple[str, datetime, int]) -> None:
    text, expected, digits = case
    assert_same(parse_datetime(text), expected)
    oracle = af_datetime(text)
    # azure.functions rejects these, except that after 7+ fraction digits it drops an
    # offset written without a colon and returns a naive datetime (a documented difference).
    if oracle is not None:
        assert digits >= 7
        assert oracle.tzinfo is None
        assert expected.tzinfo is not None


# Where azure.functions accepts text only through strptime's or its own leniency, funcbind
# may decline or differ on purpose (docs list these):
#   non-ASCII digits; whitespace other than one space; a space-padded day (" 7");
#   text after 7+ fraction digits that its truncation regex silently drops.
_AF_TRUNCATION = re.compile(r"(.*\.\d{6})(\d+)(Z|[\+|-]\d{1,2}:\d{1,2}){0,1}")
_LOOSE_SPACE = re.compile(r"\s\s|[^\S ]|[-/] ")


def documented_exception(text: str) -> bool:
    if not text.isascii() or _LOOSE_SPACE.search(text):
        return True
    match = _AF_TRUNCATION.match(text)
    return match is not None and match.end() != len(text)


_ALPHABET = "0123456789-/:.TtZz+ \t\u0663\u00a0_"


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """A text with a few characters inserted, replaced or deleted."""
    text = draw(base)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(_ALPHABET))
        action = draw(st.sampled_from(["insert", "replace", "delete"]))
        if action == "insert":
            text = text[:at] + char + text[at:]
        elif action == "replace":
            text = text[:at] + char + text[at + 1 :]
        else:
            text = text[:at] + text[at + 1 :]
    return text


datetime_texts = mutated(rendered(AF_LAYOUTS + EXTRA_LAYOUTS).map(lambda case: case[0]))


@needs_oracle
@_PROPERTY
@given(datetime_texts)
@example("2026-01-02T03:04:05.1234567+0530")  # azure.functions: naive, offset dropped
@example("10/07/2021\t23:31:52Z")  # azure.functions: strptime reads the tab as a space
@example("2026-01- 2T03:04:05")  # azure.functions: space-padded day
def test_no_silent_disagreement_with_azure_functions(text: str) -> None:
    oracle = af_datetime(text)
    try:
        ours = parse_datetime(text)
    except DecodeError:
        assert oracle is None or documented_exception(text)
        return
    if oracle is not None and not documented_exception(text):
        assert_same(ours, oracle)


@_PROPERTY
@given(st.one_of(datetime_texts, st.text(max_size=40)))
@example("2026-01-02T24:00:00")  # hour 24 is kept away from fromisoformat
@example("2026-01-02T03:04:05+05:99")  # fromisoformat would not check the minutes
@example("2026-01-02T03:04:05.1234567-05:00")
@example("2026-02-29T00:00:00Z")
@example("2000-01-10T10:10:0Z")  # 19 characters with the Z
def test_fast_path_agrees_with_general_path(text: str) -> None:
    general = outcome(lambda t: _parse_general(t, None), text)
    assert outcome(parse_datetime, text) == general
    # The rewrite Python 3.10 needs is read alike by every version: checked on each.
    with mock.patch.object(datetimes, "_READS_ISO_8601", False):
        assert outcome(parse_datetime, text) == general


# -- datetimes: the cases from WIRE.md section 6 -------------------------------------------

WIRE_CASES = [
    ("2018-08-07T23:17:57.4610507Z", datetime(2018, 8, 7, 23, 17, 57, 461050, UTC)),
    ("2018-08-07T23:17:57.4610507+00:00", datetime(2018, 8, 7, 23, 17, 57, 461050, UTC)),
    (
        "2018-08-07T23:17:57.4610507-05:00",
        datetime(2018, 8, 7, 23, 17, 57, 461050, timezone(timedelta(hours=-5))),
    ),
    ("2024-07-26T06:53:34.161", datetime(2024, 7, 26, 6, 53, 34, 161000)),
    ("10/07/2021 23:31:52", datetime(2021, 10, 7, 23, 31, 52)),
    ("9999-12-31T23:59:59.9999999+00:00", datetime.max.replace(tzinfo=UTC)),
    (
        "2026-01-02T03:04:05.1234567+05:30",
        datetime(2026, 1, 2, 3, 4, 5, 123456, timezone(timedelta(hours=5, minutes=30))),
    ),
    (
        "2026-01-02T03:04:05.123456789-0130",
        datetime(2026, 1, 2, 3, 4, 5, 123456, timezone(-timedelta(hours=1, minutes=30))),
    ),
    ("2026-01-02 03:04:05+02", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))),
    ("1/2/2026T3:04:05.5Z", datetime(2026, 1, 2, 3, 4, 5, 500000, UTC)),
]


@pytest.mark.parametrize(("text", "expected"), WIRE_CASES)
def test_wire_cases(text: str, expected: datetime) -> None:
    assert_same(parse_datetime(text), expected)


@pytest.mark.parametrize(
    "text", ["2018-08-07T23:17:57Z", "2018-08-07T23:17:57.1-00:00", "1/2/2026 0:0:0+0000"]
)
def test_utc_is_the_utc_singleton(text: str) -> None:
    assert parse_datetime(text).tzinfo is timezone.utc


def test_seven_digits_are_truncated_not_rounded() -> None:
    assert parse_datetime("2026-01-02T03:04:05.9999999Z").microsecond == 999999
    assert parse_datetime("2026-01-02T03:04:05.0000009").microsecond == 0


def test_json_quotes_are_the_callers_job() -> None:
    with pytest.raises(DecodeError, match="expected an ISO 8601"):
        parse_datetime('"2018-08-07T23:17:57Z"')


# -- datetimes: bad input ------------------------------------------------------------------

NOT_DATETIMES = [
    "",
    "garbage",
    "2026-01-02",  # date only: azure.functions rejects it too
    "2026-01-02T03:04",
    "2026-01-02T03:04:05.",
    "2026-01-02T03:04:05.Z",
    "2026-01-02T03:04:05Zjunk",
    "2026-01-02T03:04:05.1234567Zjunk",  # azure.functions drops the junk
    " 2026-01-02T03:04:05",
    "2026-01-02T03:04:05 ",
    "2026-01-02T03:04:05+5:00",
    "2026-01-02T03:04:05+05:0",
    "\u0662\u0660\u0662\u0666-01-02T03:04:05",
    "2018-08-07T23:17:57.4610507Z" * 10,
]


@pytest.mark.parametrize("text", NOT_DATETIMES)
def test_not_a_datetime(text: str) -> None:
    with pytest.raises(DecodeError) as info:
        parse_datetime(text, field="InsertionTime")
    shown = repr(text) if len(repr(text)) <= 80 else repr(text)[:76]
    assert info.value.message.startswith(
        "trigger metadata field 'InsertionTime': expected an ISO 8601 or MM/dd/yyyy HH:mm:ss "
        f"datetime, got {shown}"
    )
    assert info.value.__cause__ is None


OUT_OF_RANGE = [
    ("2026-13-01T00:00:00Z", "month must be in 1..12"),
    ("13/01/2026 00:00:00", "month must be in 1..12"),
    ("2026-02-29T00:00:00", "day is out of range for month"),
    ("0000-01-01T00:00:00", "year 0 is out of range"),
    ("2026-01-02T24:00:00", "hour must be in 0..23"),
    ("2026-01-02T03:60:00", "minute must be in 0..59"),
    ("2026-01-02T03:04:60Z", "second must be in 0..59"),
    ("2026-01-02T03:04:05+24:00", "offset must be between -23:59 and +23:59"),
    ("2026-01-02T03:04:05-05:60", "offset must be between -23:59 and +23:59"),
    ("2026-01-02T03:04:05.1+9999", "offset must be between -23:59 and +23:59"),
]


@pytest.mark.parametrize(("text", "reason"), OUT_OF_RANGE)
def test_out_of_range_datetime(text: str, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        parse_datetime(text, field="ExpirationTime")
    assert info.value.message == (
        "trigger metadata field 'ExpirationTime': expected an ISO 8601 or MM/dd/yyyy HH:mm:ss "
        f"datetime, got {text!r} ({reason})"
    )
    assert isinstance(info.value.__cause__, ValueError)


def test_error_without_a_field() -> None:
    with pytest.raises(DecodeError) as info:
        parse_datetime("nope")
    assert info.value.message == (
        "expected an ISO 8601 or MM/dd/yyyy HH:mm:ss datetime, got 'nope'"
    )


@_PROPERTY
@given(st.text(max_size=60))
def test_only_decode_errors_escape(text: str) -> None:
    for parse in (parse_datetime, parse_timespan):
        with contextlib.suppress(DecodeError):
            parse(text)


# -- time spans ----------------------------------------------------------------------------


@st.composite
def af_timespans(draw: st.DrawFn) -> str:
    """The three shapes azure.functions reads: %H:%M:%S, %M:%S and int() seconds."""
    shape = draw(st.sampled_from(["hms", "ms", "seconds"]))
    if shape == "seconds":
        number = draw(st.integers(-(10**12), 10**12))
        plus = "+" if number >= 0 and draw(st.booleans()) else ""
        return f"{plus}{number}"
    parts = [draw(st.integers(0, 59)) for _ in range(2)]
    if shape == "hms":
        parts.insert(0, draw(st.integers(0, 23)))
    return ":".join(numeral(value, draw(st.booleans())) for value in parts)


@needs_oracle
@_PROPERTY
@given(af_timespans())
@example("12:34")  # minutes and seconds, as azure.functions reads two parts
@example("5819")
@example("-5")
def test_timespan_equal_to_azure_functions_where_it_accepts(text: str) -> None:
    oracle = af_timespan(text)
    assert oracle is not None
    assert parse_timespan(text) == oracle


@needs_oracle
@_PROPERTY
@given(
    negative=st.booleans(),
    days=st.one_of(st.none(), st.integers(0, 10**6)),
    hours=st.integers(0, 200),
    minutes=st.integers(0, 59),
    seconds=st.integers(0, 59),
    fraction=fractions,
)
def test_dotnet_timespans(
    negative: bool, days: int | None, hours: int, minutes: int, seconds: int, fraction: str
) -> None:
    text = "-" if negative else ""
    if days is not None:
        text += f"{days}."
    text += f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if fraction:
        text += "." + fraction
    magnitude = timedelta(
        days=days or 0,
        hours=hours,
        minutes=minutes,
        seconds=seconds,
        microseconds=micro_of(fraction),  # truncated towards zero, the sign comes after
    )
    expected = -magnitude if negative else magnitude
    assert parse_timespan(text) == expected
    oracle = af_timespan(text)
    if negative or days is not None or hours > 23 or fraction:
        assert oracle is None
    else:
        assert oracle == expected


# Leniencies of int() and strptime that funcbind does not copy: whitespace, "_", non-ASCII.
def timespan_documented_exception(text: str) -> bool:
    return not text.isascii() or "_" in text or any(c.isspace() for c in text)


@needs_oracle
@_PROPERTY
@given(mutated(af_timespans()))
@example(" 5 ")
@example("1_000")
@example("\u0665")
def test_timespan_no_silent_disagreement(text: str) -> None:
    oracle = af_timespan(text)
    try:
        ours = parse_timespan(text)
    except DecodeError:
        assert oracle is None or timespan_documented_exception(text)
        return
    if oracle is not None:
        assert ours == oracle


TIMESPAN_CASES = [
    ("00:00:00", timedelta(0)),
    ("01:02:03", timedelta(hours=1, minutes=2, seconds=3)),
    ("1:2:3", timedelta(hours=1, minutes=2, seconds=3)),
    ("36:00:00", timedelta(hours=36)),
    ("1.02:03:04", timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ("-1.02:03:04.5", -timedelta(days=1, hours=2, minutes=3, seconds=4, milliseconds=500)),
    ("00:00:00.0000015", timedelta(microseconds=1)),
    ("-00:00:00.0000015", -timedelta(microseconds=1)),
    ("12:34", timedelta(minutes=12, seconds=34)),
    ("90", timedelta(seconds=90)),
    ("-90", timedelta(seconds=-90)),
    ("999999999.23:59:59.9999999", timedelta.max),
    ("-999999999.00:00:00", timedelta.min),
    ("86399999999999", timedelta(days=999999999, seconds=86399)),
]


@pytest.mark.parametrize(("text", "expected"), TIMESPAN_CASES)
def test_timespan_cases(text: str, expected: timedelta) -> None:
    assert parse_timespan(text) == expected


@pytest.mark.parametrize(
    "text", ["", "abc", "1:2:3:4", "-12:34", "12:34.5", "1.2.03:04:05", "01:02:03.", " 5", "1_0"]
)
def test_not_a_timespan(text: str) -> None:
    with pytest.raises(DecodeError) as info:
        parse_timespan(text, field="Timeout")
    assert info.value.message == (
        "trigger metadata field 'Timeout': expected a time span ([-][d.]hh:mm:ss[.fffffff], "
        f"mm:ss or whole seconds), got {text!r}"
    )


TIMESPAN_OUT_OF_RANGE = [
    ("00:60", ValueError, "minutes and seconds must be in 0..59"),
    ("1:60:00", ValueError, "minutes and seconds must be in 0..59"),
    ("1:00:60", ValueError, "minutes and seconds must be in 0..59"),
    ("1000000000.00:00:00", OverflowError, "time span out of range: beyond 999999999 days"),
    ("-999999999.00:00:01", OverflowError, "time span out of range: beyond 999999999 days"),
    ("86400000000000", OverflowError, "time span out of range: beyond 999999999 days"),
    ("9" * 5000, OverflowError, "time span out of range: beyond 999999999 days"),
]


@pytest.mark.parametrize(("text", "cause", "reason"), TIMESPAN_OUT_OF_RANGE)
def test_timespan_out_of_range(text: str, cause: type[Exception], reason: str) -> None:
    with pytest.raises(DecodeError, match=re.escape(f"({reason})")) as info:
        parse_timespan(text, field="Timeout")
    assert "trigger metadata field 'Timeout'" in info.value.message
    assert isinstance(info.value.__cause__, cause)


@st.composite
def host_timespans(draw: st.DrawFn) -> str:
    """[d.]hh:mm:ss[.fffffff] as the host writes them, near and past the fast path's limits."""
    days = draw(st.one_of(st.just(""), st.integers(0, 10**10).map(lambda d: f"{d}.")))
    hours = draw(st.integers(0, 120))
    width = draw(st.sampled_from([1, 2, 3]))
    minutes, seconds = (draw(st.integers(0, 99)) for _ in range(2))
    fraction = draw(fractions)
    text = f"{days}{hours:0{width}d}:{minutes:02d}:{seconds:02d}"
    return f"{text}.{fraction}" if fraction else text


@_PROPERTY
@given(st.one_of(mutated(host_timespans()), st.text("0123456789.:-+\u0663", max_size=16)))
@example("99999999.99:59:59.9999999")  # the largest the fast path takes
@example("999999999.23:59:59.9999999")  # 9 day digits: the general path's range check
@example("999999999.24:00:00")
@example("00:00:60")
@example(".01:02:03")
@example("01:02:03.")
@example("1.:02:03")
@example("00:60:00")
@example("\u0663\u0663:00:00")
@example("1:2:3")
def test_timespan_fast_path_agrees_with_general_path(text: str) -> None:
    assert outcome(parse_timespan, text) == outcome(
        lambda t: _parse_timespan_general(t, None), text
    )
