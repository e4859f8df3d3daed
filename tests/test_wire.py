"""funcbind.wire: Datum <-> TypedData, trigger metadata, HTTP requests, responses and cookies.

The messages are the duck-typed stand-ins of ``tests/wire_messages.py``; every test that
takes the ``pb`` fixture also runs against real protobuf classes when the ``protobuf``
package is installed.
"""

from __future__ import annotations

import enum
import importlib.util
import json
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.cookies import Morsel, SimpleCookie
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import azure.functions.meta
import pytest
from azure.functions.http import HttpRequestConverter, HttpResponseConverter
from azure.functions.queue import QueueMessageInConverter
from hypothesis import given
from hypothesis import strategies as st

import wire_messages
from funcbind import (
    Datum,
    DecodeError,
    EncodeError,
    UnsupportedDatumError,
    UnsupportedValueError,
    default_registry,
)
from funcbind.bindings.generic import encode_value
from funcbind.wire import (
    TYPED_DATA_KINDS,
    TypedDataMetadata,
    datum_from_typed_data,
    datum_to_typed_data,
    metadata_from_typed_data,
)
from wire_messages import STAND_IN, read_counts, trigger_metadata

UTC = timezone.utc
SINT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


# Real classes join the parametrisation only where protobuf is installed, so the
# common run is not littered with skips; the test below reports their absence once.
def _has_protobuf() -> bool:
    try:
        return importlib.util.find_spec("google.protobuf") is not None
    except ModuleNotFoundError:  # no "google" namespace package at all
        return False


NAMESPACES = ["stand-in", *(["protobuf"] if _has_protobuf() else [])]


@pytest.fixture(params=NAMESPACES)
def pb(request: pytest.FixtureRequest) -> SimpleNamespace:
    return STAND_IN if request.param == "stand-in" else wire_messages.real_namespace()


def test_real_protobuf_classes_match_the_stand_in() -> None:
    pytest.importorskip("google.protobuf", reason="real protobuf classes need `protobuf`")
    real = wire_messages.real_namespace()
    for name in wire_messages.MESSAGE_NAMES:
        fields = set(getattr(real, name).DESCRIPTOR.fields_by_name)
        assert fields == set(getattr(STAND_IN, name).FIELDS), name


def _mbd(pb: Any, blob: str = "a.txt") -> Any:
    content = json.dumps({"Connection": "Storage", "ContainerName": "c", "BlobName": blob})
    return pb.ModelBindingData(
        version="1.0",
        source="AzureStorageBlobs",
        content_type="application/json",
        content=content.encode(),
    )


def _request(pb: Any, **extra: Any) -> Any:
    """An HTTP trigger's RpcHttp the way the host fills it for a Python worker."""
    fields: dict[str, Any] = {
        "method": "POST",
        "url": "http://localhost:7071/api/orders/42?verbose=1&tag=a,b",
        "headers": {"content-type": "application/json", "x-forwarded-for": "10.0.0.1"},
        "query": {"verbose": "1", "tag": "a,b"},
        "params": {"id": "42"},
        "body": pb.TypedData(bytes=b'{"qty": 3}'),
    }
    fields.update(extra)
    return pb.TypedData(http=pb.RpcHttp(**fields))


# -- every kind, in and back out ---------------------------------------------------------


def _every_kind(pb: Any) -> dict[str, tuple[Any, Any]]:
    """kind -> (the TypedData field value, the Datum's python_value)."""
    return {
        "string": ("héllo", "héllo"),
        "json": ('{"a": [1, 2]}', {"a": [1, 2]}),
        "bytes": (b"\x00\xffdata", b"\x00\xffdata"),
        "stream": (b"streamed", b"streamed"),
        "http": (_request(pb).http, None),
        "int": (-(2**62), -(2**62)),
        "double": (2.5, 2.5),
        "collection_bytes": (pb.CollectionBytes(bytes=[b"a", b"\x00"]), [b"a", b"\x00"]),
        "collection_string": (pb.CollectionString(string=["a", "ß"]), ["a", "ß"]),
        "collection_double": (pb.CollectionDouble(double=[1.0, -0.5]), [1.0, -0.5]),
        "collection_sint64": (pb.CollectionSInt64(sint64=[1, -(2**63)]), [1, -(2**63)]),
        "model_binding_data": (_mbd(pb), None),
        "collection_model_binding_data": (
            pb.CollectionModelBindingData(model_binding_data=[_mbd(pb), _mbd(pb, "b.txt")]),
            None,
        ),
    }


def test_the_kinds_are_the_oneof_of_typed_data() -> None:
    assert wire_messages.TypedData.ONEOFS["data"] == TYPED_DATA_KINDS
    assert set(_every_kind(STAND_IN)) == set(TYPED_DATA_KINDS)


@pytest.mark.parametrize("kind", TYPED_DATA_KINDS)
def test_every_kind_round_trips_from_typed_data(pb: Any, kind: str) -> None:
    field, python = _every_kind(pb)[kind]
    message = pb.TypedData(**{kind: field})

    datum = datum_from_typed_data(message)

    assert datum.type == kind
    if python is not None:
        assert datum.python_value == python
    assert datum_to_typed_data(datum, pb) == message


