"""Fixtures for the Storage SDK binding tests: a fresh client cache, data in Azurite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from storage_support import OFFLINE_SETTINGS, installed

from funcbind.host.azurite import Azurite
from funcbind.storage import StorageClients


@pytest.fixture
def offline_clients() -> Iterator[StorageClients]:
    """A fresh default client cache over settings that point nowhere reachable."""
    with installed(StorageClients(dict(OFFLINE_SETTINGS))) as clients:
        yield clients


@dataclass
class StorageData:
    """What the Azurite tests read: a container of small blobs and a queue."""

    settings: dict[str, str]
    container: str
    queue: str
    blobs: dict[str, bytes]


@pytest.fixture(scope="module")
def storage_data(azurite: Azurite) -> Iterator[StorageData]:
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueServiceClient

    suffix = uuid.uuid4().hex[:12]
    data = StorageData(
        settings={"AzureWebJobsStorage": azurite.connection_string},
        container=f"sdk-{suffix}",
        queue=f"sdk-{suffix}",
        blobs={"a.txt": b"alpha", "b.txt": b"bravo", "dir/c.txt": b"charlie"},
    )
    with BlobServiceClient.from_connection_string(azurite.connection_string) as service:
        container = service.create_container(data.container)
        for name, content in data.blobs.items():
            container.upload_blob(name, content)
    with QueueServiceClient.from_connection_string(azurite.connection_string) as queues:
        queues.create_queue(data.queue)
    yield data


@pytest.fixture
def azurite_clients(storage_data: StorageData) -> Iterator[StorageClients]:
    """A fresh default client cache for sync tests against Azurite."""
    with installed(StorageClients(dict(storage_data.settings))) as clients:
        yield clients
