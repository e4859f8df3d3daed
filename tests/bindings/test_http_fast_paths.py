"""The request fast paths give what the general paths give: form/files decided from the
Content-Type alone, and header/query maps type-checked in C."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import azure.functions as func
import pytest
from azure.functions.http import HttpRequestConverter
from azure.functions.meta import Datum as AzureDatum
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.http import parse_options_header

import funcbind
from funcbind import DecodeError
from funcbind.bindings import http
from funcbind.bindings.http import RequestHeaders, fields
from funcbind.bindings.http.fields import string_map
from funcbind.bindings.http.form import FORM_TYPES, is_form_type
from funcbind.registry import Registry

URLENCODED_BODY = b"name=Ada+Lovelace&lang=en&lang=fr"


@pytest.fixture(scope="module")
def registry() -> Registry:
    registry = Registry()
    http.register(registry)
    return registry


def request_datum(content_type: str | None, body: Any, datum_class: type = AzureDatum) -> Any:
    headers = {} if content_type is None else {"content-type": datum_class(content_type, "string")}
    return datum_class(
        {
            "method": datum_class("POST", "string"),
            "url": datum_class("https://example.com/api/form", "string"),
            "headers": headers,
            "query": {},
            "params": {},
            "body": body,
        },
        "http",
    )


def decode(registry: Registry, datum: Any) -> Any:
    return registry.decoder("httpTrigger", func.HttpRequest)(datum, None)


# Pieces a Content-Type may be built of, the two form types in several spellings.
_PIECES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "Multipart/Form-Data",
        "application/json",
        ";",
        " ",
        "\t",
        "\n",
        '"',
        "=",
        "charset=utf-8",
        "boundary=x",
        "\u00e9",
        "a",
    ]
)


@given(st.lists(_PIECES, max_size=6).map("".join))
def test_is_form_type_is_werkzeugs_test(content_type: str) -> None:
    assert is_form_type(content_type) is (parse_options_header(content_type)[0] in FORM_TYPES)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/json",
        "application/json; charset=utf-8",
        "Application/x-www-form-urlencoded",
        "application/x-url-encoded",
        "text/plain",
        " application/x-www-form-urlencoded ; charset=utf-8",
        "\tapplication/x-www-form-urlencoded",
    ],
)
def test_form_matches_azure_functions_for_every_content_type(
    registry: Registry, content_type: str | None
) -> None:
    datum = request_datum(content_type, AzureDatum(URLENCODED_BODY, "bytes"))
    ours = decode(registry, datum)
    stock = HttpRequestConverter.decode(datum, trigger_metadata=None)
    assert list(ours.form.items(multi=True)) == list(stock.form.items(multi=True))
    assert list(ours.files.items(multi=True)) == list(stock.files.items(multi=True))
    assert type(ours.form) is type(stock.form) is ImmutableMultiDict
    assert type(ours.files) is type(stock.files) is ImmutableMultiDict


def test_a_non_form_content_type_reads_no_body(registry: Registry) -> None:
    # A body the decoder refuses: reading it would raise, so an empty form proves it
    # was never read.
    datum = request_datum("application/json", funcbind.Datum(12, "int"), funcbind.Datum)
    request = decode(registry, datum)
    assert len(request.form) == len(request.files) == 0
    assert request.form is not request.files
    with pytest.raises(DecodeError, match="field 'body'"):
        request.get_body()
    # A form content type reads it, and reports it.
    datum = request_datum("multipart/form-data", funcbind.Datum(12, "int"), funcbind.Datum)
    with pytest.raises(DecodeError, match="field 'body'"):
        _ = decode(registry, datum).form


class _Text(str):
    pass


def test_string_map_keeps_only_plain_str() -> None:
    # A str subclass passes the general path's isinstance check and is made plain.
    raw = {"X-A": funcbind.Datum(_Text("v"), "string"), "x-b": funcbind.Datum("w", "string")}
    result = string_map(raw, "headers", "http request", lower=True)
    assert result == {"x-a": "v", "x-b": "w"}
    assert {type(value) for value in result.values()} == {str}
    # bytes names survive .lower(): the type check must still catch them.
    with pytest.raises(DecodeError, match="field 'headers': expected str names, got bytes"):
        string_map({b"x-a": funcbind.Datum("v", "string")}, "headers", "http request", lower=True)
    with pytest.raises(DecodeError, match="field 'query', name 'q': expected a string value"):
        string_map({"q": funcbind.Datum(b"v", "bytes")}, "query", "http request", lower=False)


def test_the_shared_empty_form_cannot_be_changed(registry: Registry) -> None:
    # Non-form requests share one empty form and one empty files map (docs/compatibility.md,
    # http-empty-form-shared): no request may change what the next one reads.
    datum = request_datum("application/json", AzureDatum(b"{}", "bytes"))
    request = decode(registry, datum)
    changes: list[Callable[[Any], object]] = [
        lambda form: form.__ior__({"a": "b"}),
        lambda form: form.__setitem__("a", "b"),
        lambda form: form.setlist("a", ["b"]),
        lambda form: form.add("a", "b"),
        lambda form: form.update(a="b"),
    ]
    for change in changes:
        for shared in (request.form, request.files):
            with pytest.raises(TypeError):
                change(shared)
    again = decode(registry, datum)
    assert len(again.form) == len(again.files) == 0
    assert again.form is request.form and again.files is request.files


# -- header names, lower-cased once --------------------------------------------------


@pytest.fixture
def lower_names(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An empty memo of lower-cased header names, for this test alone."""
    names: dict[str, str] = {}
    monkeypatch.setattr(fields, "_LOWER_NAMES", names)
    return names


def _headers(**values: str) -> RequestHeaders:
    return RequestHeaders({name: funcbind.Datum(value, "string") for name, value in values.items()})


def test_header_names_read_are_remembered_lower_cased(lower_names: dict[str, str]) -> None:
    assert _headers(**{"content-type": "text/plain"})["Content-Type"] == "text/plain"
    assert lower_names == {"Content-Type": "content-type"}
    # The next request finds the remembered name without building its full dict.
    headers = _headers(**{"content-type": "application/json", "accept": "*/*"})
    assert headers["Content-Type"] == "application/json"
    assert headers.get("Content-Type") == "application/json"
    assert headers._all is None
    assert headers.get("x-absent", "-") == "-"  # a miss still decides on the full dict
    assert "x-absent" in lower_names
    assert headers["ACCEPT"] == "*/*"


def test_only_plain_str_header_names_are_remembered(lower_names: dict[str, str]) -> None:
    class Name(str):
        def lower(self) -> str:
            return "accept"

    headers = _headers(accept="*/*")
    assert headers[Name("anything")] == "*/*"
    assert headers.get(42) is None  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        headers[["a", "list"]]  # type: ignore[index]
    assert lower_names == {}


def test_remembered_header_names_are_bounded(
    lower_names: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fields, "_LOWER_NAMES_LIMIT", 2)
    headers = _headers(a="1", b="2", c="3")
    assert [headers["A"], headers["B"], headers["C"], headers["C"]] == ["1", "2", "3", "3"]
    assert lower_names == {"A": "a", "B": "b"}