def test_collections_and_model_binding_data_keep_the_message(pb: Any) -> None:
    collection = pb.CollectionModelBindingData(model_binding_data=[_mbd(pb), _mbd(pb, "b")])
    datum = datum_from_typed_data(pb.TypedData(collection_model_binding_data=collection))
    assert [item.source for item in datum.value.model_binding_data] == ["AzureStorageBlobs"] * 2
    single = datum_from_typed_data(pb.TypedData(model_binding_data=_mbd(pb)))
    assert json.loads(single.value.content)["BlobName"] == "a.txt"


def test_unset_typed_data_is_a_null_datum(pb: Any) -> None:
    assert datum_from_typed_data(pb.TypedData()) == Datum(None, None)
    assert datum_from_typed_data(None) == Datum(None, None)


@pytest.mark.parametrize(
    ("datum", "field", "expected"),
    [
        (Datum("text", "string"), "string", "text"),
        (Datum(b"raw", "bytes"), "bytes", b"raw"),
        (Datum(bytearray(b"raw"), "bytes"), "bytes", b"raw"),
        (Datum(memoryview(b"raw"), "bytes"), "bytes", b"raw"),
        (Datum('{"a": 1}', "json"), "json", '{"a": 1}'),
        (Datum(7, "int"), "int", 7),
        (Datum(True, "int"), "int", 1),
        (Datum(True, "bool"), "int", 1),
        (Datum(False, "bool"), "int", 0),
        (Datum(1.25, "double"), "double", 1.25),
        (Datum(3, "double"), "double", 3.0),
        (Datum({"a": [1, None]}, "dict"), "json", '{"a": [1, null]}'),
        (Datum([1, "x"], "list"), "json", '[1, "x"]'),
        (Datum(("t",), "list"), "json", '["t"]'),
        (Datum(["a", "b"], "collection_string"), "collection_string", None),
    ],
)
def test_outgoing_datum_types(pb: Any, datum: Datum, field: str, expected: Any) -> None:
    message = datum_to_typed_data(datum, pb)
    assert message.WhichOneof("data") == field
    if expected is not None:
        assert getattr(message, field) == expected


@pytest.mark.parametrize(
    "datum", [None, Datum(None, None), Datum("x", None), Datum(None, "string"), Datum(None, "http")]
)
def test_none_sends_nothing(pb: Any, datum: Datum | None) -> None:
    assert datum_to_typed_data(datum, pb) is None


def test_the_stand_in_refuses_a_bool_for_an_int_field() -> None:
    # As protobuf 7 does (5.x still takes it): so the next test proves the conversion.
    with pytest.raises(TypeError):
        STAND_IN.TypedData(int=True)


def test_bool_is_sent_as_a_plain_int(pb: Any) -> None:
    message = datum_to_typed_data(Datum(True, "bool"), pb)
    assert (message.WhichOneof("data"), message.int) == ("int", 1)
    assert type(message.int) is int


def test_bytearray_and_memoryview_are_converted_once_for_the_message(pb: Any) -> None:
    with pytest.raises(TypeError):
        pb.TypedData(bytes=bytearray(b"x"))
    payload = bytearray(b"x" * 1024)
    view = memoryview(payload)[10:20]
    assert datum_to_typed_data(Datum(view, "bytes"), pb).bytes == bytes(payload[10:20])


def test_bytes_are_handed_to_the_message_without_a_copy() -> None:
    payload = b"y" * 4096
    assert datum_to_typed_data(Datum(payload, "bytes"), STAND_IN)._values["bytes"] is payload


def test_azure_functions_datums_are_accepted(pb: Any) -> None:
    message = datum_to_typed_data(azure.functions.meta.Datum("hi", "string"), pb)
    assert message.string == "hi"


@pytest.mark.parametrize(
    "value", ["s", b"b", bytearray(b"ba"), memoryview(b"mv"), 5, 2.5, True, {"k": 1}, [1], None]
)
def test_every_generic_encoder_output_becomes_a_message(pb: Any, value: Any) -> None:
    datum = encode_value(value)
    message = datum_to_typed_data(datum, pb)
    if value is None:
        assert message is None
        return
    back = datum_from_typed_data(message)
    expected = json.loads(json.dumps(value)) if isinstance(value, dict | list) else value
    assert back.python_value == (int(value) if type(value) is bool else expected)


# -- hypothesis round trips ---------------------------------------------------------------


@given(st.text())
def test_text_round_trips(text: str) -> None:
    for kind in ("string", "json"):
        assert datum_from_typed_data(datum_to_typed_data(Datum(text, kind), STAND_IN)) == Datum(
            text, kind
        )


@given(st.binary(), st.sampled_from([bytes, bytearray, memoryview]))
def test_bytes_round_trip(data: bytes, wrap: Any) -> None:
    back = datum_from_typed_data(datum_to_typed_data(Datum(wrap(data), "bytes"), STAND_IN))
    assert back == Datum(data, "bytes")
    assert type(back.value) is bytes


@given(SINT64)
def test_ints_round_trip(number: int) -> None:
    assert datum_from_typed_data(datum_to_typed_data(Datum(number, "int"), STAND_IN)) == Datum(
        number, "int"
    )


