"""HTTP trigger decoding: the lazy HttpRequest, against azure.functions on the same Datums."""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlencode

import azure.functions as func
import azure.functions.http
import pytest
import wire_junk
from azure.functions import _abc as azure_abc
from azure.functions.http import HttpRequestConverter
from azure.functions.meta import Datum as AzureDatum
from hypothesis import given
from hypothesis import strategies as st

import funcbind
from funcbind import DecodeError, FuncbindError, UnsupportedDatumError
from funcbind import datum as datum_module
from funcbind.bindings import http
from funcbind.bindings.http import HttpRequest, RequestHeaders, parse_cookie_header
from funcbind.bindings.http import fields as http_fields
from funcbind.registry import BUILTIN_MODULES, BindingSpec, Registry
from funcbind.worker import WorkerRegistry

FIXTURES = Path(__file__).parent.parent / "fixtures" / "http"
REQUEST_FIXTURES = sorted(
    path.stem for path in FIXTURES.glob("*.json") if "request" in json.loads(path.read_text())
)


def _datum(raw: Any, datum_class: type) -> Any:
    if raw is None:
        return None
    value = raw["value"]
    if raw["type"] in ("bytes", "stream"):
        value = value.encode("utf-8")
    return datum_class(value, raw["type"])


def load(name: str, datum_class: type = funcbind.Datum) -> Any:
    """The http Datum of a fixture, its fields built with ``datum_class``."""
    request = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["request"]
    value: dict[str, Any] = {}
    for field, raw in request.items():
        if field in ("headers", "query", "params"):
            value[field] = {key: _datum(item, datum_class) for key, item in raw.items()}
        else:
            value[field] = _datum(raw, datum_class)
    return datum_class(value, "http")


def expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data["expected"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def registry() -> Registry:
    registry = Registry()
    http.register(registry)
    return registry


def decode(registry: Registry, datum: Any, annotation: Any = func.HttpRequest) -> Any:
    return registry.decoder("httpTrigger", annotation)(datum, None)


def stock_decode(datum: Any) -> Any:
    return HttpRequestConverter.decode(datum, trigger_metadata=None)


def json_or_error(request: Any) -> Any:
    try:
        return ("json", request.get_json())
    except ValueError:
        return ("error", None)


def assert_same_request(ours: Any, stock: Any) -> None:
    assert ours.method == stock.method
    assert ours.url == stock.url
    assert dict(ours.headers.items()) == dict(stock.headers.items())
    assert list(ours.headers) == list(stock.headers)
    for name in stock.headers:
        assert ours.headers[name.upper()] == stock.headers[name.upper()]
        assert ours.headers.get(name.title()) == stock.headers.get(name.title())
        assert (name.upper() in ours.headers) is (name.upper() in stock.headers)
    assert ours.headers.get("x-not-sent") is stock.headers.get("x-not-sent") is None
    assert dict(ours.params) == dict(stock.params)
    assert dict(ours.route_params) == dict(stock.route_params)
    assert ours.get_body() == stock.get_body()
    assert type(ours.get_body()) is bytes
    assert json_or_error(ours) == json_or_error(stock)


# -- registration ------------------------------------------------------------------


def test_builtin_modules_list_http() -> None:
    assert "funcbind.bindings.http" in BUILTIN_MODULES
    registry = funcbind.default_registry()
    assert "httpTrigger" in registry and "http" in registry


def test_registration(registry: Registry) -> None:
    trigger, output = registry.get("httpTrigger"), registry.get("http")
    assert trigger is not None and trigger.trigger and trigger.directions == {"in"}
    assert output is not None and not output.trigger and output.directions == {"out"}
    assert not trigger.implicit_output and not output.implicit_output


# -- the model: differential against azure.functions ---------------------------------


@pytest.mark.parametrize("name", REQUEST_FIXTURES)
def test_decode_matches_azure_functions_on_the_same_datums(registry: Registry, name: str) -> None:
    datum = load(name, AzureDatum)
    ours = decode(registry, datum)
    assert_same_request(ours, stock_decode(datum))


@pytest.mark.parametrize("name", REQUEST_FIXTURES)
def test_decode_gives_the_fixture_values(registry: Registry, name: str) -> None:
    want = expected(name)
    request = decode(registry, load(name))
    assert request.method == want["method"]
    assert dict(request.params) == want["params"]
    assert dict(request.route_params) == want["route_params"]
    assert request.get_body() == want["body"].encode("utf-8")
    if want["json"] == "error":
        with pytest.raises(ValueError, match="body"):
            request.get_json()
    else:
        assert request.get_json() == want["json"]
    if "form" in want:
        assert [list(pair) for pair in request.form.items(multi=True)] == want["form"]
    if "files" in want:
        files = [
            [field, upload.filename, upload.content_type, upload.read().decode("utf-8")]
            for field, upload in request.files.items(multi=True)
        ]
        assert files == want["files"]


@pytest.mark.parametrize("name", ["form_urlencoded", "form_multipart"])
def test_form_matches_azure_functions(registry: Registry, name: str) -> None:
    datum = load(name, AzureDatum)
    ours, stock = decode(registry, datum), stock_decode(datum)
    assert type(ours.form) is type(stock.form)
    assert list(ours.form.items(multi=True)) == list(stock.form.items(multi=True))
    ours_files = {key: (f.filename, f.content_type, f.read()) for key, f in ours.files.items()}
    stock_files = {key: (f.filename, f.content_type, f.read()) for key, f in stock.files.items()}
    for upload in stock.files.values():
        upload.close()  # azure.functions spools uploads to SpooledTemporaryFile
    assert ours_files == stock_files


def test_request_is_an_azure_functions_http_request(registry: Registry) -> None:
    request = decode(registry, load("post_json_bytes"))
    assert isinstance(request, func.HttpRequest)
    assert isinstance(request, azure_abc.HttpRequest)
    assert isinstance(request, azure.functions.http.HttpRequest)
    assert isinstance(request.headers, azure.functions._http.HttpRequestHeaders)
    assert isinstance(request.headers, Mapping)
    assert request.datum.type == "http"


def test_the_raw_datum_is_kept(registry: Registry) -> None:
    datum = load("post_json_typed_body")
    request = decode(registry, datum)
    assert request.datum is datum
    assert request.datum.value["rawBody"].type == "bytes"


# hypothesis: requests as the host sends them.
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
_HEADER_NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=10,
)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["bytes", "json-bytes", "string", "json"]))
    if kind == "bytes":
        return "bytes", draw(st.binary(max_size=64))
    if kind == "json-bytes":
        return "bytes", json.dumps(draw(_JSON)).encode("utf-8")
    if kind == "string":
        return "string", draw(_TEXT | _JSON.map(json.dumps))
    return "json", json.dumps(draw(_JSON), ensure_ascii=draw(st.booleans()))


