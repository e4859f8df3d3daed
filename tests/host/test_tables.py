"""Table bindings on the real ``funcbind run`` and the session's Azurite (table service
included), over HTTP: inputs by keys and by query, outputs of one entity and of many, in
a v2 app and function.json folders; bad entities and rejected filters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hostrunner import APPS, RunningHost
from storagekit import azurite_env

from funcbind.host.azurite import Azurite

pytestmark = pytest.mark.azurite

TABLE_APP = APPS / "tableapp"


@pytest.fixture(scope="module")
def table_name() -> str:
    import uuid

    return "people" + uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def host(azurite: Azurite, table_name: str) -> Iterator[RunningHost]:
    env = {
        **azurite_env(azurite),
        "FUNCBIND_AZURITE_TABLE_ENDPOINT": (
            f"http://127.0.0.1:{azurite.ports['table']}/devstoreaccount1"
        ),
        "TABLE_NAME": table_name,
    }
    running = RunningHost(TABLE_APP, env=env)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def http(host: RunningHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.url, timeout=30) as client:
        yield client


def table(azurite: Azurite, name: str) -> Any:
    from azure.data.tables import TableClient

    return TableClient.from_connection_string(azurite.connection_string, name)


def test_output_of_many_entities_then_input_by_keys(
    http: httpx.Client, azurite: Azurite, table_name: str
) -> None:
    people = [
        {"PartitionKey": "red", "RowKey": "1", "Name": "Ann", "Role": "dev", "Age": 31},
        {"PartitionKey": "red", "RowKey": "2", "Name": "Bo", "Role": "ops", "Age": 40},
        {"PartitionKey": "red", "RowKey": "3", "Name": "Cy", "Role": "dev", "Age": 25},
        {"PartitionKey": "red", "RowKey": "4", "Name": "Di", "Role": "dev", "Age": 52},
    ]
    stored = http.post("/api/people", content=json.dumps(people))
    assert (stored.status_code, stored.text) == (201, "stored")
    with table(azurite, table_name) as client:
        assert client.get_entity("red", "2")["Name"] == "Bo"

    found = http.get("/api/people/red/1")
    assert found.status_code == 200
    entity = found.json()
    assert {k: entity[k] for k in ("PartitionKey", "RowKey", "Name", "Role", "Age")} == people[0]
    assert list(entity)[:4] == ["odata.etag", "PartitionKey", "RowKey", "Timestamp"]
    assert entity["Timestamp"].endswith("+00:00") and entity["odata.etag"].startswith('W/"')
    assert http.get("/api/people/red/99").status_code == 404


def test_input_by_query_with_filter_and_take(http: httpx.Client, host: RunningHost) -> None:
    http.post(
        "/api/people",
        content=json.dumps(
            [
                {"PartitionKey": "blue", "RowKey": str(n), "Role": "dev" if n % 2 else "qa"}
                for n in range(1, 8)
            ]
        ),
    ).raise_for_status()
    found = http.get("/api/teams/blue", params={"role": "dev"})
    assert found.status_code == 200, host.output[-3000:]
    rows = found.json()
    assert [(row["PartitionKey"], row["RowKey"], row["Role"]) for row in rows] == [
        ("blue", "1", "dev"),
        ("blue", "3", "dev"),
    ]
    assert http.get("/api/teams/blue", params={"role": "nobody"}).json() == []


def test_a_quote_in_a_filter_value_stays_inside_the_string(http: httpx.Client) -> None:
    """A binding-expression value in a filter has its single quotes doubled."""
    found = http.get("/api/teams/blue", params={"role": "x' or RowKey ne '"})
    assert (found.status_code, found.json()) == (200, [])


def test_output_of_one_entity_inserts_and_etag_star_replaces(
    http: httpx.Client, azurite: Azurite, table_name: str, host: RunningHost
) -> None:
    """Keys from the binding.  As in the Tables extension, an entity is inserted (a key
    that exists fails the invocation) unless its odata.etag is "*" (replace)."""
    stored = http.put("/api/people/green/7", json={"Name": "Eve", "Active": True})
    assert stored.status_code == 201
    with table(azurite, table_name) as client:
        entity = client.get_entity("green", "7")
    assert (entity["Name"], entity["Active"]) == ("Eve", True)
    again = http.put("/api/people/green/7", json={"Name": "Eve 2"})
    assert again.status_code == 500
    host.wait_for(r"writing 1 entity to table '\w+' for output 'row' .*HTTP 409")
    replaced = http.put("/api/people/green/7", json={"Name": "Eve 3", "odata.etag": "*"})
    assert replaced.status_code == 201
    assert http.get("/api/people/green/7").json()["Name"] == "Eve 3"
    # The entity's own keys win over the binding's.
    http.put("/api/people/green/8", json={"partitionKey": "teal", "Name": "Flo"})
    assert http.get("/api/people/teal/8").json()["Name"] == "Flo"


def test_function_json_query_and_output(http: httpx.Client) -> None:
    stored = http.post(
        "/api/legacy/gold", content=json.dumps([{"RowKey": "a"}, {"RowKey": "b"}, {"RowKey": "c"}])
    )
    assert stored.status_code == 201
    found = http.get("/api/legacy/gold", params={"take": "2"})
    assert (found.status_code, found.json()) == (200, ["a", "b"])


def test_an_entity_without_keys_fails_and_nothing_is_written(
    http: httpx.Client, host: RunningHost, azurite: Azurite, table_name: str
) -> None:
    refused = http.post(
        "/api/people", content=json.dumps([{"PartitionKey": "x", "RowKey": "ok"}, {"Name": "?"}])
    )
    assert refused.status_code == 500
    line = host.wait_for(r"output 'rows', entity 1: expected a 'PartitionKey'")
    assert "add_people" in line.string
    with table(azurite, table_name) as client:  # nothing written: every entity is checked first
        assert list(client.query_entities("PartitionKey eq 'x'")) == []


def test_a_filter_the_service_rejects_is_a_500_naming_binding_and_filter(
    http: httpx.Client, host: RunningHost
) -> None:
    """A filter that is one expression goes to the service as it is."""
    older = http.get("/api/filtered", params={"q": "Age gt 39"})
    assert (older.status_code, older.json()) == (200, ["Bo", "Di"])
    refused = http.get("/api/filtered", params={"q": "Age gt and and"})
    assert refused.status_code == 500
    line = host.wait_for(r"querying table '\w+' for binding 'people' with filter 'Age gt and and'")
    assert "LegacyFilter" in line.string and "HTTP 400" in line.string


def test_a_filter_value_outside_quotes_must_be_a_number_or_boolean(http: httpx.Client) -> None:
    """As the Tables extension formats filters: {min} outside quotes takes 39, not text."""
    assert http.get("/api/ages", params={"min": "39"}).json() == ["Bo", "Di"]
    refused = http.get("/api/ages", params={"min": "0 or true"})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert "filter parameter {min}: expected a number or true/false" in error
    assert "'people'" in error


def test_table_key_values_are_checked(http: httpx.Client) -> None:
    """An expression value holding '..' (or '/', '\\', control characters) is refused
    before the function runs, as in blob paths."""
    refused = http.get("/api/people/red/a..b")
    assert refused.status_code == 400
    assert "'..'" in refused.json()["error"]


def test_a_table_client_parameter_gets_a_client_for_the_table(http: httpx.Client) -> None:
    http.post(
        "/api/people",
        content=json.dumps([{"PartitionKey": "plum", "RowKey": str(n)} for n in range(3)]),
    ).raise_for_status()
    counted = http.get("/api/count/plum")
    assert (counted.status_code, counted.text) == (200, "3")


def test_table_connections_resolve_like_blob_and_queue_ones() -> None:
    from funcbind.storage.connections import resolve_connection

    dev = resolve_connection("S", "table", {"S": "UseDevelopmentStorage=true"})
    assert "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1" in (dev.connection_string or "")
    moved = resolve_connection(
        "S",
        "table",
        {"S": "UseDevelopmentStorage=true", "FUNCBIND_AZURITE_TABLE_ENDPOINT": "http://h:1/acct"},
    )
    assert "TableEndpoint=http://h:1/acct" in (moved.connection_string or "")
    identity = resolve_connection("S", "table", {"S__tableServiceUri": "https://a.table.x/"})
    assert (identity.account_url, identity.setting) == ("https://a.table.x", "S__tableServiceUri")
    named = resolve_connection("S", "table", {"S__accountName": "acct"})
    assert named.account_url == "https://acct.table.core.windows.net"
