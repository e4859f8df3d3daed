"""The request body of a function route: received only when the request frames one.

HTTP/1.x frames a request body with Content-Length or Transfer-Encoding; a request with
neither has none, so the host answers it without asking the server for a body (as a bare
ASGI app does).  Other versions (HTTP/2) are always asked.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from funcbind.host.app import load_hosted_app
from funcbind.host.asgi import HostApplication
from funcbind.host.console import Console

pytestmark = pytest.mark.anyio

APP = """
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="size", methods=["GET", "POST"])
def size(req: func.HttpRequest) -> str:
    return f"{req.method} {len(req.get_body())}"
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Quiet:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@pytest.fixture
def application(tmp_path: Path) -> HostApplication:
    (tmp_path / "function_app.py").write_text(textwrap.dedent(APP))
    (tmp_path / "host.json").write_text('{"version": "2.0"}')
    return HostApplication(load_hosted_app(tmp_path, auth=False), console=Console(Quiet()))


async def serve(
    application: HostApplication,
    method: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    http_version: str = "1.1",
) -> tuple[bytes, int]:
    """The response body, and how often the app asked for the request body."""
    asked = 0
    scope: dict[str, Any] = {
        "type": "http",
        "http_version": http_version,
        "method": method,
        "scheme": "http",
        "path": "/api/size",
        "raw_path": b"/api/size",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await application(scope, receive, send)
    assert sent[0]["status"] == 200, sent
    return sent[1]["body"], asked


async def test_a_request_without_body_framing_is_answered_without_receiving(
    application: HostApplication,
) -> None:
    assert await serve(application, "GET", [], b"") == (b"GET 0", 0)


async def test_a_body_framed_by_content_length_is_received(
    application: HostApplication,
) -> None:
    framed = [(b"content-length", b"5")]
    assert await serve(application, "POST", framed, b"hello") == (b"POST 5", 1)


async def test_a_chunked_body_is_received(application: HostApplication) -> None:
    chunked = [(b"transfer-encoding", b"chunked")]
    assert await serve(application, "POST", chunked, b"hello") == (b"POST 5", 1)


async def test_over_http2_the_body_is_always_received(application: HostApplication) -> None:
    assert await serve(application, "POST", [], b"hello", http_version="2") == (b"POST 5", 1)
