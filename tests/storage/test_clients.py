"""funcbind.storage.clients: the client cache (service clients shared, derived ones cached)."""

from __future__ import annotations

import asyncio
import gc
import sys
import weakref
from typing import Any

import pytest

from funcbind.host.azurite import development_connection_string
from funcbind.storage import ConnectionSettingError, StorageClients, StorageConnection
from funcbind.storage.clients import DEFAULT_CHUNK_SIZES, DEFAULT_FIRST_CHUNK_SIZES

MiB = 1024 * 1024

AZURITE = development_connection_string()
ACCOUNT = (
    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0LWtleQ==;"
    "EndpointSuffix=core.windows.net"
)


# -- the client cache ------------------------------------------------------------


def test_one_service_client_per_connection_and_kind() -> None:
    with StorageClients({"A": AZURITE, "B": AZURITE, "C": ACCOUNT}) as clients:
        service = clients.blob_service("A")
        assert clients.blob_service("A") is service
        assert clients.blob_service("B") is service  # the same connection string
        assert clients.blob_service("C") is not service
        assert clients.queue_service("A") is not service
        assert len(list(clients.cached_clients())) == 3


def test_derived_clients_are_reused_and_share_the_service_transport() -> None:
    with StorageClients({"A": AZURITE}) as clients:
        blob = clients.blob_client("A", "box", "x.txt")
        assert clients.blob_client("A", "box", "x.txt") is blob
        assert clients.blob_client("A", "box", "y.txt") is not blob
        assert blob.url.endswith("/devstoreaccount1/box/x.txt")
        assert clients.container_client("A", "box").container_name == "box"
        assert clients.queue_client("A", "jobs").queue_name == "jobs"
        service = clients.blob_service("A")
        transport = blob._pipeline._transport
        assert getattr(transport, "_transport", None) is service._pipeline._transport


def test_closing_a_derived_client_leaves_the_shared_one_working() -> None:
    closed: list[str] = []
    with StorageClients({"A": AZURITE}) as clients:
        shared = clients.blob_service("A")._pipeline._transport
        shared.close = lambda: closed.append("transport")
        shared.__exit__ = lambda *args: closed.append("transport")
        clients.blob_client("A", "box", "x.txt").close()
        with clients.container_client("A", "box"):
            pass
        assert closed == []  # the shared transport is still open
        assert clients.blob_client("A", "box", "x.txt").url.endswith("/box/x.txt")


def test_the_derived_cache_is_bounded() -> None:
    with StorageClients({"A": AZURITE}, derived_cache_size=2) as clients:
        first = clients.blob_client("A", "box", "1")
        clients.blob_client("A", "box", "2")
        clients.blob_client("A", "box", "1")  # recently used: stays
        clients.blob_client("A", "box", "3")  # evicts "2"
        assert clients.blob_client("A", "box", "1") is first
        assert len(clients._derived) == 2


def test_sync_blob_service_clients_fetch_8_mib_chunks_read_as_one_block() -> None:
    with StorageClients({"A": AZURITE}) as clients:
        service = clients.blob_service("A")
        assert service._config.max_single_get_size == DEFAULT_FIRST_CHUNK_SIZES[False] == 8 * MiB
        assert service._config.max_chunk_get_size == DEFAULT_CHUNK_SIZES[False] == 8 * MiB
        assert service._pipeline._transport.connection_config.data_block_size == 8 * MiB
    with StorageClients({"A": AZURITE}, chunk_size=4096) as clients:
        config = clients.blob_service("A")._config
        assert config.max_single_get_size == config.max_chunk_get_size == 4096


@pytest.mark.anyio
async def test_async_blob_service_clients_fetch_2_mib_chunks() -> None:
    async with StorageClients({"A": AZURITE}) as clients:
        config = clients.blob_service("A", asynchronous=True)._config
        assert config.max_single_get_size == config.max_chunk_get_size == 2 * 1024 * 1024


def test_close_closes_every_service_client_and_the_cache_starts_over() -> None:
    clients = StorageClients({"A": AZURITE})
    closed: list[str] = []
    services = {"blob": clients.blob_service("A"), "queue": clients.queue_service("A")}
    for kind, service in services.items():
        service.close = lambda kind=kind: closed.append(kind)
    blob = clients.blob_client("A", "box", "x.txt")
    clients.close()
    assert sorted(closed) == ["blob", "queue"]
    assert not list(clients.cached_clients())
    assert clients.blob_client("A", "box", "x.txt") is not blob  # usable again
    clients.close()


