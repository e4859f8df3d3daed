"""The runner's typed outcomes: succeeded, failed, timed out, cancelled -- and a stop that
cancels the runner itself, which propagates rather than becoming an outcome."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from funcbind.datum import Datum
from funcbind.host.app import load_hosted_app
from funcbind.host.asgi import HostApplication
from funcbind.host.console import Console
from funcbind.host.model import (
    Cancelled,
    Failed,
    HostedApp,
    Succeeded,
    TimedOut,
    new_invocation_id,
)
from funcbind.host.runner import Runner
from funcbind.invoke import FunctionInvocationError, invoke

pytestmark = pytest.mark.anyio

CODE = """\
import asyncio


async def main(payload):
    if payload == "fail":
        raise ValueError("asked to fail")
    if payload == "slow":
        await asyncio.sleep(30)
    if payload == "cancel":
        raise asyncio.CancelledError()
    return None
"""
HTTP_CODE = """\
import asyncio


async def main(req):
    raise asyncio.CancelledError()
"""
# Only Python 3.11+ tells a function's own cancellation from a stop cancelling the runner.
TELLS_CANCELLATIONS_APART = sys.version_info >= (3, 11)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Lines:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def folder(root: Path, name: str, bindings: list[dict[str, Any]], code: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "function.json").write_text(json.dumps({"bindings": bindings}))
    (root / name / "__init__.py").write_text(code)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> HostedApp:
    root = tmp_path_factory.mktemp("runner_app")
    trigger = {"name": "payload", "type": "customTrigger", "direction": "in"}
    folder(root, "Plain", [trigger], CODE)
    http = [
        {"name": "req", "type": "httpTrigger", "direction": "in", "authLevel": "anonymous"},
        {"name": "$return", "type": "http", "direction": "out"},
    ]
    folder(root, "SelfCancelling", http, HTTP_CODE)
    return load_hosted_app(root, auth=False, environ=dict(os.environ))


async def run(app: HostedApp, given: str, timeout: float | None = None) -> tuple[Any, str]:
    lines = Lines()
    runner = Runner(Console(lines), invoke, timeout)
    function = app.functions["Plain"]
    outcome = await runner.run(function, {"payload": Datum(given, "string")}, None, "id-1")
    assert not runner.in_flight
    return outcome, lines.text


async def test_a_function_that_returns_succeeded(app: HostedApp) -> None:
    outcome, _ = await run(app, "fine")
    assert isinstance(outcome, Succeeded)
    assert (outcome.invocation_id, outcome.result.error) == ("id-1", None)


async def test_a_function_that_raises_failed_at_the_call(app: HostedApp) -> None:
    outcome, console = await run(app, "fail")
    assert isinstance(outcome, Failed)
    assert outcome.stage == "call"
    assert isinstance(outcome.error, FunctionInvocationError)
    assert "asked to fail" in str(outcome.error)
    assert "Plain (id-1) failed after" in console


async def test_a_function_past_the_timeout_timed_out(app: HostedApp) -> None:
    outcome, console = await run(app, "slow", timeout=0.05)
    assert outcome == TimedOut("id-1", 0.05)
    assert "Plain (id-1) timed out after 0.05 s (host.json functionTimeout)" in console


@pytest.mark.skipif(not TELLS_CANCELLATIONS_APART, reason="3.10 always propagates")
async def test_a_function_cancelled_by_its_own_code_is_cancelled(app: HostedApp) -> None:
    outcome, console = await run(app, "cancel")
    assert outcome == Cancelled("id-1")
    assert "Plain (id-1) was cancelled" in console


async def test_a_stop_that_cancels_the_runner_propagates(app: HostedApp) -> None:
    runner = Runner(Console(Lines()), invoke, None)
    function = app.functions["Plain"]
    task = asyncio.ensure_future(
        runner.run(function, {"payload": Datum("slow", "string")}, None, "id-2")
    )
    while "id-2" not in runner.in_flight:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not runner.in_flight


@pytest.mark.skipif(not TELLS_CANCELLATIONS_APART, reason="3.10 always propagates")
async def test_http_answers_500_for_a_cancelled_function(app: HostedApp) -> None:
    application = HostApplication(app, console=Console(Lines()), auth=False)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
        response = await client.get("/api/SelfCancelling")
    assert response.status_code == 500
    assert response.json()["error"] == "function 'SelfCancelling' was cancelled"


def test_in_flight_holds_the_running_task_across_event_loops(app: HostedApp) -> None:
    # The runner remembers its thread's loop (asyncio.current_task() costs a system call
    # on 3.10/3.11); a later loop in the same thread must still be seen.
    runner = Runner(Console(Lines()), invoke, None)
    function = app.functions["Plain"]
    seen: list[bool] = []

    async def one(invocation_id: str) -> None:
        task = asyncio.ensure_future(
            runner.run(function, {"payload": Datum("slow", "string")}, None, invocation_id)
        )
        while invocation_id not in runner.in_flight:
            await asyncio.sleep(0.01)
        seen.append(runner.in_flight[invocation_id][1] is task)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(one("first"))
    asyncio.run(one("second"))
    assert seen == [True, True]


def test_invocation_ids_are_version_4_uuids() -> None:
    ids = [new_invocation_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
