"""HTTP output encoding: HttpResponse and plain values to the http Datum the workers send."""

from __future__ import annotations

import http as std_http
import json
import os
import subprocess
import sys
import time
import typing
from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Optional

import azure.functions as func
import pytest
from azure.functions import _abc as azure_abc
from azure.functions.http import HttpResponseConverter
from hypothesis import given
from hypothesis import strategies as st

import funcbind
from funcbind import EncodeError, UnsupportedValueError
from funcbind._cookies import format_cookie_date, parse_cookie_date
from funcbind.bindings import http
from funcbind.bindings.http import HttpCookie, encode_http_output
from funcbind.bindings.http import cookies as http_cookies
from funcbind.registry import Registry
from funcbind.worker import WorkerRegistry

FIXTURES = Path(__file__).parent.parent / "fixtures" / "http"
COOKIE_CASES = json.loads((FIXTURES / "set_cookies.json").read_text(encoding="utf-8"))["cases"]
# The cases SimpleCookie (and so azure.functions) reads as exactly one cookie.
STOCK_READABLE = [case for case in COOKIE_CASES if len(SimpleCookie(case["header"])) == 1]
SRC = Path(funcbind.__file__).parent.parent


@pytest.fixture(scope="module")
def registry() -> Registry:
    registry = Registry()
    http.register(registry)
    return registry


def encode(registry: Registry, value: Any, annotation: Any = Any) -> Any:
    return registry.encoder("http", annotation)(value)


def stock_encode(value: Any) -> Any:
    return HttpResponseConverter.encode(value, expected_type=None)


def plain(datum: Any) -> Any:
    """An http Datum as plain values, for comparing ours with azure.functions'."""
    value = datum.value
    return {
        "status_code": (value["status_code"].type, value["status_code"].value),
        "headers": {name: (h.type, h.value) for name, h in value["headers"].items()},
        "body": (value["body"].type, bytes(value["body"].value)),
    }


def response(**kwargs: Any) -> func.HttpResponse:
    set_cookies = kwargs.pop("set_cookies", ())
    result = func.HttpResponse(**kwargs)
    for cookie in set_cookies:
        result.headers.add("Set-Cookie", cookie)
    return result


# -- differential against azure.functions ---------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"body": "hello", "status_code": 201},
        {"body": b"\x00\x01", "mimetype": "application/octet-stream"},
        {"body": "héllo", "mimetype": "text/html", "charset": "latin-1"},
        {"body": "{}", "headers": {"Content-Type": "application/json"}, "mimetype": "text/x"},
        {"status_code": std_http.HTTPStatus.NO_CONTENT, "headers": {"X-A": "1", "x-b": "2"}},
        {"body": "x", "headers": {"content-type": "text/csv", "Cache-Control": "no-store"}},
    ],
)
def test_responses_match_azure_functions(registry: Registry, kwargs: dict[str, Any]) -> None:
    ours = encode(registry, response(**kwargs), func.HttpResponse)
    stock = stock_encode(response(**kwargs))
    assert ours.type == stock.type == "http"
    assert plain(ours) == plain(stock)
    assert ours.value["cookies"] is stock.value["cookies"] is None


_HEADER_NAME = st.from_regex(r"X-[A-Za-z0-9-]{1,12}", fullmatch=True)
_HEADER_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)


@given(
    status=st.sampled_from([200, 201, 204, 301, 400, 404, 500]),
    headers=st.dictionaries(_HEADER_NAME, _HEADER_VALUE, max_size=5).filter(
        lambda h: len({name.lower() for name in h}) == len(h)
    ),
    body=st.none() | st.binary(max_size=32) | st.text(max_size=32),
    mimetype=st.none() | st.sampled_from(["text/plain", "text/html", "application/json"]),
    charset=st.none() | st.sampled_from(["utf-8", "utf-16"]),
    content_type=st.none() | st.sampled_from(["application/xml", "text/csv; charset=utf-8"]),
)
def test_generated_responses_match_azure_functions(
    registry: Registry,
    status: int,
    headers: dict[str, str],
    body: Any,
    mimetype: str | None,
    charset: str | None,
    content_type: str | None,
) -> None:
    if content_type is not None:
        headers = {**headers, "Content-Type": content_type}
    kwargs = {
        "body": body,
        "status_code": status,
        "headers": headers,
        "mimetype": mimetype,
        "charset": charset,
    }
    assert plain(encode(registry, response(**kwargs))) == plain(stock_encode(response(**kwargs)))