@st.composite
def wire_requests(draw: st.DrawFn) -> dict[str, Any]:
    body_type, body = draw(bodies())
    return {
        "method": draw(st.sampled_from(["GET", "post", "Put", "DELETE", "PATCH", "options"])),
        "url": "https://example.com/api/"
        + draw(st.from_regex(r"[a-z0-9/._~-]{0,20}", fullmatch=True)),
        "headers": draw(st.dictionaries(_HEADER_NAMES, _TEXT, max_size=8)),
        "query": draw(st.dictionaries(_TEXT, _TEXT, max_size=4)),
        "params": draw(st.dictionaries(_TEXT, _TEXT, max_size=3)),
        "body": (body_type, body),
    }


def build(wire: Mapping[str, Any], datum_class: type) -> Any:
    body_type, body = wire["body"]
    return datum_class(
        {
            "method": datum_class(wire["method"], "string"),
            "url": datum_class(wire["url"], "string"),
            "headers": {k: datum_class(v, "string") for k, v in wire["headers"].items()},
            "query": {k: datum_class(v, "string") for k, v in wire["query"].items()},
            "params": {k: datum_class(v, "string") for k, v in wire["params"].items()},
            "body": datum_class(body, body_type),
        },
        "http",
    )


@given(wire=wire_requests())
def test_generated_requests_match_azure_functions(registry: Registry, wire: dict[str, Any]) -> None:
    datum = build(wire, AzureDatum)
    assert_same_request(decode(registry, datum), stock_decode(datum))


@given(
    pairs=st.lists(st.tuples(_TEXT, _TEXT), max_size=6),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-8",
            "text/plain",
        ]
    ),
)
def test_generated_urlencoded_forms_match_azure_functions(
    registry: Registry, pairs: list[tuple[str, str]], content_type: str
) -> None:
    body = urlencode(pairs).encode("ascii")
    wire = {
        "method": "POST",
        "url": "https://example.com/api/form",
        "headers": {"content-type": content_type},
        "query": {},
        "params": {},
        "body": ("bytes", body),
    }
    datum = build(wire, AzureDatum)
    ours, stock = decode(registry, datum), stock_decode(datum)
    assert list(ours.form.items(multi=True)) == list(stock.form.items(multi=True))
    assert len(ours.files) == len(stock.files) == 0