@given(st.floats())
def test_doubles_round_trip(number: float) -> None:
    back = datum_from_typed_data(datum_to_typed_data(Datum(number, "double"), STAND_IN))
    assert back.type == "double"
    assert back.value == number or (math.isnan(number) and math.isnan(back.value))


@given(st.booleans())
def test_bools_arrive_as_ints(flag: bool) -> None:
    back = datum_from_typed_data(datum_to_typed_data(Datum(flag, "bool"), STAND_IN))
    assert back == Datum(int(flag), "int")
    assert type(back.value) is int


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=8,
)


@given(st.dictionaries(st.text(), json_values))
def test_dicts_round_trip_as_json(value: dict[str, Any]) -> None:
    back = datum_from_typed_data(datum_to_typed_data(Datum(value, "dict"), STAND_IN))
    assert back.type == "json"
    assert back.python_value == value


@given(st.sampled_from([*sorted(TYPED_DATA_KINDS), "bool", "dict", "list"]), json_values)
def test_any_value_encodes_or_raises_an_encode_error(kind: str, value: Any) -> None:
    try:
        message = datum_to_typed_data(Datum(value, kind), STAND_IN)
    except EncodeError as exc:
        assert "expected" in str(exc)
    else:
        assert message is None or message.WhichOneof("data") is not None


HTTP_KEYS = ["method", "url", "status_code", "headers", "query", "params", "cookies", "body"]
HTTP_KEYS += ["rawBody", "identities", "nullable_headers", "nullable_query", "nullable_params"]


@given(st.dictionaries(st.sampled_from(HTTP_KEYS), json_values | st.builds(Datum, json_values)))
def test_any_http_dict_encodes_or_raises_an_encode_error(value: dict[str, Any]) -> None:
    try:
        message = datum_to_typed_data(Datum(value, "http"), STAND_IN)
    except EncodeError as exc:
        assert "expected" in str(exc)
    else:
        assert message.WhichOneof("data") == "http"


def test_a_non_datum_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match=r"expected a Datum .* got str 'text'"):
        datum_to_typed_data("text", STAND_IN)


# -- bytes read once ------------------------------------------------------------------------


def test_the_stand_in_copies_and_counts_each_bytes_read() -> None:
    message = STAND_IN.TypedData(bytes=b"abc")
    first, second = message.bytes, message.bytes
    assert first == second
    assert first is not second
    assert read_counts(message)["bytes"] == 2


@pytest.mark.parametrize("kind", ["bytes", "stream"])
def test_a_bytes_field_is_read_exactly_once(kind: str) -> None:
    message = STAND_IN.TypedData(**{kind: b"payload" * 100})
    datum = datum_from_typed_data(message)
    assert datum.value == b"payload" * 100
    assert read_counts(message)[kind] == 1


def test_http_bodies_are_read_exactly_once() -> None:
    body = STAND_IN.TypedData(bytes=b"body")
    raw_body = STAND_IN.TypedData(bytes=b"raw body")
    request = STAND_IN.TypedData(http=STAND_IN.RpcHttp(body=body, rawBody=raw_body))
    datum = datum_from_typed_data(request)
    assert datum.value["body"] == Datum(b"body", "bytes")
    assert datum.value["rawBody"] == Datum(b"raw body", "bytes")
    assert (read_counts(body)["bytes"], read_counts(raw_body)["bytes"]) == (1, 1)


# -- HTTP requests ----------------------------------------------------------------------------


def test_http_request_has_the_shape_workers_build(pb: Any) -> None:
    datum = datum_from_typed_data(_request(pb))

    assert datum.type == "http"
    value = datum.value
    assert set(value) == {"method", "url", "headers", "query", "params", "body"}
    assert value["method"] == Datum("POST", "string")
    assert value["url"] == Datum("http://localhost:7071/api/orders/42?verbose=1&tag=a,b", "string")
    assert value["headers"] == {
        "content-type": Datum("application/json", "string"),
        "x-forwarded-for": Datum("10.0.0.1", "string"),
    }
    assert value["query"] == {"verbose": Datum("1", "string"), "tag": Datum("a,b", "string")}
    assert value["params"] == {"id": Datum("42", "string")}
    assert value["body"] == Datum(b'{"qty": 3}', "bytes")


def test_azure_functions_decodes_the_request_datum(pb: Any) -> None:
    request = HttpRequestConverter.decode(datum_from_typed_data(_request(pb)), trigger_metadata={})
    assert isinstance(request, func.HttpRequest)
    assert request.method == "POST"
    assert request.url.startswith("http://localhost:7071/api/orders/42")
    assert request.headers["Content-Type"] == "application/json"
    assert dict(request.params) == {"verbose": "1", "tag": "a,b"}
    assert dict(request.route_params) == {"id": "42"}
    assert request.get_json() == {"qty": 3}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, Datum(b"", "bytes")),
        ("empty", Datum(b"", "bytes")),
        ({"string": "plain text"}, Datum("plain text", "string")),
        ({"json": '{"a": 1}'}, Datum('{"a": 1}', "json")),
        ({"bytes": b""}, Datum(b"", "bytes")),
    ],
)
def test_http_body_kinds_and_the_empty_default(pb: Any, body: Any, expected: Datum) -> None:
    fields = {} if body is None else {"body": pb.TypedData(**({} if body == "empty" else body))}
    datum = datum_from_typed_data(pb.TypedData(http=pb.RpcHttp(method="GET", **fields)))
    assert datum.value["body"] == expected


