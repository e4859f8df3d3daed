"""The ASGI application in process (httpx's ASGI transport), and its request/response pieces."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from hostrunner import MASTER_KEY, SETTINGS_APP, WEBAPP
from hypothesis import given
from hypothesis import strategies as st

from funcbind.bindings.http import HttpCookie
from funcbind.datum import Datum
from funcbind.host.app import load_hosted_app
from funcbind.host.asgi import HostApplication
from funcbind.host.console import Console
from funcbind.host.http import (
    BadRequest,
    parse_query,
    read_headers,
    request_path,
    response_parts,
)
from funcbind.host.model import HostedApp

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Lines:
    """A text stream for Console that keeps what was written."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def client_for(app: HostedApp, *, auth: bool = True, console: Console | None = None) -> Any:
    application = HostApplication(app, console=console or Console(Lines()), auth=auth)
    transport = httpx.ASGITransport(app=application)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture(scope="module")
def settings_app(tmp_path_factory: pytest.TempPathFactory) -> HostedApp:
    # A copy, so that the keys generated into APP/.funcbind stay out of the repository.
    root = tmp_path_factory.mktemp("apps") / "settings_app"
    shutil.copytree(SETTINGS_APP, root)
    return load_hosted_app(root, environ=dict(os.environ))


@pytest.fixture
async def settings_client(settings_app: HostedApp) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(settings_app) as client:
        yield client


# -- host.json and local.settings.json, end to end ---------------------------------


async def test_route_prefix_can_be_empty(settings_client: httpx.AsyncClient) -> None:
    response = await settings_client.get("/kept")
    assert (response.status_code, response.text) == (200, "kept")
    assert (await settings_client.get("/api/kept")).status_code == 404


async def test_functions_outside_the_allow_list_are_not_served(
    settings_app: HostedApp, settings_client: httpx.AsyncClient
) -> None:
    assert (await settings_client.get("/excluded")).status_code == 404
    assert "excluded" not in settings_app.functions
    assert any("missing_one" in note for note in settings_app.notes)


async def test_function_timeout_answers_500(settings_app: HostedApp) -> None:
    lines = Lines()
    async with client_for(settings_app, console=Console(lines)) as client:
        response = await client.get("/sleeper")
    assert response.status_code == 500
    assert response.json()["error"] == "function 'sleeper' timed out"
    assert response.json()["invocationId"] in lines.text
    assert "timed out after 1 s (host.json functionTimeout)" in lines.text


async def test_body_limit_from_the_app_setting(settings_client: httpx.AsyncClient) -> None:
    assert (await settings_client.post("/echo-size", content=b"x" * 1024)).text == "1024"
    response = await settings_client.post("/echo-size", content=b"x" * 1025)
    assert response.status_code == 413
    assert response.json() == {"error": "request body is larger than the limit of 1024 bytes"}


