"""Datum: turning a JSON wire value into Python (a placeholder pair for the first rows)."""

from __future__ import annotations

import json
from typing import Any

import azure.functions.meta
import pytest

import funcbind
from benchmarks._memory import peak_memory

# A queue message body of about 1 KiB, the size most trigger payloads have.
PAYLOAD = json.dumps(
    {
        "id": "5f1c3a52-8f0e-4c1b-9a55-1d2c3e4f5a6b",
        "subject": "orders/2024/06/18/order-1042.json",
        "eventType": "Microsoft.Storage.BlobCreated",
        "eventTime": "2024-06-18T09:15:27.123456Z",
        "data": {
            "api": "PutBlob",
            "contentType": "application/json",
            "contentLength": 52_413,
            "blobType": "BlockBlob",
            "url": "https://example.blob.core.windows.net/orders/2024/06/18/order-1042.json",
            "lines": [
                {"sku": f"SKU-{n:04d}", "qty": n % 7 + 1, "price": n * 1.25} for n in range(12)
            ],
        },
        "dataVersion": "1.0",
        "metadataVersion": "1",
    }
)

DATUM_CLASSES: dict[str, Any] = {
    "azure.functions": azure.functions.meta.Datum,
    "funcbind": funcbind.Datum,
}


@pytest.mark.benchmark(group="datum: JSON python_value")
def test_json_python_value(benchmark: Any, impl: str) -> None:
    datum_class = DATUM_CLASSES[impl]

    def decode() -> Any:
        return datum_class(PAYLOAD, "json").python_value

    assert benchmark(decode) == json.loads(PAYLOAD)
    benchmark.extra_info["peak_bytes"] = peak_memory(decode)
