"""Response cookies (funcbind.bindings.http.cookies): no Set-Cookie the stock sends fails.

azure.functions reads each ``Set-Cookie`` header with ``SimpleCookie`` and the workers turn
``Max-Age`` into a double with ``float()``.  Whatever that path sends, funcbind sends too:
a header without ``name=value`` is dropped (``SimpleCookie`` yields no cookie for it), a
``Max-Age`` such as ``10000.0`` is read as the workers read it, and an ``Expires`` or
``Max-Age`` nobody can read is ignored as a browser ignores it -- each with a warning
naming the cookie, never a failed response.
"""

from __future__ import annotations

import logging
import math
from http.cookies import SimpleCookie

import azure.functions as func
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcbind import EncodeError
from funcbind.bindings.http import HttpCookie, encode_http_output, parse_set_cookie

LOGGER = "funcbind.bindings.http.cookies"


def response_with(*set_cookies: str) -> func.HttpResponse:
    response = func.HttpResponse("x")
    for header in set_cookies:
        response.headers.add("Set-Cookie", header)
    return response


def cookies_of(*set_cookies: str) -> list[HttpCookie]:
    datum = encode_http_output(response_with(*set_cookies))
    assert datum is not None
    return list(datum.value["cookies"] or ())


def stock_max_ages(header: str) -> list[float | None]:
    """Max-Age of each cookie the stock path sends: SimpleCookie, then the worker's float()."""
    jar = SimpleCookie(header)
    return [float(m["max-age"]) if m["max-age"] != "" else None for m in jar.values()]


# -- the three inputs of issue 15 ------------------------------------------------------------


def test_an_empty_set_cookie_is_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        cookies = cookies_of("", "kept=1")
    assert [(c.name, c.value) for c in cookies] == [("kept", "1")]
    assert len(SimpleCookie("")) == 0  # what the stock path makes of it: no cookie
    [record] = caplog.records
    assert "Set-Cookie header without a cookie name ('')" in record.getMessage()


def test_an_unreadable_max_age_is_ignored_with_a_warning_naming_the_cookie(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        [cookie] = cookies_of("session=abc; Path=/; Max-Age=Dummy")
    assert (cookie.name, cookie.value, cookie.path, cookie.max_age) == ("session", "abc", "/", None)
    [record] = caplog.records
    assert "cookie 'session': Max-Age 'Dummy' is not a number of seconds" in record.getMessage()
    # The stock worker cannot send it at all (float('Dummy') fails the invocation):
    # docs/compatibility.md, http-cookie-unreadable-attributes.
    with pytest.raises(ValueError):
        stock_max_ages("session=abc; Path=/; Max-Age=Dummy")


def test_a_decimal_max_age_is_read_as_the_workers_read_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        [whole] = cookies_of("a=1; Max-Age=10000.0")
        [fraction] = cookies_of("b=2; Max-Age=2.5")
    assert (whole.max_age, type(whole.max_age)) == (10000, int)
    assert fraction.max_age == 2.5
    assert stock_max_ages("a=1; Max-Age=10000.0") == [10000.0]
    assert caplog.records == []


# -- the rule behind them -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (" ", []),
        ("novalue", []),
        ("=1; Path=/", []),
        ("a=1; Max-Age=", [("a", None, None)]),
        ("a=1; Expires=", [("a", None, None)]),
        ("a=1; Max-Age=+5", [("a", 5, None)]),
        ("a=1; Max-Age=1e3", [("a", 1000, None)]),
        ("a=1; Max-Age=-0", [("a", 0, None)]),
        ("a=1; Max-Age=99999999999999999999", [("a", 99999999999999999999, None)]),
        ("a=1; Max-Age=inf", [("a", None, None)]),
        ("a=1; Max-Age=nan", [("a", None, None)]),
        ("a=1; Max-Age=5; Max-Age=soon", [("a", 5, None)]),
        ("a=1; Expires=someday", [("a", None, None)]),
        ("a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Expires=soon", [("a", None, 2026)]),
    ],
)
def test_what_is_kept_and_what_is_ignored(
    header: str, expected: list[tuple[str, int | None, int | None]]
) -> None:
    cookies = cookies_of(header)
    assert [
        (c.name, c.max_age, None if c.expires is None else c.expires.year) for c in cookies
    ] == expected


@pytest.mark.parametrize(
    "header", ["novalue", "a=1; Max-Age=1.5", "a=1; Max-Age=10000.0", "a=1; Max-Age=1_0"]
)
def test_every_max_age_the_stock_sends_is_sent_alike(header: str) -> None:
    ours = [cookie.max_age for cookie in cookies_of(header)]
    assert ours == stock_max_ages(header)


@given(st.text(alphabet=st.sampled_from("ab=; .-+e0159xX\"'\t,GMTinf"), max_size=30))
def test_no_set_cookie_value_fails_a_response(header: str) -> None:
    for cookie in cookies_of(header):
        assert cookie.name
        assert cookie.max_age is None or math.isfinite(cookie.max_age)


def test_an_unreadable_attribute_warns_for_every_cookie_that_has_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Attribute texts are parsed once and cached, but never an unreadable one."""
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for name in ("x", "y"):
            assert HttpCookie.parse(f"{name}=1; Max-Age=soon").max_age is None
    assert [record.args[0] for record in caplog.records] == ["x", "y"]  # type: ignore[index]


def test_parse_still_refuses_a_header_without_a_cookie() -> None:
    """Parsing one header on its own (not a response) has nothing to send but an error."""
    for header in ("", "novalue", "=1"):
        with pytest.raises(EncodeError, match="expected 'name=value"):
            parse_set_cookie(header)
        with pytest.raises(EncodeError, match="expected 'name=value"):
            HttpCookie.parse(header)


def test_a_fractional_max_age_is_written_in_whole_seconds() -> None:
    cookie = HttpCookie.parse("a=1; Max-Age=2.5")
    assert cookie.header_value() == "a=1; Max-Age=2"
    assert cookie["max-age"] == 2.5  # what the stock workers read: the wire keeps it