def test_str_is_a_string_datum_like_azure_functions(registry: Registry) -> None:
    ours, stock = encode(registry, "plain text", str), stock_encode("plain text")
    assert (ours.type, ours.value) == (stock.type, stock.value) == ("string", "plain text")


def test_unsupported_values(registry: Registry) -> None:
    for value in (42, 1.5, object(), {1, 2}):
        with pytest.raises(UnsupportedValueError, match=r"expected azure\.functions\.HttpResponse"):
            encode(registry, value)
        with pytest.raises(NotImplementedError):
            encode(registry, value)
        with pytest.raises(NotImplementedError):
            stock_encode(value)


# -- what funcbind does better --------------------------------------------------------


def test_the_response_is_left_unchanged(registry: Registry) -> None:
    value = response(body="x", set_cookies=["a=1"])
    first = encode(registry, value)
    assert "content-type" not in value.headers  # azure.functions adds it to the response
    assert value.headers.get_all("Set-Cookie") == ["a=1"]  # and pops the cookies off it
    second = encode(registry, value)
    assert plain(first) == plain(second)
    assert first.value["cookies"] == second.value["cookies"]
    stock_encode(value)
    assert value.headers["content-type"] == "text/plain; charset=utf-8"
    assert value.headers.get_all("Set-Cookie") == []
    assert stock_encode(value).value["cookies"] is None


def test_the_body_is_not_copied(registry: Registry) -> None:
    value = response(body=b"payload")
    assert encode(registry, value).value["body"].value is value.get_body()
    raw = bytearray(b"raw bytes")
    assert encode(registry, raw).value["body"].value is raw


def test_repeated_headers_are_joined(registry: Registry) -> None:
    value = response()
    value.headers.add("Vary", "Accept")
    value.headers.add("vary", "Origin")
    value.headers.add("X-Trace", "a")
    headers = encode(registry, value).value["headers"]
    assert headers["Vary"].value == "Accept, Origin"
    assert "vary" not in headers
    assert headers["X-Trace"].value == "a"
    # azure.functions keeps the last value and drops the others.
    value = response()
    value.headers.add("Vary", "Accept")
    value.headers.add("Vary", "Origin")
    assert stock_encode(value).value["headers"]["Vary"].value == "Origin"
    assert encode(registry, value).value["headers"]["Vary"].value == "Accept, Origin"


def test_every_set_cookie_becomes_one_cookie(registry: Registry) -> None:
    headers = [case["header"] for case in COOKIE_CASES]
    datum = encode(registry, response(set_cookies=headers))
    cookies = datum.value["cookies"]
    assert [cookie.name for cookie in cookies] == [
        case["expected"]["name"] for case in COOKIE_CASES
    ]
    assert all(isinstance(cookie, HttpCookie) for cookie in cookies)
    assert not any(name.lower() == "set-cookie" for name in datum.value["headers"])
    # azure.functions drops the cookies SimpleCookie cannot read (RFC 850 and asctime
    # dates, unknown attributes such as Partitioned), without a word.
    stock_cookies = stock_encode(response(set_cookies=headers)).value["cookies"]
    assert sum(len(cookie) for cookie in stock_cookies) == len(STOCK_READABLE) < len(cookies)


@pytest.mark.parametrize("case", COOKIE_CASES, ids=[c["expected"]["name"] for c in COOKIE_CASES])
def test_set_cookie_fields(case: dict[str, Any]) -> None:
    want = dict(case["expected"])
    if "expires" in want:
        want["expires"] = datetime.fromisoformat(want["expires"])
    assert HttpCookie.parse(case["header"]) == HttpCookie(**want)


