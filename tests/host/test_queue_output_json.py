"""Queue outputs holding JSON, through the real ``funcbind run`` and Azurite: as the
Functions host does (``FunctionBinding.ReadAsEnumerable``), a string output that reads as
a JSON array is one message per item, as a list is; other strings, and bytes, are one
message as they are."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hostrunner import APPS, RunningHost
from storagekit import azurite_env, queue_texts, unique, wait_until

from funcbind.host.azurite import Azurite

pytestmark = pytest.mark.azurite

QUEUE_JSON_APP = APPS / "queuejsonapp"


@pytest.fixture(scope="module")
def queue_name() -> str:
    return unique("json")


@pytest.fixture(scope="module")
def host(azurite: Azurite, queue_name: str) -> Iterator[RunningHost]:
    running = RunningHost(QUEUE_JSON_APP, env={**azurite_env(azurite), "OUT_QUEUE": queue_name})
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def http(host: RunningHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.url, timeout=30) as client:
        yield client


@pytest.fixture
def queue(azurite: Azurite, queue_name: str) -> Any:
    """The output queue, emptied before each test."""
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.queue import QueueClient

    client = QueueClient.from_connection_string(azurite.connection_string, queue_name)
    with contextlib.suppress(ResourceNotFoundError):
        client.clear_messages()
    return client


def sent(http: httpx.Client, route: str, body: bytes) -> None:
    response = http.post(f"/api/{route}", content=body)
    assert (response.status_code, response.text) == (200, "sent")


def messages(queue: Any, count: int) -> list[str]:
    def enough() -> list[str]:
        texts = queue_texts(queue)
        return texts if len(texts) >= count else []

    return wait_until(enough, what=f"{count} message(s)")


def test_a_string_holding_a_json_array_is_one_message_per_item(
    http: httpx.Client, queue: Any
) -> None:
    sent(http, "text", b' ["first", {"n": 2}, [3, "\xc3\xa9"], 4] ')
    # A string item as its text, anything else as its JSON text, compact.
    assert messages(queue, 4) == ["first", '{"n":2}', '[3,"\xe9"]', "4"]


def test_a_list_is_one_message_per_item_as_well(http: httpx.Client, queue: Any) -> None:
    sent(http, "list", b'["a", "b"]')
    assert messages(queue, 2) == ["a", "b"]


def test_other_strings_and_bytes_are_one_message_as_they_are(
    http: httpx.Client, queue: Any
) -> None:
    sent(http, "text", b"[not closed")
    sent(http, "bytes", b'["a", "b"]')
    assert messages(queue, 2) == ["[not closed", '["a", "b"]']


def test_a_string_reading_as_a_json_object_is_stored_as_sent(
    http: httpx.Client, queue: Any
) -> None:
    """docs/host.md: the host parses it too and stores the object re-serialised; the
    same JSON, its spacing aside."""
    sent(http, "text", b'{ "a": [1, 2] }')
    sent(http, "text", b"{not json}")
    assert messages(queue, 2) == ['{ "a": [1, 2] }', "{not json}"]


def test_a_string_that_looks_like_json_and_is_not_fails_and_sends_nothing(
    host: RunningHost, http: httpx.Client, queue: Any
) -> None:
    response = http.post("/api/text", content=b"[not json]")
    assert response.status_code == 500
    host.wait_for(
        r"binding 'out' \(queue\): a string that starts with '\[' .* this one is not JSON"
    )
    sent(http, "text", b"after")  # the queue holds what comes next, nothing before it
    assert messages(queue, 1) == ["after"]