# -- laziness and memoisation ---------------------------------------------------------


class CountingMap(dict[str, Any]):
    """A wire map that counts how often it is read."""

    reads = 0

    def items(self) -> Any:
        type(self).reads += 1
        return super().items()


def test_decode_reads_nothing_but_method_and_url(registry: Registry) -> None:
    CountingMap.reads = 0
    datum = load("post_json_bytes")
    datum.value["query"] = {"a": funcbind.Datum("1", "string")}
    for field in ("headers", "query", "params"):
        datum.value[field] = CountingMap(datum.value[field])
    request = decode(registry, datum)
    assert request.method == "POST"
    assert CountingMap.reads == 0
    # A header lookup reads one value from the wire map; nothing is copied.
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers.get("accept") == "*/*"
    assert "USER-AGENT" in request.headers
    assert CountingMap.reads == 0
    assert request.params is request.params
    assert request.route_params is request.route_params
    assert CountingMap.reads == 2
    # Iterating, counting or missing builds the whole dict, once.
    assert request.headers.get("x-not-sent") is None
    assert len(request.headers) == len(datum.value["headers"])
    assert dict(request.headers)["accept"] == "*/*"
    assert request.headers is request.headers
    assert CountingMap.reads == 3


class LazyWireMap(Mapping[str, Any]):
    """A wire map that is not a dict (the worker's maps make each Datum when it is read)."""

    def __init__(self, entries: dict[str, Any]) -> None:
        self.entries = entries
        self.read: list[str] = []
        self.iterated = 0

    def __getitem__(self, name: str) -> Any:
        self.read.append(name)
        return self.entries[name]

    def __iter__(self) -> Iterator[str]:
        self.iterated += 1
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def test_header_lookups_read_one_entry_of_a_lazy_wire_map(registry: Registry) -> None:
    datum = load("post_json_bytes")
    headers = datum.value["headers"] = LazyWireMap(datum.value["headers"])
    request = decode(registry, datum)
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers.get("ACCEPT") == "*/*"
    assert (headers.read, headers.iterated) == (["content-type", "accept"], 0)
    assert request.headers.get("x-not-sent", "-") == "-"  # a miss reads it all, once
    assert headers.iterated == 1
    assert dict(request.headers) == {name: item.value for name, item in headers.entries.items()}


def test_headers_sent_with_upper_case_names_are_found(registry: Registry) -> None:
    datum = load("empty_body")
    datum.value["headers"] = {"X-Custom": funcbind.Datum("1", "string")}
    request = decode(registry, datum)
    assert request.headers["x-custom"] == request.headers["X-CUSTOM"] == "1"
    assert list(request.headers) == ["x-custom"]


def test_a_bytes_body_is_returned_without_a_copy(registry: Registry) -> None:
    datum = load("post_json_bytes")
    raw = datum.value["body"].value
    assert decode(registry, datum).get_body() is raw


def test_a_string_body_is_encoded_once(registry: Registry) -> None:
    request = decode(registry, load("post_string_body"))
    body = request.get_body()
    assert body == "Remember: café at 10, 東京 at 12.".encode()
    assert request.get_body() is body


