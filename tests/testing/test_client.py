"""FunctionAppClient: the host in the test's process, and what it tells a test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from funcbind.errors import FunctionLoadError
from funcbind.testing import AsyncFunctionAppClient, FunctionAppClient, events
from funcbind.testing.client import ClientError
from funcbind.testing.invocation import InvocationFailed

APP = Path(__file__).parent / "apps" / "clientapp"
BROKEN = Path(__file__).parents[1] / "fixtures" / "apps" / "broken"


@pytest.fixture(scope="module")
def client() -> Iterator[FunctionAppClient]:
    with FunctionAppClient(APP) as client:
        yield client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_local_settings_reach_the_function_and_leave_with_the_client() -> None:
    assert "GREETING" not in os.environ
    with FunctionAppClient(APP) as client:
        assert client.http.get("/api/setting").text == "hello from local.settings.json"
        assert os.environ["GREETING"] == "hello from local.settings.json"
    assert "GREETING" not in os.environ


def test_settings_passed_in_win() -> None:
    with FunctionAppClient(APP, settings={"GREETING": "overridden"}) as client:
        assert client.http.get("/api/setting").text == "overridden"


def test_keys_are_off_by_default(client: FunctionAppClient) -> None:
    assert client.http.get("/api/secret").text == "the secret"
    with pytest.raises(ClientError, match="keys are off"):
        client.keys  # noqa: B018


def test_keys_on_test_the_auth_level() -> None:
    with FunctionAppClient(APP, auth=True) as client:
        assert client.http.get("/api/secret").status_code == 401
        assert client.keys.default == "test-default"
        response = client.http.get("/api/secret", headers={"x-functions-key": "test-default"})
        assert response.text == "the secret"
        admin = client.http.post("/admin/functions/hourly", json={"input": ""})
        assert admin.status_code == 401


def test_a_failing_function_is_an_invocation_with_its_exception_and_logs(
    client: FunctionAppClient,
) -> None:
    response = client.http.get("/api/raises", params={"who": "Ann"})
    assert response.status_code == 500
    invocation = client.invocations[-1]
    assert not invocation.ok and invocation.stage == "call"
    assert isinstance(invocation.exception, RuntimeError) and str(invocation.exception) == "boom"
    assert invocation.messages == ["about to fail for Ann"]
    with pytest.raises(InvocationFailed) as caught:
        invocation.check()
    text = str(caught.value)
    assert "error (call): function 'raises': function raised RuntimeError: boom" in text
    assert "WARNING  root: about to fail for Ann" in text
    assert 'raise RuntimeError("boom")' in text  # the traceback, into the user's code


def test_queue_event_fields_reach_the_function(client: FunctionAppClient) -> None:
    invocation = client.queue_trigger("job", "x", dequeue_count=4).check()
    assert invocation.messages == ["job x attempt 4"]
    assert invocation.return_value is None and invocation.outputs == {}
    assert invocation.duration > 0


def test_blob_trigger_fills_the_path_captures(client: FunctionAppClient) -> None:
    invocation = client.blob_trigger("uploaded", "uploads/report.txt", b"12345").check()
    assert invocation.messages == ["uploads/report.txt: 5 bytes"]
    with pytest.raises(events.EventError, match="does not match the trigger path 'uploads/"):
        client.blob_trigger("uploaded", "uploads/report.csv", b"")


def test_invoke_builds_the_event_of_the_trigger(client: FunctionAppClient) -> None:
    assert client.invoke("hourly", past_due=True).messages == ["hourly, past due True"]
    assert client.invoke("job", events.queue("y")).messages == ["job y attempt 1"]


def test_unknown_names_and_wrong_events_are_explained(client: FunctionAppClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.invoke("nope")
    assert "(hourly, job, raises, secret, setting, slow, uploaded), got 'nope'" in str(caught.value)
    with pytest.raises(events.EventError, match=r"'job' is triggered by queueTrigger \(binding"):
        client.invoke("job", events.timer())
    with pytest.raises(ClientError, match=r"HTTP-triggered: call it through client.http"):
        client.invoke("setting", events.http())
    with pytest.raises(events.EventError, match="got 'nope'"):
        client.invoke("job", nope=1)


def test_an_app_with_broken_functions_is_refused_unless_allowed() -> None:
    with pytest.raises(FunctionLoadError, match=r"function\(s\) of .* failed to load: "):
        FunctionAppClient(BROKEN).start()
    with FunctionAppClient(BROKEN, allow_errors=True) as client:
        assert "Good" in client.hosted.functions and client.hosted.errors


def test_a_client_that_is_not_open_says_so() -> None:
    client = FunctionAppClient(APP)
    with pytest.raises(ClientError, match="not open"):
        client.http  # noqa: B018
    with pytest.raises(ClientError, match="not open"):
        client.invoke("job")


def test_listeners_retry_and_poison_on_azurite(client: FunctionAppClient) -> None:
    client.storage.clear_queue("jobs-poison")
    with client.listening():
        client.storage.send_message("jobs", "fail")
        first, second = client.wait_for("job", count=2, timeout=15)
    assert [first.ok, second.ok] == [False, False]
    assert second.messages == ["job fail attempt 2"]
    assert client.storage.queue_messages("jobs-poison") == ["fail"]  # maxDequeueCount 2


def test_wait_for_says_what_came(client: FunctionAppClient) -> None:
    with pytest.raises(
        TimeoutError, match=r"waited 0.1 s for 1 invocation\(s\) of 'hourly', got 0"
    ):
        client.wait_for("hourly", timeout=0.1)


@pytest.mark.anyio
async def test_async_client_and_an_invocation_left_running() -> None:
    client = AsyncFunctionAppClient(APP)
    async with client:
        response = await client.http.get("/api/setting")
        assert response.text == "hello from local.settings.json"
        assert (await client.timer_trigger("hourly")).ok
    client = await AsyncFunctionAppClient(APP).start()
    running = asyncio.ensure_future(client.queue_trigger("slow", "30"))
    await asyncio.sleep(0.05)
    with pytest.raises(ClientError, match=r"still running when the client closed: slow \("):
        await client.close()
    await asyncio.gather(running, return_exceptions=True)
    assert running.cancelled() or running.exception() is not None


def test_only_http_against_a_live_host() -> None:
    with FunctionAppClient(APP, base_url="http://127.0.0.1:9") as client:
        assert str(client.http.base_url) == "http://127.0.0.1:9"
        with pytest.raises(ClientError, match=r"only client\.http works against a live host"):
            client.invoke("job")
