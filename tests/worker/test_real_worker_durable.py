"""A Durable Functions app (``azure-functions-durable``) in the real worker, stock vs funcbind.

The app in ``app_durable/`` (an orchestrator, activities with str, dict, int,
custom-class and non-JSON inputs, an entity and two clients) runs through the host's
request flow (``worker_driver.py``) once with the stock registry and once with
funcbind's; every response must be equal field by field.  Nothing leaves the process:
the orchestrator and the entity get their state in the invocation, the clients only
build URLs, and sockets refuse to connect during the runs.

The entity's results carry the wall-clock time each operation started (``startTime``,
``duration``); they are set to 0 in both runs before the comparison.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions
import pytest
import response_diff
import worker_driver
from test_real_worker import PROTOS, _status, responses, run_with_funcbind

import funcbind
import funcbind.worker
from funcbind.bindings import durable

HERE = Path(__file__).parent
APP_DIR = HERE / "app_durable"
INVOCATIONS = HERE / "invocations_durable.json"
DURABLE_BINDINGS = ("orchestrationTrigger", "entityTrigger", "activityTrigger", "durableClient")

# azure.functions' Durable codec announces, once per process, that it was called without
# an expected type (azure-functions-durable calls it so too): an advisory, not an error.
pytestmark = [
    pytest.mark.filterwarnings("ignore:azure.functions df_loads was called:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:azure.functions Durable JSON codec:DeprecationWarning"),
]


class OutboundConnection(AssertionError):
    """A function tried to open a network connection during a run."""


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise OutboundConnection(f"no network access during the Durable runs: {args!r}")


@pytest.fixture(scope="module")
def no_network() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse)
        patch.setattr(socket.socket, "connect_ex", _refuse)
        patch.setattr(socket, "create_connection", _refuse)
        yield


@pytest.fixture(scope="module")
def invocations() -> list[tuple[str, Any]]:
    return worker_driver.load_invocations(PROTOS, INVOCATIONS)


@pytest.fixture(scope="module")
def stock_run(invocations: list[tuple[str, Any]], no_network: None) -> worker_driver.Run:
    run = worker_driver.run_app(PROTOS, invocations, APP_DIR)
    from azure_functions_runtime.bindings import meta

    assert meta.BINDING_REGISTRY is azure.functions.get_binding_registry()
    return run


@pytest.fixture(scope="module")
def funcbind_run(invocations: list[tuple[str, Any]], no_network: None) -> worker_driver.Run:
    return run_with_funcbind(PROTOS, invocations, APP_DIR)


def _without_clock(answers: dict[str, Any]) -> dict[str, Any]:
    """The entity's per-operation timings set to 0 (in copies of the responses)."""
    steady = dict(answers)
    for key, response in answers.items():
        if not key.startswith("entity-") or not response.return_value.json:
            continue
        state = json.loads(response.return_value.json)
        for result in state.get("results", []):
            result["startTime"] = result["duration"] = 0
        copy = type(response)()
        copy.CopyFrom(response)
        copy.return_value.json = json.dumps(state)
        steady[key] = copy
    return steady


def _invocation(run: worker_driver.Run, invocation_id: str) -> Any:
    return run.invocations[invocation_id]


# -- the comparison -----------------------------------------------------------------------


def test_the_stock_run_succeeds_everywhere(
    stock_run: worker_driver.Run, invocations: list[tuple[str, Any]]
) -> None:
    assert _status(stock_run.init) == "Success", stock_run.init.result.exception.message
    assert len(stock_run.metadata.function_metadata_results) == 9
    assert {_status(load) for load in stock_run.loads.values()} == {"Success"}
    failed = {
        invocation_id: response.result.exception.message
        for invocation_id, response in stock_run.invocations.items()
        if _status(response) != "Success"
    }
    assert not failed
    assert len(stock_run.invocations) == len(invocations)