def test_nullable_maps_fill_what_the_plain_maps_dropped(pb: Any) -> None:
    ns = pb.NullableString
    message = _request(
        pb,
        query={"verbose": "1"},
        nullable_query={"verbose": ns(value="1"), "flag": ns(value=""), "unset": ns()},
        nullable_headers={"x-empty": ns(value="")},
    )

    value = datum_from_typed_data(message).value

    assert value["query"] == {
        "verbose": Datum("1", "string"),
        "flag": Datum("", "string"),
    }
    assert value["nullable_query"] == {
        "verbose": Datum("1", "string"),
        "flag": Datum("", "string"),
        "unset": Datum(None, None),
    }
    assert value["headers"]["x-empty"] == Datum("", "string")
    assert set(value["nullable_headers"]) == {"x-empty"}
    assert "nullable_params" not in value


def test_with_only_nullable_maps_the_plain_maps_are_filled(pb: Any) -> None:
    ns = pb.NullableString
    message = pb.TypedData(
        http=pb.RpcHttp(
            method="GET",
            nullable_headers={"accept": ns(value="*/*")},
            nullable_query={"q": ns(value="x")},
            nullable_params={"id": ns(value="7")},
        )
    )
    value = datum_from_typed_data(message).value
    assert value["headers"] == {"accept": Datum("*/*", "string")}
    assert value["query"] == {"q": Datum("x", "string")}
    assert value["params"] == {"id": Datum("7", "string")}
    request = HttpRequestConverter.decode(Datum(value, "http"), trigger_metadata={})
    assert (request.headers["accept"], request.params["q"], request.route_params["id"]) == (
        "*/*",
        "x",
        "7",
    )


def test_the_request_model_sees_the_merged_maps(pb: Any) -> None:
    ns = pb.NullableString
    message = _request(
        pb,
        url="http://localhost:7071/api/x?a=1&flag=",
        headers={},
        query={"a": "1"},
        params={},
        nullable_query={"a": ns(value="1"), "flag": ns(value=""), "unset": ns()},
        nullable_headers={"x-empty": ns(value="")},
        nullable_params={"id": ns(value="7"), "optional": ns()},
    )
    request = default_registry().decoder("httpTrigger", func.HttpRequest)(
        datum_from_typed_data(message), None
    )
    # One rule, applied here: empty values are kept, names without a value are not.
    assert dict(request.params) == {"a": "1", "flag": ""}
    assert dict(request.headers) == {"x-empty": ""}
    assert dict(request.route_params) == {"id": "7"}


def test_a_plain_value_wins_over_a_conflicting_nullable_one(pb: Any) -> None:
    message = _request(
        pb, query={"a": "plain"}, nullable_query={"a": pb.NullableString(value="nullable")}
    )
    value = datum_from_typed_data(message).value
    assert value["query"]["a"] == Datum("plain", "string")
    assert value["nullable_query"]["a"] == Datum("nullable", "string")


def test_identities_and_raw_body(pb: Any) -> None:
    identity = {
        "authentication_type": {"value": "aad"},
        "name_claim_type": {"value": "name"},
        "claims": [{"type": "name", "value": "Ada"}, {"type": "roles", "value": "admin"}],
    }
    message = _request(pb, identities=[identity], rawBody=pb.TypedData(string='{"qty": 3}'))

    value = datum_from_typed_data(message).value

    assert value["identities"] == [
        {
            "authentication_type": "aad",
            "name_claim_type": "name",
            "role_claim_type": None,
            "claims": [{"type": "name", "value": "Ada"}, {"type": "roles", "value": "admin"}],
        }
    ]
    assert value["rawBody"] == Datum('{"qty": 3}', "string")


def test_a_full_request_round_trips(pb: Any) -> None:
    ns = pb.NullableString
    message = _request(
        pb,
        rawBody=pb.TypedData(bytes=b'{"qty": 3}'),
        identities=[
            {"role_claim_type": {"value": "roles"}, "claims": [{"type": "t", "value": "v"}]}
        ],
        nullable_query={"verbose": ns(value="1"), "tag": ns(value="a,b"), "e": ns(value="")},
        nullable_params={"id": ns(value="42")},
        nullable_headers={"x-forwarded-for": ns(value="10.0.0.1"), "none": ns()},
    )
    back = datum_to_typed_data(datum_from_typed_data(message), pb)
    # The merged plain maps now also carry the empty query value, as the host would
    # have sent it without the nullable capability.
    assert back.http.query["e"] == ""
    del back.http.query["e"]
    assert back == message


# -- trigger metadata -------------------------------------------------------------------------


