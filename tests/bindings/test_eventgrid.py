"""Event Grid: the lazy models, the choice of class, outputs, errors."""

from __future__ import annotations

import json
import operator
import typing
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import azure.functions as func
import pytest
from azure.functions import eventgrid as stock_eventgrid
from azure.functions.meta import Datum as AzureDatum

from funcbind import DecodeError, UnsupportedDatumError, UnsupportedValueError
from funcbind.bindings.eventgrid import CloudEvent, EventGridEvent
from funcbind.registry import default_registry
from funcbind.worker import WorkerRegistry

WORKER = WorkerRegistry(default_registry())
TRIGGER = WORKER.get("eventGridTrigger")
OUTPUT = WORKER.get("eventGrid")

EVENT = {
    "topic": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a",
    "subject": "/blobServices/default/containers/c/blobs/b.txt",
    "eventType": "Microsoft.Storage.BlobCreated",
    "eventTime": "2017-06-26T18:41:00.9584103Z",
    "id": "831e1650-001e-001b-66ab-eeb76e069631",
    "data": {"api": "PutBlockList", "contentLength": 524288},
    "dataVersion": "",
    "metadataVersion": "1",
}
CLOUD = {
    "specversion": "1.0",
    "type": "Microsoft.Storage.BlobCreated",
    "source": "/subscriptions/s",
    "id": "9aeb0fdf",
    "time": "2019-11-18T15:13:39.4589254Z",
    "subject": "blobs/new-file.txt",
    "datacontenttype": "application/json",
    "data": {"api": "PutBlockList"},
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
}


def decode(payload: Any, kind: str = "json") -> Any:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    value: Any = text.encode() if kind == "bytes" else text
    return TRIGGER.decode(AzureDatum(value, kind), trigger_metadata={})


def stock_decode(payload: Any) -> Any:
    datum = AzureDatum(json.dumps(payload), "json")
    return stock_eventgrid.EventGridEventInConverter.decode(datum, trigger_metadata={})


def test_an_event_grid_event_equals_the_stock_one() -> None:
    ours, stock = decode(EVENT), stock_decode(EVENT)
    assert isinstance(ours, func.EventGridEvent) and type(stock) is func.EventGridEvent
    for name in ("id", "topic", "subject", "event_type", "event_time", "data_version"):
        assert getattr(ours, name) == getattr(stock, name), name
    assert ours.get_json() == stock.get_json()
    assert ours.event_time == datetime(2017, 6, 26, 18, 41, 0, 958410, tzinfo=timezone.utc)


def test_a_cloud_event_keeps_its_extension_attributes() -> None:
    ours, stock = decode(CLOUD), stock_decode(CLOUD)
    assert isinstance(ours, func.CloudEvent) and not isinstance(ours, func.EventGridEvent)
    assert ours.extension_attrs == stock.extension_attrs == {"traceparent": CLOUD["traceparent"]}
    for name in ("id", "source", "type", "specversion", "time", "subject", "datacontenttype"):
        assert getattr(ours, name) == getattr(stock, name), name
    assert ours.dataschema is None
    ours.extension_attrs["x"] = 1  # a copy per call, as in azure.functions
    assert "x" not in ours.extension_attrs


def test_the_time_is_parsed_on_first_read_only() -> None:
    event = decode(dict(EVENT, eventTime="not a time"))
    assert event.id == EVENT["id"]  # the decode and the other fields are fine
    with pytest.raises(DecodeError, match=r"eventGridTrigger.*'eventTime'.*not a time"):
        _ = event.event_time
    cloud = decode(dict(CLOUD, time=5))
    with pytest.raises(DecodeError, match=r"'time'.*int 5"):
        _ = cloud.time


def test_offsets_are_kept() -> None:
    event = decode(dict(EVENT, eventTime="2024-01-02T03:04:05+05:30"))
    assert event.event_time.utcoffset() == timedelta(hours=5, minutes=30)


