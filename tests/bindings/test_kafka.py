"""Kafka: single records and batches, lazy metadata, errors, outputs."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, List, Optional  # noqa: UP035 - typing.List as apps write it

import azure.functions as func
import pytest
from azure.functions import kafka as stock_kafka
from azure.functions.meta import Datum as AzureDatum

from funcbind import DecodeError, UnsupportedDatumError, UnsupportedValueError
from funcbind.bindings.kafka import KafkaEvent
from funcbind.registry import default_registry
from funcbind.worker import WorkerRegistry

WORKER = WorkerRegistry(default_registry())
TRIGGER = WORKER.get("kafkaTrigger")
BINDING = WORKER.get("kafka")

RECORD = '{"Offset":1,"Partition":0,"Topic":"users","Timestamp":"2020-06-20T04:43:28.998Z"}'


def j(value: Any) -> AzureDatum:
    return AzureDatum(json.dumps(value), "json")


def single_metadata() -> dict[str, Any]:
    return {
        "Key": j("user-1"),
        "Offset": j(42),
        "Partition": j(3),
        "Topic": j("orders"),
        "Timestamp": j("2024-05-01T10:00:00.123Z"),
        "Headers": j([{"Key": "trace", "Value": "YWJj"}]),
        "sys": j({"MethodName": "KafkaTrigger"}),
    }


def batch(size: int, **arrays: Any) -> tuple[AzureDatum, dict[str, Any]]:
    items = [f'{{"Value": "v{i}"}}' for i in range(size)]
    metadata = {
        "KeyArray": j([f"k{i}" for i in range(size)]),
        "OffsetArray": AzureDatum(SimpleNamespace(sint64=list(range(size))), "collection_sint64"),
        "PartitionArray": j([0] * size),
        "TimestampArray": j(["2020-06-20T05:06:25.139Z"] * size),
        "TopicArray": AzureDatum(SimpleNamespace(string=["t"] * size), "collection_string"),
        "HeadersArray": j([[]] * size),
    }
    metadata.update(arrays)
    return AzureDatum(SimpleNamespace(string=items), "collection_string"), metadata


FIELDS = ("key", "offset", "partition", "topic", "timestamp", "headers", "metadata")


def test_a_single_record_equals_the_stock_one() -> None:
    for kind, value in (("string", RECORD), ("bytes", RECORD.encode()), ("json", RECORD)):
        ours = TRIGGER.decode(AzureDatum(value, kind), trigger_metadata=single_metadata())
        stock = stock_kafka.KafkaTriggerConverter.decode(
            AzureDatum(value, kind), trigger_metadata=single_metadata()
        )
        assert isinstance(ours, func.KafkaEvent)
        assert ours.get_body() == stock.get_body() == RECORD.encode()
        for name in FIELDS:
            assert getattr(ours, name) == getattr(stock, name), name
    assert ours.offset == 42 and ours.key == "user-1"


def test_a_batch_equals_the_stock_one() -> None:
    data, metadata = batch(3)
    ours = TRIGGER.decode(data, trigger_metadata=metadata)
    stock = stock_kafka.KafkaTriggerConverter.decode(data, trigger_metadata=metadata)
    assert isinstance(ours, list) and len(ours) == 3
    for mine, theirs in zip(ours, stock, strict=True):
        assert isinstance(mine, func.KafkaEvent)
        assert mine.get_body() == theirs.get_body()
        for name in FIELDS:
            assert getattr(mine, name) == getattr(theirs, name), name


def test_a_batch_parses_each_array_once_and_only_when_read() -> None:
    data, metadata = batch(3, KeyArray=AzureDatum("[not json", "json"))
    events = TRIGGER.decode(data, trigger_metadata=metadata)  # nothing parsed yet
    assert events[2].offset == 2
    with pytest.raises(DecodeError, match=r"kafkaTrigger.*'KeyArray'.*expected a JSON array"):
        _ = events[0].key
    assert events[0].topic == "t"
    # Parsed: the arrays read; the unreadable one raises again on every read.
    assert set(events[1]._batch.columns) == {"OffsetArray", "TopicArray"}
    with pytest.raises(DecodeError):
        _ = events[1].key


def test_a_short_array_fails_only_the_field_read_naming_field_and_index() -> None:
    data, metadata = batch(3, PartitionArray=j([0, 1]))
    events = TRIGGER.decode(data, trigger_metadata=metadata)
    assert events[1].partition == 1
    with pytest.raises(DecodeError, match=r"'PartitionArray', index 2: .*\(3\), got 2"):
        _ = events[2].partition
    assert events[2].key == "k2"


def test_missing_arrays_give_none() -> None:
    data, _ = batch(2)
    events = TRIGGER.decode(data, trigger_metadata={})
    assert [e.key for e in events] == [None, None]
    assert events[0].metadata == {}


@pytest.mark.parametrize(
    ("name", "datum", "message"),
    [
        ("Offset", AzureDatum("x", "string"), r"'Offset': expected a whole number, got str 'x'"),
        ("Offset", j(2.5), r"'Offset'.*float 2.5"),
        ("Partition", j(True), r"'Partition'.*bool True"),
        ("Key", AzureDatum(b"k", "bytes"), r"'Key'.*wire type 'bytes'"),
        ("Headers", j({"Key": "a"}), r"'Headers': expected a JSON array"),
        ("Headers", AzureDatum("[1", "string"), r"'Headers'"),
    ],
)
def test_a_bad_field_fails_only_its_read(name: str, datum: Any, message: str) -> None:
    metadata = {name: datum, "Topic": j("t")}
    event = TRIGGER.decode(AzureDatum("v", "string"), trigger_metadata=metadata)
    with pytest.raises(DecodeError, match=message):
        getattr(event, name.lower())
    assert event.topic == "t" and event.get_body() == b"v"


def test_null_fields_are_none_and_numbers_are_read() -> None:
    metadata = {"Key": j(None), "Offset": AzureDatum("12", "string"), "Partition": j(1.0)}
    event = TRIGGER.decode(AzureDatum("v", "string"), trigger_metadata=metadata)
    assert (event.key, event.offset, event.partition) == (None, 12, 1)


def test_the_kafka_input_has_no_metadata() -> None:
    event = BINDING.decode(AzureDatum("v", "string"), trigger_metadata=single_metadata())
    assert (event.key, event.metadata) == (None, None)


@pytest.mark.parametrize("datum", [AzureDatum(1, "int"), AzureDatum(None, None)])
def test_unsupported_wire_kinds_are_not_implemented(datum: Any) -> None:
    with pytest.raises(UnsupportedDatumError) as raised:
        TRIGGER.decode(datum, trigger_metadata={})
    assert isinstance(raised.value, NotImplementedError)


def test_annotations() -> None:
    for annotation in (func.KafkaEvent, List[func.KafkaEvent], list[func.KafkaEvent]):
        assert TRIGGER.check_input_type_annotation(annotation)
    assert TRIGGER.check_input_type_annotation(Optional[func.KafkaEvent])
    for annotation in (str, bytes, list[str], dict, func.EventHubEvent):
        assert not TRIGGER.check_input_type_annotation(annotation)
    for annotation in (str, bytes, List[str], bytearray):
        assert BINDING.check_output_type_annotation(annotation)
    assert not BINDING.check_output_type_annotation(func.KafkaEvent)
    assert not BINDING.check_output_type_annotation(list[bytes])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("record", ("string", "record")),
        (b"raw", ("bytes", b"raw")),
        (bytearray(b"ba"), ("bytes", b"ba")),
        (["a", "b"], ("json", '["a", "b"]')),
        (None, (None, None)),
    ],
)
def test_outputs(value: Any, expected: tuple[Any, Any]) -> None:
    with pytest.raises(NotImplementedError):  # azure.functions refuses every value
        stock_kafka.KafkaConverter.encode(value, expected_type=None)
    datum = BINDING.encode(value, expected_type=None)
    assert (datum.type, datum.value) == expected


@pytest.mark.parametrize(("value", "message"), [([b"x"], "item 0"), ({"a": 1}, "got dict")])
def test_unsupported_outputs_name_the_binding(value: Any, message: str) -> None:
    with pytest.raises(UnsupportedValueError, match=f"kafka.*{message}"):
        BINDING.encode(value)


def test_the_model_is_an_instance_of_the_stock_class() -> None:
    assert issubclass(KafkaEvent, func.KafkaEvent)
    event = KafkaEvent(AzureDatum(b"x", "bytes"))
    assert event.get_body() == b"x" and event.key is None and event.metadata is None