def _queue_metadata(pb: Any) -> Any:
    entries = {
        "Id": pb.TypedData(string="7f1c"),
        "PopReceipt": pb.TypedData(string="AgAAAAMAAAA"),
        "DequeueCount": pb.TypedData(json="2"),
        "ExpirationTime": pb.TypedData(json='"2026-01-09T10:00:00+00:00"'),
        "InsertionTime": pb.TypedData(json='"2026-01-02T10:00:00+00:00"'),
        "NextVisibleTime": pb.TypedData(json='"2026-01-02T10:10:00+00:00"'),
        "Payload": pb.TypedData(bytes=b"x" * 100),
    }
    # The stand-in's map behaves like InvocationRequest.trigger_metadata (indexing a
    # missing key inserts an entry); with real classes a dict of messages stands in.
    return trigger_metadata(entries) if pb is STAND_IN else entries


def test_metadata_converts_each_entry_on_first_access_only() -> None:
    raw = _queue_metadata(STAND_IN)
    payload_message = raw["Payload"]
    metadata = metadata_from_typed_data(raw)

    assert isinstance(metadata, TypedDataMetadata)
    assert len(metadata) == 7
    assert "Payload" in metadata
    assert read_counts(payload_message)["bytes"] == 0
    assert metadata["Payload"] is metadata["Payload"]
    assert read_counts(payload_message)["bytes"] == 1
    assert metadata["DequeueCount"] == Datum("2", "json")
    assert "converted" in repr(metadata)


def test_metadata_never_grows_the_message_map() -> None:
    raw = _queue_metadata(STAND_IN)
    metadata = metadata_from_typed_data(raw)
    assert "Missing" not in metadata
    assert metadata.get("Missing") is None
    with pytest.raises(KeyError):
        metadata["Missing"]
    assert len(raw) == 7


def test_metadata_reads_like_a_dict_of_datums(pb: Any) -> None:
    raw = _queue_metadata(pb)
    metadata = metadata_from_typed_data(raw)
    eager = {key: datum_from_typed_data(message) for key, message in raw.items()}
    assert dict(metadata) == eager
    assert list(metadata) == list(raw)
    assert metadata_from_typed_data(None) == {}


def test_metadata_with_kinds_the_workers_reject(pb: Any) -> None:
    raw = {
        "Ratio": pb.TypedData(double=0.25),
        "Count": pb.TypedData(int=3),
        "Scores": pb.TypedData(collection_double=pb.CollectionDouble(double=[1.5])),
        "Id": pb.TypedData(string="x"),
    }
    metadata = metadata_from_typed_data(raw)
    assert metadata["Id"] == Datum("x", "string")
    assert metadata["Ratio"] == Datum(0.25, "double")
    assert metadata["Count"] == Datum(3, "int")
    assert metadata["Scores"].python_value == [1.5]


def test_empty_text_and_json_keep_their_kind(pb: Any) -> None:
    # Non-empty text and JSON are recognised by reading the field alone (a oneof member
    # that is not empty is the one set); an empty one still needs, and gets, WhichOneof.
    raw = {
        "Text": pb.TypedData(string=""),
        "Json": pb.TypedData(json=""),
        "Bytes": pb.TypedData(bytes=b""),
        "Unset": pb.TypedData(),
    }
    metadata = metadata_from_typed_data(raw)
    assert metadata["Text"] == Datum("", "string")
    assert metadata["Json"] == Datum("", "json")
    assert metadata["Bytes"] == Datum(b"", "bytes")
    assert metadata["Unset"] == Datum(None, None)
    for key, message in raw.items():
        assert datum_from_typed_data(message) == metadata[key], key


def test_azure_functions_reads_lazy_metadata() -> None:
    metadata = metadata_from_typed_data(_queue_metadata(STAND_IN))
    message = QueueMessageInConverter.decode(Datum("hello", "string"), trigger_metadata=metadata)
    assert isinstance(message, func.QueueMessage)
    assert (message.id, message.dequeue_count, message.pop_receipt) == ("7f1c", 2, "AgAAAAMAAAA")
    assert message.expiration_time == datetime(2026, 1, 9, 10, tzinfo=UTC)


# -- HTTP responses and cookies ----------------------------------------------------------------


@dataclass(frozen=True)
class Cookie:
    """The attribute names of funcbind's HttpCookie (bindings/http/cookies.py)."""

    name: Any
    value: Any
    domain: Any = None
    path: Any = None
    expires: Any = None
    max_age: Any = None
    secure: bool | None = None
    http_only: bool | None = None
    same_site: Any = None


def _response(cookies: Any, **extra: Any) -> Datum:
    value = {
        "status_code": Datum("201", "string"),
        "headers": {"content-type": Datum("text/plain", "string")},
        "cookies": cookies,
        "body": Datum(b"created", "bytes"),
        **extra,
    }
    return Datum(value, "http")


def _only_cookie(pb: Any, cookie: Any) -> Any:
    (message,) = datum_to_typed_data(_response([cookie]), pb).http.cookies
    return message


