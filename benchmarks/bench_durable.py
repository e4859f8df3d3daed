"""Durable Functions: an activity's input and result, an orchestrator's state in and out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import azure.functions as func
import pytest
from azure.functions import _durable_functions as stock_codec
from azure.functions.durable_functions import (
    ActivityTriggerConverter,
    OrchestrationTriggerConverter,
)
from azure.functions.meta import Datum

from benchmarks._memory import peak_memory
from funcbind.bindings import durable
from funcbind.registry import Registry

IMPLS = ["azure.functions", "funcbind"]

# azure.functions' codec warns once per process (docs/compatibility.md,
# durable-codec-no-notices); measure it as it runs after that.
stock_codec._no_expected_type_notice_emitted = True
stock_codec._loose_codec_notice_emitted = True


class Money:
    """A custom class, as Durable users send them between orchestrator and activity."""

    def __init__(self, amount: int, currency: str) -> None:
        self.amount = amount
        self.currency = currency

    @staticmethod
    def to_json(money: Money) -> dict[str, Any]:
        return {"amount": money.amount, "currency": money.currency}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Money:
        return Money(data["amount"], data["currency"])


# What azure-functions-durable sends an activity: the input as JSON text.  PAYMENT is
# the usual size (a few fields); ORDER a larger document, where parsing dominates.
PAYMENT = {"orderId": "5f1c3a52-8f0e-4c1b", "amount": 42.5, "currency": "EUR", "customer": 1042}
ORDER = {
    "orderId": "5f1c3a52-8f0e-4c1b",
    "customer": {"id": 1042, "name": "Ann Example", "tier": "gold"},
    "lines": [{"sku": f"SKU-{n:04d}", "quantity": n % 5 + 1, "price": 9.5 + n} for n in range(5)],
    "shipping": {"city": "Oslo", "express": True},
}
PAYMENT_INPUT = Datum(json.dumps(PAYMENT), "json")
ORDER_INPUT = Datum(json.dumps(ORDER), "json")
CUSTOM_INPUT = Datum(stock_codec.df_dumps([Money(n, "EUR") for n in range(5)]), "json")

# An orchestrator's state after two activities, as the Durable extension sends it.
_EVENTS = [
    {"EventType": 12, "EventId": -1, "IsPlayed": True, "Timestamp": "2024-06-18T09:15:27.461Z"},
    {
        "OrchestrationInstance": {"InstanceId": "7f1c2d3e4b5a", "ExecutionId": "e2f3a4b5"},
        "EventType": 0,
        "Name": "process_order",
        "Input": json.dumps(PAYMENT),
        "EventId": -1,
        "IsPlayed": True,
        "Timestamp": "2024-06-18T09:15:27.461Z",
    },
] + [
    {"EventType": kind, "Name": "charge", "EventId": n, "TaskScheduledId": n, "Result": "true"}
    for n in range(2)
    for kind in (4, 5)
]
STATE = json.dumps(
    {
        "history": _EVENTS,
        "input": json.dumps(PAYMENT),
        "instanceId": "7f1c2d3e4b5a",
        "isReplaying": True,
        "parentInstanceId": None,
        "upperSchemaVersion": 2,
    }
)
ORCHESTRATION_INPUT = Datum(STATE, "json")
NEW_STATE = '{"isDone": false, "schemaVersion": 2, "actions": [[{"actionType": 0}]]}'

_REGISTRY = Registry()
durable.register(_REGISTRY)
DECODE_ACTIVITY = _REGISTRY.decoder("activityTrigger", dict)
ENCODE_ACTIVITY = _REGISTRY.encoder("activityTrigger", dict)
DECODE_ORCHESTRATION = _REGISTRY.decoder("orchestrationTrigger", func.OrchestrationContext)
ENCODE_ORCHESTRATION = _REGISTRY.encoder("orchestrationTrigger", str)


def _charge(payment: Any) -> dict[str, Any]:
    return {"orderId": payment["orderId"], "charged": payment["amount"]}


def _total(order: Any) -> dict[str, Any]:
    return {"orderId": order["orderId"], "total": sum(x["quantity"] for x in order["lines"])}


def _activity(impl: str, datum: Datum, work: Callable[[Any], Any]) -> Callable[[], Any]:
    if impl == "azure.functions":

        def stock() -> Any:
            value = ActivityTriggerConverter.decode(datum, trigger_metadata={})
            return ActivityTriggerConverter.encode(work(value), expected_type=None).value

        return stock

    def ours() -> Any:
        return ENCODE_ACTIVITY(work(DECODE_ACTIVITY(datum, {}))).value

    return ours


@pytest.mark.benchmark(group="durable: activity decode + encode")
@pytest.mark.parametrize("impl", IMPLS)
def test_activity_decode_encode(benchmark: Any, impl: str) -> None:
    run = _activity(impl, PAYMENT_INPUT, _charge)
    assert json.loads(benchmark(run)) == {"orderId": "5f1c3a52-8f0e-4c1b", "charged": 42.5}
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="durable: activity decode + encode (order, 5 lines)")
@pytest.mark.parametrize("impl", IMPLS)
def test_activity_decode_encode_order(benchmark: Any, impl: str) -> None:
    run = _activity(impl, ORDER_INPUT, _total)
    assert json.loads(benchmark(run)) == {"orderId": "5f1c3a52-8f0e-4c1b", "total": 15}
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


def _sum_money(items: list[Money]) -> Money:
    return Money(sum(item.amount for item in items), items[0].currency)


@pytest.mark.benchmark(group="durable: activity decode + encode (custom classes)")
@pytest.mark.parametrize("impl", IMPLS)
def test_activity_custom_classes(benchmark: Any, impl: str) -> None:
    run = _activity(impl, CUSTOM_INPUT, _sum_money)
    assert json.loads(benchmark(run))["__data__"] == {"amount": 10, "currency": "EUR"}
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="durable: orchestration decode + body + encode")
@pytest.mark.parametrize("impl", IMPLS)
def test_orchestration(benchmark: Any, impl: str) -> None:
    if impl == "azure.functions":

        def run() -> Any:
            context = OrchestrationTriggerConverter.decode(ORCHESTRATION_INPUT, trigger_metadata={})
            assert context.body is STATE
            return OrchestrationTriggerConverter.encode(NEW_STATE, expected_type=None)
    else:

        def run() -> Any:
            context = DECODE_ORCHESTRATION(ORCHESTRATION_INPUT, {})
            assert context.body is STATE
            return ENCODE_ORCHESTRATION(NEW_STATE)

    datum = benchmark(run)
    assert (datum.type, datum.value) == ("json", NEW_STATE)
    benchmark.extra_info["peak_bytes"] = peak_memory(run)