@pytest.mark.parametrize("fast", [True, False], ids=["msgspec", "stdlib"])
def test_get_json_parses_once(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    # get_json calls msgspec in place and the general parser (fields._loads) only for
    # what msgspec refuses or when it is off: both are counted.
    calls = []
    datum_module.json_loads("0")  # resolve the parser before it is replaced below
    real_fast = datum_module._fast_decode
    real_loads = http_fields._loads

    def counting_fast(text: Any) -> Any:
        calls.append(text)
        return real_fast(text)

    def counting_loads(text: Any) -> Any:
        calls.append(text)
        return real_loads(text)

    monkeypatch.setattr(datum_module, "_fast_decode", counting_fast if fast else None)
    monkeypatch.setattr(http_fields, "_loads", counting_loads)
    fixture = json.loads((FIXTURES / "post_json_bytes.json").read_text(encoding="utf-8"))
    request = decode(registry, load("post_json_bytes"))
    first = request.get_json()
    assert first == json.loads(fixture["request"]["body"]["value"])
    assert len(calls) == 1
    assert request.get_json() is first
    assert len(calls) == 1


_JSON_SPACE = st.text(" \t\n\r", max_size=3)


@given(
    text=st.text(max_size=30)
    | st.tuples(_JSON_SPACE, _JSON.map(json.dumps), _JSON_SPACE, st.text("x]}, 1", max_size=2)).map(
        "".join
    )
)
def test_json_parsing_matches_the_standard_library(text: str) -> None:
    def outcome(loads: Any) -> tuple[str, str]:
        try:
            return "value", json.dumps(loads(text))
        except ValueError as exc:
            # A leading BOM fails either way; the stdlib names it, the scanner cannot.
            return "error", "" if text.startswith("\ufeff") else str(exc)

    assert outcome(http_fields._loads) == outcome(json.loads)


def test_get_json_of_a_json_body_does_not_encode_it(registry: Registry) -> None:
    request = decode(registry, load("post_json_typed_body"))
    assert request.get_json() == {"status": "shipped", "tracking": ["1Z999", "1Z998"]}
    assert request._body is None  # the text was parsed as it came


def test_form_and_files_are_parsed_once(registry: Registry) -> None:
    request = decode(registry, load("form_multipart"))
    form = request.form
    assert request.files is request.files
    assert request.form is form


# -- beyond azure.functions ----------------------------------------------------------


def test_cookies_from_the_cookie_header(registry: Registry) -> None:
    request = decode(registry, load("repeated_headers"))
    # The first of repeated names wins (the most specific path comes first).
    assert dict(request.cookies) == {"session": "3f9a2c", "theme": "dark"}
    assert request.cookies is request.cookies
    assert dict(decode(registry, load("empty_body")).cookies) == {}


@pytest.mark.parametrize(
    ("header", "cookies"),
    [
        ("", {}),
        ("a=1", {"a": "1"}),
        (" a = 1 ;b=2;; c", {"a": "1", "b": "2"}),
        ('q="x y"; e=', {"q": "x y", "e": ""}),
        ("=anonymous; k=v=w", {"k": "v=w"}),
    ],
)
def test_parse_cookie_header(header: str, cookies: dict[str, str]) -> None:
    assert parse_cookie_header(header) == cookies


def test_identities(registry: Registry) -> None:
    datum = load("empty_body")
    assert decode(registry, datum).identities == []
    claims = [{"authentication_type": "aad", "claims": [{"type": "name", "value": "ada"}]}]
    datum.value["identities"] = funcbind.Datum(json.dumps(claims), "json")
    assert decode(registry, datum).identities == claims
    datum.value["identities"] = claims
    request = decode(registry, datum)
    assert request.identities == claims
    assert request.identities is request.identities


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (funcbind.Datum("{not json", "json"), "field 'identities': expected JSON"),
        (funcbind.Datum(b"\x00", "json"), "field 'identities': expected JSON"),
        (funcbind.Datum("[" * 60_000, "json"), "field 'identities': expected JSON"),
        (funcbind.Datum(5, "int"), "field 'identities': expected a list of identities"),
        (5, "field 'identities': expected a list of identities"),
    ],
)
def test_bad_identities(registry: Registry, raw: Any, message: str) -> None:
    datum = load("empty_body")
    datum.value["identities"] = raw
    with pytest.raises(DecodeError, match=message):
        _ = decode(registry, datum).identities


def test_one_identity_and_null_identities(registry: Registry) -> None:
    datum = load("empty_body")
    datum.value["identities"] = {"authentication_type": "aad"}
    assert decode(registry, datum).identities == [{"authentication_type": "aad"}]
    datum.value["identities"] = funcbind.Datum(None, None)
    assert decode(registry, datum).identities == []


@pytest.mark.parametrize(
    "body",
    [
        bytearray(b"buffered"),
        memoryview(b"buffered"),
        funcbind.Datum(bytearray(b"buffered"), "bytes"),
        funcbind.Datum(memoryview(b"buffered"), "stream"),
        funcbind.Datum(b"buffered", "stream"),
    ],
)
def test_buffer_bodies_become_bytes(registry: Registry, body: Any) -> None:
    datum = load("empty_body")
    datum.value["body"] = body
    request = decode(registry, datum)
    assert request.get_body() == b"buffered"
    assert type(request.get_body()) is bytes