def test_azure_functions_response_with_cookies(pb: Any) -> None:
    response = func.HttpResponse("created", status_code=201, mimetype="text/plain")
    response.headers.add("Set-Cookie", "session=abc; Path=/; HttpOnly; SameSite=Strict")
    response.headers.add(
        "Set-Cookie",
        "theme=dark; Domain=example.com; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=3600; "
        "Secure; SameSite=None",
    )
    response.headers.add("Set-Cookie", "bare=1")
    datum = HttpResponseConverter.encode(response, expected_type=None)

    http = datum_to_typed_data(datum, pb).http

    assert http.status_code == "201"
    assert dict(http.headers) == {"content-type": "text/plain; charset=utf-8"}
    assert http.body.bytes == b"created"
    session, theme, bare = http.cookies
    assert (session.name, session.value) == ("session", "abc")
    assert session.path.value == "/"
    assert session.http_only.value is True
    assert session.same_site == 2
    assert not session.HasField("domain")
    assert not session.HasField("expires")
    assert not session.HasField("secure")
    assert not session.HasField("max_age")
    assert theme.domain.value == "example.com"
    assert theme.expires.value.seconds == int(datetime(2026, 10, 21, 7, 28, tzinfo=UTC).timestamp())
    assert theme.max_age.value == 3600.0
    assert theme.secure.value is True
    assert theme.same_site == 3
    for field in ("domain", "path", "expires", "secure", "http_only", "max_age"):
        assert not bare.HasField(field), field
    assert bare.same_site == 0


def test_funcbind_http_cookie_is_read_by_its_attributes(pb: Any) -> None:
    from funcbind.bindings.http import HttpCookie

    expires = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    cookie = HttpCookie("id", "v1", path="/api", expires=expires, max_age=60, same_site="Lax")
    message = _only_cookie(pb, cookie)
    assert (message.name, message.value, message.path.value) == ("id", "v1", "/api")
    assert message.expires.value.seconds == int(expires.timestamp())
    assert (message.max_age.value, message.same_site) == (60.0, 1)
    for field in ("domain", "secure", "http_only"):
        assert not message.HasField(field), field


def test_cookie_objects_keep_explicit_false_and_leave_out_none(pb: Any) -> None:
    message = _only_cookie(pb, Cookie("a", "b", secure=False, http_only=True))
    assert message.secure.value is False
    assert message.http_only.value is True
    assert not message.HasField("domain")


@pytest.mark.parametrize(
    ("same_site", "number"),
    [("Lax", 1), ("strict", 2), ("None", 3), ("NONE", 3), ("", 0), (None, 0)],
)
def test_same_site_numbers(pb: Any, same_site: str | None, number: int) -> None:
    assert _only_cookie(pb, Cookie("a", "b", same_site=same_site)).same_site == number


def test_same_site_may_be_an_enum(pb: Any) -> None:
    by_value = enum.Enum("ByValue", {"LAX": "Lax"})
    by_name = enum.Enum("ByName", {"Strict": 7})
    assert _only_cookie(pb, Cookie("a", "b", same_site=by_value.LAX)).same_site == 1
    assert _only_cookie(pb, Cookie("a", "b", same_site=by_name.Strict)).same_site == 2


