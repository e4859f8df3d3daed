"""funcbind.testing.events: the wire inputs the host sends, accepted by both registries."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import azure.functions as func
import pytest

from funcbind import get_binding_registry
from funcbind.datum import Datum
from funcbind.testing import events
from funcbind.testing.events import EventError

MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def stock_decode(event: events.Event) -> object:
    """azure.functions' own converter on the event: the stock worker's view of it."""
    from azure.functions import meta

    converter = meta.get_binding_registry().get(event.trigger_type)
    return converter.decode(event.payload, trigger_metadata=event.metadata)


def funcbind_decode(event: events.Event) -> object:
    converter = get_binding_registry().get(event.trigger_type)
    return converter.decode(event.payload, trigger_metadata=event.metadata)


def test_http_request_as_the_host_fills_it() -> None:
    event = events.http(
        "post",
        "/api/orders?tag=a",
        params={"tag": ["b", "c"], "empty": ""},
        headers={"X-Trace": "1", "Accept": "text/plain"},
        json={"id": 7},
        route_params={"id": "7"},
    )
    value = event.payload.value
    assert event.trigger_type == "httpTrigger" and event.payload.type == "http"
    assert value["method"].value == "POST"
    assert value["url"].value == "http://localhost:7071/api/orders?tag=a&tag=b&tag=c&empty="
    assert value["query"] == {"tag": Datum("a,b,c", "string")}  # joined, empty dropped
    assert {k: d.value for k, d in value["headers"].items()} == {
        "host": "localhost:7071",
        "x-trace": "1",
        "accept": "text/plain",
        "content-length": "9",
        "content-type": "application/json",
    }
    assert value["body"] == Datum(b'{"id": 7}', "bytes")
    assert value["params"] == {"id": Datum("7", "string")}
    assert set(event.metadata) == {"tag", "id"}


@pytest.mark.parametrize("decode", [stock_decode, funcbind_decode], ids=["stock", "funcbind"])
def test_http_event_decodes_with_both_registries(decode: object) -> None:
    event = events.http("GET", "/api/hello", params={"name": "Ann"}, headers={"X-A": "1"})
    request = decode(event)  # type: ignore[operator]
    assert isinstance(request, func.HttpRequest)
    assert request.method == "GET" and request.params["name"] == "Ann"
    assert request.headers["x-a"] == "1" and request.get_body() == b""


@pytest.mark.parametrize("decode", [stock_decode, funcbind_decode], ids=["stock", "funcbind"])
def test_queue_event_decodes_with_both_registries(decode: object) -> None:
    event = events.queue(
        {"id": 2}, id="m-1", pop_receipt="r-1", dequeue_count=3, insertion_time=MOMENT
    )
    message = decode(event)  # type: ignore[operator]
    assert isinstance(message, func.QueueMessage)
    assert message.get_json() == {"id": 2}
    assert (message.id, message.pop_receipt, message.dequeue_count) == ("m-1", "r-1", 3)
    assert message.insertion_time == MOMENT
    assert message.expiration_time == datetime(2026, 1, 9, 3, 4, 5, tzinfo=timezone.utc)


def test_queue_bodies_arrive_as_the_host_sends_them() -> None:
    assert events.queue("text").payload == Datum("text", "string")
    assert events.queue(b"caf\xc3\xa9").payload == Datum("café", "string")
    assert events.queue(b"\xff\x00").payload == Datum(b"\xff\x00", "bytes")
    assert events.queue(b"\xff").admin_input is None
    assert events.queue([1, 2]).payload == Datum("[1, 2]", "string")
    assert events.queue({"a": 1}).admin_body() == {"input": {"a": 1}}
    assert "sys" not in events.queue().metadata


@pytest.mark.parametrize("decode", [stock_decode, funcbind_decode], ids=["stock", "funcbind"])
def test_blob_event_decodes_with_both_registries(decode: object) -> None:
    event = events.blob(
        "samples/report.csv", b"id,total\n", content_type="text/csv", metadata={"owner": "ann"}
    )
    stream = decode(event)  # type: ignore[operator]
    assert isinstance(stream, func.InputStream)
    assert stream.read() == b"id,total\n"
    assert stream.name == "samples/report.csv" and stream.length == 9
    assert stream.uri == "http://127.0.0.1:10000/devstoreaccount1/samples/report.csv"


def test_blob_properties_and_metadata() -> None:
    event = events.blob("c/n.txt", "hi", metadata={"k": "v"}, last_modified=MOMENT, as_string=True)
    assert event.payload == Datum("hi", "string")
    properties = json.loads(event.metadata["Properties"].value)
    assert properties["ContentLength"] == 2 and properties["LastModified"] == MOMENT.isoformat()
    assert properties["ETag"].startswith('"0x')
    assert json.loads(event.metadata["Metadata"].value) == {"k": "v"}
    assert event.admin_body() == {"input": "c/n.txt"}


@pytest.mark.parametrize("decode", [stock_decode, funcbind_decode], ids=["stock", "funcbind"])
def test_timer_event_decodes_with_both_registries(decode: object) -> None:
    event = events.timer(past_due=True, last=MOMENT, next=MOMENT, last_updated=MOMENT)
    timer = decode(event)  # type: ignore[operator]
    assert isinstance(timer, func.TimerRequest) and timer.past_due is True
    assert timer.schedule_status["Last"] == MOMENT.isoformat()


def test_timer_without_a_status() -> None:
    info = json.loads(events.timer(schedule_status=False).payload.value)
    assert info == {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": None, "IsPastDue": False}


def test_kinds_table_and_build() -> None:
    assert sorted(events.KINDS) == ["blob", "http", "queue", "timer"]
    assert events.for_trigger("QUEUETRIGGER") is events.KINDS["queue"]
    assert events.for_trigger("kafkaTrigger") is None
    assert events.build("queue", body="x").payload == Datum("x", "string")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: events.kind("kafka"), "one of blob, http, queue, timer, got 'kafka'"),
        (lambda: events.build("timer", pastdue=True), "got 'pastdue'"),
        (lambda: events.queue(dequeue_count=0), "at least 1, got 0"),
        (lambda: events.queue(object()), "expected the body as text, bytes or a JSON value"),
        (lambda: events.blob("nocontainer"), "expected a path 'container/name'"),
        (lambda: events.http("GET", "ftp://x/y"), "expected an http(s) URL or a path"),
        (lambda: events.http(body=b"x", json={}), "expected body or json, got both"),
        (lambda: events.http(headers={"a": 1}), "header names and values as text"),  # type: ignore[dict-item]
    ],
)
def test_bad_fields_are_named(build: object, message: str) -> None:
    with pytest.raises(EventError) as caught:
        build()  # type: ignore[operator]
    assert message in str(caught.value)


def test_wire_form_is_json() -> None:
    wire = events.http("GET", "/x", body="hé").wire()
    text = json.dumps(wire)
    assert json.loads(text)["payload"]["value"]["body"] == {"type": "bytes", "value": "hé"}