def test_rawbody_is_used_when_there_is_no_body(registry: Registry) -> None:
    datum = load("post_json_typed_body")
    datum.value["body"] = funcbind.Datum(None, None)
    request = decode(registry, datum)
    assert request.get_body() is datum.value["rawBody"].value
    assert request.get_json()["status"] == "shipped"


def test_plain_values_are_tolerated(registry: Registry) -> None:
    wire = {
        "method": "get",
        "url": "https://example.com/api/x?y=1",
        "headers": {"Content-Type": "text/plain", "X-A": "b"},
        "query": {"y": "1"},
        "params": {"id": "7"},
        "body": "hello",
    }
    request = decode(registry, funcbind.Datum(wire, "http"))
    with pytest.raises(AttributeError):
        stock_decode(AzureDatum(wire, "http"))
    assert request.method == "GET"
    assert dict(request.headers) == {"content-type": "text/plain", "x-a": "b"}
    assert request.headers["CONTENT-TYPE"] == "text/plain"
    assert dict(request.params) == {"y": "1"}
    assert dict(request.route_params) == {"id": "7"}
    assert request.get_body() == b"hello"


def test_missing_maps_and_body_are_empty(registry: Registry) -> None:
    wire = {"method": funcbind.Datum("GET", "string"), "url": funcbind.Datum("/api/x", "string")}
    request = decode(registry, funcbind.Datum(wire, "http"))
    with pytest.raises(KeyError):
        stock_decode(AzureDatum(wire, "http"))
    assert dict(request.headers) == {}
    assert dict(request.params) == {}
    assert dict(request.route_params) == {}
    assert request.get_body() == b""
    assert len(request.form) == 0


def test_query_comes_from_the_url_when_the_datum_has_none(registry: Registry) -> None:
    url = "https://example.com/api/s?q=hello+world&name=Ada%20Lovelace&tag=a&tag=b&empty=#frag"
    wire = {"method": "GET", "url": url}
    request = decode(registry, funcbind.Datum(wire, "http"))
    # As the host builds it: decoded, repeated keys joined by commas, empty values dropped.
    assert dict(request.params) == {"q": "hello world", "name": "Ada Lovelace", "tag": "a,b"}


def test_the_model_reads_only_the_plain_maps(registry: Registry) -> None:
    # The wire adapter merges nullable_* into the plain maps (test_wire.py,
    # test_the_request_model_sees_the_merged_maps); the model does not merge again.
    wire = {
        "method": "GET",
        "url": "https://example.com/api/x?a=1&flag=",
        "query": {"a": funcbind.Datum("1", "string"), "flag": funcbind.Datum("", "string")},
        "nullable_query": {
            "late": funcbind.Datum("", "string"),
            "none": funcbind.Datum(None, None),
        },
        "nullable_headers": {"X-Empty": funcbind.Datum("", "string")},
        "nullable_params": {"id": funcbind.Datum("7", "string")},
    }
    request = decode(registry, funcbind.Datum(wire, "http"))
    assert dict(request.params) == {"a": "1", "flag": ""}
    assert dict(request.headers) == {}
    assert dict(request.route_params) == {}


def test_request_headers_lookups() -> None:
    headers = RequestHeaders({"content-type": "text/plain"})
    assert headers["Content-Type"] == "text/plain"
    assert headers.get("CONTENT-TYPE") == "text/plain"
    assert headers.get("x-missing", "d") == "d"
    assert headers.get(42) is None  # type: ignore[arg-type]
    assert headers.__http_headers__ == {"content-type": "text/plain"}
    assert 42 not in headers
    assert "content-TYPE" in headers
    with pytest.raises(KeyError):
        headers[42]  # type: ignore[index]
    assert len(headers) == 1
    assert "content-type" in repr(headers)
    assert list(headers.keys()) == ["content-type"]
    assert list(headers.values()) == ["text/plain"]
    stock = azure.functions._http.HttpRequestHeaders({"content-type": "text/plain"})
    with pytest.raises(AttributeError):
        stock.get(42)


def test_repr_names_method_and_url(registry: Registry) -> None:
    text = repr(decode(registry, load("post_json_bytes")))
    assert "POST https://contoso.azurewebsites.net/api/orders/42" in text


# -- annotations -------------------------------------------------------------------


