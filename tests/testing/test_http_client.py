"""client.http: httpx's clients over the host's ASGI app, with the per-request costs cut
(funcbind.testing.http_client, funcbind.testing.transport) and httpx's behaviour kept."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from funcbind.testing import AsyncFunctionAppClient, FunctionAppClient
from funcbind.testing.transport import asgi_transport

APP = Path(__file__).parent / "apps" / "httpapp"


@pytest.fixture
def client() -> Iterator[FunctionAppClient]:
    with FunctionAppClient(APP) as client:
        yield client


def test_a_cookie_a_function_sets_is_sent_back(client: FunctionAppClient) -> None:
    assert client.http.get("/api/whoami").text == "(no cookie)"  # nothing kept from no cookie
    assert client.http.get("/api/login", params={"user": "bob"}).text == "welcome"
    assert client.http.cookies["session"] == "bob"
    assert client.http.get("/api/whoami").text == "session=bob"
    client.http.cookies = {"session": "eve"}  # the setter keeps the store that skips work
    assert client.http.get("/api/whoami").text == "session=eve"
    client.http.cookies.clear()
    assert client.http.get("/api/whoami").text == "(no cookie)"


def test_the_same_path_again_and_a_new_base_url(client: FunctionAppClient) -> None:
    for _ in range(2):  # the second time from the joined URLs kept
        response = client.http.get("/api/echo/a%20b", params={"q": "1"})
        assert response.text == "a b?1"
        assert str(response.request.url) == "http://localhost:7071/api/echo/a%20b?q=1"
    client.http.base_url = "http://localhost:7071/api/echo/"
    response = client.http.get("x")
    assert (response.text, str(response.url)) == ("x?", "http://localhost:7071/api/echo/x")
    # The same string as before, now joined to the new base: httpx appends it to it.
    assert client.http.get("/api/echo/a%20b").text == "api/echo/a b?"
    absolute = client.http.get("http://localhost:7071/api/echo/y?q=2")
    assert absolute.text == "y?2"


def test_a_response_is_read_as_from_a_socket(client: FunctionAppClient) -> None:
    response = client.http.get("/api/echo/z")
    assert response.elapsed.total_seconds() > 0  # set once the client read the stream
    assert response.headers["content-length"] == "2"
    with client.http.stream("GET", "/api/echo/s") as streamed:
        assert b"".join(streamed.iter_bytes()) == b"s?"


@pytest.mark.anyio
async def test_the_async_client_keeps_cookies_too() -> None:
    async with AsyncFunctionAppClient(APP) as client:
        await client.http.get("/api/login")
        assert (await client.http.get("/api/whoami")).text == "session=ann"
        assert (await client.http.get("/api/echo/q")).elapsed.total_seconds() > 0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_a_body_sent_in_parts_without_a_length_gets_one() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"one ", "more_body": True})
        await send({"type": "http.response.body", "body": b"two"})

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=asgi_transport(app)) as http:
            return await http.get("http://test/")

    response = asyncio.run(get())
    assert (response.status_code, response.content) == (201, b"one two")
    assert response.headers["content-length"] == "7"


def test_an_app_that_starts_no_response_is_an_error() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=asgi_transport(app)) as http:
            return await http.get("http://test/")

    with pytest.raises(RuntimeError, match="without starting a response"):
        asyncio.run(get())


# -- httpx's private hook ----------------------------------------------------------------------
# The URL join overrides httpx's private BaseClient._merge_url.  Were httpx to rename or
# stop calling it, the override would silently go unused (requests would still work, just
# without the joined URLs kept): these fail then, so the module is revisited.


def test_httpx_still_has_the_private_url_join_we_override() -> None:
    from httpx._client import BaseClient

    for cls in (BaseClient, httpx.Client, httpx.AsyncClient):
        assert callable(getattr(cls, "_merge_url", None)), cls


def _echo_url(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text=str(request.url))


def test_httpx_calls_our_url_join_on_a_request() -> None:
    from funcbind.testing.http_client import host_http_client

    transport = httpx.MockTransport(_echo_url)
    with host_http_client(base_url="http://test/api/", transport=transport) as http:
        assert http.get("/x").text == "http://test/api/x"
        # The joined URL was kept: only our _merge_url keeps it, so httpx called it.
        assert list(http._joined.urls) == ["/x"]
        assert http.get("/x").text == "http://test/api/x"  # and answered from it


def test_httpx_calls_our_url_join_on_an_async_request() -> None:
    from funcbind.testing.http_client import async_host_http_client

    async def get() -> tuple[str, list[str]]:
        transport = httpx.MockTransport(_echo_url)
        async with async_host_http_client(base_url="http://test/", transport=transport) as http:
            text = (await http.get("/y")).text
            return text, list(http._joined.urls)

    assert asyncio.run(get()) == ("http://test/y", ["/y"])
