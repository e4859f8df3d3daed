"""funcbind.testing.call and the object builders: the user's function, real converters."""

from __future__ import annotations

import json
from pathlib import Path

import azure.functions as func
import pytest

from funcbind.bindings.http import HttpRequest as FuncbindRequest
from funcbind.invoke import OutValue
from funcbind.testing import (
    CallError,
    acall,
    call,
    events,
    http_request,
    input_stream,
    queue_message,
    timer_request,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_builders_give_the_real_lazy_objects() -> None:
    request = http_request("POST", "/api/x", params={"a": "1"}, json={"k": 2})
    assert isinstance(request, FuncbindRequest) and isinstance(request, func.HttpRequest)
    assert request.get_json() == {"k": 2} and request.params == {"a": "1"}
    assert queue_message("hi", dequeue_count=2).dequeue_count == 2
    assert input_stream("c/b.bin", b"\x00\x01").read() == b"\x00\x01"
    assert timer_request(past_due=True).past_due is True


def test_call_a_function_json_function_with_an_event() -> None:
    assert call(EXAMPLES, "HttpHello", req=events.http(params={"user": "Ann"})) == "Hello, Ann!"


def test_call_with_a_ready_object_and_an_out() -> None:
    msg = OutValue()
    returned = call(
        EXAMPLES, "EnqueueMessage", req=http_request(params={"body": "ship it"}), msg=msg
    )
    assert returned == "ship it" and msg.get() == "ship it"


def test_call_a_decorated_function_of_a_function_app_object() -> None:
    app = _example_app()
    receipt = OutValue()
    body = {"id": 3, "lines": [{"qty": 2, "price": 1.5}]}
    call(app, "process_order", order=events.queue(body, dequeue_count=2), receipt=receipt)
    assert json.loads(receipt.get()) == {"order": 3, "total": 3.0}


def test_call_runs_a_coroutine_function() -> None:
    response = call(EXAMPLES, "AsyncHello", req=events.http(params={"user": "Cy"}))
    assert response == "Hello, Cy, from a coroutine!"


@pytest.mark.anyio
async def test_acall_awaits_on_the_running_loop() -> None:
    response = await acall(EXAMPLES, "AsyncHello", req=events.http(params={"user": "Di"}))
    assert response == "Hello, Di, from a coroutine!"
    with pytest.raises(CallError, match="use 'await acall"):
        call(EXAMPLES, "AsyncHello", req=events.http())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_a_function_that_does_not_exist_names_those_that_do() -> None:
    with pytest.raises(CallError) as caught:
        call(EXAMPLES, "Nope", req=events.http())
    assert "(AsyncHello, BlobByName, ContextEcho," in str(caught.value)
    assert "got 'Nope'" in str(caught.value)


def test_a_wrong_argument_and_a_missing_trigger_are_named() -> None:
    with pytest.raises(CallError, match="has no parameter 'request'; its parameters: req"):
        call(EXAMPLES, "HttpHello", request=events.http())
    with pytest.raises(
        CallError, match=r"trigger argument req= \(httpTrigger\) such as events.http"
    ):
        call(EXAMPLES, "HttpHello")


def test_an_event_of_the_wrong_kind_names_the_trigger_type() -> None:
    with pytest.raises(events.EventError, match="'order' is a queueTrigger, got a timer event"):
        call(_example_app(), "process_order", order=events.timer())


def _example_app() -> func.FunctionApp:
    """examples/function_app.py imported as a test module would import it."""
    import importlib.util
    import sys

    sys.path.insert(0, str(EXAMPLES))
    try:
        spec = importlib.util.spec_from_file_location(
            "examples_function_app", EXAMPLES / "function_app.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXAMPLES))
    return module.app  # type: ignore[no-any-return]
