"""The generic binding: plain values in and out.

azure.functions itself has no generic converter (the workers carry one); the stock
side here is what azure.functions' converters use to read a plain value,
``meta._BaseConverter._decode_typed_data``, and for encoding the workers' generic
rule (str as string, bytes-like copied into bytes).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.functions import meta

from benchmarks._memory import peak_memory
from funcbind import Datum
from funcbind.registry import default_registry

REGISTRY = default_registry()
JSON_TEXT = json.dumps({"order": 1042, "lines": [{"sku": f"SKU-{n}", "qty": n} for n in range(20)]})
STOCK_DATUM = meta.Datum(JSON_TEXT, "json")
OUR_DATUM = Datum(JSON_TEXT, "json")
BUFFER = bytearray(1024 * 1024)


def stock_decode() -> Any:
    return meta._BaseConverter._decode_typed_data(STOCK_DATUM, python_type=dict)


FUNCBIND_DICT = REGISTRY.decoder("custom", dict)


def funcbind_decode() -> Any:
    return FUNCBIND_DICT(OUR_DATUM, None)


def stock_encode(value: Any) -> meta.Datum:
    # The workers' generic binding: text as string, any bytes-like copied to bytes.
    if isinstance(value, str):
        return meta.Datum(type="string", value=value)
    if isinstance(value, bytes | bytearray):
        return meta.Datum(type="bytes", value=bytes(value))
    raise NotImplementedError


FUNCBIND_ENCODE = REGISTRY.encoder("custom", bytearray)

DECODERS = {"azure.functions": stock_decode, "funcbind": funcbind_decode}
ENCODERS = {"azure.functions": stock_encode, "funcbind": FUNCBIND_ENCODE}


@pytest.mark.benchmark(group="generic: decode JSON into dict")
def test_decode_json(benchmark: Any, impl: str) -> None:
    decode = DECODERS[impl]
    assert benchmark(decode) == json.loads(JSON_TEXT)


@pytest.mark.benchmark(group="generic: encode 1 MiB bytearray")
def test_encode_bytearray(benchmark: Any, impl: str) -> None:
    encode = ENCODERS[impl]
    datum = benchmark(encode, BUFFER)
    assert datum.type == "bytes"
    assert len(datum.value) == len(BUFFER)
    benchmark.extra_info["peak_bytes"] = peak_memory(lambda: encode(BUFFER))
