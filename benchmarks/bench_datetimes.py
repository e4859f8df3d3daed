"""Datetime and time span parsing: funcbind.datetimes against azure.functions' parser.

azure.functions parses trigger-metadata datetimes with ``_BaseConverter._parse_datetime``
and time spans with ``_parse_timedelta``; both sides get the same text, one azure.functions
accepts, and must return the same value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from azure.functions.meta import _BaseConverter

from funcbind.datetimes import parse_datetime, parse_timespan

IMPLS = ["azure.functions", "funcbind"]

DATETIME_PARSERS: dict[str, Callable[[str], Any]] = {
    "azure.functions": _BaseConverter._parse_datetime,
    "funcbind": parse_datetime,
}
TIMESPAN_PARSERS: dict[str, Callable[[str], Any]] = {
    "azure.functions": _BaseConverter._parse_timedelta,
    "funcbind": parse_timespan,
}

ISO_7_DIGITS = "2026-01-02T03:04:05.1234567+00:00"  # what the host sends for queue messages
ISO_NAIVE = "2024-07-26T06:53:34.161"
ISO_MILLIS_Z = "2024-06-18T09:15:27.461Z"  # Event Hubs' EnqueuedTimeUtc
TIMESPAN = "12:34:56"


@pytest.mark.benchmark(group="datetime: parse 7-digit ISO with offset")
@pytest.mark.parametrize("impl", IMPLS)
def test_parse_iso_7_digits_with_offset(benchmark: Any, impl: str) -> None:
    expected = datetime(2026, 1, 2, 3, 4, 5, 123456, timezone.utc)
    assert benchmark(DATETIME_PARSERS[impl], ISO_7_DIGITS) == expected


@pytest.mark.benchmark(group="datetime: parse ISO with milliseconds and Z")
@pytest.mark.parametrize("impl", IMPLS)
def test_parse_iso_millis_zulu(benchmark: Any, impl: str) -> None:
    expected = datetime(2024, 6, 18, 9, 15, 27, 461000, timezone.utc)
    assert benchmark(DATETIME_PARSERS[impl], ISO_MILLIS_Z) == expected


@pytest.mark.benchmark(group="datetime: parse naive ISO")
@pytest.mark.parametrize("impl", IMPLS)
def test_parse_iso_naive(benchmark: Any, impl: str) -> None:
    result = benchmark(DATETIME_PARSERS[impl], ISO_NAIVE)
    assert result == datetime(2024, 7, 26, 6, 53, 34, 161000)
    assert result.tzinfo is None


@pytest.mark.benchmark(group="datetime: parse time span hh:mm:ss")
@pytest.mark.parametrize("impl", IMPLS)
def test_parse_timespan(benchmark: Any, impl: str) -> None:
    expected = timedelta(hours=12, minutes=34, seconds=56)
    assert benchmark(TIMESPAN_PARSERS[impl], TIMESPAN) == expected