@pytest.mark.parametrize(
    "case", STOCK_READABLE, ids=[c["expected"]["name"] for c in STOCK_READABLE]
)
def test_set_cookie_agrees_with_simplecookie_where_it_reads_the_cookie(
    case: dict[str, Any],
) -> None:
    stock = SimpleCookie(case["header"])
    (name, morsel), ours = next(iter(stock.items())), HttpCookie.parse(case["header"])
    assert (ours.name, ours.value) == (name, morsel.value)
    assert ours.domain == (morsel["domain"] or None)
    assert ours.path == (morsel["path"] or None)
    assert bool(ours.secure) is bool(morsel["secure"])
    assert bool(ours.http_only) is bool(morsel["httponly"])
    assert (ours.same_site or "").lower() == morsel["samesite"].lower()
    assert ours.max_age == (int(morsel["max-age"]) if morsel["max-age"] else None)
    if morsel["expires"]:
        assert ours.expires == parsedate_to_datetime(morsel["expires"].replace("-", " "))
    else:
        assert ours.expires is None


def test_cookie_reads_like_the_simplecookie_the_stock_workers_expect() -> None:
    """The reads azure_functions_worker's datum_as_proto makes on each cookie entry."""
    cookie = HttpCookie.parse(COOKIE_CASES[1]["header"])
    entries = list(cookie.items())
    assert entries == [("theme", cookie)]
    morsel = entries[0][1]
    assert morsel.value == "dark"
    assert morsel["domain"] == "example.com"
    assert morsel["path"] == "/"
    assert parsedate_to_datetime(morsel["expires"]) == cookie.expires
    assert morsel["secure"] is False and morsel["httponly"] is False
    assert morsel["max-age"] == 31536000
    assert morsel["samesite"] == ""
    assert morsel["comment"] == morsel["version"] == ""
    bare = HttpCookie.parse("a=1; SameSite=Strict; HttpOnly")
    # Unset domain and path read as None, which the workers leave off the wire (a
    # SimpleCookie gives "", which they send as an empty value).
    assert bare["domain"] is None and bare["path"] is None and bare["expires"] is None
    assert bare["samesite"] == "Strict" and bare["HttpOnly"] is True
    with pytest.raises(KeyError):
        bare["colour"]


@pytest.fixture
def new_york() -> Iterator[None]:
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is Unix-only")
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()


def test_expires_is_utc_whatever_the_machine_time_zone(registry: Registry, new_york: None) -> None:
    assert time.localtime(0).tm_hour == 19  # the zone really is in force
    value = response(set_cookies=["s=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT"])
    (cookie,) = encode(registry, value).value["cookies"]
    assert cookie.expires == datetime(2026, 10, 21, 7, 28, tzinfo=timezone.utc)
    assert cookie.expires.utcoffset().total_seconds() == 0
    assert cookie.expires.timestamp() == 1792567680
    assert cookie["expires"] == "Wed, 21 Oct 2026 07:28:00 GMT"


