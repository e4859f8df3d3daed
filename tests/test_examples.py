"""The example app (examples/) served by the test client: the host itself, in-process.

HTTP goes through the host's ASGI app with no socket; queue and timer functions run
as their triggers run them; storage is the session's Azurite (in memory, started in the
background once the tests are collected, so it boots while the HTTP tests run); the
listeners run in ``client.listening()``.  The tests that use storage are marked
``azurite``: ``-m "not azurite"`` runs the rest, which never start it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import azure.functions as func
import pytest

from funcbind.testing import FunctionAppClient, call, events, http_request

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FUNCTIONS = [
    "AsyncHello",
    "BlobByName",
    "ContextEcho",
    "CustomEntry",
    "EnqueueMessage",
    "HttpHello",
    "greet",
    "heartbeat",
    "nightly_report",
    "process_order",
    "warm_up",
]


@pytest.fixture(scope="module")
def client() -> Iterator[FunctionAppClient]:
    with FunctionAppClient(EXAMPLES) as client:
        yield client


# -- the app -----------------------------------------------------------------------------------


def test_the_example_app_loads_completely(client: FunctionAppClient) -> None:
    assert client.hosted.errors == {}
    assert sorted(client.hosted.functions) == FUNCTIONS
    assert "GET /api/files/{name} (BlobByName)" in client.routes()


def test_host_and_local_settings() -> None:
    host = json.loads((EXAMPLES / "host.json").read_text())
    assert host["version"] == "2.0"
    settings = json.loads((EXAMPLES / "local.settings.json").read_text())
    assert settings["Values"]["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"


# -- HTTP ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"user": "Ann"}, "Hello, Ann!"), ({"name": "Bo"}, "Hello, Bo!"), ({}, "Hello, User!")],
)
def test_http_hello(client: FunctionAppClient, query: dict[str, str], expected: str) -> None:
    response = client.http.get("/api/HttpHello", params=query)
    assert (response.status_code, response.text) == (200, expected)
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_http_hello_by_post(client: FunctionAppClient) -> None:
    assert client.http.post("/api/HttpHello?user=Bo").text == "Hello, Bo!"
    assert client.http.put("/api/HttpHello").status_code == 405


def test_async_function(client: FunctionAppClient) -> None:
    assert client.http.get("/api/AsyncHello", params={"user": "Cy"}).text == (
        "Hello, Cy, from a coroutine!"
    )
    assert client.invocations[-1].messages == ["async hello for Cy"]


def test_context_echo(client: FunctionAppClient) -> None:
    response = client.http.get("/api/ContextEcho")
    invocation = client.invocations[-1]
    assert invocation.function_name == "ContextEcho"
    assert response.text == invocation.invocation_id == invocation.return_value


def test_context_echo_details(client: FunctionAppClient) -> None:
    details = client.http.get("/api/ContextEcho", params={"details": "1"}).json()
    assert details == {
        "invocation_id": client.invocations[-1].invocation_id,
        "function_name": "ContextEcho",
        "function_directory": str(EXAMPLES / "ContextEcho"),
        "trace_parent": "",
        "retry_count": 0,
    }


def test_custom_script_file_and_entry_point(client: FunctionAppClient) -> None:
    response = client.http.post("/api/custom", content=b"{}")
    assert response.headers["x-entry-point"] == "customentry"
    assert response.text == "customentry in main.py answered POST http://localhost:7071/api/custom"


def test_blueprint_route(client: FunctionAppClient) -> None:
    assert client.http.get("/api/greet/Dee").text == "Hi, Dee!"
    assert client.http.get("/api/greet/Zo%C3%AB").text == "Hi, Zoë!"  # decoded as UTF-8
    assert client.http.post("/api/greet/Dee").status_code == 405


def test_a_path_no_route_serves(client: FunctionAppClient) -> None:
    response = client.http.get("/api/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"error": "no function serves /api/nothing/here"}


def test_seed_objects_are_azure_functions_types() -> None:
    assert isinstance(http_request("GET", "/api/HttpHello"), func.HttpRequest)
    assert call(EXAMPLES, "HttpHello", req=http_request(params={"user": "x"})) == "Hello, x!"


# -- storage: the session's Azurite --------------------------------------------------------------


@pytest.mark.azurite
def test_blob_input_bound_by_a_route_value(client: FunctionAppClient) -> None:
    client.storage.upload_blob("samples/report.csv", b"id,total\n1,9.5\n")
    response = client.http.get("/api/files/report.csv")
    assert (response.status_code, response.content) == (200, b"id,total\n1,9.5\n")
    assert client.invocations[-1].messages == [
        "Python HTTP triggered function read samples/report.csv (15 bytes)"
    ]


@pytest.mark.azurite
def test_blob_input_that_does_not_exist(client: FunctionAppClient) -> None:
    response = client.http.get("/api/files/missing.txt")
    assert response.status_code == 404
    assert response.text == "No blob named 'missing.txt' in 'samples'."


@pytest.mark.azurite
def test_a_route_value_that_would_leave_its_segment(client: FunctionAppClient) -> None:
    response = client.http.get("/api/files/%2E%2E")
    assert response.status_code == 400 and "'..'" in response.json()["error"]


@pytest.mark.azurite
def test_queue_output_through_out(client: FunctionAppClient) -> None:
    client.storage.clear_queue("outqueue")
    assert client.http.get("/api/EnqueueMessage", params={"body": "ship it"}).text == "ship it"
    invocation = client.invocations[-1]
    assert invocation.outputs == {"msg": "ship it"}
    assert invocation.output_data["msg"].python_value == "ship it"
    assert client.storage.queue_messages("outqueue") == ["ship it"]


@pytest.mark.azurite
def test_queue_output_not_set_sends_nothing(client: FunctionAppClient) -> None:
    client.storage.clear_queue("outqueue")
    client.http.get("/api/EnqueueMessage")
    assert client.invocations[-1].outputs == {}
    assert client.storage.queue_messages("outqueue") == []


@pytest.mark.azurite
def test_queue_trigger_with_queue_output(client: FunctionAppClient) -> None:
    client.storage.clear_queue("receipts")
    order = {"id": "A-17", "lines": [{"qty": 2, "price": 1.25}, {"qty": 1, "price": 7}]}
    invocation = client.queue_trigger("process_order", order, dequeue_count=2).check()
    assert json.loads(invocation.outputs["receipt"]) == {"order": "A-17", "total": 9.5}
    assert invocation.messages == ["order A-17 dequeued 2 time(s)"]
    assert client.storage.queue_messages("receipts") == ['{"order": "A-17", "total": 9.5}']


@pytest.mark.azurite
def test_a_bad_queue_message_fails_without_outputs(client: FunctionAppClient) -> None:
    client.storage.clear_queue("receipts")
    invocation = client.queue_trigger("process_order", "not json")
    assert not invocation.ok and invocation.stage == "call"
    assert isinstance(invocation.exception, ValueError)
    assert invocation.output_data == {}
    assert client.storage.queue_messages("receipts") == []  # the host writes nothing


def test_timer_trigger(client: FunctionAppClient) -> None:
    assert client.hosted.functions["heartbeat"].plan.trigger.properties["schedule"] == (
        "0 */5 * * * *"
    )
    invocation = client.timer_trigger("heartbeat", past_due=True).check()
    assert invocation.messages == ["heartbeat (past due: True)"]


def test_an_event_of_the_wrong_kind(client: FunctionAppClient) -> None:
    with pytest.raises(events.EventError, match="triggered by timerTrigger"):
        client.invoke("heartbeat", events.queue("x"))


# -- admin-only functions, and the listeners -----------------------------------------------------


@pytest.mark.azurite
def test_admin_runs_non_http_functions(client: FunctionAppClient) -> None:
    client.storage.clear_queue("receipts")
    response = client.http.post("/admin/functions/heartbeat", json={"input": ""})
    assert response.status_code == 202
    [beat] = client.wait_for("heartbeat")
    assert beat.invocation_id == response.json()["invocationId"]
    assert beat.messages == ["heartbeat (past due: False)"]
    order = {"id": 1, "lines": [{"qty": 2, "price": 1.5}]}
    response = client.http.post("/admin/functions/process_order", json={"input": order})
    assert response.status_code == 202
    [run] = client.wait_for("process_order")
    assert run.check().messages == ["order 1 dequeued 1 time(s)"]
    assert client.storage.queue_messages("receipts") == ['{"order": 1, "total": 3.0}']


@pytest.mark.azurite
def test_the_queue_listener_takes_a_message_from_storage(client: FunctionAppClient) -> None:
    client.storage.clear_queue("receipts")
    with client.listening():
        client.storage.send_message("orders", json.dumps({"id": 2, "lines": []}))
        [run] = client.wait_for("process_order", timeout=10)
    assert run.check().messages == ["order 2 dequeued 1 time(s)"]
    assert client.storage.queue_messages("receipts") == ['{"order": 2, "total": 0}']
