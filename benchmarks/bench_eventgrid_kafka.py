"""Event Grid and Kafka triggers: decoding and reading, the same wire input on both sides."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest
from azure.functions.eventgrid import EventGridEventInConverter, EventGridEventOutConverter
from azure.functions.kafka import KafkaTriggerConverter
from azure.functions.meta import Datum

from benchmarks._memory import peak_memory
from funcbind.bindings import eventgrid, kafka
from funcbind.registry import Registry

IMPLS = ["azure.functions", "funcbind"]

_REGISTRY = Registry()
for _module in (eventgrid, kafka):
    _module.register(_REGISTRY)

# -- Event Grid ---------------------------------------------------------------------------

# A Storage BlobCreated event as the host sends it: one json Datum, 7 fraction digits.
BLOB_CREATED = {
    "topic": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
    "Microsoft.Storage/storageAccounts/acct",
    "subject": "/blobServices/default/containers/images/blobs/cat.png",
    "eventType": "Microsoft.Storage.BlobCreated",
    "eventTime": "2017-06-26T18:41:00.9584103Z",
    "id": "831e1650-001e-001b-66ab-eeb76e069631",
    "data": {
        "api": "PutBlockList",
        "clientRequestId": "6d79dbfb-0e37-4fc4-981f-442c9ca65760",
        "requestId": "831e1650-001e-001b-66ab-eeb76e000000",
        "eTag": "0x8D4BCC2E4835CD0",
        "contentType": "image/png",
        "contentLength": 524288,
        "blobType": "BlockBlob",
        "url": "https://acct.blob.core.windows.net/images/cat.png",
        "sequencer": "00000000000004420000000000028963",
        "storageDiagnostics": {"batchId": "b68529f3-68cd-4744-baa4-3c0498ec19f0"},
    },
    "dataVersion": "",
    "metadataVersion": "1",
}
EVENT = Datum(json.dumps(BLOB_CREATED), "json")
EVENT_FIELDS = (
    BLOB_CREATED["id"],
    BLOB_CREATED["topic"],
    BLOB_CREATED["subject"],
    BLOB_CREATED["eventType"],
    datetime(2017, 6, 26, 18, 41, 0, 958410, timezone.utc),
    "",
    BLOB_CREATED["data"],
)
DECODE_EVENT = _REGISTRY.decoder("eventGridTrigger", func.EventGridEvent)


def _decode_event(impl: str) -> Callable[[], Any]:
    if impl == "azure.functions":
        return lambda: EventGridEventInConverter.decode(EVENT, trigger_metadata={})
    return lambda: DECODE_EVENT(EVENT, {})


@pytest.mark.benchmark(group="eventgrid: decode + read every field")
@pytest.mark.parametrize("impl", IMPLS)
def test_event_grid_decode_and_read(benchmark: Any, impl: str) -> None:
    decode = _decode_event(impl)

    def run() -> tuple[Any, ...]:
        event = decode()
        return (
            event.id,
            event.topic,
            event.subject,
            event.event_type,
            event.event_time,
            event.data_version,
            event.get_json(),
        )

    assert benchmark(run) == EVENT_FIELDS
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="eventgrid: decode + id + data")
@pytest.mark.parametrize("impl", IMPLS)
def test_event_grid_decode_id_data(benchmark: Any, impl: str) -> None:
    decode = _decode_event(impl)

    def run() -> tuple[Any, Any]:
        event = decode()
        return event.id, event.get_json()

    assert benchmark(run) == (EVENT_FIELDS[0], EVENT_FIELDS[-1])


OUTPUT_EVENTS = [
    func.EventGridOutputEvent(
        id=f"id-{n}",
        data={"n": n, "tags": ["a", "b"]},
        subject=f"orders/{n}",
        event_type="Contoso.Order.Created",
        event_time=datetime(2024, 5, 1, 10, 0, n, tzinfo=timezone.utc),
        data_version="1.0",
    )
    for n in range(10)
]
ENCODE_EVENTS = _REGISTRY.encoder("eventGrid", func.Out[list[func.EventGridOutputEvent]])


@pytest.mark.benchmark(group="eventgrid: encode 10 output events")
@pytest.mark.parametrize("impl", IMPLS)
def test_event_grid_encode(benchmark: Any, impl: str) -> None:
    if impl == "azure.functions":
        encode: Callable[[], Any] = lambda: EventGridEventOutConverter.encode(  # noqa: E731
            OUTPUT_EVENTS, expected_type=None
        )
    else:
        encode = lambda: ENCODE_EVENTS(OUTPUT_EVENTS)  # noqa: E731
    datum = benchmark(encode)
    assert (datum.type, len(json.loads(datum.value))) == ("json", 10)


# -- Kafka -------------------------------------------------------------------------------

# One record as the Kafka extension sends it to a Python worker: the record as JSON text,
# metadata as json (numbers, quoted texts, headers with base64 values).
RECORD = json.dumps(
    {
        "Offset": 42,
        "Partition": 3,
        "Topic": "orders",
        "Timestamp": "2024-05-01T10:00:00.123Z",
        "Value": json.dumps({"orderId": 1042, "sku": "SKU-0007", "quantity": 3}),
        "Headers": [{"Key": "trace", "Value": "YWJj"}],
    }
)
SINGLE = Datum(RECORD, "string")
SINGLE_METADATA = {
    "Key": Datum('"user-1"', "json"),
    "Offset": Datum("42", "json"),
    "Partition": Datum("3", "json"),
    "Topic": Datum('"orders"', "json"),
    "Timestamp": Datum('"2024-05-01T10:00:00.123Z"', "json"),
    "Headers": Datum('[{"Key": "trace", "Value": "YWJj"}]', "json"),
    "sys": Datum('{"MethodName":"KafkaTrigger","UtcNow":"2024-05-01T10:00:01.5Z"}', "json"),
}
DECODE_KAFKA = _REGISTRY.decoder("kafkaTrigger", func.KafkaEvent)
DECODE_BATCH = _REGISTRY.decoder("kafkaTrigger", list[func.KafkaEvent])


def _decode_kafka(impl: str, datum: Any, metadata: Any) -> Callable[[], Any]:
    if impl == "azure.functions":
        return lambda: KafkaTriggerConverter.decode(datum, trigger_metadata=metadata)
    decoder = DECODE_KAFKA
    return lambda: decoder(datum, metadata)


@pytest.mark.benchmark(group="kafka: decode one + body + key + offset")
@pytest.mark.parametrize("impl", IMPLS)
def test_kafka_single_body(benchmark: Any, impl: str) -> None:
    decode = _decode_kafka(impl, SINGLE, SINGLE_METADATA)

    def run() -> tuple[Any, ...]:
        event = decode()
        return event.get_body(), event.key, event.offset

    assert benchmark(run) == (RECORD.encode(), "user-1", 42)


@pytest.mark.benchmark(group="kafka: decode one + every field")
@pytest.mark.parametrize("impl", IMPLS)
def test_kafka_single_every_field(benchmark: Any, impl: str) -> None:
    decode = _decode_kafka(impl, SINGLE, SINGLE_METADATA)

    def run() -> tuple[Any, ...]:
        event = decode()
        return (
            event.get_body(),
            event.key,
            event.offset,
            event.partition,
            event.topic,
            event.timestamp,
            event.headers,
        )

    expected = (RECORD.encode(), "user-1", 42, 3, "orders", "2024-05-01T10:00:00.123Z")
    assert benchmark(run) == (*expected, [{"Key": "trace", "Value": "YWJj"}])


BATCH_SIZE = 100
BATCH_ITEMS = [RECORD.replace('"Offset": 42', f'"Offset": {n}') for n in range(BATCH_SIZE)]
BATCH = Datum(SimpleNamespace(string=BATCH_ITEMS), "collection_string")
BATCH_METADATA = {
    "KeyArray": Datum(json.dumps([f"user-{n}" for n in range(BATCH_SIZE)]), "json"),
    "OffsetArray": Datum(SimpleNamespace(sint64=list(range(BATCH_SIZE))), "collection_sint64"),
    "PartitionArray": Datum(json.dumps([3] * BATCH_SIZE), "json"),
    "TimestampArray": Datum(json.dumps(["2024-05-01T10:00:00.123Z"] * BATCH_SIZE), "json"),
    "TopicArray": Datum(SimpleNamespace(string=["orders"] * BATCH_SIZE), "collection_string"),
    "HeadersArray": Datum(json.dumps([[{"Key": "trace", "Value": "YWJj"}]] * BATCH_SIZE), "json"),
    "sys": Datum('{"MethodName":"KafkaTriggerMany"}', "json"),
}


@pytest.mark.benchmark(group="kafka: decode batch of 100 + every body")
@pytest.mark.parametrize("impl", IMPLS)
def test_kafka_batch_bodies(benchmark: Any, impl: str) -> None:
    decode = _decode_kafka(impl, BATCH, BATCH_METADATA)

    def run() -> list[bytes]:
        return [event.get_body() for event in decode()]

    assert benchmark(run) == [item.encode() for item in BATCH_ITEMS]
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="kafka: decode batch of 100 + body, key, offset, partition")
@pytest.mark.parametrize("impl", IMPLS)
def test_kafka_batch_fields(benchmark: Any, impl: str) -> None:
    decode = _decode_kafka(impl, BATCH, BATCH_METADATA)

    def run() -> list[tuple[Any, ...]]:
        return [(e.get_body(), e.key, e.offset, e.partition) for e in decode()]

    expected = [(item.encode(), f"user-{n}", n, 3) for n, item in enumerate(BATCH_ITEMS)]
    assert benchmark(run) == expected