@pytest.mark.parametrize(
    "annotation",
    [
        func.HttpRequest,
        azure_abc.HttpRequest,
        azure.functions.http.HttpRequest,
        HttpRequest,
        Optional[func.HttpRequest],
        func.HttpRequest | None,
        typing.Annotated[func.HttpRequest, "doc"],
        Any,
    ],
)
def test_accepted_input_annotations(registry: Registry, annotation: Any) -> None:
    request = decode(registry, load("empty_body"), annotation)
    assert isinstance(request, func.HttpRequest)


class MyRequest(func.HttpRequest):
    pass


@pytest.mark.parametrize(
    "annotation", [str, bytes, dict, int, MyRequest, list[func.HttpRequest], func.HttpResponse]
)
def test_rejected_input_annotations(registry: Registry, annotation: Any) -> None:
    with pytest.raises(funcbind.AnnotationError, match="httpTrigger"):
        registry.decoder("httpTrigger", annotation)


class RefusingMeta(type):
    def __subclasscheck__(cls, subclass: type) -> bool:
        raise TypeError("no subclass checks here")


class Refusing(metaclass=RefusingMeta):
    pass


def test_an_annotation_whose_subclass_check_raises(registry: Registry) -> None:
    with pytest.raises(funcbind.AnnotationError, match="does not accept"):
        registry.decoder("httpTrigger", Refusing)


def test_azure_functions_annotation_checks() -> None:
    """What the stock check does with the annotations above."""
    with pytest.raises(TypeError):
        HttpRequestConverter.check_input_type_annotation(Optional[func.HttpRequest])
    assert HttpRequestConverter.check_input_type_annotation(MyRequest)  # but cannot build one


def test_optional_request_accepts_a_null_datum(registry: Registry) -> None:
    assert decode(registry, None, Optional[func.HttpRequest]) is None
    assert decode(registry, funcbind.Datum(None, None), func.HttpRequest | None) is None
    with pytest.raises(UnsupportedDatumError, match="no value"):
        decode(registry, None)


def test_worker_facade() -> None:
    workers = WorkerRegistry(funcbind.default_registry())
    binding = workers.get("httpTrigger")
    assert binding is not None and binding.has_trigger_support()
    assert not binding.has_implicit_output()
    assert binding.check_input_type_annotation(func.HttpRequest)
    assert binding.check_input_type_annotation(Optional[func.HttpRequest])
    assert not binding.check_input_type_annotation(list[int])
    assert not binding.check_input_type_annotation("func.HttpRequest")
    assert not binding.check_output_type_annotation(func.HttpResponse)
    metadata = {"id": funcbind.Datum("42", "string")}
    request = binding.decode(load("post_json_bytes", AzureDatum), trigger_metadata=metadata)
    assert isinstance(request, func.HttpRequest)
    assert request.route_params["id"] == "42"
    with pytest.raises(NotImplementedError):
        binding.decode(AzureDatum("text", "string"), trigger_metadata=None)


# -- bad input ---------------------------------------------------------------------


def test_a_non_http_datum_is_unsupported(registry: Registry) -> None:
    for datum in (funcbind.Datum("GET /", "string"), AzureDatum(b"x", "bytes")):
        with pytest.raises(UnsupportedDatumError, match="expected an http Datum") as caught:
            decode(registry, datum)
        assert isinstance(caught.value, NotImplementedError)
        with pytest.raises(NotImplementedError):
            stock_decode(datum)


def test_errors_name_the_binding(registry: Registry) -> None:
    binding = BindingSpec(type="httpTrigger", name="req")
    decoder = registry.decoder("httpTrigger", func.HttpRequest, binding)
    with pytest.raises(UnsupportedDatumError, match=r"^binding 'httpTrigger' \('req'\): expected"):
        decoder(funcbind.Datum("x", "string"), None)
    request = decoder(funcbind.Datum({"method": "GET", "url": "/", "body": 1}, "http"), None)
    with pytest.raises(DecodeError, match=r"^binding 'httpTrigger' \('req'\), field 'body'"):
        request.get_body()
    unnamed = registry.decoder("httpTrigger", func.HttpRequest)
    with pytest.raises(UnsupportedDatumError, match=r"^binding 'httpTrigger': expected"):
        unnamed(funcbind.Datum("x", "string"), None)


