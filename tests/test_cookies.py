"""Cookie dates (funcbind._cookies): one rule for every path a cookie takes to the wire.

A cookie reaches the host either as a ``Set-Cookie`` header of an ``HttpResponse`` (the
HTTP response model parses it) or as a ``SimpleCookie``/``Morsel`` in an http Datum (the
wire adapter reads it).  Both read ``Expires`` with the same parser, so they agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcbind import Datum, EncodeError
from funcbind._cookies import format_cookie_date, parse_cookie_date
from funcbind.bindings.http import HttpCookie
from funcbind.wire import datum_to_typed_data
from wire_messages import STAND_IN

UTC = timezone.utc
WHEN = datetime(2026, 10, 21, 7, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # RFC 6265 dates are UTC whatever zone or offset they name, as browsers read them.
        ("Wed, 21 Oct 2026 07:28:00 GMT", WHEN),
        ("Wed, 21 Oct 2026 07:28:00 +0200", WHEN),
        ("Wed, 21 Oct 2026 07:28:00 -0930", WHEN),
        ("Wed, 21 Oct 2026 07:28:00 EST", WHEN),
        ("Wed, 21 Oct 2026 07:28:00", WHEN),
        # ISO 8601, which a browser cannot read, means what ISO says.
        ("2026-10-21T07:28:00Z", WHEN),
        ("2026-10-21T09:28:00+02:00", WHEN),
        ("2026-10-21 07:28:00", WHEN),
        ("  2026-10-21T07:28:00.250000Z ", WHEN + timedelta(milliseconds=250)),
        ("9999-12-31T23:00:00-05:00", None),  # past year 9999 in UTC
        ("2026-13-01T00:00:00Z", None),
        ("10/21/2026 07:28:00", None),
        ("2026", None),
    ],
)
def test_the_rule(text: str, expected: datetime | None) -> None:
    parsed = parse_cookie_date(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0)


def _through_the_response_model(text: str) -> datetime | None:
    try:
        return HttpCookie.parse(f"a=1; Expires={text}").expires
    except EncodeError:
        return None


def _through_the_wire_adapter(text: str) -> datetime | None:
    jar: SimpleCookie = SimpleCookie()
    jar["a"] = "1"
    jar["a"]["expires"] = text
    response = Datum({"status_code": Datum("200", "string"), "cookies": [jar]}, "http")
    try:
        (cookie,) = datum_to_typed_data(response, STAND_IN).http.cookies
    except EncodeError:
        return None
    assert cookie.HasField("expires")
    stamp = cookie.expires.value
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
        seconds=stamp.seconds, microseconds=stamp.nanos // 1000
    )


_OFFSETS = st.sampled_from(["GMT", "UTC", "+0200", "-0700", "EST", "Z", ""])
_DATE_TEXTS = st.one_of(
    st.builds(
        lambda moment, style, offset: f"{moment.strftime(style)} {offset}".strip(),
        st.datetimes(min_value=datetime(1601, 1, 1), max_value=datetime(9998, 12, 31)),
        st.sampled_from(["%a, %d %b %Y %H:%M:%S", "%A, %d-%b-%y %H:%M:%S", "%d %b %Y %H:%M:%S"]),
        _OFFSETS,
    ),
    st.builds(
        lambda moment, offset: moment.replace(microsecond=0).isoformat() + offset,
        st.datetimes(min_value=datetime(1601, 1, 1), max_value=datetime(9998, 12, 31)),
        st.sampled_from(["Z", "+02:00", "-04:00", ""]),
    ),
    st.text(alphabet=st.characters(blacklist_characters=";,\r\n"), max_size=30),
)


@given(_DATE_TEXTS.filter(bool))  # a Morsel's "" means no Expires at all
def test_both_paths_agree_on_every_expires_text(text: str) -> None:
    assert _through_the_response_model(text) == _through_the_wire_adapter(text)


def test_the_example_that_used_to_differ_by_two_hours() -> None:
    text = "Wed, 21 Oct 2026 07:28:00 +0200"
    assert _through_the_response_model(text) == _through_the_wire_adapter(text) == WHEN


@given(st.datetimes(min_value=datetime(1601, 1, 1), max_value=datetime(9999, 12, 31)))
def test_formatted_dates_parse_back(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    assert parse_cookie_date(format_cookie_date(moment)) == moment
