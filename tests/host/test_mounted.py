"""The apps mounted below the host's app, the admin app and the extension webhooks, answer
alike (host/mounted.py): 400 for a malformed request, nothing to a client that left, and
500 for a call to a function that cannot run, before its body is read."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hostrunner import APPS, MASTER_KEY

from funcbind.host.app import load_hosted_app
from funcbind.host.asgi import HostApplication
from funcbind.host.console import Console
from funcbind.host.http import Message
from funcbind.host.model import HostedApp

CALLS = {
    "admin": ("/admin/functions/on_event", {"input": {"subject": "s"}}),
    "webhook": ("/runtime/webhooks/eventgrid?functionName=on_event", [{"subject": "s"}]),
}
KEY = {"x-functions-key": MASTER_KEY}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def grid_app(tmp_path_factory: pytest.TempPathFactory) -> HostedApp:
    # A copy, so that the keys generated into APP/.funcbind stay out of the repository.
    root = tmp_path_factory.mktemp("apps") / "eventgridapp"
    shutil.copytree(APPS / "eventgridapp", root)
    return load_hosted_app(root, environ=dict(os.environ))


@pytest.fixture
def application(grid_app: HostedApp) -> Iterator[HostApplication]:
    yield HostApplication(grid_app, console=Console(io.StringIO()), auth=True)


def client(application: HostApplication) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "payload"), CALLS.values(), ids=CALLS)
async def test_a_call_to_a_function_that_cannot_run_answers_500(
    application: HostApplication, monkeypatch: pytest.MonkeyPatch, path: str, payload: Any
) -> None:
    function = application.app.functions["on_event"]
    monkeypatch.setattr(function, "problem", "binding 'out': no such connection")
    async with client(application) as http:
        response = await http.post(path, json=payload, headers=KEY)
    assert response.status_code == 500
    assert response.json() == {
        "error": "function 'on_event' cannot run: binding 'out': no such connection"
    }


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "payload"), CALLS.values(), ids=CALLS)
async def test_a_malformed_request_answers_400(
    application: HostApplication, path: str, payload: Any
) -> None:
    separator = "&" if "?" in path else "?"
    async with client(application) as http:
        response = await http.post(f"{path}{separator}code=%ff", json=payload)
    assert response.status_code == 400
    assert response.json() == {"error": "the query string is not valid UTF-8 once percent-decoded"}


@pytest.mark.anyio
@pytest.mark.parametrize("path", [path for path, _ in CALLS.values()], ids=CALLS)
async def test_a_client_that_left_before_its_body_is_given_nothing(
    application: HostApplication, path: str
) -> None:
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "method": "POST",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "headers": [(b"x-functions-key", MASTER_KEY.encode())],
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    mounted = application.admin if raw_path.startswith("/admin/") else application.webhooks
    await mounted(scope, receive, send)
    assert sent == []