async def test_cors(settings_client: httpx.AsyncClient) -> None:
    allowed = {"origin": "http://allowed.example"}
    response = await settings_client.get("/kept", headers=allowed)
    assert response.headers["access-control-allow-origin"] == "http://allowed.example"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"
    other = await settings_client.get("/kept", headers={"origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = await settings_client.options(
        "/kept",
        headers={
            **allowed,
            "access-control-request-method": "PUT",
            "access-control-request-headers": "x-custom",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-methods"] == "PUT"
    assert preflight.headers["access-control-allow-headers"] == "x-custom"
    assert preflight.headers["access-control-allow-origin"] == "http://allowed.example"
    # Errors carry the CORS headers too, so a browser can read them.
    missing = await settings_client.get("/nope", headers=allowed)
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == "http://allowed.example"


async def test_generated_keys_are_stored_once_and_git_ignored(
    settings_app: HostedApp, settings_client: httpx.AsyncClient
) -> None:
    state = settings_app.app_dir / ".funcbind"
    assert (state / ".gitignore").read_text().splitlines()[-1] == "*"
    stored = json.loads((state / "keys.json").read_text())
    assert settings_app.keys is not None
    assert stored == {"master": settings_app.keys.master, "default": settings_app.keys.default}
    assert (state / "keys.json").stat().st_mode & 0o077 == 0
    assert (await settings_client.get("/keyed")).status_code == 401
    with_key = await settings_client.get("/keyed", params={"code": stored["default"]})
    assert with_key.text == "keyed ok"
    again = load_hosted_app(settings_app.app_dir, environ=dict(os.environ))
    assert again.keys is not None
    assert (again.keys.master, again.keys.default) == (stored["master"], stored["default"])


async def test_no_auth_means_no_keys_file(tmp_path: Path) -> None:
    root = tmp_path / "settings_app"
    shutil.copytree(SETTINGS_APP, root)
    app = load_hosted_app(root, auth=False, environ=dict(os.environ))
    assert app.keys is None
    assert not (root / ".funcbind").exists()
    async with client_for(app, auth=False) as client:
        assert (await client.get("/keyed")).text == "keyed ok"


async def test_websocket_and_verbose_request_lines(settings_app: HostedApp) -> None:
    lines = Lines()
    async with client_for(settings_app, console=Console(lines, verbose=True)) as client:
        await client.get("/kept", params={"code": "hidden-key", "x": "1"})
    assert "GET /kept?code=***&x=1 -> 200 in " in lines.text
    assert "hidden-key" not in lines.text
    assert "kept (" in lines.text and "succeeded in" in lines.text


# -- with a fake function layer: what the host does with each kind of result ---------------


class FakeResult:
    def __init__(self, datum: Datum | None, error: BaseException | None = None) -> None:
        self.invocation_id = "fake-id"
        self.return_value = datum
        self.outputs: dict[str, Datum] = {}
        self.error = error


async def call_with_result(app: HostedApp, datum: Datum | None) -> httpx.Response:
    seen: dict[str, Any] = {}

    async def fake_invoke(plan: Any, inputs: Any, **options: Any) -> FakeResult:
        seen["inputs"], seen["options"] = inputs, options
        return FakeResult(datum)

    application = HostApplication(app, console=Console(Lines()), auth=False, invoke=fake_invoke)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
        response = await client.get("/kept")
    assert seen["inputs"]["req"].type == "http"
    return response


async def test_plain_datums_become_200_responses(settings_app: HostedApp) -> None:
    text = await call_with_result(settings_app, Datum("hi", "string"))
    assert (text.status_code, text.text) == (200, "hi")
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    data = await call_with_result(settings_app, Datum('{"a": 1}', "json"))
    assert data.headers["content-type"] == "application/json; charset=utf-8"
    raw = await call_with_result(settings_app, Datum(bytearray(b"\x00\x01"), "bytes"))
    assert raw.content == b"\x00\x01"
    for unset in (None, Datum(None, None)):
        empty = await call_with_result(settings_app, unset)
        assert (empty.status_code, empty.content) == (200, b"")


async def test_a_response_that_cannot_be_sent_answers_500(settings_app: HostedApp) -> None:
    bad_header = Datum(
        {
            "status_code": Datum("200", "string"),
            "headers": {"x-bad": Datum("a\r\nb", "string")},
            "body": Datum(b"", "bytes"),
        },
        "http",
    )
    response = await call_with_result(settings_app, bad_header)
    assert response.status_code == 500
    assert response.json()["invocationId"] == "fake-id"
    odd = await call_with_result(settings_app, Datum([1], "collection_sint64"))
    assert odd.status_code == 500


# -- pieces -----------------------------------------------------------------------------


def http_datum(status: str, headers: dict[str, str], cookies: Any, body: Any) -> Datum:
    return Datum(
        {
            "status_code": Datum(status, "string"),
            "headers": {name: Datum(value, "string") for name, value in headers.items()},
            "cookies": cookies,
            "body": Datum(body, "bytes" if isinstance(body, bytes) else "string"),
        },
        "http",
    )


def test_response_parts_drop_framing_headers_and_send_every_cookie() -> None:
    cookies = [HttpCookie("a", "1", path="/"), HttpCookie("b", "2", http_only=True)]
    status, headers, body = response_parts(
        http_datum(
            "418",
            {"X-Tea": "yes", "Content-Length": "999", "Transfer-Encoding": "chunked"},
            cookies,
            "short and stout",
        )
    )
    assert status == 418
    assert headers == [
        (b"X-Tea", b"yes"),
        (b"set-cookie", b"a=1; Path=/"),
        (b"set-cookie", b"b=2; HttpOnly"),
    ]
    assert body == b"short and stout"


def test_response_parts_accept_the_stock_simple_cookie() -> None:
    cookie: SimpleCookie = SimpleCookie()
    cookie["session"] = "xyz"
    cookie["session"]["path"] = "/api"
    _, headers, _ = response_parts(http_datum("200", {}, [cookie], b""))
    assert headers == [(b"set-cookie", b"session=xyz; Path=/api")]


@pytest.mark.parametrize("status", ["abc", "99", "1000", ""])
def test_response_parts_reject_a_bad_status(status: str) -> None:
    with pytest.raises(ValueError, match="status code"):
        response_parts(http_datum(status, {}, None, b""))


def test_request_path_decodes_but_keeps_encoded_slashes() -> None:
    assert request_path({"raw_path": b"/api/a%20b", "path": ""}) == "/api/a b"
    assert request_path({"raw_path": b"/api/a%2Fb%2fc", "path": ""}) == "/api/a%2Fb%2fc"
    assert request_path({"raw_path": b"/api/caf%C3%A9", "path": ""}) == "/api/café"
    assert request_path({"path": "/no/raw"}) == "/no/raw"
    with pytest.raises(BadRequest, match="UTF-8"):
        request_path({"raw_path": b"/api/%FF", "path": ""})


def test_headers_are_lower_case_and_repeats_joined_with_commas() -> None:
    headers, key = read_headers(
        {
            "headers": [
                (b"Accept", b"text/html"),
                (b"accept", b"application/json"),
                (b"x-functions-key", b"k1"),
            ]
        }
    )
    assert {name: datum.value for name, datum in headers.items()} == {
        "accept": "text/html,application/json",
        "x-functions-key": "k1",
    }
    assert key == "k1"


def test_query_values_as_the_host_sends_them() -> None:
    query = parse_query(b"a=1&b=&a=2&c=x+y&d=%E2%9C%93&e")
    assert {name: datum.value for name, datum in query.items()} == {
        "a": "1,2",
        "c": "x y",
        "d": "✓",
    }
    assert all(datum.type == "string" for datum in query.values())
    assert parse_query(b"") == {}
    with pytest.raises(BadRequest):
        parse_query(b"a=%FF")


@given(st.binary(max_size=60))
def test_query_parsing_raises_only_bad_request(raw: bytes) -> None:
    with contextlib.suppress(BadRequest):
        parse_query(raw)


@given(st.binary(max_size=60))
def test_path_decoding_raises_only_bad_request(raw: bytes) -> None:
    with contextlib.suppress(BadRequest):
        request_path({"raw_path": b"/" + raw, "path": ""})


@given(st.lists(st.tuples(st.text("abc=&", max_size=4), st.text("xyz=&", max_size=4)), max_size=5))
def test_the_query_fast_path_agrees_with_parse_qsl(pairs: list[tuple[str, str]]) -> None:
    text = "&".join(f"{name}={value}" for name, value in pairs)
    expected: dict[str, str] = {}
    for name, value in parse_qsl(text):
        expected[name] = f"{expected[name]},{value}" if name in expected else value
    assert {name: datum.value for name, datum in parse_query(text.encode()).items()} == expected


async def test_a_host_bug_answers_500_and_is_logged_with_its_traceback(
    settings_app: HostedApp,
) -> None:
    async def broken_invoke(plan: Any, inputs: Any, **options: Any) -> Any:
        raise RuntimeError("bug in the function layer")

    lines = Lines()
    application = HostApplication(
        settings_app, console=Console(lines), auth=False, invoke=broken_invoke
    )
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
        response = await client.get("/kept")
    assert response.status_code == 500
    assert response.json() == {"error": "internal error in funcbind run; see its console"}
    assert "internal error while serving a request" in lines.text
    assert "RuntimeError: bug in the function layer" in lines.text
    assert "Traceback" in lines.text


@pytest.fixture(scope="module")
def webapp_in_process() -> HostedApp:
    # The app reads GREETING at import: apply its Values for the load, then restore the
    # environment of the test process.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GREETING", "Howdy")
        patch.setenv("FUNCTIONS_WORKER_RUNTIME", "python")
        patch.setenv("AzureWebJobs.Switched.Disabled", "true")
        return load_hosted_app(WEBAPP)


async def test_admin_invoke_in_process(webapp_in_process: HostedApp) -> None:
    lines = Lines()
    application = HostApplication(webapp_in_process, console=Console(lines, verbose=True))
    transport = httpx.ASGITransport(app=application)
    master = {"x-functions-key": MASTER_KEY}
    async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
        accepted = await client.post(
            "/admin/functions/queue_job", json={"input": "in process"}, headers=master
        )
        assert accepted.status_code == 202
        await application.admin.drain()
        assert not application.admin.running
        invocation_id = accepted.json()["invocationId"]
        assert f"queue_job ({invocation_id}) succeeded in" in lines.text
        empty = await client.post("/admin/functions/timer_job", content=b"", headers=master)
        assert empty.status_code == 202
        not_object = await client.post("/admin/functions/timer_job", json=[1], headers=master)
        assert not_object.status_code == 400
        assert "expected a JSON object" in not_object.json()["error"]
        disabled = await client.post("/admin/functions/Switched", json={}, headers=master)
        assert disabled.status_code == 404
        assert "is disabled" in disabled.json()["error"]
        other = await client.post("/admin/other/thing", headers=master)
        assert other.status_code == 404
        status = await client.post("/admin/host/status")
        assert (status.status_code, status.headers["allow"]) == (405, "GET")
        await application.admin.drain()
