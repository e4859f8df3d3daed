"""``table`` through the registry: a TableClient parameter built from the reference
funcbind's host sends, and every other annotation left to the generic converter."""

from __future__ import annotations

from typing import Optional

import pytest
from azure.data.tables import TableClient
from azure.data.tables.aio import TableClient as AsyncTableClient

from funcbind import Datum
from funcbind.errors import DecodeError, UnsupportedDatumError
from funcbind.registry import BindingSpec, default_registry
from funcbind.storage.references import table_reference

DEV = "UseDevelopmentStorage=true"


@pytest.fixture()
def settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TablesConnection", DEV)


def decoder(annotation: object, direction: str = "in") -> object:
    binding = BindingSpec(type="table", name="people", direction=direction)
    return default_registry().decoder("table", annotation, binding)


def test_a_sync_client_for_the_named_table(settings: None) -> None:
    decode = decoder(TableClient)
    assert getattr(decode, "supports_deferred_binding", False) is True
    client = decode(table_reference("TablesConnection", "people"))  # type: ignore[operator]
    assert isinstance(client, TableClient)
    assert client.table_name == "people"
    assert client.url.startswith("http://127.0.0.1:10002/devstoreaccount1")


def test_an_aio_client(settings: None) -> None:
    decode = decoder(AsyncTableClient)
    client = decode(table_reference("TablesConnection", "people"))  # type: ignore[operator]
    assert isinstance(client, AsyncTableClient)


def test_other_annotations_stay_generic() -> None:
    decode = decoder(str)
    assert decode(Datum('{"RowKey": "1"}', "json")) == '{"RowKey": "1"}'  # type: ignore[operator]
    assert not getattr(decode, "supports_deferred_binding", False)


def test_errors_name_the_binding(settings: None) -> None:
    decode = decoder(TableClient)
    with pytest.raises(UnsupportedDatumError, match=r"'people'.*model_binding_data"):
        decode(Datum("{}", "json"))  # type: ignore[operator]
    with pytest.raises(DecodeError, match="got nothing"):
        decode(Datum(None, None))  # type: ignore[operator]
    assert decoder(Optional[TableClient])(Datum(None, None)) is None  # type: ignore[operator]
    with pytest.raises(DecodeError, match="'Missing' is not set"):
        decode(table_reference("Missing", "people"))  # type: ignore[operator]
