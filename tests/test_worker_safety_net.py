"""The worker facade's safety net: every name azure.functions serves is served here too.

The names are read from the installed azure.functions registry at run time (1.26 on
Python 3.10-3.12, 2.x on 3.13), so a release that adds a binding type is covered the
day it is installed.
"""

from __future__ import annotations

import inspect
import pkgutil
from typing import Any

import azure.functions as func
import pytest
from azure.functions import meta

import funcbind
from funcbind.registry import default_registry
from funcbind.worker import (
    WorkerBinding,
    WorkerRegistry,
    get_binding_registry,
    safety_net_names,
    stock_binding_names,
)

STOCK_NAMES = stock_binding_names()


def test_the_stock_registry_is_enumerated() -> None:
    # Every string key of the stock table, the stray True key aside, and nothing else.
    table = meta._ConverterMeta._bindings
    assert set(STOCK_NAMES) == {name for name in table if isinstance(name, str)}
    assert {"httpTrigger", "eventHubTrigger", "cosmosDBTrigger", "kafka"} <= set(STOCK_NAMES)
    assert len(STOCK_NAMES) >= 29


@pytest.mark.parametrize("name", STOCK_NAMES)
def test_no_stock_name_is_answered_with_none(name: str) -> None:
    assert get_binding_registry().get(name) is not None


@pytest.mark.parametrize("name", STOCK_NAMES)
def test_a_name_funcbind_lacks_gets_the_stock_converter_unchanged(name: str) -> None:
    worker = WorkerRegistry(default_registry())
    binding = worker.get(name)
    if name in worker.registry:
        assert isinstance(binding, WorkerBinding)
        assert name not in worker.safety_net_names()
    else:
        assert binding is meta._ConverterMeta.get(name)
        assert name in worker.safety_net_names()


def test_native_families_are_not_in_the_safety_net() -> None:
    net = set(safety_net_names())
    native = {"httpTrigger", "http", "blob", "blobTrigger", "queue", "queueTrigger"}
    native |= {"timerTrigger", "eventGridTrigger", "eventGrid", "kafkaTrigger", "kafka"}
    assert not net & native
    assert net == {name for name in STOCK_NAMES if name not in get_binding_registry().registry}


def test_names_neither_knows_are_none() -> None:
    worker = WorkerRegistry(default_registry())
    assert worker.get("surelyNotABinding") is None
    assert worker.get(True) is None  # type: ignore[arg-type]  # the stock table's stray key


def test_the_safety_net_survives_funcbind_plugged_into_azure_functions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An app that replaces azure.functions.get_binding_registry with funcbind's (the
    recipe of docs/compatibility.md) must not send the safety net round in a loop."""
    monkeypatch.setattr(func, "get_binding_registry", funcbind.get_binding_registry)
    registry = default_registry()
    registry.unregister("cosmosDBTrigger")  # a family funcbind lacks: the net serves it
    worker = WorkerRegistry(registry)
    assert worker.get("cosmosDBTrigger") is meta._ConverterMeta.get("cosmosDBTrigger")


# -- a function for every name loads through the facade ----------------------------------


def _public_classes() -> list[type]:
    """Every public class azure.functions exports, from every one of its modules."""
    import azure.functions

    found: dict[str, type] = {}
    modules = [azure.functions]
    for info in pkgutil.iter_modules(azure.functions.__path__, "azure.functions."):
        if not info.name.rsplit(".", 1)[1].startswith("_") and not info.ispkg:
            modules.append(__import__(info.name, fromlist=["_"]))
    for module in modules:
        for name, value in vars(module).items():
            if inspect.isclass(value) and not name.startswith("_"):
                found.setdefault(f"{value.__module__}.{value.__qualname__}", value)
    return [str, bytes, dict, *found.values()]


CANDIDATES = _public_classes()


def _accepted(converter: Any, method: str) -> list[type]:
    check = getattr(converter, method, None)
    if check is None:
        return []
    accepted = []
    for annotation in CANDIDATES:
        try:
            if check(annotation) is True:
                accepted.append(annotation)
        except Exception:  # the stock checks raise for some classes; not our subject
            continue
    return accepted


@pytest.mark.parametrize("name", STOCK_NAMES)
def test_a_function_for_every_name_loads_through_the_facade(name: str) -> None:
    """The worker's load steps for one function using the binding: what azure.functions
    accepts is accepted, every answer a plain bool, nothing raises."""
    stock = meta._ConverterMeta.get(name)
    ours = get_binding_registry().get(name)
    assert isinstance(ours.has_trigger_support(), bool)
    if hasattr(stock, "has_implicit_output"):
        assert isinstance(ours.has_implicit_output(), bool)
    loadable = 0
    for method in ("check_input_type_annotation", "check_output_type_annotation"):
        for annotation in _accepted(stock, method):
            if method == "check_input_type_annotation" and annotation in (str, bytes):
                continue  # the worker sends these to its generic binding without asking
            if method == "check_output_type_annotation" and name.endswith("Trigger"):
                continue  # a trigger is never an output binding
            assert getattr(ours, method)(annotation) is True, (name, method, annotation)
            loadable += 1
    assert loadable, f"no annotation of azure.functions loads a {name!r} function"


def test_the_compatibility_table_names_every_name_and_how_it_is_served() -> None:
    """docs/compatibility.md, "Binding type names": one row per family, each stock name in
    one row, "yes" exactly for the names funcbind serves natively."""
    import re
    from pathlib import Path

    doc = Path(__file__).parents[1] / "docs" / "compatibility.md"
    text = doc.read_text(encoding="utf-8")
    table = text.split("| family | binding types | native in funcbind | page |", 1)[1]
    served: dict[str, bool] = {}
    for row in table.split("\n\n", 1)[0].splitlines()[2:]:
        _, names, native, _ = (cell.strip() for cell in row.strip("|").split("|"))
        for name in re.findall(r"`([A-Za-z]+)`", names):
            served[name] = native.startswith("yes")
    assert set(STOCK_NAMES) <= set(served), sorted(set(STOCK_NAMES) - set(served))
    registry = get_binding_registry().registry
    assert {name for name, native in served.items() if native} == {
        name for name in served if name in registry
    }


# Every binding type name azure.functions 1.26 and 2.x register, served by funcbind's own
# converters.  The safety net stays for names a later azure.functions release adds.
NATIVE_NAMES = frozenset(
    {
        "httpTrigger", "http", "blobTrigger", "blob", "queueTrigger", "queue", "timerTrigger",
        "eventHubTrigger", "eventHub", "serviceBusTrigger", "serviceBus",
        "eventGridTrigger", "eventGrid", "kafkaTrigger", "kafka",
        "cosmosDBTrigger", "cosmosDB", "sql", "mysqlTrigger", "mysql",
        "orchestrationTrigger", "entityTrigger", "activityTrigger", "durableClient",
        "warmupTrigger", "mcpToolTrigger", "mcpResourceTrigger", "mcpPromptTrigger",
        "connectorTrigger",
    }
)  # fmt: skip


def test_no_installed_stock_name_goes_through_the_safety_net() -> None:
    """Issue 16's promise: every name of the installed registry is native.  A gap (a
    family dropped, or a name a new azure.functions adds) fails here, naming it."""
    assert set(safety_net_names()) == set(), "served by azure.functions, not natively"
    assert set(STOCK_NAMES) <= NATIVE_NAMES, "stock names this list does not cover"
    assert set(get_binding_registry().registry) >= NATIVE_NAMES, "listed but not registered"