def test_expires_is_utc_in_a_fresh_process_in_another_zone() -> None:
    code = (
        "from funcbind.bindings.http import HttpCookie\n"
        "c = HttpCookie.parse('s=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT')\n"
        "print(c.expires.isoformat(), int(c.expires.timestamp()))\n"
    )
    env = {**os.environ, "TZ": "Asia/Kolkata", "PYTHONPATH": str(SRC)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["2026-10-21T07:28:00+00:00", "1792567680"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 21 Oct 2026 07:28:00 GMT", datetime(2026, 10, 21, 7, 28, tzinfo=timezone.utc)),
        ("wed, 21 oct 2026 07:28:00 GMT", datetime(2026, 10, 21, 7, 28, tzinfo=timezone.utc)),
        ("Wednesday, 21-Oct-26 07:28:00 GMT", datetime(2026, 10, 21, 7, 28, tzinfo=timezone.utc)),
        ("Wed Oct 21 07:28:00 2026", datetime(2026, 10, 21, 7, 28, tzinfo=timezone.utc)),
        ("Wed, 21-Oct-2026 07:28:00 GMT", datetime(2026, 10, 21, 7, 28, tzinfo=timezone.utc)),
        ("21 Oct 1999 7:28:00 +0200", datetime(1999, 10, 21, 7, 28, tzinfo=timezone.utc)),
        ("Sun, 06 Nov 94 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc)),
        ("Thu, 31 Jun 2026 07:28:00 GMT", None),
        ("Thu, 01 Jan 1600 00:00:00 GMT", None),
        ("Wed, 21 Oct 2026 25:28:00 GMT", None),
        ("tomorrow", None),
        ("", None),
    ],
)
def test_parse_cookie_date(text: str, expected: datetime | None) -> None:
    assert parse_cookie_date(text) == expected


@given(st.datetimes(min_value=datetime(1601, 1, 1), max_value=datetime(9999, 12, 31)))
def test_cookie_dates_round_trip(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=timezone.utc)
    assert parse_cookie_date(format_cookie_date(moment)) == moment


_TOKEN = st.from_regex(r"[A-Za-z0-9_.!#$%&'*+^`|~-]{1,12}", fullmatch=True)


@given(
    cookie=st.builds(
        HttpCookie,
        name=_TOKEN,
        value=st.from_regex(r"[A-Za-z0-9_.!#$%&'()*+/:<>?@^`{|}~-]{0,16}", fullmatch=True),
        domain=st.none() | st.from_regex(r"[a-z0-9.-]{1,20}", fullmatch=True),
        path=st.none() | st.from_regex(r"/[a-z0-9/_-]{0,10}", fullmatch=True),
        expires=st.none()
        | st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)).map(
            lambda d: d.replace(microsecond=0, tzinfo=timezone.utc)
        ),
        max_age=st.none() | st.integers(-1, 10**9),
        secure=st.none() | st.just(True),
        http_only=st.none() | st.just(True),
        same_site=st.none() | st.sampled_from(["Lax", "Strict", "None"]),
    )
)
def test_set_cookie_header_round_trip(cookie: HttpCookie) -> None:
    assert HttpCookie.parse(cookie.header_value()) == cookie


def test_cookie_attributes_are_parsed_once_per_text() -> None:
    first = HttpCookie.parse("a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT")
    second = HttpCookie.parse("b=2; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT")
    assert (first.name, first.value, second.name, second.value) == ("a", "1", "b", "2")
    assert first.expires is second.expires  # the cached (immutable) result
    # The cache is bounded, and every cookie still gets its own attributes.
    cookies = [HttpCookie.parse(f"c={n}; Path=/p{n}") for n in range(600)]
    assert [cookie.path for cookie in cookies] == [f"/p{n}" for n in range(600)]
    assert len(http_cookies._attribute_cache) <= 256
    # An unreadable attribute is never cached: each cookie's warning names that cookie
    # (tests/bindings/test_http_cookies.py).


def test_unknown_same_site_is_left_unset() -> None:
    assert HttpCookie.parse("a=1; SameSite=Sometimes").same_site is None


# -- beyond azure.functions: more return types ------------------------------------------


def test_bytes_become_an_octet_stream_response(registry: Registry) -> None:
    body = b"\x89PNG..."
    datum = encode(registry, body, bytes)
    assert datum.type == "http"
    assert datum.value["status_code"].value == "200"
    assert datum.value["headers"]["content-type"].value == "application/octet-stream"
    assert datum.value["body"].value is body


@pytest.mark.parametrize("value", [{"ok": True, "name": "Zoë"}, [1, "two", None], {}])
def test_dict_and_list_become_json_responses(registry: Registry, value: Any) -> None:
    datum = encode(registry, value, type(value))
    assert datum.value["headers"]["content-type"].value == "application/json"
    assert datum.value["body"].type == "bytes"
    assert json.loads(datum.value["body"].value) == value
    assert datum.value["cookies"] is None


def test_json_that_cannot_be_serialised(registry: Registry) -> None:
    with pytest.raises(UnsupportedValueError, match="JSON-serialisable"):
        encode(registry, {"when": datetime(2026, 1, 1)})