def test_funcbind_answers_like_the_stock_registry(
    stock_run: worker_driver.Run, funcbind_run: worker_driver.Run
) -> None:
    found = response_diff.compare(
        _without_clock(responses(stock_run)), _without_clock(responses(funcbind_run))
    )
    assert not found, "\n".join(str(difference) for difference in found)


def test_the_durable_bindings_were_funcbinds_own(funcbind_run: worker_driver.Run) -> None:
    """The run went through funcbind's Durable converters, not a fallback."""
    registry = funcbind.get_binding_registry()
    for name in DURABLE_BINDINGS:
        binding = registry.get(name)
        assert binding is not None, name
        assert type(binding._registration.converter).__module__ == durable.__name__


# -- what the functions saw and sent --------------------------------------------------------


def test_activities_receive_their_inputs_and_send_json(funcbind_run: worker_driver.Run) -> None:
    def returned(invocation_id: str) -> Any:
        value = _invocation(funcbind_run, invocation_id).return_value
        assert value.WhichOneof("data") == "json", invocation_id
        return json.loads(value.json)

    assert returned("activity-str") == "Hello Osaka!"
    assert returned("activity-dict") == 5
    assert returned("activity-int") == 42
    assert returned("activity-custom-class") == {
        "__class__": "Point",
        "__module__": "function_app",
        "__data__": {"x": 11, "y": 22},
    }
    assert returned("activity-not-json") == {"type": "str", "text": "plain words, not JSON"}


def test_orchestrations_and_entities_send_their_state_as_json(
    funcbind_run: worker_driver.Run,
) -> None:
    first = _invocation(funcbind_run, "orchestration-first-episode").return_value
    assert first.WhichOneof("data") == "json"
    state = json.loads(first.json)
    assert state["isDone"] is False
    assert state["actions"][0][0]["functionName"] == "say_hello"
    done = json.loads(_invocation(funcbind_run, "orchestration-replay-done").return_value.json)
    assert done["output"] == {"greeting": "Hello Osaka!", "total": 5, "point": {"x": 11, "y": 22}}
    entity = json.loads(_invocation(funcbind_run, "entity-batch").return_value.json)
    assert entity["entityState"] == "8"


def test_clients_build_their_responses_from_the_configuration(
    funcbind_run: worker_driver.Run,
) -> None:
    started = _invocation(funcbind_run, "client-check-status").return_value.http
    assert started.status_code == "202"
    headers = {name.lower(): value for name, value in started.headers.items()}
    assert "/instances/7f1c2d3e4b5a?" in headers["location"]
    for invocation_id, kind in (("client-raw-config", "str"), ("client-json-config", "str")):
        body = json.loads(_invocation(funcbind_run, invocation_id).return_value.http.body.bytes)
        assert body["type"] == kind
        assert body["links"]["id"] in ("abc123", "def456")
        assert "taskHub=TestHubName" in body["links"]["statusQueryGetUri"]


# -- the comparison sees the behaviour this app guards --------------------------------------


@pytest.fixture
def fresh_worker_registry() -> Iterator[None]:
    funcbind.worker._reset_for_tests()
    yield
    funcbind.worker._reset_for_tests()


@pytest.mark.usefixtures("fresh_worker_registry", "no_network")
def test_without_native_durable_bindings_the_difference_shows(
    stock_run: worker_driver.Run,
    invocations: list[tuple[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A registry that leaves the Durable names to the worker's generic binding (what
    funcbind did before it had them) sends results as string, not json: caught here."""
    original = funcbind.worker.WorkerRegistry.get

    def get(self: funcbind.worker.WorkerRegistry, name: str) -> Any:
        return None if name in DURABLE_BINDINGS else original(self, name)

    monkeypatch.setattr(funcbind.worker.WorkerRegistry, "get", get)
    broken = run_with_funcbind(PROTOS, invocations, APP_DIR)
    found = response_diff.compare(
        _without_clock(responses(stock_run)), _without_clock(responses(broken))
    )
    assert any(d.path.startswith("return_value.") for d in found), found
