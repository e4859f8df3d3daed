"""Event Hubs and Service Bus triggers: batches and messages with full trigger metadata."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest
from azure.functions.eventhub import EventHubTriggerConverter
from azure.functions.meta import Datum
from azure.functions.servicebus import ServiceBusMessageInConverter

from benchmarks._memory import peak_memory
from funcbind.bindings import eventhub, generic, servicebus
from funcbind.registry import Registry

IMPLS = ["azure.functions", "funcbind"]

# A batch of 100 events as the host sends it (cardinality many): the bodies in one
# collection_bytes message, each event's system properties in SystemPropertiesArray.
BATCH = 100
BODIES = [
    json.dumps({"deviceId": f"sensor-{n % 7}", "temperature": 20 + n % 9}).encode()
    for n in range(BATCH)
]
SYSTEM_PROPERTIES = [
    {
        "x-opt-sequence-number": 5000 + n,
        "x-opt-offset": str(4096 * n),
        "x-opt-enqueued-time": "2024-06-18T09:15:27.461Z",
        "SequenceNumber": 5000 + n,
        "Offset": str(4096 * n),
        "PartitionKey": f"sensor-{n % 7}",
        "EnqueuedTimeUtc": "2024-06-18T09:15:27.461Z",
        "iothub-connection-device-id": f"sensor-{n % 7}",
        "iothub-enqueuedtime": "2024-06-18T09:15:27.461Z",
    }
    for n in range(BATCH)
]
EVENTS = Datum(SimpleNamespace(bytes=BODIES), "collection_bytes")
EVENT_METADATA = {
    "SystemPropertiesArray": Datum(json.dumps(SYSTEM_PROPERTIES), "json"),
    "PartitionContext": Datum(
        '{"ConsumerGroupName":"$Default","EventHubPath":"telemetry","PartitionId":"0"}', "json"
    ),
    "sys": Datum(
        '{"MethodName":"ingest","UtcNow":"2024-06-18T09:15:27.8940305Z",'
        '"RandGuid":"db413fd6-8411-4e51-844c-c9b5345e537d"}',
        "json",
    ),
}

# One Service Bus message with every property the extension sends.
MESSAGE = Datum('{"orderId": 1042, "sku": "SKU-0007", "quantity": 3}', "string")
MESSAGE_ID = "abcee18397398d93891830a0aac89eed"
MESSAGE_METADATA = {
    "ContentType": Datum("application/json", "string"),
    "CorrelationId": Datum("87c66eaf88e84119b66a26278a7b4149", "string"),
    "DeadLetterErrorDescription": Datum("", "string"),
    "DeadLetterReason": Datum("", "string"),
    "DeadLetterSource": Datum("", "string"),
    "DeliveryCount": Datum(1, "int"),
    "EnqueuedSequenceNumber": Datum(15, "int"),
    "EnqueuedTimeUtc": Datum("2024-06-18T09:15:27.4610507Z", "string"),
    "ExpiresAtUtc": Datum("2024-06-19T09:15:27.4610507Z", "string"),
    "Label": Datum("order", "string"),
    "LockedUntil": Datum("2024-06-18T09:16:27.4610507Z", "string"),
    "LockToken": Datum("87931fd2-39f4-415a-9fdc-adfdcbed3148", "string"),
    "MessageId": Datum(MESSAGE_ID, "string"),
    "PartitionKey": Datum("orders", "string"),
    "ReplyTo": Datum("replies", "string"),
    "ReplyToSessionId": Datum("reply-session", "string"),
    "ScheduledEnqueueTimeUtc": Datum("2024-06-18T09:15:27Z", "string"),
    "SequenceNumber": Datum(38291, "int"),
    "SessionId": Datum("session-1", "string"),
    "State": Datum(0, "int"),
    "Subject": Datum("order", "string"),
    "TimeToLive": Datum("23:59:59", "string"),
    "To": Datum("orders", "string"),
    "TransactionPartitionKey": Datum("orders", "string"),
    "ApplicationProperties": Datum('{"tenant": "contoso"}', "json"),
    "UserProperties": Datum('{"$AzureWebJobsParentId": "6ceef68b", "priority": 2}', "json"),
    "sys": Datum('{"MethodName":"orders","UtcNow":"2024-06-18T09:15:27.8940305Z"}', "json"),
}
MESSAGE_BODY = MESSAGE.value.encode()
MESSAGE_DATETIMES = (
    datetime(2024, 6, 18, 9, 15, 27, 461050, timezone.utc),
    datetime(2024, 6, 19, 9, 15, 27, 461050, timezone.utc),
    datetime(2024, 6, 18, 9, 16, 27, 461050, timezone.utc),
    datetime(2024, 6, 18, 9, 15, 27, tzinfo=timezone.utc),
)
TIME_TO_LIVE = timedelta(hours=23, minutes=59, seconds=59)

_REGISTRY = Registry()
for _module in (generic, eventhub, servicebus):
    _module.register(_REGISTRY)
DECODE_EVENTS = _REGISTRY.decoder("eventHubTrigger", list[func.EventHubEvent])
DECODE_MESSAGE = _REGISTRY.decoder("serviceBusTrigger", func.ServiceBusMessage)


def _decode_events(impl: str) -> Callable[[], Any]:
    if impl == "azure.functions":
        return lambda: EventHubTriggerConverter.decode(EVENTS, trigger_metadata=EVENT_METADATA)
    return lambda: DECODE_EVENTS(EVENTS, EVENT_METADATA)


def _decode_message(impl: str) -> Callable[[], Any]:
    if impl == "azure.functions":
        return lambda: ServiceBusMessageInConverter.decode(
            MESSAGE, trigger_metadata=MESSAGE_METADATA
        )
    return lambda: DECODE_MESSAGE(MESSAGE, MESSAGE_METADATA)


@pytest.mark.benchmark(group="eventhub: decode batch of 100")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_batch(benchmark: Any, impl: str) -> None:
    decode = _decode_events(impl)
    events = benchmark(decode)
    # Checked after timing: reading the events is the next benchmark's work.
    assert [event.get_body() for event in events] == BODIES
    assert events[99].sequence_number == 5099
    benchmark.extra_info["peak_bytes"] = peak_memory(decode)


@pytest.mark.benchmark(group="eventhub: decode batch of 100 + every body")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_batch_bodies(benchmark: Any, impl: str) -> None:
    decode = _decode_events(impl)

    def run() -> list[bytes]:
        return [event.get_body() for event in decode()]

    assert benchmark(run) == BODIES
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="eventhub: decode batch of 100 + every body and sequence number")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_batch_bodies_sequence_numbers(benchmark: Any, impl: str) -> None:
    decode = _decode_events(impl)

    def run() -> list[tuple[bytes, Any]]:
        return [(event.get_body(), event.sequence_number) for event in decode()]

    expected = [(body, 5000 + n) for n, body in enumerate(BODIES)]
    assert benchmark(run) == expected
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="servicebus: decode + body + message_id")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_message(benchmark: Any, impl: str) -> None:
    decode = _decode_message(impl)

    def run() -> tuple[bytes, Any]:
        message = decode()
        return message.get_body(), message.message_id

    assert benchmark(run) == (MESSAGE_BODY, MESSAGE_ID)
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="servicebus: decode + body + message_id + 4 datetimes")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_message_datetimes(benchmark: Any, impl: str) -> None:
    decode = _decode_message(impl)

    def run() -> tuple[Any, ...]:
        message = decode()
        return (
            message.get_body(),
            message.message_id,
            message.enqueued_time_utc,
            message.expires_at_utc,
            message.locked_until,
            message.scheduled_enqueue_time_utc,
        )

    assert benchmark(run) == (MESSAGE_BODY, MESSAGE_ID, *MESSAGE_DATETIMES)
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="servicebus: decode + every property")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_message_every_property(benchmark: Any, impl: str) -> None:
    decode = _decode_message(impl)

    def run() -> tuple[Any, ...]:
        message = decode()
        return (
            message.get_body(),
            message.message_id,
            message.time_to_live,
            message.user_properties,
            message.application_properties,
            *(getattr(message, name) for name in _PROPERTIES),
        )

    result = benchmark(run)
    assert result[:5] == (
        MESSAGE_BODY,
        MESSAGE_ID,
        TIME_TO_LIVE,
        {"$AzureWebJobsParentId": "6ceef68b", "priority": 2},
        {"tenant": "contoso"},
    )
    assert result[5:9] == MESSAGE_DATETIMES
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


_PROPERTIES = (
    "enqueued_time_utc",
    "expires_at_utc",
    "locked_until",
    "scheduled_enqueue_time_utc",
    "content_type",
    "correlation_id",
    "dead_letter_error_description",
    "dead_letter_reason",
    "dead_letter_source",
    "delivery_count",
    "enqueued_sequence_number",
    "label",
    "lock_token",
    "partition_key",
    "reply_to",
    "reply_to_session_id",
    "sequence_number",
    "session_id",
    "state",
    "subject",
    "to",
    "transaction_partition_key",
)


@pytest.mark.benchmark(group="eventhub: decode batch of 100 + sequence numbers and metadata")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_batch_fields_and_metadata(benchmark: Any, impl: str) -> None:
    # What a function that logs its batch reads: a field of each event, and the trigger
    # metadata (SystemPropertiesArray included) that the events of a batch share.
    decode = _decode_events(impl)

    def run() -> list[tuple[Any, int]]:
        return [
            (event.sequence_number, len(event.metadata["SystemPropertiesArray"]))
            for event in decode()
        ]

    assert benchmark(run) == [(5000 + n, BATCH) for n in range(BATCH)]
    benchmark.extra_info["peak_bytes"] = peak_memory(run)