@pytest.mark.parametrize("field", ["method", "url"])
def test_missing_method_or_url(registry: Registry, field: str) -> None:
    datum = load("empty_body")
    del datum.value[field]
    with pytest.raises(DecodeError, match=f"field '{field}': expected a string, got no value"):
        decode(registry, datum)
    datum.value[field] = funcbind.Datum(7, "int")
    with pytest.raises(DecodeError, match=f"field '{field}': expected a string, got int 7"):
        decode(registry, datum)


def test_a_value_that_is_not_a_mapping(registry: Registry) -> None:
    with pytest.raises(DecodeError, match="expected the http value to be a mapping"):
        decode(registry, funcbind.Datum("GET /", "http"))


@pytest.mark.parametrize(
    ("field", "attribute"),
    [("headers", "headers"), ("query", "params"), ("params", "route_params")],
)
def test_map_values_that_are_not_strings(registry: Registry, field: str, attribute: str) -> None:
    datum = load("repeated_headers")
    datum.value[field] = {"x-count": funcbind.Datum(3, "int")}
    request = decode(registry, datum)  # lazy: the map is read on first access
    with pytest.raises(DecodeError, match=f"field '{field}', name 'x-count': .* got int 3"):
        dict(getattr(request, attribute))
    datum.value[field] = {7: "seven"}
    with pytest.raises(DecodeError, match=f"field '{field}': expected str names"):
        dict(getattr(decode(registry, datum), attribute))
    datum.value[field] = ["not", "a", "map"]
    with pytest.raises(DecodeError, match=f"field '{field}': expected a mapping"):
        dict(getattr(decode(registry, datum), attribute))


def test_a_header_value_that_is_not_a_string_fails_its_lookup(registry: Registry) -> None:
    datum = load("empty_body")
    datum.value["headers"] = {"x-count": funcbind.Datum(3, "int")}
    headers = decode(registry, datum).headers
    with pytest.raises(DecodeError, match="field 'headers', name 'x-count'"):
        headers["x-count"]
    with pytest.raises(DecodeError, match="field 'headers', name 'x-count'"):
        headers.get("x-other")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://x/api/a?q=100%", "a valid percent-encoding in the query, got '%'"),
        ("https://x/api/a?q=%zz1", "a valid percent-encoding in the query, got '%zz'"),
        ("https://x/api/a?q=%C3%28", "percent-encoded UTF-8 in the query"),
    ],
)
def test_invalid_percent_encoding_in_the_url(registry: Registry, url: str, message: str) -> None:
    request = decode(registry, funcbind.Datum({"method": "GET", "url": url}, "http"))
    assert request.url == url  # the URL itself is passed on as the host sent it
    with pytest.raises(DecodeError, match=f"field 'url': expected {message}"):
        _ = request.params


def test_invalid_utf8_in_a_body_read_as_text(registry: Registry) -> None:
    datum = load("post_json_bytes", AzureDatum)
    datum.value["body"] = AzureDatum(b'{"name": "\xff"}', "bytes")
    with pytest.raises(DecodeError, match="field 'body': expected UTF-8 JSON text"):
        decode(registry, datum).get_json()
    with pytest.raises(ValueError, match="JSON"):
        stock_decode(datum).get_json()


@pytest.mark.parametrize("body", [b"", b"{", b"[1, 2", b"nope", b"\xef\xbb\xbf{}"])
def test_invalid_json_raises_value_error_like_azure_functions(
    registry: Registry, body: bytes
) -> None:
    datum = load("post_json_bytes", AzureDatum)
    datum.value["body"] = AzureDatum(body, "bytes")
    with pytest.raises(DecodeError, match="field 'body': expected JSON") as caught:
        decode(registry, datum).get_json()
    assert isinstance(caught.value, ValueError)
    with pytest.raises(ValueError):
        stock_decode(datum).get_json()


def test_deeply_nested_json_is_a_decode_error(registry: Registry) -> None:
    datum = load("post_json_bytes", AzureDatum)
    datum.value["body"] = AzureDatum(b"[" * 200_000, "bytes")
    with pytest.raises(DecodeError, match="not valid JSON"):
        decode(registry, datum).get_json()
    with pytest.raises(RecursionError):
        stock_decode(datum).get_json()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (funcbind.Datum(12, "int"), "expected a bytes, string or json body, got wire type 'int'"),
        (funcbind.Datum(12, "bytes"), "expected a bytes value, got int 12"),
        (funcbind.Datum(b"x", "string"), "expected a string value, got bytes"),
        (12, "expected a Datum, bytes or str, got int 12"),
    ],
)
def test_unsupported_bodies(registry: Registry, body: Any, message: str) -> None:
    datum = load("empty_body")
    datum.value["body"] = body
    with pytest.raises(DecodeError, match=f"field 'body': {message}"):
        decode(registry, datum).get_body()


