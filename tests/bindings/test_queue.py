"""Queue bindings: queueTrigger decoding and queue output encoding, against azure.functions."""

from __future__ import annotations

import json
import sys
import typing
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Optional

import azure.functions as func
import pytest
import wire_junk
from azure.functions import _abc as azure_abc
from azure.functions import _jsonutils
from azure.functions.meta import Datum as AzureDatum
from azure.functions.queue import QueueMessageInConverter, QueueMessageOutConverter
from hypothesis import given
from hypothesis import strategies as st
from wire_junk import DEEP_ARRAY, DEEP_OBJECT, LONG_INTEGER

import funcbind
from funcbind import (
    AnnotationError,
    DecodeError,
    EncodeError,
    FuncbindError,
    UnsupportedDatumError,
    UnsupportedValueError,
)
from funcbind.bindings import generic, queue
from funcbind.bindings.queue import QueueMessage
from funcbind.registry import BUILTIN_MODULES, Registry
from funcbind.worker import WorkerRegistry

FIXTURES = Path(__file__).parent.parent / "fixtures" / "queue"
FIXTURE_NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))
ACCEPTED_BY_AZURE = [
    name
    for name in FIXTURE_NAMES
    if json.loads((FIXTURES / f"{name}.json").read_text())["azure_functions_accepts"]
]
METADATA_FIELDS = (
    "id",
    "pop_receipt",
    "dequeue_count",
    "expiration_time",
    "insertion_time",
    "time_next_visible",
)
DATETIME_FIELDS = ("expiration_time", "insertion_time", "time_next_visible")


def _datum(raw: Mapping[str, Any], datum_class: type) -> Any:
    value = raw["value"]
    if raw["type"] in ("bytes", "stream"):
        value = value.encode("utf-8")
    return datum_class(value, raw["type"])