def test_a_connection_of_the_wrong_service_is_refused() -> None:
    with StorageClients({"A": AZURITE}) as clients:
        queue_connection = clients.connection("A", "queue")
        with pytest.raises(ConnectionSettingError, match="expected a blob connection"):
            clients.blob_client(queue_connection, "box", "x")


def test_a_connection_object_can_be_passed_directly() -> None:
    connection = StorageConnection("blob", "Direct", connection_string=AZURITE)
    with StorageClients({}) as clients:
        assert clients.blob_client(connection, "box", "x").container_name == "box"


def test_the_sdk_rejecting_a_connection_string_is_a_setting_error() -> None:
    # Passes our checks (it names an account) but the SDK wants a primary endpoint.
    value = (
        "AccountName=acct;AccountKey=a2V5;"
        "BlobSecondaryEndpoint=https://acct-secondary.blob.core.windows.net"
    )
    clients = StorageClients({"Bad": value})
    with pytest.raises(ConnectionSettingError, match="'Bad' is malformed") as caught:
        clients.blob_service("Bad")
    assert not list(clients.cached_clients())
    assert caught.value.__cause__ is None  # the SDK's error may quote the setting


def test_identity_connections_use_default_azure_credential() -> None:
    pytest.importorskip("azure.identity")
    with StorageClients({"Conn__blobServiceUri": "https://acct.blob.core.windows.net"}) as clients:
        service = clients.blob_service("Conn")
        assert type(service.credential).__name__ == "DefaultAzureCredential"
        assert service.url.startswith("https://acct.blob.core.windows.net")


def test_identity_connections_without_azure_identity_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # makes the import fail
    clients = StorageClients({"Conn__queueServiceUri": "https://acct.queue.core.windows.net"})
    with pytest.raises(ConnectionSettingError, match="pip install azure-identity") as caught:
        clients.queue_client("Conn", "jobs")
    assert "'Conn__queueServiceUri'" in str(caught.value)
    assert not list(clients.cached_clients())


# -- async clients -----------------------------------------------------------------


@pytest.mark.anyio
async def test_async_clients_are_cached_and_closed_in_their_loop() -> None:
    from azure.storage.blob.aio import BlobClient as AsyncBlobClient

    clients = StorageClients({"A": AZURITE})
    blob = clients.blob_client("A", "box", "x.txt", asynchronous=True)
    assert isinstance(blob, AsyncBlobClient)
    assert clients.blob_client("A", "box", "x.txt", asynchronous=True) is blob
    assert clients.blob_client("A", "box", "x.txt") is not blob  # the sync one is separate
    service = clients.blob_service("A", asynchronous=True)
    closed = []

    async def close() -> None:
        closed.append(True)

    service.close = close
    await clients.aclose()
    assert closed == [True]
    assert not list(clients.cached_clients())


def test_async_clients_belong_to_their_event_loop() -> None:
    clients = StorageClients({"A": AZURITE})

    async def service() -> Any:
        return clients.blob_service("A", asynchronous=True)

    first = asyncio.run(service())
    second = asyncio.run(service())
    assert first is not second  # an aiohttp session cannot move between loops
    clients.close()  # no loop running here: async clients are closed too
    assert not list(clients.cached_clients())


@pytest.mark.anyio
async def test_close_inside_a_loop_leaves_async_clients_for_aclose() -> None:
    clients = StorageClients({"A": AZURITE})
    clients.blob_service("A")
    clients.blob_service("A", asynchronous=True)
    clients.close()
    assert list(clients.cached_clients()) == [(clients.connection("A", "blob"), True)]
    await clients.aclose()
    assert not list(clients.cached_clients())


def test_clients_of_closed_event_loops_are_dropped() -> None:
    clients = StorageClients({"A": AZURITE})
    sync_service = clients.blob_service("A")
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def use() -> Any:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        return clients.blob_client("A", "box", "x.txt", asynchronous=True)

    for _ in range(5):
        asyncio.run(use())  # a new loop each time, closed when it returns
    # Adding the clients of a new loop dropped those of the loops that had closed.
    entries = list(clients._services.values())
    assert [entry.asynchronous for entry in entries].count(True) == 1
    assert sum(key[1] for key in clients._derived) == 1
    assert clients.blob_service("A") is sync_service  # sync clients are not touched
    gc.collect()
    assert [loop() is None for loop in loops] == [True, True, True, True, False]
    clients.close()
