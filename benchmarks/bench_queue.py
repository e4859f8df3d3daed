"""Queue and timer triggers: decoding with trigger metadata, and queue output lists."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import azure.functions as func
import pytest
from azure.functions.meta import Datum
from azure.functions.queue import QueueMessageInConverter, QueueMessageOutConverter
from azure.functions.timer import TimerRequestConverter

from benchmarks._memory import peak_memory
from funcbind.bindings import generic, queue, timer
from funcbind.registry import Registry

IMPLS = ["azure.functions", "funcbind"]

# What the host sends for one queue message: a string payload and the six metadata
# fields (DequeueCount as json, datetimes JSON-quoted with 7 fractional digits).
PAYLOAD = Datum('{"orderId": 1042, "sku": "SKU-0007", "quantity": 3}', "string")
METADATA = {
    "Id": Datum("5f1c3a52-8f0e-4c1b-9a55-1d2c3e4f5a6b", "string"),
    "PopReceipt": Datum("AgAAAAMAAAAAAAAAhZ3G/2TB2gE=", "string"),
    "DequeueCount": Datum("1", "json"),
    "ExpirationTime": Datum('"9999-12-31T23:59:59.9999999+00:00"', "json"),
    "InsertionTime": Datum('"2024-06-18T09:15:27.4610507+00:00"', "json"),
    "NextVisibleTime": Datum('"2024-06-18T09:25:27.4610507+00:00"', "json"),
}
BODY = PAYLOAD.value.encode()
DATETIMES = (
    datetime(9999, 12, 31, 23, 59, 59, 999999, timezone.utc),
    datetime(2024, 6, 18, 9, 15, 27, 461050, timezone.utc),
    datetime(2024, 6, 18, 9, 25, 27, 461050, timezone.utc),
)

TIMER = Datum(
    '{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2024-06-18T09:10:00.0063718'
    '+00:00","Next":"2024-06-18T09:15:00+00:00","LastUpdated":"2024-06-18T09:10:00.0063718'
    '+00:00"},"IsPastDue":false}',
    "json",
)

ORDERS = [{"orderId": n, "sku": f"SKU-{n:04d}", "quantity": n % 5 + 1} for n in range(3)]

_REGISTRY = Registry()
for _module in (generic, queue, timer):
    _module.register(_REGISTRY)
DECODE_QUEUE = _REGISTRY.decoder("queueTrigger", func.QueueMessage)
ENCODE_QUEUE = _REGISTRY.encoder("queue", func.Out[list[dict[str, Any]]])
DECODE_TIMER = _REGISTRY.decoder("timerTrigger", func.TimerRequest)


def _decode(impl: str) -> Callable[[], Any]:
    if impl == "azure.functions":
        return lambda: QueueMessageInConverter.decode(PAYLOAD, trigger_metadata=METADATA)
    return lambda: DECODE_QUEUE(PAYLOAD, METADATA)


@pytest.mark.benchmark(group="queue: decode + id + body")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_id_body(benchmark: Any, impl: str) -> None:
    decode = _decode(impl)

    def run() -> tuple[Any, bytes]:
        message = decode()
        return message.id, message.get_body()

    assert benchmark(run) == ("5f1c3a52-8f0e-4c1b-9a55-1d2c3e4f5a6b", BODY)
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="queue: decode + id + body + 3 datetimes")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_id_body_datetimes(benchmark: Any, impl: str) -> None:
    decode = _decode(impl)

    def run() -> tuple[Any, ...]:
        message = decode()
        return (
            message.id,
            message.get_body(),
            message.expiration_time,
            message.insertion_time,
            message.time_next_visible,
        )

    assert benchmark(run) == ("5f1c3a52-8f0e-4c1b-9a55-1d2c3e4f5a6b", BODY, *DATETIMES)
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="queue: encode list of 3 dicts")
@pytest.mark.parametrize("impl", IMPLS)
def test_encode_list_of_dicts(benchmark: Any, impl: str) -> None:
    if impl == "azure.functions":
        # azure.functions refuses dicts in a list: its users serialise each one to a
        # string first, which puts the same three messages on the queue.
        def run() -> Any:
            texts = [json.dumps(order) for order in ORDERS]
            return QueueMessageOutConverter.encode(texts, expected_type=None)

        def messages(datum: Any) -> list[Any]:
            return [json.loads(text) for text in json.loads(datum.value)]
    else:

        def run() -> Any:
            return ENCODE_QUEUE(ORDERS)

        def messages(datum: Any) -> list[Any]:
            return list(json.loads(datum.value))

    datum = benchmark(run)
    assert datum.type == "json"
    assert messages(datum) == ORDERS
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="timer: decode")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_timer(benchmark: Any, impl: str) -> None:
    if impl == "azure.functions":

        def run() -> tuple[Any, Any]:
            request = TimerRequestConverter.decode(TIMER, trigger_metadata={})
            return request.past_due, request.schedule_status
    else:

        def run() -> tuple[Any, Any]:
            request = DECODE_TIMER(TIMER, {})
            return request.past_due, request.schedule_status

    past_due, status = benchmark(run)
    assert past_due is False
    assert status["Next"] == "2024-06-18T09:15:00+00:00"
    benchmark.extra_info["peak_bytes"] = peak_memory(run)
