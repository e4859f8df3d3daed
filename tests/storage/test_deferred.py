"""funcbind.deferred: which inputs of a loaded function are sent as references."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest
from azure.storage.blob import BlobClient
from storage_support import APP

from funcbind import BindingSpec, default_registry
from funcbind.deferred import (
    SUPPORTS_DEFERRED_BINDING,
    deferred_bindings,
    raw_binding_json,
    raw_bindings,
)
from funcbind.function import compile_function, parse_bindings
from funcbind.loader import load_function_folder

REGISTRY = default_registry()


def flags(plan: Any) -> dict[str, bool]:
    return {raw["name"]: raw["properties"][SUPPORTS_DEFERRED_BINDING] for raw in raw_bindings(plan)}


def test_every_sdk_typed_input_is_deferred() -> None:
    plan = load_function_folder(APP / "SyncClients", registry=REGISTRY)
    deferred = deferred_bindings(plan)
    assert set(deferred) == {"client", "container", "stream", "many", "streams", "queue"}
    assert deferred["client"].is_trigger
    assert deferred["client"].source == "AzureStorageBlobs"
    assert deferred["queue"].source == "AzureStorageQueues"
    assert deferred["many"].collection and deferred["streams"].collection
    assert not deferred["stream"].collection
    assert not any(d.asynchronous for d in deferred.values())
    assert flags(plan)["$return"] is False


def test_async_clients_are_deferred_and_said_to_be_async() -> None:
    plan = load_function_folder(APP / "AsyncClients", registry=REGISTRY)
    deferred = deferred_bindings(plan)
    assert len(deferred) == 6
    assert all(d.asynchronous for d in deferred.values())


def test_the_extension_classes_are_deferred_too() -> None:
    pytest.importorskip("azurefunctions.extensions.bindings.blob")
    plan = load_function_folder(APP / "ExtensionTypes", registry=REGISTRY)
    assert set(deferred_bindings(plan)) == {"client", "container", "stream"}


def test_only_sdk_typed_inputs_are_deferred() -> None:
    plan = load_function_folder(APP / "Mixed", registry=REGISTRY)
    assert set(deferred_bindings(plan)) == {"maybe", "text"}
    assert flags(plan) == {
        "trigger": False,
        "maybe": True,
        "text": True,
        "content": False,  # bytes: the host sends the content
        "copy": False,  # an output
    }


def test_raw_bindings_keep_what_function_json_says() -> None:
    plan = load_function_folder(APP / "Mixed", registry=REGISTRY)
    raw = {entry["name"]: entry for entry in raw_bindings(plan)}
    assert raw["maybe"] == {
        "name": "maybe",
        "type": "blob",
        "direction": "in",
        "path": "sdk/{queueTrigger}",
        "properties": {"custom": "kept", SUPPORTS_DEFERRED_BINDING: True},
    }
    assert raw["content"]["dataType"] == "binary"
    assert [json.loads(text) for text in raw_binding_json(plan)] == raw_bindings(plan)


def test_a_decorator_style_function() -> None:
    def main(req: func.HttpRequest, report: BlobClient) -> func.HttpResponse:
        raise NotImplementedError

    bindings = parse_bindings(
        [
            {"name": "req", "type": "httpTrigger", "direction": "in", "authLevel": "anonymous"},
            {"name": "report", "type": "blob", "direction": "in", "path": "reports/{name}"},
            {"name": "$return", "type": "http", "direction": "out"},
        ],
        function="report",
    )
    plan = compile_function(main, bindings, name="report", registry=REGISTRY)
    assert list(deferred_bindings(plan)) == ["report"]
    assert flags(plan) == {"req": False, "report": True, "$return": False}


def test_a_plugin_decoder_can_opt_in() -> None:
    class Reference:
        supports_deferred_binding = True
        source = "MyService"
        collection = False

        def __call__(self, datum: Any, metadata: Any = None) -> Any:
            return datum.value

    class Converter:
        directions = frozenset({"in"})

        def decoder(self, spec: Any, binding: BindingSpec) -> Any:
            return Reference()

    registry = default_registry()
    registry.register("myService", converter=Converter())

    def main(req: func.HttpRequest, thing: Any) -> None:
        raise NotImplementedError

    bindings = parse_bindings(
        [
            {"name": "req", "type": "httpTrigger", "direction": "in"},
            {"name": "thing", "type": "myService", "direction": "in"},
        ],
        function="f",
    )
    plan = compile_function(main, bindings, name="f", registry=registry)
    assert deferred_bindings(plan)["thing"].source == "MyService"


@pytest.mark.parametrize(
    ("bindings", "trigger_name", "is_trigger"),
    [
        # A trigger registered with trigger=True whose type does not end in "Trigger".
        ([{"name": "thing", "type": "myEvents", "direction": "in"}], None, True),
        # An input whose type ends in "Trigger" but that is not the function's trigger.
        (
            [
                {"name": "req", "type": "httpTrigger", "direction": "in"},
                {"name": "thing", "type": "lookupTrigger", "direction": "in"},
            ],
            "req",
            False,
        ),
    ],
)
def test_is_trigger_is_the_plans_answer(
    bindings: list[dict[str, Any]], trigger_name: str | None, is_trigger: bool
) -> None:
    class Reference:
        supports_deferred_binding = True

        def __call__(self, datum: Any, metadata: Any = None) -> Any:
            return datum.value

    class Converter:
        directions = frozenset({"in"})

        def decoder(self, spec: Any, binding: BindingSpec) -> Any:
            return Reference()

    registry = default_registry()
    registry.register("myEvents", converter=Converter(), trigger=True)
    registry.register("lookupTrigger", converter=Converter())

    def trigger_only(thing: Any) -> None:
        raise NotImplementedError

    def with_request(req: Any, thing: Any) -> None:
        raise NotImplementedError

    plan = compile_function(
        with_request if trigger_name else trigger_only,
        parse_bindings(bindings, function="f"),
        name="f",
        registry=registry,
        trigger_name=trigger_name,
    )
    (param,) = [param for param in plan.input_params if param.name == "thing"]
    assert param.is_trigger is is_trigger
    assert deferred_bindings(plan)["thing"].is_trigger is is_trigger