@pytest.mark.parametrize("kind", ["string", "bytes"])
def test_text_payloads_are_read(kind: str) -> None:
    assert decode(EVENT, kind).id == EVENT["id"]


@pytest.mark.parametrize("payload", ["[1]", '"specversion"', "3", "{not json"])
def test_a_payload_that_is_no_event_object_names_the_binding(payload: str) -> None:
    with pytest.raises(DecodeError, match="eventGridTrigger"):
        decode(payload)


def test_unsupported_wire_kinds_are_not_implemented() -> None:
    with pytest.raises(UnsupportedDatumError) as raised:
        TRIGGER.decode(AzureDatum(1, "int"), trigger_metadata={})
    assert isinstance(raised.value, NotImplementedError)


def test_annotations() -> None:
    for annotation in (func.EventGridEvent, func.CloudEvent, Optional[func.EventGridEvent]):
        assert TRIGGER.check_input_type_annotation(annotation)
    for annotation in (dict, list[func.EventGridEvent], func.QueueMessage, typing.Any):
        assert TRIGGER.check_input_type_annotation(annotation) is (annotation is typing.Any)
    assert not TRIGGER.check_output_type_annotation(str)
    for annotation in (str, bytes, func.EventGridOutputEvent, list[func.EventGridOutputEvent]):
        assert OUTPUT.check_output_type_annotation(annotation)
    assert OUTPUT.check_output_type_annotation(dict)  # the stock check raises TypeError here
    assert not OUTPUT.check_output_type_annotation(int)


def output_event(**changes: Any) -> func.EventGridOutputEvent:
    fields: dict[str, Any] = {
        "id": "id1",
        "data": {"tag": "v"},
        "subject": "s",
        "event_type": "t",
        "event_time": datetime(2020, 4, 22, 18, 19, 19),
        "data_version": "1",
    }
    fields.update(changes)
    return func.EventGridOutputEvent(**fields)


@pytest.mark.parametrize(
    "value",
    [
        "text",
        b"raw",
        output_event(),
        output_event(event_time=None),
        [output_event(), output_event(id="id2")],
        ["a", output_event()],
        ("a", "b"),
    ],
)
def test_outputs_are_the_stock_wire_values(value: Any) -> None:
    stock = stock_eventgrid.EventGridEventOutConverter.encode(value, expected_type=None)
    ours = OUTPUT.encode(value, expected_type=None)
    assert (ours.type, ours.value) == (stock.type, stock.value)


def test_outputs_beyond_the_stock_ones() -> None:
    assert OUTPUT.encode({"id": "x"}).value == '{"id": "x"}'
    assert OUTPUT.encode([{"id": "x"}, "y"]).value == '[{"id": "x"}, "y"]'
    datum = OUTPUT.encode(memoryview(b"mv"))
    assert (datum.type, datum.value) == ("bytes", b"mv")
    assert OUTPUT.encode(None).type is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (3, r"eventGrid.*got int 3"),
        ([b"x"], r"item 0.*cannot hold bytes"),
        ([object()], r"item 0"),
        (output_event(data={1j}), r"JSON-serialisable"),
    ],
)
def test_unsupported_outputs_name_the_binding(value: Any, message: str) -> None:
    with pytest.raises(UnsupportedValueError, match=message) as raised:
        OUTPUT.encode(value)
    assert isinstance(raised.value, NotImplementedError)


def test_models_are_instances_of_the_stock_classes() -> None:
    assert issubclass(EventGridEvent, func.EventGridEvent)
    assert issubclass(CloudEvent, func.CloudEvent)
    assert "__dict__" not in EventGridEvent.__slots__


def test_output_events_read_through_properties_when_attributes_move(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from funcbind.bindings import eventgrid

    expected = OUTPUT.encode(output_event()).value
    gone = ("_EventGridOutputEvent__gone",) * 6
    monkeypatch.setattr(eventgrid, "_stock_fields", operator.itemgetter(*gone))
    assert OUTPUT.encode(output_event()).value == expected
