"""funcbind.storage.connections: resolving connection settings, and the client cache."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcbind.host.azurite import DEVELOPMENT_KEY, development_connection_string
from funcbind.storage import (
    ConnectionSettingError,
    StorageClients,
    StorageConnection,
    connection_setting_name,
    resolve_connection,
)
from funcbind.storage.connections import DEFAULT_CHUNK_SIZES

AZURITE = development_connection_string()
ACCOUNT = (
    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0LWtleQ==;"
    "EndpointSuffix=core.windows.net"
)


# -- resolution: connection strings ---------------------------------------------


def test_a_connection_string_setting_is_used_as_is() -> None:
    connection = resolve_connection("Storage", "blob", {"Storage": ACCOUNT})
    assert connection.connection_string == ACCOUNT
    assert connection.setting == "Storage"
    assert not connection.identity_based


def test_two_names_with_the_same_value_are_the_same_connection() -> None:
    settings = {"A": ACCOUNT, "B": ACCOUNT}
    assert resolve_connection("A", "blob", settings) == resolve_connection("B", "blob", settings)
    assert resolve_connection("A", "blob", settings) != resolve_connection("A", "queue", settings)


def test_the_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FromEnvironment", ACCOUNT)
    assert resolve_connection("FromEnvironment", "queue").connection_string == ACCOUNT


def test_a_changed_setting_is_seen() -> None:
    settings = {"Storage": ACCOUNT}
    first = resolve_connection("Storage", "blob", settings)
    settings["Storage"] = AZURITE
    assert resolve_connection("Storage", "blob", settings).connection_string == AZURITE
    assert first.connection_string == ACCOUNT


def test_use_development_storage_means_azurite_on_its_well_known_ports() -> None:
    settings = {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    blob = resolve_connection("AzureWebJobsStorage", "blob", settings)
    queue = resolve_connection("AzureWebJobsStorage", "queue", settings)
    assert blob.connection_string is not None and queue.connection_string is not None
    assert "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;" in blob.connection_string
    assert "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;" in queue.connection_string
    assert DEVELOPMENT_KEY in blob.connection_string


def test_azurite_endpoints_can_be_overridden_and_changed() -> None:
    settings = {
        "AzureWebJobsStorage": "usedevelopmentstorage=TRUE;",
        "FUNCBIND_AZURITE_BLOB_ENDPOINT": "http://127.0.0.1:41000/devstoreaccount1/",
    }
    connection = resolve_connection("AzureWebJobsStorage", "blob", settings)
    assert connection.connection_string is not None
    assert "BlobEndpoint=http://127.0.0.1:41000/devstoreaccount1;" in connection.connection_string
    settings["FUNCBIND_AZURITE_BLOB_ENDPOINT"] = "http://127.0.0.1:42000/devstoreaccount1"
    moved = resolve_connection("AzureWebJobsStorage", "blob", settings)
    assert moved.connection_string is not None and ":42000/" in moved.connection_string


def test_a_bad_azurite_override_names_its_setting() -> None:
    settings = {
        "AzureWebJobsStorage": "UseDevelopmentStorage=true",
        "FUNCBIND_AZURITE_QUEUE_ENDPOINT": "localhost:10001",
    }
    with pytest.raises(ConnectionSettingError, match="'FUNCBIND_AZURITE_QUEUE_ENDPOINT'"):
        resolve_connection("AzureWebJobsStorage", "queue", settings)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("not a connection string", "segment without '='"),
        ("AccountName=acct;garbage", "segment without '='"),
        ("DefaultEndpointsProtocol=https;EndpointSuffix=core.windows.net", "AccountName"),
        ("AccountName=;AccountKey=a2V5", "AccountName"),
        ("BlobEndpoint=;AccountName=acct", "expected BlobEndpoint to be an http"),
        ("https://acct.blob.core.windows.net", "holds a URL"),
    ],
)
def test_a_malformed_connection_string_is_named_not_printed(value: str, expected: str) -> None:
    with pytest.raises(ConnectionSettingError, match=expected) as caught:
        resolve_connection("Storage", "blob", {"Storage": value})
    assert "'Storage'" in str(caught.value)
    assert "garbage" not in str(caught.value)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789+/", min_size=12, max_size=40))
def test_a_secret_never_appears_in_an_error(key: str) -> None:
    value = f"AccountKey={key};{key}"  # malformed: a segment without '='
    with pytest.raises(ConnectionSettingError) as caught:
        resolve_connection("Storage", "blob", {"Storage": value})
    assert key not in str(caught.value)


def test_the_repr_of_a_connection_hides_its_string() -> None:
    connection = resolve_connection("Storage", "blob", {"Storage": ACCOUNT})
    assert "c2VjcmV0" not in repr(connection)
    assert "c2VjcmV0" not in connection.describe()


# -- resolution: identity-based --------------------------------------------------


@pytest.mark.parametrize(
    ("service", "suffix"),
    [
        ("blob", "__blobServiceUri"),
        ("blob", "__serviceUri"),
        ("queue", "__queueServiceUri"),
        ("queue", "__serviceUri"),
    ],
)
def test_service_uri_settings_make_identity_connections(service: Any, suffix: str) -> None:
    url = f"https://acct.{service}.core.windows.net/"
    connection = resolve_connection("Conn", service, {"Conn" + suffix: url})
    assert connection.identity_based
    assert connection.account_url == url.rstrip("/")
    assert connection.setting == "Conn" + suffix


def test_the_service_specific_uri_wins_over_service_uri() -> None:
    settings = {
        "Conn__serviceUri": "https://acct.blob.core.windows.net",
        "Conn__queueServiceUri": "https://acct.queue.core.windows.net",
    }
    queue = resolve_connection("Conn", "queue", settings)
    assert queue.account_url == "https://acct.queue.core.windows.net"
    assert resolve_connection("Conn", "blob", settings).account_url == (
        "https://acct.blob.core.windows.net"
    )


def test_account_name_and_client_id() -> None:
    settings = {"Conn__accountName": "acct", "Conn__clientId": "1234"}
    connection = resolve_connection("Conn", "queue", settings)
    assert connection.account_url == "https://acct.queue.core.windows.net"
    assert connection.client_id == "1234"


def test_a_connection_string_wins_over_identity_settings() -> None:
    settings = {"Conn": ACCOUNT, "Conn__serviceUri": "https://other.blob.core.windows.net"}
    assert resolve_connection("Conn", "blob", settings).connection_string == ACCOUNT


def test_a_malformed_service_uri_is_named() -> None:
    with pytest.raises(ConnectionSettingError, match="'Conn__blobServiceUri' is malformed"):
        resolve_connection("Conn", "blob", {"Conn__blobServiceUri": "acct.blob.core.windows.net"})


def test_a_sas_token_in_a_url_is_not_printed() -> None:
    settings = {"Conn__blobServiceUri": "acct.blob.core.windows.net/?sv=2024&sig=SECRET"}
    with pytest.raises(ConnectionSettingError) as caught:
        resolve_connection("Conn", "blob", settings)
    assert "SECRET" not in str(caught.value)
    connection = StorageConnection("blob", "X", account_url="https://a.blob/?sig=SECRET")
    assert "SECRET" not in connection.describe()


def test_a_missing_setting_names_every_place_looked_at() -> None:
    with pytest.raises(ConnectionSettingError) as caught:
        resolve_connection("MyStorage", "blob", {})
    message = str(caught.value)
    assert "connection setting 'MyStorage' is not set" in message
    assert "'MyStorage__blobServiceUri'" in message
    assert "'MyStorage__serviceUri'" in message


def test_an_empty_setting_counts_as_missing_and_says_so() -> None:
    with pytest.raises(ConnectionSettingError, match="it is set but empty"):
        resolve_connection("AzureWebJobsStorage", "queue", {"AzureWebJobsStorage": "  "})


@pytest.mark.parametrize("name", ["", "   ", None])
def test_a_blank_name_is_refused(name: Any) -> None:
    with pytest.raises(ConnectionSettingError, match="expected the name of a connection"):
        resolve_connection(name, "blob", {})


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"connection": "MyStorage"}, "MyStorage"),
        ({}, "AzureWebJobsStorage"),
        ({"connection": ""}, "AzureWebJobsStorage"),
    ],
)
def test_connection_setting_name(properties: dict[str, str], expected: str) -> None:
    assert connection_setting_name(properties) == expected


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


def test_blob_service_clients_fetch_small_chunks() -> None:
    with StorageClients({"A": AZURITE}) as clients:
        config = clients.blob_service("A")._config
        assert config.max_single_get_size == DEFAULT_CHUNK_SIZES[False] == 1024 * 1024
        assert config.max_chunk_get_size == DEFAULT_CHUNK_SIZES[False]
    with StorageClients({"A": AZURITE}, chunk_size=4096) as clients:
        assert clients.blob_service("A")._config.max_chunk_get_size == 4096


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
