"""Wire: TypedData messages to Datums (payloads and trigger metadata), and back.

The messages are real generated protobuf classes (upb, what the workers receive) when
the ``protobuf`` package is installed (the dev extra brings it), else the duck-typed
stand-ins of ``tests/wire_messages.py``, whose every field read is a Python call; both
sides read the same objects, and each row records which in ``messages``.
The ``azure.functions`` side is the stock workers' algorithm (WIRE.md §1, §2: one
``if`` per kind, the HTTP dict built field by field, every trigger metadata entry
converted up front) written here over ``azure.functions.meta.Datum``, since the worker
package itself is not installed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import azure.functions.meta
import pytest

from benchmarks._memory import peak_memory
from funcbind import Datum
from funcbind.wire import datum_from_typed_data, datum_to_typed_data, metadata_from_typed_data

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import wire_messages

try:
    pb: Any = wire_messages.real_namespace()
    MESSAGES = "protobuf"
    # A dict of real TypedData messages stands for the request's map<string, TypedData>
    # (the descriptors above have no InvocationRequest); both index it the same way.
    trigger_metadata: Any = dict
except ImportError:
    pb = wire_messages.STAND_IN
    MESSAGES = "stand-in"
    trigger_metadata = wire_messages.trigger_metadata

IMPLS = pytest.mark.parametrize("impl", ["azure.functions", "funcbind"])


# -- the stock workers' way, over azure.functions.meta.Datum -----------------------------

StockDatum = azure.functions.meta.Datum


# The kinds the stock workers hand over as the message itself (no collection_double).
STOCK_MESSAGE_KINDS = (
    "collection_bytes",
    "collection_string",
    "collection_sint64",
    "model_binding_data",
    "collection_model_binding_data",
)


def stock_datum_from_typed_data(td: Any) -> StockDatum | None:
    """TypedData to Datum as the stock workers do it (kinds they reject raise)."""
    kind = td.WhichOneof("data")
    if kind == "http":
        http = td.http
        value: Any = {
            "method": StockDatum(http.method, "string"),
            "url": StockDatum(http.url, "string"),
            "headers": {k: StockDatum(v, "string") for k, v in http.headers.items()},
            "body": stock_datum_from_typed_data(http.body) or StockDatum(b"", "bytes"),
            "params": {k: StockDatum(v, "string") for k, v in http.params.items()},
            "query": {k: StockDatum(v, "string") for k, v in http.query.items()},
        }
    elif kind == "string":
        value = td.string
    elif kind == "bytes":
        value = td.bytes
    elif kind == "json":
        value = td.json
    elif kind in STOCK_MESSAGE_KINDS:
        value = getattr(td, kind)
    elif kind is None:
        return None
    else:
        raise NotImplementedError(f"unsupported TypedData kind: {kind!r}")
    return StockDatum(value, kind)


def stock_metadata(raw: Any) -> dict[str, Any]:
    return {key: stock_datum_from_typed_data(message) for key, message in raw.items()}


FROM_TYPED_DATA = {
    "azure.functions": stock_datum_from_typed_data,
    "funcbind": datum_from_typed_data,
}
METADATA = {"azure.functions": stock_metadata, "funcbind": metadata_from_typed_data}


# -- payloads, built once ------------------------------------------------------------------

STRING_MESSAGE = pb.TypedData(string="orders/2024/06/18/order-1042.json")

BODY = b'{"sku": "SKU-0042", "qty": 3, "note": "' + b"x" * 900 + b'"}'
HTTP_MESSAGE = pb.TypedData(
    http=pb.RpcHttp(
        method="POST",
        url="https://contoso.azurewebsites.net/api/orders/42?verbose=1&tag=a,b",
        headers={
            "accept": "application/json",
            "accept-encoding": "gzip, deflate, br",
            "content-type": "application/json",
            "content-length": str(len(BODY)),
            "host": "contoso.azurewebsites.net",
            "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
            "x-forwarded-for": "203.0.113.7:51234",
            "x-forwarded-proto": "https",
            "x-arr-log-id": "5f1c3a52-8f0e-4c1b-9a55-1d2c3e4f5a6b",
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "cookie": "session=abc123; theme=dark",
            "max-forwards": "10",
        },
        query={"verbose": "1", "tag": "a,b"},
        params={"id": "42"},
        body=pb.TypedData(bytes=BODY),
    )
)

QUEUE_METADATA = trigger_metadata(
    {
        "Id": pb.TypedData(string="7f1c3a52-8f0e-4c1b-9a55-1d2c3e4f5a6b"),
        "PopReceipt": pb.TypedData(string="AgAAAAMAAAAAAAAA2bL0V2jB2gE="),
        "QueueTrigger": pb.TypedData(string='{"order": 1042}'),
        "DequeueCount": pb.TypedData(json="1"),
        "ExpirationTime": pb.TypedData(json='"2026-01-09T10:00:00+00:00"'),
        "InsertionTime": pb.TypedData(json='"2026-01-02T10:00:00+00:00"'),
        "NextVisibleTime": pb.TypedData(json='"2026-01-02T10:10:00+00:00"'),
    }
)

# What the host sends beside an HTTP trigger: the whole request again under
# "$request", plus Query/Headers as JSON and the route values.
HTTP_METADATA = trigger_metadata(
    {
        "$request": HTTP_MESSAGE,
        "req": HTTP_MESSAGE,
        "Query": pb.TypedData(json='{"verbose": "1", "tag": "a,b"}'),
        "Headers": pb.TypedData(json='{"accept": "application/json", "host": "contoso"}'),
        "id": pb.TypedData(string="42"),
        "sys": pb.TypedData(json='{"MethodName": "orders", "UtcNow": "2026-01-02T10:00:00Z"}'),
    }
)


# -- benchmarks --------------------------------------------------------------------------------


@pytest.mark.benchmark(group="wire: Datum from TypedData (string)")
@IMPLS
def test_datum_from_string(benchmark: Any, impl: str) -> None:
    convert = FROM_TYPED_DATA[impl]

    def run() -> Any:
        return convert(STRING_MESSAGE)

    datum = benchmark(run)
    assert (datum.type, datum.value) == ("string", STRING_MESSAGE.string)
    benchmark.extra_info["peak_bytes"] = peak_memory(run)
    benchmark.extra_info["messages"] = MESSAGES


@pytest.mark.benchmark(group="wire: Datum from TypedData (http request)")
@IMPLS
def test_datum_from_http_request(benchmark: Any, impl: str) -> None:
    convert = FROM_TYPED_DATA[impl]

    def run() -> Any:
        return convert(HTTP_MESSAGE)

    datum = benchmark(run)
    assert datum.type == "http"
    assert datum.value["body"].value == BODY
    assert len(datum.value["headers"]) == 12
    benchmark.extra_info["peak_bytes"] = peak_memory(run)
    benchmark.extra_info["messages"] = MESSAGES


def _read(metadata: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        metadata[key]
    return metadata


QUEUE_READS = {
    "none": (),
    "2 of 7": ("Id", "DequeueCount"),
    "all 7": tuple(QUEUE_METADATA),
}


@pytest.mark.parametrize("reads", list(QUEUE_READS))
@pytest.mark.benchmark(group="wire: trigger metadata (queue)")
@IMPLS
def test_queue_trigger_metadata(benchmark: Any, impl: str, reads: str) -> None:
    convert = METADATA[impl]

    keys = QUEUE_READS[reads]

    def run() -> Any:
        return _read(convert(QUEUE_METADATA), keys)

    metadata = benchmark(run)
    assert metadata["DequeueCount"].value == "1"
    benchmark.extra_info["peak_bytes"] = peak_memory(run)
    benchmark.extra_info["messages"] = MESSAGES


@pytest.mark.benchmark(group="wire: trigger metadata (http trigger, none read)")
@IMPLS
def test_http_trigger_metadata(benchmark: Any, impl: str) -> None:
    convert = METADATA[impl]

    def run() -> Any:
        return convert(HTTP_METADATA)

    metadata = benchmark(run)
    assert metadata["id"].value == "42"
    benchmark.extra_info["peak_bytes"] = peak_memory(run)
    benchmark.extra_info["messages"] = MESSAGES


# -- out: funcbind alone (the stock encoder needs python-dateutil and the worker) -------------

RESPONSE = Datum(
    {
        "status_code": Datum("200", "string"),
        "headers": {
            "content-type": Datum("application/json", "string"),
            "cache-control": Datum("no-store", "string"),
        },
        "cookies": [
            "session=abc123; Path=/; HttpOnly; SameSite=Strict",
            "theme=dark; Domain=contoso.com; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Secure",
        ],
        "body": Datum(BODY, "bytes"),
    },
    "http",
)


@pytest.mark.benchmark(group="wire: TypedData from Datum (string)")
def test_typed_data_from_string(benchmark: Any) -> None:
    datum = Datum("orders/2024/06/18/order-1042.json", "string")
    assert benchmark(datum_to_typed_data, datum, pb).string == datum.value


@pytest.mark.benchmark(group="wire: TypedData from Datum (http response, 2 cookies)")
def test_typed_data_from_http_response(benchmark: Any) -> None:
    message = benchmark(datum_to_typed_data, RESPONSE, pb)
    assert len(message.http.cookies) == 2
