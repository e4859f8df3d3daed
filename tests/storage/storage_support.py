"""Helpers for the Storage SDK binding tests: fixtures on disk, a client cache installed."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from funcbind import Datum
from funcbind.host.azurite import development_connection_string
from funcbind.storage import StorageClients, set_default_clients
from funcbind.storage import clients as client_cache

FIXTURES = Path(__file__).parent / "fixtures"
APP = Path(__file__).parent / "apps" / "sdk_app"
# Connection strings for unit tests: clients are built, nothing is sent.
OFFLINE_SETTINGS = {
    "AzureWebJobsStorage": development_connection_string(),
    "ReportsStorage": (
        "DefaultEndpointsProtocol=https;AccountName=reports;AccountKey="
        "cmVwb3J0cy1rZXktbm90LWEtcmVhbC1vbmU=;EndpointSuffix=core.windows.net"
    ),
}


def load_datum(name: str) -> Datum:
    """A fixture as the worker's Datum: the message's content as bytes, as protobuf gives it."""
    raw = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))

    def message(fields: dict[str, Any]) -> dict[str, Any]:
        return {**fields, "content": fields["content"].encode("utf-8")}

    value = raw["value"]
    if raw["type"] == "collection_model_binding_data":
        return Datum([message(item) for item in value], raw["type"])
    return Datum(message(value), raw["type"])


@contextlib.contextmanager
def installed(clients: StorageClients) -> Iterator[StorageClients]:
    """Make ``clients`` the process-wide instance for a while; close it afterwards."""
    previous = client_cache._default
    set_default_clients(clients)
    try:
        yield clients
    finally:
        client_cache._default = previous
        clients.close()


@contextlib.asynccontextmanager
async def installed_async(clients: StorageClients) -> AsyncIterator[StorageClients]:
    """As :func:`installed`, closing async clients in the running loop."""
    previous = client_cache._default
    set_default_clients(clients)
    try:
        yield clients
    finally:
        client_cache._default = previous
        await clients.aclose()


class HashingSink:
    """A write-only stream that keeps nothing: what a function processing a blob does."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.written = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.written += len(data)
        return len(data)