def test_a_string_body_utf8_cannot_encode(registry: Registry) -> None:
    datum = load("post_string_body")
    datum.value["body"] = funcbind.Datum("lone \ud800 surrogate", "string")
    with pytest.raises(DecodeError, match="field 'body': expected text that UTF-8 can encode"):
        decode(registry, datum).get_body()


WIRE_FIELDS = (
    "method",
    "url",
    "headers",
    "query",
    "params",
    "body",
    "rawBody",
    "identities",
    "nullable_query",
)
_JUNK = st.recursive(
    st.none() | st.integers() | st.text(max_size=5) | st.binary(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3)
        | st.builds(
            funcbind.Datum, inner, st.sampled_from(["string", "bytes", "json", "int", None])
        )
    ),
    max_leaves=8,
)


@given(
    wire=st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(WIRE_FIELDS, _JUNK),
    )
)
def test_junk_never_escapes_as_anything_but_a_funcbind_error(
    registry: Registry, wire: dict[str, Any]
) -> None:
    try:
        request = decode(registry, funcbind.Datum(wire, "http"))
    except FuncbindError:
        return

    def as_dict(name: str) -> dict[str, Any]:
        return dict(getattr(request, name))

    # Each member read on its own: one that refuses the junk must not hide the others.
    wire_junk.read_every_member(
        {
            "method": lambda: request.method,
            "url": lambda: request.url,
            **{
                name: partial(as_dict, name)
                for name in ("headers", "params", "route_params", "cookies")
            },
            "identities": lambda: request.identities,
            "get_body": request.get_body,
            "form": lambda: request.form,
            "files": lambda: request.files,
            "get_json": request.get_json,
        }
    )


# -- form and files ----------------------------------------------------------------


@pytest.fixture
def form_limit() -> Iterator[None]:
    previous = http.get_form_size_limit()
    yield
    http.set_form_size_limit(previous)


def test_form_size_limit(registry: Registry, form_limit: None) -> None:
    assert http.get_form_size_limit() == http.DEFAULT_FORM_SIZE_LIMIT == 100 * 1024 * 1024
    for name in ("form_multipart", "form_urlencoded"):
        body_size = len(load(name).value["body"].value)
        http.set_form_size_limit(body_size)
        assert len(decode(registry, load(name)).form) > 0
        http.set_form_size_limit(body_size - 1)
        request = decode(registry, load(name))
        with pytest.raises(DecodeError, match=r"field 'form': expected a .* body of at most"):
            _ = request.files
        with pytest.raises(DecodeError, match="set_form_size_limit"):
            _ = request.form
    assert http.set_form_size_limit(None) == body_size - 1
    assert decode(registry, load("form_urlencoded")).form["name"] == "Ada Lovelace"


@pytest.mark.parametrize("limit", [-1, 1.5, "10", True])
def test_form_size_limit_must_be_a_size(limit: Any, form_limit: None) -> None:
    with pytest.raises(ValueError, match="form size limit"):
        http.set_form_size_limit(limit)


def test_form_of_other_content_types_is_empty(registry: Registry) -> None:
    request = decode(registry, load("post_json_bytes"))
    assert len(request.form) == 0
    assert len(request.files) == 0


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("multipart/form-data", b"--x\r\n\r\n", "Missing boundary"),
        ("multipart/form-data; boundary=x", b"--x\r\nno headers here", "malformed"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Type: a/b\r\n\r\nv\r\n--x--", ""),
        ("application/x-www-form-urlencoded", b"name=caf\xe9", "expected UTF-8 text"),
    ],
)
def test_malformed_form_bodies(
    registry: Registry, content_type: str, body: bytes, message: str
) -> None:
    datum = load("form_multipart", AzureDatum)
    datum.value["headers"]["content-type"] = AzureDatum(content_type, "string")
    datum.value["body"] = AzureDatum(body, "bytes")
    with pytest.raises(DecodeError, match=f"field 'form': .*{message}"):
        _ = decode(registry, datum).form
    # azure.functions hides the error behind an empty form (a documented difference).
    stock = stock_decode(datum)
    assert len(stock.form) == len(stock.files) == 0
