"""Cosmos DB, SQL and MySQL: decoding JSON row lists and encoding rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import azure.functions as func
import pytest
from azure.functions.cosmosdb import CosmosDBConverter, CosmosDBTriggerConverter
from azure.functions.meta import Datum
from azure.functions.mysql import MySqlTriggerConverter
from azure.functions.sql import SqlConverter

from benchmarks._memory import peak_memory
from funcbind.bindings import cosmosdb, generic, mysql, sql
from funcbind.registry import Registry

IMPLS = ["azure.functions", "funcbind"]


def _document(n: int) -> dict[str, Any]:
    """A change-feed document: a few fields of its own and the system properties."""
    rid = f"cGtlAKnsAwA{n:04d}AAAAAAAA=="
    return {
        "id": f"order-{n}",
        "customerId": f"c-{n % 17}",
        "status": ("new", "paid", "shipped")[n % 3],
        "total": n * 1.25,
        "lines": [{"sku": f"SKU-{n:04d}", "qty": n % 5 + 1}],
        "_rid": rid,
        "_self": f"dbs/cGtlAA==/colls/cGtlAKnsAwA=/docs/{rid}/",
        "_etag": f'"0100{n:04x}-0000-0d00-0000-6671d0f40000"',
        "_attachments": "attachments/",
        "_ts": 1718735092 + n,
        "_lsn": n,
    }


DOCUMENTS = [_document(n) for n in range(100)]
FEED = Datum(json.dumps(DOCUMENTS), "json")
IDS = [document["id"] for document in DOCUMENTS]

ROWS = [{"ProductId": n, "Name": f"Product {n}", "Cost": n * 3} for n in range(100)]
ROWS_DATUM = Datum(json.dumps(ROWS), "json")
CHANGES = [{"Operation": n % 3, "Item": row} for n, row in enumerate(ROWS)]
CHANGES_DATUM = Datum(json.dumps(CHANGES), "json")

_REGISTRY = Registry()
for _module in (generic, cosmosdb, sql, mysql):
    _module.register(_REGISTRY)
DECODE_FEED = _REGISTRY.decoder("cosmosDBTrigger", func.DocumentList)
ENCODE_DOCUMENTS = _REGISTRY.encoder("cosmosDB", func.Out[func.DocumentList])
DECODE_ROWS = _REGISTRY.decoder("sql", func.SqlRowList)
ENCODE_ROWS = _REGISTRY.encoder("sql", func.Out[func.SqlRowList])
DECODE_CHANGES = _REGISTRY.decoder("mysqlTrigger", func.MySqlRowList)


def _decoder(impl: str, stock: Any, ours: Any, datum: Datum) -> Callable[[], Any]:
    if impl == "azure.functions":
        return lambda: stock.decode(datum, trigger_metadata={})
    return lambda: ours(datum, {})


@pytest.mark.benchmark(group="cosmosdb: decode 100 documents")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_documents(benchmark: Any, impl: str) -> None:
    decode = _decoder(impl, CosmosDBTriggerConverter, DECODE_FEED, FEED)
    documents = benchmark(decode)
    assert isinstance(documents, func.DocumentList)
    assert [dict(document) for document in documents] == DOCUMENTS
    benchmark.extra_info["peak_bytes"] = peak_memory(decode)


@pytest.mark.benchmark(group="cosmosdb: decode 100 documents + read one field of each")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_documents_read_ids(benchmark: Any, impl: str) -> None:
    decode = _decoder(impl, CosmosDBTriggerConverter, DECODE_FEED, FEED)

    def run() -> list[Any]:
        return [document["id"] for document in decode()]

    assert benchmark(run) == IDS
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="cosmosdb: encode 100 documents")
@pytest.mark.parametrize("impl", IMPLS)
def test_encode_documents(benchmark: Any, impl: str) -> None:
    documents = func.DocumentList(func.Document(document) for document in DOCUMENTS)
    if impl == "azure.functions":

        def run() -> Any:
            return CosmosDBConverter.encode(documents, expected_type=None)
    else:

        def run() -> Any:
            return ENCODE_DOCUMENTS(documents)

    datum = benchmark(run)
    assert (datum.type, json.loads(datum.value)) == ("json", DOCUMENTS)
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="sql: decode 100 rows + read one column of each")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_rows_read_column(benchmark: Any, impl: str) -> None:
    decode = _decoder(impl, SqlConverter, DECODE_ROWS, ROWS_DATUM)

    def run() -> list[Any]:
        return [row["Name"] for row in decode()]

    assert benchmark(run) == [row["Name"] for row in ROWS]
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="sql: encode 100 rows")
@pytest.mark.parametrize("impl", IMPLS)
def test_encode_rows(benchmark: Any, impl: str) -> None:
    rows = [func.SqlRow(row) for row in ROWS]
    if impl == "azure.functions":

        def run() -> Any:
            return SqlConverter.encode(rows, expected_type=None)
    else:

        def run() -> Any:
            return ENCODE_ROWS(rows)

    datum = benchmark(run)
    assert (datum.type, json.loads(datum.value)) == ("json", ROWS)
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="mysql trigger: decode 100 changes + read each operation")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_changes(benchmark: Any, impl: str) -> None:
    decode = _decoder(impl, MySqlTriggerConverter, DECODE_CHANGES, CHANGES_DATUM)

    def run() -> list[Any]:
        return [change["Operation"] for change in decode()]

    assert benchmark(run) == [change["Operation"] for change in CHANGES]
    benchmark.extra_info["peak_bytes"] = peak_memory(run)