@pytest.mark.parametrize(
    "expires",
    [
        "Wed, 21 Oct 2026 07:28:00 GMT",
        "Wednesday, 21-Oct-26 07:28:00 GMT",
        "Wed, 21 Oct 2026 07:28:00 +0200",  # RFC 6265: the offset is ignored, as browsers do
        "Wed, 21 Oct 2026 07:28:00",
        "2026-10-21T07:28:00Z",
        "2026-10-21T03:28:00-04:00",
        "2026-10-21T07:28:00",
        datetime(2026, 10, 21, 7, 28),
        datetime(2026, 10, 21, 7, 28, tzinfo=UTC),
        datetime(2026, 10, 21, 9, 28, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_expires_is_one_utc_instant_whatever_its_form(pb: Any, expires: Any) -> None:
    message = _only_cookie(pb, Cookie("a", "b", expires=expires))
    assert message.expires.value.seconds == 1792567680  # 2026-10-21T07:28:00Z
    assert message.expires.value.nanos == 0


def test_expires_keeps_microseconds_and_dates_before_1970(pb: Any) -> None:
    moment = datetime(1969, 12, 31, 23, 59, 59, 250000, tzinfo=UTC)
    stamp = _only_cookie(pb, Cookie("a", "b", expires=moment)).expires.value
    assert (stamp.seconds, stamp.nanos) == (-1, 250_000_000)


def test_morsel_expires_in_seconds_counts_from_now(pb: Any) -> None:
    jar: SimpleCookie = SimpleCookie()
    jar["a"] = "b"
    jar["a"]["expires"] = 3600
    before = int(time.time())
    seconds = _only_cookie(pb, jar).expires.value.seconds
    after = int(time.time()) + 1
    assert before + 3600 <= seconds <= after + 3600


@pytest.mark.parametrize(
    ("max_age", "seconds"), [("60", 60.0), (0, 0.0), (timedelta(minutes=2), 120.0), (-1, -1.0)]
)
def test_max_age_is_seconds(pb: Any, max_age: Any, seconds: float) -> None:
    assert _only_cookie(pb, Cookie("a", "b", max_age=max_age)).max_age.value == seconds


@pytest.fixture
def five_and_a_half_hours_east() -> Iterator[None]:
    """The process time zone set to UTC+05:30 (a POSIX TZ: no tz database needed)."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX-only")
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "IST-05:30"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.usefixtures("five_and_a_half_hours_east")
def test_expires_ignores_the_machine_time_zone(pb: Any) -> None:
    expected = 1792567680  # 2026-10-21T07:28:00Z
    # The shift is real in this process: a naive local reading would be 5.5 h off.
    assert time.timezone == -5.5 * 3600
    assert datetime(2026, 10, 21, 7, 28).timestamp() == expected - 5.5 * 3600

    for expires in (
        "Wed, 21 Oct 2026 07:28:00 GMT",
        "Wed, 21 Oct 2026 07:28:00",
        "2026-10-21T07:28:00",
    ):
        jar: SimpleCookie = SimpleCookie()
        jar["a"] = "b"
        jar["a"]["expires"] = expires
        assert _only_cookie(pb, jar).expires.value.seconds == expected, expires
    naive = Cookie("a", "b", expires=datetime(2026, 10, 21, 7, 28))
    assert _only_cookie(pb, naive).expires.value.seconds == expected


def test_cookies_come_from_every_supported_shape(pb: Any) -> None:
    jar = SimpleCookie("a=1; Path=/")
    jar["b"] = "2"
    morsel: Morsel[str] = Morsel()
    morsel.set("c", "3", "3")
    cookies = [jar, morsel, "d=4; Secure", Cookie("e", "5")]
    http = datum_to_typed_data(_response(cookies), pb).http
    assert [(c.name, c.value) for c in http.cookies] == [
        ("a", "1"),
        ("b", "2"),
        ("c", "3"),
        ("d", "4"),
        ("e", "5"),
    ]
    single = datum_to_typed_data(_response(Cookie("only", "x")), pb).http
    assert [c.name for c in single.cookies] == ["only"]


def test_set_cookie_headers_become_cookies_and_repeated_headers_are_joined(pb: Any) -> None:
    headers = {
        "Set-Cookie": Datum(
            ["a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"], "string"
        ),
        "Vary": Datum(["Accept", "Origin"], "string"),
        "X-One": "plain text",
    }
    http = datum_to_typed_data(_response(None, headers=headers), pb).http
    assert dict(http.headers) == {"Vary": "Accept, Origin", "X-One": "plain text"}
    assert [c.name for c in http.cookies] == ["a", "b"]
    assert http.cookies[1].expires.value.seconds == 1792567680


@pytest.mark.parametrize(
    ("status", "text"), [(Datum("404", "string"), "404"), (HTTPStatus.OK, "200"), (302, "302")]
)
def test_status_codes(pb: Any, status: Any, text: str) -> None:
    assert datum_to_typed_data(_response(None, status_code=status), pb).http.status_code == text


def test_a_response_round_trips_with_its_cookies(pb: Any) -> None:
    cookie = SimpleCookie(
        "a=b; Domain=x.example; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Secure; "
        "HttpOnly; SameSite=Lax; Max-Age=60"
    )
    datum = _response([cookie])
    back = datum_from_typed_data(datum_to_typed_data(datum, pb)).value
    for key in ("status_code", "headers", "cookies", "body"):
        assert back[key] == datum.value[key], key
    assert back["cookies"][0].output() == cookie.output()


def test_a_response_cookie_with_null_attributes_reads_back_without_them(pb: Any) -> None:
    cookie = pb.RpcHttpCookie(
        name="a",
        value="b",
        domain=pb.NullableString(),
        expires=pb.NullableTimestamp(),
        secure=pb.NullableBool(),
        max_age=pb.NullableDouble(),
    )
    value = datum_from_typed_data(pb.TypedData(http=pb.RpcHttp(cookies=[cookie]))).value
    assert value["cookies"][0].output() == "Set-Cookie: a=b"


def test_a_response_cookie_with_an_illegal_name_is_a_decode_error(pb: Any) -> None:
    message = pb.TypedData(http=pb.RpcHttp(cookies=[pb.RpcHttpCookie(name="a b", value="c")]))
    with pytest.raises(DecodeError, match="expected a valid cookie name"):
        datum_from_typed_data(message)


def test_model_binding_data_may_be_sent_as_a_dict(pb: Any) -> None:
    fields = {"version": "1.0", "source": "AzureStorageBlobs", "content": b"{}"}
    message = datum_to_typed_data(Datum(fields, "model_binding_data"), pb)
    assert message.model_binding_data == pb.ModelBindingData(**fields)


# -- bad input ------------------------------------------------------------------------------------


class FutureTypedData(wire_messages.TypedData):
    """A TypedData from a newer protocol with a kind funcbind does not know."""

    def WhichOneof(self, group: str) -> str:
        return "hologram"


def test_an_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(UnsupportedDatumError) as caught:
        datum_from_typed_data(FutureTypedData())
    message = str(caught.value)
    assert "'hologram'" in message
    assert "collection_model_binding_data" in message
    assert isinstance(caught.value, NotImplementedError)


def test_a_non_message_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="expected a TypedData message, got str"):
        datum_from_typed_data("string")


@pytest.mark.parametrize(
    ("datum", "expected"),
    [
        (Datum(5, "string"), "'string' Datum: expected str, got int 5"),
        (Datum(b"x", "json"), "'json' Datum: expected str, got bytes"),
        (Datum("x", "bytes"), "'bytes' Datum: expected bytes, bytearray or memoryview, got str"),
        (Datum("7", "int"), "'int' Datum: expected int, got str '7'"),
        (Datum(2**63, "int"), "expected an int within the signed 64-bit range"),
        (Datum("1.5", "double"), "'double' Datum: expected float or int, got str"),
        (Datum(2, "bool"), "'bool' Datum: expected bool, got int 2"),
        (Datum("x", "dict"), "'dict' Datum: expected dict, got str"),
        (Datum({"a": object()}, "dict"), "expected a JSON-serialisable dict"),
        (Datum({"a": 1}, "list"), "'list' Datum: expected list, got dict"),
        (Datum("x", "http"), "'http' Datum: expected a dict of Datums"),
        (
            Datum(42, "collection_string"),
            "the message's 'collection_string' field takes, got int 42",
        ),
    ],
)
def test_wrong_python_types_are_encode_errors(datum: Datum, expected: str) -> None:
    with pytest.raises(EncodeError) as caught:
        datum_to_typed_data(datum, STAND_IN)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("datum", "expected"),
    [
        (Datum(10**400, "double"), "'double' Datum: expected a float or an int within the range"),
        (_response([Cookie("n", "v", max_age=10**400)]), "cookie 'n', max-age: expected seconds"),
        (_response([Cookie("n", "v", max_age="1e400")]), "cookie 'n', max-age: expected seconds"),
    ],
)
def test_numbers_beyond_a_double_are_encode_errors(datum: Datum, expected: str) -> None:
    with pytest.raises(EncodeError) as caught:
        datum_to_typed_data(datum, STAND_IN)
    assert expected in str(caught.value)


def test_a_response_cookie_expiring_beyond_year_9999_is_a_decode_error(pb: Any) -> None:
    stamp = {"value": {"seconds": 10**12}}
    cookie = pb.RpcHttpCookie(name="a", value="b", expires=pb.NullableTimestamp(**stamp))
    message = pb.TypedData(http=pb.RpcHttp(cookies=[cookie]))
    with pytest.raises(DecodeError, match="cookie 'a': expected an expiry between the years"):
        datum_from_typed_data(message)


def test_an_unknown_outgoing_type_is_unsupported() -> None:
    with pytest.raises(UnsupportedValueError, match="got type 'money'") as caught:
        datum_to_typed_data(Datum(1, "money"), STAND_IN)
    assert isinstance(caught.value, NotImplementedError)
    assert "string, bytes, json, http" in str(caught.value)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"headers": ["x"]}, "headers: expected a dict, got list"),
        ({"headers": {"x-n": Datum(5, "string")}}, "header 'x-n': expected str, got int 5"),
        ({"headers": {1: "x"}}, "headers: expected str names, got int 1"),
        ({"query": {"q": 1.5}}, "query 'q': expected str, got float"),
        ({"status_code": Datum("OK", "string")}, "status_code: expected an int or digits"),
        ({"status_code": True}, "status_code: expected an int or digits, got bool"),
        ({"body": Datum(1, "string")}, "'string' Datum: expected str, got int 1"),
        ({"identities": "me"}, "a list of identity dicts"),
        (
            {"identities": [{"claims": [{"type": "t", "value": 5}]}]},
            "identity claim value: expected str",
        ),
        ({"identities": ["me"]}, "expected an identity dict, got str"),
        ({"identities": [{"claims": ["c"]}]}, "expected a claim dict with 'type' and 'value'"),
        ({"cookies": 42}, "cookies: expected a list of cookies, got int 42"),
        ({"cookies": [42]}, "cookies: expected a SimpleCookie, Morsel, Set-Cookie string"),
        ({"cookies": [Cookie("n", "v", max_age=True)]}, "max-age: expected seconds, got bool"),
        ({"cookies": ["no cookie here"]}, "expected a Set-Cookie value"),
        ({"cookies": [Cookie("", "v")]}, "expected a non-empty str name"),
        ({"cookies": [Cookie("n", 5)]}, "cookie 'n': expected a str value, got int 5"),
        ({"cookies": [Cookie("n", "v", domain=1)]}, "domain: expected str, got int"),
        (
            {"cookies": [Cookie("n", "v", same_site="Sometimes")]},
            "expected 'Lax', 'Strict' or 'None'",
        ),
        ({"cookies": [Cookie("n", "v", max_age="soon")]}, "max-age: expected seconds, got str"),
        ({"cookies": [Cookie("n", "v", max_age=float("inf"))]}, "max-age: expected seconds"),
        ({"cookies": ["n=v; Expires=someday"]}, "expected a cookie date such as"),
        ({"cookies": [Cookie("n", "v", expires=12)]}, "expires: expected a datetime or text"),
    ],
)
def test_bad_http_values_are_encode_errors(extra: dict[str, Any], expected: str) -> None:
    value = {"status_code": Datum("200", "string"), "headers": {}, "body": None, **extra}
    with pytest.raises(EncodeError) as caught:
        datum_to_typed_data(Datum(value, "http"), STAND_IN)
    assert expected in str(caught.value)


def test_a_namespace_without_a_class_is_named() -> None:
    partial = SimpleNamespace(TypedData=STAND_IN.TypedData, RpcHttp=STAND_IN.RpcHttp)
    with pytest.raises(EncodeError, match="with RpcHttpCookie"):
        datum_to_typed_data(_response([Cookie("a", "b")]), partial)
