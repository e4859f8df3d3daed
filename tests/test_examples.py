"""The example app (examples/): loaded and invoked with Datums built as a host sends them.

The request Datums follow WIRE.md: header names lower-cased, query values and route
values as string Datums, the body as bytes (empty when there is none), the full URL
with its query string; trigger metadata as the host fills it for each trigger.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import azure.functions as func
import pytest

from funcbind import Datum
from funcbind.function import FunctionPlan
from funcbind.invoke import invoke
from funcbind.loader import LoadedApp, load_app

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def info_level() -> Iterator[None]:
    """The host runs with the root logger at INFO, as Azure does (lower records are never made)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    yield
    root.setLevel(level)


@pytest.fixture(scope="module")
def app() -> Iterator[LoadedApp]:
    yield load_app(EXAMPLES)


def plan(app: LoadedApp, name: str) -> FunctionPlan:
    assert name in app.functions, app.errors.get(name)
    return app.functions[name]


def http_request(
    method: str = "GET",
    path: str = "/api/HttpHello",
    query: Mapping[str, str] | None = None,
    route: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> tuple[dict[str, Datum], dict[str, Datum]]:
    """The request Datum and the trigger metadata of an HTTP-triggered invocation."""
    query = dict(query or {})
    route = dict(route or {})
    headers = {"host": "localhost:7071", "user-agent": "pytest", **(headers or {})}
    if body:
        headers["content-length"] = str(len(body))
    url = f"http://localhost:7071{path}" + (f"?{urlencode(query)}" if query else "")
    request = Datum(
        {
            "method": Datum(method, "string"),
            "url": Datum(url, "string"),
            "headers": {k: Datum(v, "string") for k, v in headers.items()},
            "query": {k: Datum(v, "string") for k, v in query.items()},
            "params": {k: Datum(v, "string") for k, v in route.items()},
            "body": Datum(body, "bytes"),
        },
        "http",
    )
    metadata = {
        "Query": Datum(json.dumps(query), "json"),
        "Headers": Datum(json.dumps(headers), "json"),
        **{k: Datum(v, "string") for k, v in route.items()},
    }
    return {"req": request}, metadata


def response_of(datum: Datum | None) -> dict[str, Any]:
    """Status, headers and body text of an http output Datum (a plain string answers 200)."""
    assert datum is not None
    if datum.type == "string":
        return {"status": 200, "headers": {}, "body": datum.value}
    assert datum.type == "http"
    value = datum.value
    body = value["body"].value
    return {
        "status": int(value["status_code"].value),
        "headers": {k.lower(): v.value for k, v in value["headers"].items()},
        "body": body.decode() if isinstance(body, bytes | bytearray) else body,
    }


# -- the app -----------------------------------------------------------------------------------


def test_the_example_app_loads_completely(app: LoadedApp) -> None:
    assert app.errors == {}
    assert sorted(app.functions) == [
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


def test_host_and_local_settings() -> None:
    host = json.loads((EXAMPLES / "host.json").read_text())
    assert host["version"] == "2.0"
    settings = json.loads((EXAMPLES / "local.settings.json").read_text())
    assert settings["Values"]["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"


# -- the seed examples -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"user": "Ann"}, "Hello, Ann!"), ({"name": "Bo"}, "Hello, Bo!"), ({}, "Hello, User!")],
)
async def test_http_hello(app: LoadedApp, query: dict[str, str], expected: str) -> None:
    hello = plan(app, "HttpHello")
    inputs, metadata = http_request(query=query)
    result = await invoke(hello, inputs, trigger_metadata=metadata)
    assert result.ok, result.error
    assert response_of(result.return_value) == {"status": 200, "headers": {}, "body": expected}


async def test_blob_input_bound_by_a_route_value(app: LoadedApp) -> None:
    blob_by_name = plan(app, "BlobByName")
    assert blob_by_name.binding("obj").properties["path"] == "samples/{name}"  # type: ignore[union-attr]
    inputs, metadata = http_request(path="/api/files/report.csv", route={"name": "report.csv"})
    # The host reads samples/report.csv (dataType binary) and sends its bytes.
    content = b"id,total\n1,9.5\n"
    result = await invoke(
        blob_by_name, {**inputs, "obj": Datum(content, "bytes")}, trigger_metadata=metadata
    )
    assert result.ok, result.error
    response = response_of(result.return_value)
    assert response["status"] == 200 and response["body"] == content.decode()
    assert [r.getMessage() for r in result.logs] == [
        "Python HTTP triggered function read samples/report.csv (15 bytes)"
    ]


async def test_blob_input_that_does_not_exist(app: LoadedApp) -> None:
    blob_by_name = plan(app, "BlobByName")
    inputs, metadata = http_request(path="/api/files/nope", route={"name": "nope"})
    result = await invoke(
        blob_by_name, {**inputs, "obj": Datum(None, None)}, trigger_metadata=metadata
    )
    assert result.ok, result.error
    assert response_of(result.return_value)["status"] == 404


async def test_queue_output_through_out(app: LoadedApp) -> None:
    enqueue = plan(app, "EnqueueMessage")
    assert enqueue.binding("msg").properties["queueName"] == "outqueue"  # type: ignore[union-attr]
    inputs, metadata = http_request(path="/api/EnqueueMessage", query={"body": "ship it"})
    result = await invoke(enqueue, inputs, trigger_metadata=metadata)
    assert result.ok, result.error
    assert list(result.outputs) == ["msg"]
    assert result.outputs["msg"].python_value == "ship it"
    assert response_of(result.return_value)["body"] == "ship it"


async def test_queue_output_not_set_sends_nothing(app: LoadedApp) -> None:
    enqueue = plan(app, "EnqueueMessage")
    inputs, metadata = http_request(path="/api/EnqueueMessage")
    result = await invoke(enqueue, inputs, trigger_metadata=metadata)
    assert result.ok, result.error
    assert result.outputs == {}


async def test_custom_script_file_and_entry_point(app: LoadedApp) -> None:
    custom = plan(app, "CustomEntry")
    assert Path(custom.script_file).name == "main.py" and custom.entry_point == "customentry"
    inputs, metadata = http_request(method="POST", path="/api/custom", body=b"{}")
    result = await invoke(custom, inputs, trigger_metadata=metadata)
    assert result.ok, result.error
    response = response_of(result.return_value)
    assert response["headers"]["x-entry-point"] == "customentry"
    assert (
        response["body"] == "customentry in main.py answered POST http://localhost:7071/api/custom"
    )


async def test_async_function(app: LoadedApp) -> None:
    async_hello = plan(app, "AsyncHello")
    assert async_hello.is_async
    inputs, metadata = http_request(path="/api/AsyncHello", query={"user": "Cy"})
    result = await invoke(async_hello, inputs, trigger_metadata=metadata)
    assert result.ok, result.error
    assert response_of(result.return_value)["body"] == "Hello, Cy, from a coroutine!"
    assert [r.getMessage() for r in result.logs] == ["async hello for Cy"]


async def test_context_echo(app: LoadedApp) -> None:
    echo = plan(app, "ContextEcho")
    inputs, metadata = http_request(path="/api/ContextEcho")
    result = await invoke(
        echo,
        inputs,
        trigger_metadata=metadata,
        invocation_id="3f6c8e0e-1b7a-4a55-9d1e-2f4b5c6d7e8f",
    )
    assert result.ok, result.error
    assert response_of(result.return_value)["body"] == "3f6c8e0e-1b7a-4a55-9d1e-2f4b5c6d7e8f"


async def test_context_echo_details(app: LoadedApp) -> None:
    echo = plan(app, "ContextEcho")
    inputs, metadata = http_request(path="/api/ContextEcho", query={"details": "1"})
    result = await invoke(
        echo,
        inputs,
        trigger_metadata=metadata,
        invocation_id="inv-7",
        trace_context={"trace_parent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
        retry_context={"retry_count": 1, "max_retry_count": 3},
    )
    assert result.ok, result.error
    assert json.loads(response_of(result.return_value)["body"]) == {
        "invocation_id": "inv-7",
        "function_name": "ContextEcho",
        "function_directory": str(EXAMPLES / "ContextEcho"),
        "trace_parent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "retry_count": 1,
    }


# -- the decorator functions ------------------------------------------------------------------


async def test_blueprint_route(app: LoadedApp) -> None:
    greet = plan(app, "greet")
    assert greet.trigger.properties["route"] == "greet/{name}"
    assert greet.trigger.properties["methods"] == ["GET"]
    assert greet.trigger.properties["authLevel"] == "anonymous"
    inputs, metadata = http_request(path="/api/greet/Dee", route={"name": "Dee"})
    result = await invoke(greet, inputs, trigger_metadata=metadata)
    assert result.ok, result.error
    assert response_of(result.return_value)["body"] == "Hi, Dee!"


def queue_message(body: str, dequeue_count: int = 1) -> tuple[Datum, dict[str, Datum]]:
    metadata = {
        "Id": Datum("b2f7c3a0-5d1e-4f0a-9c3b-7e6d5c4b3a21", "string"),
        "PopReceipt": Datum("AgAAAAMAAAAAAAAAn7tQ7gTX2gE=", "string"),
        "QueueTrigger": Datum(body, "string"),
        "DequeueCount": Datum(str(dequeue_count), "json"),
        "InsertionTime": Datum('"2026-01-02T03:04:05+00:00"', "json"),
        "ExpirationTime": Datum('"2026-01-09T03:04:05+00:00"', "json"),
        "NextVisibleTime": Datum('"2026-01-02T03:14:05.1234567+00:00"', "json"),
    }
    return Datum(body, "string"), metadata


async def test_queue_trigger_with_queue_output(app: LoadedApp) -> None:
    process_order = plan(app, "process_order")
    body = json.dumps({"id": "A-17", "lines": [{"qty": 2, "price": 1.25}, {"qty": 1, "price": 7}]})
    message, metadata = queue_message(body, dequeue_count=2)
    result = await invoke(process_order, {"order": message}, trigger_metadata=metadata)
    assert result.ok, result.error
    assert json.loads(result.outputs["receipt"].python_value) == {"order": "A-17", "total": 9.5}
    assert [r.getMessage() for r in result.logs] == ["order A-17 dequeued 2 time(s)"]


async def test_a_bad_queue_message_fails_without_outputs(app: LoadedApp) -> None:
    process_order = plan(app, "process_order")
    message, metadata = queue_message("not json")
    result = await invoke(process_order, {"order": message}, trigger_metadata=metadata)
    assert not result.ok and result.stage == "call"
    assert result.outputs == {}  # the host keeps the message for a retry


async def test_timer_trigger(app: LoadedApp) -> None:
    heartbeat = plan(app, "heartbeat")
    assert heartbeat.trigger.properties["schedule"] == "0 */5 * * * *"
    info = {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": {
            "Last": "2026-01-02T03:00:00+00:00",
            "Next": "2026-01-02T03:05:00+00:00",
            "LastUpdated": "2026-01-02T03:00:00+00:00",
        },
        "IsPastDue": True,
    }
    result = await invoke(heartbeat, {"timer": Datum(json.dumps(info), "json")})
    assert result.ok, result.error
    assert [r.getMessage() for r in result.logs] == ["heartbeat (past due: True)"]


def test_seed_objects_are_azure_functions_types(app: LoadedApp) -> None:
    hello = plan(app, "HttpHello")
    decoder = hello.params[0].decoder
    assert decoder is not None
    inputs, metadata = http_request(query={"user": "x"})
    assert isinstance(decoder(inputs["req"], metadata), func.HttpRequest)