def test_none_sends_nothing(registry: Registry) -> None:
    assert encode(registry, None, None) is None
    assert encode(registry, None, Optional[func.HttpResponse]) is None


# -- other HttpResponse implementations --------------------------------------------------


class DictHeadersResponse(azure_abc.HttpResponse):
    """An HttpResponse of the ABC that is not azure.functions' own."""

    def __init__(self, headers: dict[str, Any], status: Any = 200, body: Any = b"ok") -> None:
        self._headers = headers
        self._status = status
        self._body = body

    @property
    def status_code(self) -> Any:
        return self._status

    @property
    def mimetype(self) -> str:
        return "text/plain"

    @property
    def charset(self) -> str:
        return "utf-8"

    @property
    def headers(self) -> Any:
        return self._headers

    def get_body(self) -> Any:
        return self._body


def test_an_abc_response_with_dict_headers(registry: Registry) -> None:
    value = DictHeadersResponse(
        {"Set-Cookie": "a=1; Path=/", "X-Count": 3}, std_http.HTTPStatus.CREATED, "text"
    )
    datum = encode(registry, value)
    assert datum.value["status_code"].value == "201"
    assert datum.value["headers"]["X-Count"].value == "3"
    assert datum.value["headers"]["content-type"].value == "text/plain; charset=utf-8"
    assert datum.value["cookies"] == [HttpCookie("a", "1", path="/")]
    assert datum.value["body"].value == b"text"
    with pytest.raises(AttributeError):  # azure.functions calls Headers.get_all on it
        stock_encode(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (DictHeadersResponse({}, status="teapot"), "expected an integer status code"),
        (DictHeadersResponse({"X-A": b"bytes"}), "header 'X-A': expected a str value"),
        (DictHeadersResponse({1: "one"}), "expected header names as str"),
        (DictHeadersResponse(["X-A"]), "expected headers as a mapping"),  # type: ignore[arg-type]
    ],
)
def test_bad_abc_responses(registry: Registry, value: Any, message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        encode(registry, value)


def test_an_abc_response_without_headers_or_body(registry: Registry) -> None:
    datum = encode(registry, DictHeadersResponse(None, body=None))  # type: ignore[arg-type]
    assert datum.value["body"].value == b""
    assert datum.value["headers"] == {
        "content-type": funcbind.Datum("text/plain; charset=utf-8", "string")
    }


# -- annotations -------------------------------------------------------------------


@pytest.mark.parametrize(
    "annotation",
    [
        func.HttpResponse,
        azure_abc.HttpResponse,
        str,
        bytes,
        bytearray,
        dict,
        list,
        dict[str, Any],
        list[int],
        Optional[func.HttpResponse],
        func.HttpResponse | None,
        func.HttpResponse | str,
        typing.Union[str, dict[str, Any], None],
        None,
        Any,
    ],
)
def test_accepted_output_annotations(registry: Registry, annotation: Any) -> None:
    assert registry.encoder("http", annotation) is encode_http_output


@pytest.mark.parametrize(
    "annotation", [int, float, bool | None, func.HttpRequest, func.HttpResponse | int]
)
def test_rejected_output_annotations(registry: Registry, annotation: Any) -> None:
    with pytest.raises(funcbind.AnnotationError, match="'http' does not accept"):
        registry.encoder("http", annotation)


def test_worker_facade() -> None:
    workers = WorkerRegistry(funcbind.default_registry())
    binding = workers.get("http")
    assert binding is not None and not binding.has_trigger_support()
    for annotation in (func.HttpResponse, str, dict, Optional[func.HttpResponse]):
        assert binding.check_output_type_annotation(annotation)
    assert not binding.check_output_type_annotation(int)
    assert not binding.check_input_type_annotation(func.HttpRequest)
    datum = binding.encode(response(body="hi", status_code=202), expected_type=func.HttpResponse)
    assert datum is not None and datum.value["status_code"].value == "202"
    with pytest.raises(NotImplementedError):
        binding.encode(3, expected_type=None)