def load(name: str, datum_class: type = funcbind.Datum) -> tuple[Any, dict[str, Any]]:
    """The payload Datum and metadata of a fixture, built with ``datum_class``."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    metadata = {key: _datum(raw, datum_class) for key, raw in data["metadata"].items()}
    return _datum(data["payload"], datum_class), metadata


def expected(name: str) -> dict[str, Any]:
    values = dict(json.loads((FIXTURES / f"{name}.json").read_text())["expected"])
    for field in DATETIME_FIELDS:
        if values.get(field) is not None:
            values[field] = datetime.fromisoformat(values[field])
    return values


@pytest.fixture(scope="module")
def registry() -> Registry:
    registry = Registry()
    generic.register(registry)
    queue.register(registry)
    return registry


# azure.functions writes JSON with orjson when it is installed (compact separators) and
# with the standard library otherwise; funcbind always matches the latter byte for byte.
STOCK_USES_STDLIB_JSON = isinstance(_jsonutils.json_impl, _jsonutils.StdJsonAdapter)


def assert_same_wire(ours: Any, stock: Any) -> None:
    assert ours.type == stock.type
    if ours.type == "json" and not STOCK_USES_STDLIB_JSON:
        assert json.loads(ours.value) == json.loads(stock.value)
    else:
        assert ours.value == stock.value


def decode(
    registry: Registry, datum: Any, metadata: Any, annotation: Any = func.QueueMessage
) -> Any:
    return registry.decoder("queueTrigger", annotation)(datum, metadata)


def encode(registry: Registry, value: Any, annotation: Any = Any) -> Any:
    return registry.encoder("queue", annotation)(value)


# -- registration ------------------------------------------------------------


def test_builtin_modules_list_queue() -> None:
    assert "funcbind.bindings.queue" in BUILTIN_MODULES


def test_registration(registry: Registry) -> None:
    trigger, output = registry.get("queueTrigger"), registry.get("queue")
    assert trigger is not None and trigger.trigger and trigger.directions == {"in"}
    # "in" serves QueueClient parameters (funcbind.bindings.storage_sdk).
    assert output is not None and not output.trigger and output.directions == {"in", "out"}
    assert not output.implicit_output


# -- decoding: the model -------------------------------------------------------


@pytest.mark.parametrize("name", ACCEPTED_BY_AZURE)
def test_decode_matches_azure_functions_on_the_same_datums(registry: Registry, name: str) -> None:
    datum, metadata = load(name, AzureDatum)
    stock = QueueMessageInConverter.decode(datum, trigger_metadata=metadata)
    ours = decode(registry, datum, metadata)

    assert isinstance(ours, func.QueueMessage)
    assert isinstance(ours, azure_abc.QueueMessage)
    assert isinstance(ours, type(stock))  # azure.functions.queue.QueueMessage
    for field in METADATA_FIELDS:
        assert getattr(ours, field) == getattr(stock, field), field
    assert ours.get_body() == stock.get_body()
    assert type(ours.get_body()) is bytes
    if "json" in expected(name):
        assert ours.get_json() == stock.get_json()


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_decode_gives_the_fixture_values(registry: Registry, name: str) -> None:
    datum, metadata = load(name)
    message = decode(registry, datum, metadata)
    values = expected(name)
    for field in METADATA_FIELDS:
        assert getattr(message, field) == values[field], field
    for field in DATETIME_FIELDS:
        # aware exactly when the wire text had an offset or Z
        assert (getattr(message, field).tzinfo is None) == (values[field].tzinfo is None)
    if "json" in values:
        assert message.get_json() == values["json"]


def test_year_9999_expiration_is_truncated_not_rounded(registry: Registry) -> None:
    message = decode(registry, *load("portal_run"))
    assert message.expiration_time == datetime(9999, 12, 31, 23, 59, 59, 999999, timezone.utc)


def test_offsets_and_us_dates_that_azure_functions_rejects(registry: Registry) -> None:
    # Difference: azure.functions raises while decoding the whole message.
    datum, metadata = load("offsets_and_us_dates", AzureDatum)
    with pytest.raises(ValueError):
        QueueMessageInConverter.decode(datum, trigger_metadata=metadata)
    message = decode(registry, datum, metadata)
    assert message.expiration_time.utcoffset().total_seconds() == -5 * 3600
    assert message.insertion_time == datetime(2021, 10, 7, 23, 31, 52)


def test_get_body_is_the_wire_bytes_object(registry: Registry) -> None:
    datum, metadata = load("bytes_body")
    message = decode(registry, datum, metadata)
    assert message.get_body() is datum.value


def test_string_body_is_encoded_once(registry: Registry) -> None:
    message = decode(registry, *load("string_json_body"))
    body = message.get_body()
    assert body == b'{"orderId": 1042, "sku": "SKU-0007", "quantity": 3}'
    assert message.get_body() is body


@pytest.mark.parametrize("value", [bytearray(b"abc"), memoryview(b"abc")])
def test_get_body_returns_bytes_for_other_buffers(registry: Registry, value: Any) -> None:
    message = decode(registry, funcbind.Datum(value, "bytes"), {})
    assert message.get_body() == b"abc"
    assert type(message.get_body()) is bytes


def test_json_payload_is_read_as_text(registry: Registry) -> None:
    # Difference: azure.functions raises NotImplementedError for a json payload.
    message = decode(registry, funcbind.Datum('{"a": 1}', "json"), {})
    assert message.get_body() == b'{"a": 1}'
    assert message.get_json() == {"a": 1}


class CountingMetadata(dict[str, Any]):
    """Trigger metadata that counts lookups, to prove fields are read lazily."""

    lookups = 0

    def get(self, key: str, default: Any = None) -> Any:
        type(self).lookups += 1
        return super().get(key, default)


def test_decode_reads_no_metadata_until_a_field_is_read(registry: Registry) -> None:
    datum, metadata = load("string_json_body")
    counting = CountingMetadata(metadata)
    CountingMetadata.lookups = 0
    message = decode(registry, datum, counting)
    message.get_body()
    assert CountingMetadata.lookups == 0
    assert message.id == "5f1c3a52-8f0e-4c1b-9a55-1d2c3e4f5a6b"
    assert CountingMetadata.lookups == 1


def test_fields_are_parsed_once(registry: Registry) -> None:
    datum, metadata = load("string_json_body")
    counting = CountingMetadata(metadata)
    message = decode(registry, datum, counting)
    first = message.time_next_visible
    CountingMetadata.lookups = 0
    assert message.time_next_visible is first
    assert message.dequeue_count == message.dequeue_count
    assert CountingMetadata.lookups == 1  # dequeue_count once, time_next_visible memoised


def test_unparsable_datetime_fails_when_read_naming_field_and_text(registry: Registry) -> None:
    datum, metadata = load("string_json_body")
    metadata["InsertionTime"] = funcbind.Datum('"yesterday at noon"', "json")
    message = decode(registry, datum, metadata)  # decoding itself does not parse it
    assert message.id == "5f1c3a52-8f0e-4c1b-9a55-1d2c3e4f5a6b"
    assert message.expiration_time is not None
    with pytest.raises(DecodeError) as info:
        message.insertion_time  # noqa: B018
    assert "'InsertionTime'" in str(info.value)
    assert "yesterday at noon" in str(info.value)
    assert "queueTrigger" in str(info.value)


@pytest.mark.parametrize("metadata", [None, {}])
def test_without_metadata_the_fields_are_none(registry: Registry, metadata: Any) -> None:
    message = decode(registry, funcbind.Datum("hi", "string"), metadata)
    for field in METADATA_FIELDS:
        assert getattr(message, field) is None, field
    assert message.get_body() == b"hi"


def test_empty_metadata_matches_azure_functions(registry: Registry) -> None:
    datum = AzureDatum("hi", "string")
    stock = QueueMessageInConverter.decode(datum, trigger_metadata={})
    ours = decode(registry, datum, {})
    for field in METADATA_FIELDS:
        assert getattr(ours, field) == getattr(stock, field) is None


def test_no_metadata_at_all_is_an_error_in_azure_functions(registry: Registry) -> None:
    # Difference: azure.functions raises for a message handed in without metadata.
    with pytest.raises(NotImplementedError):
        QueueMessageInConverter.decode(AzureDatum("hi", "string"), trigger_metadata=None)
    assert decode(registry, AzureDatum("hi", "string"), None).id is None


@pytest.mark.parametrize(
    ("kind", "value"),
    [("json", "3"), ("string", "3"), ("int", 3), ("double", 3.0), ("json", "3.0")],
)
def test_dequeue_count_kinds_match_azure_functions(
    registry: Registry, kind: str, value: Any
) -> None:
    metadata = {"DequeueCount": AzureDatum(value, kind)}
    stock = QueueMessageInConverter.decode(AzureDatum("x", "string"), trigger_metadata=metadata)
    ours = decode(registry, AzureDatum("x", "string"), metadata)
    assert ours.dequeue_count == stock.dequeue_count == 3
    assert type(ours.dequeue_count) is int


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        ("string", "abc", "abc"),
        ("json", '"abc"', "abc"),
        ("json", '"a\\"b"', 'a"b'),
        ("int", 42, "42"),
    ],
)
def test_text_field_kinds_match_azure_functions(
    registry: Registry, kind: str, value: Any, text: str
) -> None:
    metadata = {"Id": AzureDatum(value, kind), "PopReceipt": AzureDatum(value, kind)}
    stock = QueueMessageInConverter.decode(AzureDatum("x", "string"), trigger_metadata=metadata)
    ours = decode(registry, AzureDatum("x", "string"), metadata)
    assert ours.id == stock.id == text
    assert ours.pop_receipt == stock.pop_receipt == text


@pytest.mark.parametrize(
    ("field", "attribute", "datum"),
    [
        ("DequeueCount", "dequeue_count", funcbind.Datum('"three"', "json")),
        ("DequeueCount", "dequeue_count", funcbind.Datum("three", "string")),
        ("DequeueCount", "dequeue_count", funcbind.Datum("true", "json")),
        ("DequeueCount", "dequeue_count", funcbind.Datum("2.5", "json")),
        ("Id", "id", funcbind.Datum(b"abc", "bytes")),
        ("Id", "id", funcbind.Datum("{not json", "json")),
        ("PopReceipt", "pop_receipt", funcbind.Datum("[1, 2]", "json")),
        ("ExpirationTime", "expiration_time", funcbind.Datum(17, "int")),
        ("NextVisibleTime", "time_next_visible", funcbind.Datum(b"2024", "bytes")),
    ],
)
def test_metadata_of_the_wrong_type_names_the_field(
    registry: Registry, field: str, attribute: str, datum: Any
) -> None:
    message = decode(registry, funcbind.Datum("x", "string"), {field: datum})
    with pytest.raises(DecodeError, match=f"'{field}'"):
        getattr(message, attribute)


@pytest.mark.parametrize("datum", [funcbind.Datum(None, "json"), funcbind.Datum(None, None)])
def test_null_metadata_values_are_none(registry: Registry, datum: Any) -> None:
    fields = ("Id", "DequeueCount", "ExpirationTime")
    message = decode(registry, funcbind.Datum("x", "string"), dict.fromkeys(fields, datum))
    assert message.id is message.dequeue_count is message.expiration_time is None


def test_json_null_id_is_none_not_the_text_none(registry: Registry) -> None:
    # Difference: azure.functions turns a json null Id into the string "None".
    metadata = {"Id": AzureDatum("null", "json")}
    stock = QueueMessageInConverter.decode(AzureDatum("x", "string"), trigger_metadata=metadata)
    assert stock.id == "None"
    assert decode(registry, AzureDatum("x", "string"), metadata).id is None


@pytest.mark.parametrize(("value", "stock_value"), [("true", True), ("2.5", 2)])
def test_dequeue_count_that_is_not_a_whole_number(
    registry: Registry, value: str, stock_value: Any
) -> None:
    # Difference: azure.functions passes a boolean through and truncates a fraction.
    metadata = {"DequeueCount": AzureDatum(value, "json")}
    stock = QueueMessageInConverter.decode(AzureDatum("x", "string"), trigger_metadata=metadata)
    assert stock.dequeue_count == stock_value
    message = decode(registry, AzureDatum("x", "string"), metadata)
    with pytest.raises(DecodeError, match=r"'DequeueCount'.*an integer"):
        message.dequeue_count  # noqa: B018


def test_deeply_nested_json_is_a_decode_error(registry: Registry) -> None:
    # Difference: azure.functions lets a RecursionError escape.
    stock = QueueMessageInConverter.decode(AzureDatum(DEEP_ARRAY, "string"), trigger_metadata={})
    with pytest.raises(RecursionError):
        stock.get_json()
    message = decode(registry, AzureDatum(DEEP_ARRAY, "string"), {})
    assert message.get_body() == DEEP_ARRAY.encode()
    with pytest.raises(DecodeError, match="'queueTrigger', field 'body': expected JSON"):
        message.get_json()
    for annotation in (dict, list[int], Optional[list]):
        with pytest.raises(DecodeError, match="got invalid JSON"):
            decode(registry, funcbind.Datum(DEEP_ARRAY, "json"), {}, annotation)
    for field, member in (
        ("DequeueCount", "dequeue_count"),
        ("Id", "id"),
        ("InsertionTime", "insertion_time"),
    ):
        metadata = {field: funcbind.Datum(DEEP_OBJECT, "json")}
        message = decode(registry, funcbind.Datum("x", "string"), metadata)
        with pytest.raises(DecodeError, match=f"trigger metadata field '{field}'"):
            getattr(message, member)


@pytest.mark.skipif(
    not hasattr(sys, "get_int_max_str_digits"), reason="this Python converts integers of any length"
)
@pytest.mark.parametrize(
    "datum",
    [
        funcbind.Datum(LONG_INTEGER, "string"),
        funcbind.Datum(LONG_INTEGER, "json"),
        funcbind.Datum(f"-{LONG_INTEGER}", "json"),
        funcbind.Datum(f'"{LONG_INTEGER}"', "json"),
    ],
)
def test_a_dequeue_count_too_long_to_convert(registry: Registry, datum: Any) -> None:
    message = decode(registry, funcbind.Datum("x", "string"), {"DequeueCount": datum})
    with pytest.raises(DecodeError, match=r"'DequeueCount': expected an integer, got"):
        message.dequeue_count  # noqa: B018


def test_empty_datetime_is_none_as_in_azure_functions(registry: Registry) -> None:
    metadata = {"InsertionTime": AzureDatum("", "string")}
    stock = QueueMessageInConverter.decode(AzureDatum("x", "string"), trigger_metadata=metadata)
    assert decode(registry, AzureDatum("x", "string"), metadata).insertion_time is None
    assert stock.insertion_time is None


@pytest.mark.parametrize(
    "datum",
    [funcbind.Datum(3, "int"), funcbind.Datum(1.5, "double"), funcbind.Datum(None, None)],
)
def test_unsupported_payload_kinds(registry: Registry, datum: Any) -> None:
    with pytest.raises(UnsupportedDatumError, match="queueTrigger") as info:
        decode(registry, datum, {})
    assert isinstance(info.value, NotImplementedError)  # what workers expect


def test_optional_annotation_accepts_a_null_payload(registry: Registry) -> None:
    assert decode(registry, funcbind.Datum(None, None), {}, Optional[func.QueueMessage]) is None


@pytest.mark.parametrize("body", ["not json", b"{'single': 'quotes'}"])
def test_get_json_on_a_non_json_body_raises_as_azure_functions(
    registry: Registry, body: Any
) -> None:
    datum = AzureDatum(body, "string" if isinstance(body, str) else "bytes")
    stock = QueueMessageInConverter.decode(datum, trigger_metadata={})
    with pytest.raises(json.JSONDecodeError):
        stock.get_json()
    with pytest.raises(json.JSONDecodeError):
        decode(registry, datum, {}).get_json()


def test_get_json_returns_a_new_object_each_time(registry: Registry) -> None:
    message = decode(registry, *load("string_json_body"))
    first = message.get_json()
    first["orderId"] = 0
    assert message.get_json()["orderId"] == 1042


def test_repr_never_parses_a_bad_field(registry: Registry) -> None:
    message = decode(registry, funcbind.Datum("x", "string"), {"Id": funcbind.Datum(b"", "bytes")})
    assert "unreadable" in repr(message)
    assert "'5f1c" in repr(decode(registry, *load("string_json_body")))


def test_to_dict_matches_azure_functions_2(registry: Registry) -> None:
    datum, metadata = load("portal_run", AzureDatum)
    stock = QueueMessageInConverter.decode(datum, trigger_metadata=metadata)
    if not hasattr(stock, "to_dict"):
        pytest.skip("to_dict() arrived in azure-functions 2.x")
    ours = decode(registry, datum, metadata)
    assert ours.to_dict() == stock.to_dict()
    assert ours.to_json() == stock.to_json()


# -- decoding: plain annotations -------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "datum", "value"),
    [
        (str, funcbind.Datum(b"caf\xc3\xa9", "bytes"), "café"),
        (str, funcbind.Datum("text", "string"), "text"),
        (bytes, funcbind.Datum("text", "string"), b"text"),
        (dict, funcbind.Datum('{"a": [1]}', "string"), {"a": [1]}),
        (list[str], funcbind.Datum('["a", "b"]', "string"), ["a", "b"]),
        (typing.List[int], funcbind.Datum(b"[1, 2]", "bytes"), [1, 2]),
        (int, funcbind.Datum("42", "string"), 42),
        (Optional[str], funcbind.Datum(None, None), None),
    ],
)
def test_plain_annotations_decode_the_body(
    registry: Registry, annotation: Any, datum: Any, value: Any
) -> None:
    assert decode(registry, datum, {}, annotation) == value


def test_azure_functions_decodes_only_the_model() -> None:
    # Difference: funcbind also decodes the body for plain annotations (above).
    assert QueueMessageInConverter.check_input_type_annotation(func.QueueMessage)
    assert not QueueMessageInConverter.check_input_type_annotation(dict)
    assert not QueueMessageInConverter.check_input_type_annotation(int)


def test_plain_annotation_errors_name_the_binding(registry: Registry) -> None:
    with pytest.raises(DecodeError, match="queueTrigger"):
        decode(registry, funcbind.Datum("[1, 2]", "string"), {}, dict)


@pytest.mark.parametrize("annotation", [func.HttpRequest, func.InputStream, set])
def test_unrelated_annotations_are_rejected(registry: Registry, annotation: Any) -> None:
    with pytest.raises(AnnotationError, match="QueueMessage"):
        registry.decoder("queueTrigger", annotation)


# -- decoding through the worker protocol ----------------------------------------


def test_worker_protocol_decode(registry: Registry) -> None:
    binding = WorkerRegistry(registry).get("queueTrigger")
    assert binding is not None
    assert binding.has_trigger_support()
    assert binding.check_input_type_annotation(func.QueueMessage)
    assert binding.check_input_type_annotation(azure_abc.QueueMessage)
    assert not binding.check_input_type_annotation(func.HttpRequest)
    datum, metadata = load("portal_run", AzureDatum)
    message = binding.decode(datum, trigger_metadata=metadata)
    assert isinstance(message, func.QueueMessage)
    assert message.expiration_time.year == 9999
    assert binding.decode(datum, trigger_metadata=metadata, pytype=str) == "hello from the portal"


# -- hypothesis: decoding ----------------------------------------------------------

_STOCK_FORMATS = (
    "%Y-%m-%dT%H:%M:%S{fraction}+00:00",
    "%Y-%m-%dT%H:%M:%S{fraction}Z",
    "%m/%d/%Y %H:%M:%S{fraction}Z",
    "%Y-%m-%dT%H:%M:%S{fraction}",
)


@st.composite
def stock_datetime_texts(draw: st.DrawFn) -> str:
    """Datetime texts in the formats azure.functions parses (0, 6 or 7 digits)."""
    moment = draw(st.datetimes(min_value=datetime(1000, 1, 1)))
    digits = draw(st.sampled_from([0, 6, 7]))
    fraction = ""
    if digits:
        fraction = (
            f".{moment.microsecond:06d}" + draw(st.sampled_from(["", "0", "9"]))[: digits - 6]
        )
    return moment.strftime(draw(st.sampled_from(_STOCK_FORMATS)).format(fraction=fraction))


@given(
    body=st.one_of(st.text(), st.binary()),
    when=stock_datetime_texts(),
    count=st.integers(min_value=0, max_value=2**31),
    quoted=st.booleans(),
)
def test_random_messages_match_azure_functions(
    body: str | bytes, when: str, count: int, quoted: bool
) -> None:
    registry = Registry()
    queue.register(registry)
    payload = AzureDatum(body, "string" if isinstance(body, str) else "bytes")
    as_datetime = AzureDatum(json.dumps(when), "json") if quoted else AzureDatum(when, "string")
    metadata = {
        "Id": AzureDatum("id-1", "string"),
        "DequeueCount": AzureDatum(str(count), "json"),
        "ExpirationTime": as_datetime,
        "InsertionTime": as_datetime,
        "NextVisibleTime": as_datetime,
    }
    stock = QueueMessageInConverter.decode(payload, trigger_metadata=metadata)
    ours = decode(registry, payload, metadata)
    assert ours.get_body() == stock.get_body()
    for field in METADATA_FIELDS:
        assert getattr(ours, field) == getattr(stock, field), field


@given(text=st.text(max_size=40))
def test_random_datetime_text_decodes_or_names_the_field(text: str) -> None:
    registry = Registry()
    queue.register(registry)
    message = decode(
        registry, funcbind.Datum("x", "string"), {"InsertionTime": funcbind.Datum(text, "string")}
    )
    try:
        value = message.insertion_time
    except DecodeError as exc:
        assert "'InsertionTime'" in str(exc)
    else:
        assert value is None or isinstance(value, datetime)


@given(
    payload=wire_junk.wire_datums(),
    metadata=wire_junk.trigger_metadata(
        ("Id", "PopReceipt", "DequeueCount", "ExpirationTime", "InsertionTime", "NextVisibleTime")
    ),
    pytype=st.sampled_from([None, str, bytes, dict, list[int], Optional[str]]),
)
def test_junk_through_the_worker_facade_is_only_ever_a_funcbind_error(
    payload: funcbind.Datum, metadata: dict[str, Any], pytype: Any
) -> None:
    registry = Registry()
    generic.register(registry)
    queue.register(registry)
    binding = WorkerRegistry(registry).get("queueTrigger")
    assert binding is not None
    try:
        decoded = binding.decode(payload, trigger_metadata=metadata, pytype=pytype)
    except FuncbindError:
        return
    if pytype is not None:
        return

    def get_json() -> object:
        try:
            return decoded.get_json()
        except ValueError:  # as azure.functions: JSONDecodeError, UnicodeDecodeError, ...
            return None

    wire_junk.read_every_member(
        {
            **{member: partial(getattr, decoded, member) for member in METADATA_FIELDS},
            "get_body": decoded.get_body,
            "get_json": get_json,
            "repr": partial(repr, decoded),
        }
    )


# -- encoding --------------------------------------------------------------------


def _stock_values() -> Iterator[tuple[str, Any]]:
    yield "str", "hello"
    yield "empty str", ""
    yield "bytes", b"\x00\x01binary"
    yield "QueueMessage", func.QueueMessage(id="m-1", body='{"a": 1}')
    yield "QueueMessage without id", func.QueueMessage(body=b"plain")
    yield "list of str", ["one", "two", "üñí"]
    yield "list of QueueMessage and str", [func.QueueMessage(id="m-2", body="x"), "y"]
    yield "tuple of str", ("a", "b")
    yield "empty list", []


STOCK_VALUES = list(_stock_values())


@pytest.mark.parametrize(
    "value", [value for _, value in STOCK_VALUES], ids=[n for n, _ in STOCK_VALUES]
)
def test_encode_matches_azure_functions(registry: Registry, value: Any) -> None:
    stock = QueueMessageOutConverter.encode(value, expected_type=None)
    ours = encode(registry, value)
    assert_same_wire(ours, stock)


def test_encode_decoded_message_matches_azure_functions(registry: Registry) -> None:
    datum, metadata = load("string_json_body", AzureDatum)
    ours_in = decode(registry, datum, metadata)
    stock_in = QueueMessageInConverter.decode(datum, trigger_metadata=metadata)
    for value_ours, value_stock in ((ours_in, stock_in), ([ours_in, "x"], [stock_in, "x"])):
        stock = QueueMessageOutConverter.encode(value_stock, expected_type=None)
        ours = encode(registry, value_ours)
        assert_same_wire(ours, stock)


def test_bytes_are_sent_without_a_copy(registry: Registry) -> None:
    # Difference: azure.functions iterates a bytearray or memoryview and fails.
    with pytest.raises(NotImplementedError):
        QueueMessageOutConverter.encode(bytearray(b"abc"), expected_type=None)
    for value in (b"abc", bytearray(b"abc"), memoryview(b"abc")):
        datum = encode(registry, value)
        assert datum.type == "bytes"
        assert datum.value is value


def test_dict_is_one_json_message(registry: Registry) -> None:
    # Difference: azure.functions iterates a dict and sends its keys as messages.
    value = {"orderId": 1042, "lines": [1, 2]}
    assert json.loads(QueueMessageOutConverter.encode(value, expected_type=None).value) == [
        "orderId",
        "lines",
    ]
    datum = encode(registry, value)
    assert datum.type == "json"
    assert json.loads(datum.value) == value


def test_list_of_dicts_is_one_message_per_dict(registry: Registry) -> None:
    # Difference: azure.functions refuses dicts inside a list.
    value = [{"n": 1}, {"n": 2}, ["nested", "array"], "text"]
    with pytest.raises(NotImplementedError):
        QueueMessageOutConverter.encode(value, expected_type=None)
    datum = encode(registry, value, func.Out[list[dict]])
    assert datum.type == "json"
    assert json.loads(datum.value) == value


def test_any_iterable_becomes_a_list(registry: Registry) -> None:
    datum = encode(registry, (text for text in ("a", "b")))
    assert json.loads(datum.value) == ["a", "b"]


def test_none_sends_nothing(registry: Registry) -> None:
    assert encode(registry, None) is None


@pytest.mark.parametrize(
    ("items", "index", "type_name"),
    [
        (["a", b"raw"], 1, "bytes"),
        ([bytearray(b"raw")], 0, "bytearray"),
        (["a", "b", 3], 2, "int"),
        ([None], 0, "NoneType"),
        ([{"a": 1}, 1.5], 1, "float"),
    ],
)
def test_list_item_that_cannot_be_a_message(
    registry: Registry, items: list[Any], index: int, type_name: str
) -> None:
    with pytest.raises(UnsupportedValueError) as info:
        encode(registry, items)
    message = str(info.value)
    assert f"item {index}" in message
    assert type_name in message
    assert isinstance(info.value, EncodeError)
    assert isinstance(info.value, NotImplementedError)


def test_unserialisable_dict_in_a_list_names_its_index(registry: Registry) -> None:
    with pytest.raises(EncodeError, match="item 1"):
        encode(registry, [{"ok": 1}, {"when": datetime(2024, 1, 1)}])


def test_non_utf8_queue_message_body(registry: Registry) -> None:
    # Difference: azure.functions lets the UnicodeDecodeError escape.
    with pytest.raises(UnicodeDecodeError):
        QueueMessageOutConverter.encode([func.QueueMessage(body=b"\xff\xfe")], expected_type=None)
    with pytest.raises(EncodeError, match=r"item 0.*UTF-8"):
        encode(registry, [func.QueueMessage(body=b"\xff\xfe")])


@pytest.mark.parametrize("value", [42, 1.5, True, object(), {"a": {1, 2}}])
def test_values_a_queue_cannot_carry(registry: Registry, value: Any) -> None:
    with pytest.raises(UnsupportedValueError, match="'queue'"):
        encode(registry, value)


@pytest.mark.parametrize(
    "annotation",
    [
        Any,
        str,
        bytes,
        dict,
        list,
        func.QueueMessage,
        azure_abc.QueueMessage,
        list[str],
        typing.List[str],
        list[func.QueueMessage],
        list[dict[str, Any]],
        Optional[str],
        str | bytes,
        func.Out[list[str]],
        func.Out[typing.List[str]],
        func.Out[str],
        func.Out[func.QueueMessage],
    ],
)
def test_accepted_output_annotations(registry: Registry, annotation: Any) -> None:
    assert registry.encoder("queue", annotation) is queue.encode_queue_message
    binding = WorkerRegistry(registry).get("queue")
    assert binding is not None
    assert binding.check_output_type_annotation(annotation)


@pytest.mark.parametrize("annotation", [int, float, list[int], func.HttpResponse, str | int])
def test_rejected_output_annotations(registry: Registry, annotation: Any) -> None:
    with pytest.raises(AnnotationError, match="'queue'"):
        registry.encoder("queue", annotation)


@pytest.mark.parametrize("annotation", [list[bytes], func.Out[typing.List[bytes]]])
def test_list_of_bytes_annotation_says_why(registry: Registry, annotation: Any) -> None:
    # Difference: azure.functions accepts List[bytes] and then fails on every call.
    assert QueueMessageOutConverter.check_output_type_annotation(typing.List[bytes])
    with pytest.raises(NotImplementedError):
        QueueMessageOutConverter.encode([b"raw"], expected_type=None)
    with pytest.raises(AnnotationError, match="cannot hold bytes"):
        registry.encoder("queue", annotation)


def stock_accepts_output(annotation: Any) -> bool:
    """azure.functions' output check, a raise counted as a rejection.

    On Python 3.10 ``list[str]`` passes ``isinstance(..., type)``, so the stock check
    calls ``issubclass`` on it and raises TypeError instead of answering False.
    """
    try:
        return bool(QueueMessageOutConverter.check_output_type_annotation(annotation))
    except TypeError:
        return False


def test_builtin_list_generic_is_accepted(registry: Registry) -> None:
    # Difference: azure.functions accepts typing.List[str] but rejects list[str].
    assert stock_accepts_output(typing.List[str])
    assert not stock_accepts_output(list[str])
    binding = WorkerRegistry(registry).get("queue")
    assert binding is not None
    assert binding.check_output_type_annotation(list[str])


def test_worker_protocol_encode(registry: Registry) -> None:
    binding = WorkerRegistry(registry).get("queue")
    assert binding is not None
    assert not binding.has_trigger_support()
    assert not binding.has_implicit_output()
    datum = binding.encode(["a", {"b": 1}], expected_type=list[str])
    assert datum is not None
    assert json.loads(datum.value) == ["a", {"b": 1}]


# -- hypothesis: encoding ------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=8,
)
message_items = st.one_of(
    st.text(),
    st.dictionaries(st.text(), json_values, max_size=3),
    st.lists(json_values, max_size=3),
)


@given(items=st.lists(message_items, max_size=6))
def test_lists_round_trip_as_one_json_array(items: list[Any]) -> None:
    datum = queue.encode_queue_message(items)
    assert datum is not None and datum.type == "json"
    assert json.loads(datum.value) == items


@given(items=st.lists(st.text(), max_size=6))
def test_lists_of_str_are_byte_identical_to_azure_functions(items: list[str]) -> None:
    stock = QueueMessageOutConverter.encode(items, expected_type=None)
    ours = queue.encode_queue_message(items)
    assert ours is not None
    assert_same_wire(ours, stock)


@given(
    items=st.lists(st.text(), max_size=5),
    bad=st.one_of(st.binary(), st.integers(), st.floats(), st.none(), st.sets(st.integers())),
    data=st.data(),
)
def test_a_bad_item_anywhere_is_named(items: list[str], bad: Any, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(items)))
    items.insert(index, bad)
    with pytest.raises(UnsupportedValueError) as info:
        queue.encode_queue_message(items)
    assert f"item {index}:" in str(info.value)
    assert type(bad).__name__ in str(info.value)


# -- the model's own contract -----------------------------------------------------


def test_model_subclasses_the_azure_functions_classes() -> None:
    assert issubclass(QueueMessage, func.QueueMessage)
    message = QueueMessage(funcbind.Datum("x", "string"))
    assert message.id is None
    assert message.get_body() == b"x"
