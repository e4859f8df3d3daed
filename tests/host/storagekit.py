"""Helpers for the host's storage tests: the storage test app pointed at the session's
Azurite, unique names, records of invocations, and waiting for them."""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from hostrunner import APPS

from funcbind.host.azurite import Azurite

STORAGE_APP = APPS / "storageapp"
STORAGE_FUNCTIONS = (
    "read_by_route",
    "read_by_query",
    "post_order",
    "fails_after_output",
    "read_with_sdk",
    "job",
    "csv_arrived",
    "sdk_blob_arrived",
    "tick",
    "on_startup",
)
T = TypeVar("T")


def unique(prefix: str) -> str:
    """A container or queue name of this test's own on the shared Azurite."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def azurite_env(azurite: Azurite) -> dict[str, str]:
    """Development storage (UseDevelopmentStorage=true) means this session's Azurite."""
    return ports_env(azurite.ports["blob"], azurite.ports["queue"])


def ports_env(blob_port: int, queue_port: int) -> dict[str, str]:
    """Development storage on these loopback ports (where nothing may listen)."""
    return {
        "FUNCBIND_AZURITE_BLOB_ENDPOINT": f"http://127.0.0.1:{blob_port}/devstoreaccount1",
        "FUNCBIND_AZURITE_QUEUE_ENDPOINT": f"http://127.0.0.1:{queue_port}/devstoreaccount1",
    }


def storage_env(
    storage: dict[str, str], out_dir: Path, enabled: Iterable[str], **settings: str
) -> dict[str, str]:
    """The environment of a storage-app host running only the ``enabled`` functions, with
    development storage at ``storage`` (from :func:`azurite_env` or :func:`ports_env`)."""
    on = set(enabled)
    env = {**storage, "FUNCBIND_TEST_OUT": str(out_dir), **settings}
    for name in STORAGE_FUNCTIONS:
        if name not in on:
            env[f"AzureWebJobs.{name}.Disabled"] = "true"
    return env


def wait_until(check: Callable[[], T], timeout: float = 30, what: str = "a condition") -> T:
    """Poll ``check`` until it returns something truthy; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def records(out_dir: Path, kind: str) -> list[dict[str, Any]]:
    """The invocations of one kind recorded so far, oldest first."""
    found = []
    for path in sorted(out_dir.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime_ns):
        try:
            found.append(json.loads(path.read_text()))
        except ValueError:  # being written: the next poll reads it
            continue
    return found


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unb64(text: str) -> str:
    return base64.b64decode(text).decode()


def queue_texts(queue: Any) -> list[str]:
    """Every message now visible in a queue (decoded from base64), peeked, not taken."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return [unb64(m.content) for m in queue.peek_messages(max_messages=32)]
    except ResourceNotFoundError:
        return []


def send(queue: Any, text: str) -> Any:
    """Put a message (base64, as the host expects by default), creating the queue if needed."""
    from azure.core.exceptions import ResourceExistsError

    with contextlib.suppress(ResourceExistsError):
        queue.create_queue()
    return queue.send_message(b64(text))
