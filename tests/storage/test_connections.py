"""funcbind.storage.connections: resolving connection settings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcbind.host.azurite import DEVELOPMENT_KEY, development_connection_string
from funcbind.storage import (
    ConnectionSettingError,
    StorageConnection,
    connection_setting_name,
    resolve_connection,
)

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
