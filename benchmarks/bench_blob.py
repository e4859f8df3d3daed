"""Blob bindings: decoding triggers of any size, reading streams, encoding big outputs.

Big payloads (64 MiB, 256 MiB) are built once per module and timed in a few rounds
only, to stay inside the CI budget on two cores.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import azure.functions as func
import pytest
from azure.functions.blob import BlobConverter
from azure.functions.meta import Datum

from benchmarks._memory import peak_memory
from funcbind.bindings import blob
from funcbind.registry import BindingSpec, Registry

IMPLS = ["azure.functions", "funcbind"]
KiB = 1024
MiB = 1024 * KiB
CHUNK = 64 * KiB
BIG_ROUNDS = 5

# Trigger metadata as the Storage extension sends it (see tests/fixtures/blob/).
PROPERTIES = {
    "LastModified": "2024-06-18T09:15:27.1234567+00:00",
    "CreatedOn": "2024-06-18T09:15:26.9876543+00:00",
    "BlobType": 0,
    "LeaseDuration": 0,
    "LeaseState": 0,
    "LeaseStatus": 1,
    "ContentLength": 0,  # set per size below
    "ContentType": "application/octet-stream",
    "ETag": '"0x8DC8F7A3B2C1D4E"',
    "ContentHash": "YfZQUxq3o8R0mKjJbD2Ngw==",
    "AcceptRanges": "bytes",
    "IsServerEncrypted": True,
    "AccessTier": "Hot",
    "AccessTierInferred": True,
    "VersionId": None,
    "TagCount": 0,
}
USER_METADATA = {"owner": "team-a", "source": "erp-export", "batch": "2024-06-18"}

_REGISTRY = Registry()
blob.register(_REGISTRY)
DECODE_STREAM = _REGISTRY.decoder(
    "blobTrigger", func.InputStream, BindingSpec("blobTrigger", "myblob")
)
ENCODE = _REGISTRY.encoder("blob", func.Out[bytes], BindingSpec("blob", "out", "out"))


def trigger_metadata(size: int) -> dict[str, Datum]:
    return {
        "BlobTrigger": Datum("samples/data.bin", "string"),
        "Uri": Datum("https://storesample.blob.core.windows.net/samples/data.bin", "string"),
        "Properties": Datum(json.dumps({**PROPERTIES, "ContentLength": size}), "json"),
        "Metadata": Datum(json.dumps(USER_METADATA), "json"),
        "name": Datum("data.bin", "string"),
    }


def decoder(impl: str) -> Callable[[Datum, Any], Any]:
    if impl == "azure.functions":
        return lambda datum, metadata: BlobConverter.decode(datum, trigger_metadata=metadata)
    return DECODE_STREAM


@pytest.fixture(scope="module")
def payload_64mib() -> Iterator[bytes]:
    payload = bytes(range(256)) * (64 * MiB // 256)
    yield payload
    del payload


@pytest.fixture(scope="module")
def payload_256mib() -> Iterator[bytes]:
    payload = bytes(256 * MiB)
    yield payload
    del payload


# -- decode ----------------------------------------------------------------------


@pytest.mark.benchmark(group="blob: decode trigger with Properties and Metadata")
@pytest.mark.parametrize("size", ["1KiB", "1MiB", "64MiB"])
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_trigger(benchmark: Any, impl: str, size: str, payload_64mib: bytes) -> None:
    length = {"1KiB": KiB, "1MiB": MiB, "64MiB": 64 * MiB}[size]
    datum = Datum(payload_64mib if length == len(payload_64mib) else bytes(length), "bytes")
    metadata = trigger_metadata(length)
    decode = decoder(impl)

    def run() -> Any:
        return decode(datum, metadata)

    stream = benchmark(run)
    assert isinstance(stream, func.InputStream)
    assert stream.length == length
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="blob: decode trigger + name, length, metadata")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_trigger_and_read_fields(benchmark: Any, impl: str) -> None:
    datum = Datum(bytes(KiB), "bytes")
    metadata = trigger_metadata(KiB)
    decode = decoder(impl)

    def run() -> tuple[Any, ...]:
        stream = decode(datum, metadata)
        return stream.name, stream.length, stream.metadata

    assert benchmark(run) == ("samples/data.bin", KiB, USER_METADATA)
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


# -- read --------------------------------------------------------------------------


@pytest.mark.benchmark(group="blob: decode + read() 256 MiB")
@pytest.mark.parametrize("impl", IMPLS)
def test_decode_and_read_all(benchmark: Any, impl: str, payload_256mib: bytes) -> None:
    # Neither side copies: both read() through an io.BytesIO that shares the wire's bytes
    # and returns that very object (asserted below), so one call takes about a
    # microsecond whatever the size.  It is timed like the other short calls (many
    # calls per round), not in a handful of single-call rounds: one call alone measures
    # the timer and the cold caches more than the call.
    datum = Datum(payload_256mib, "bytes")
    decode = decoder(impl)

    def run() -> bytes:
        content: bytes = decode(datum, None).read()
        return content

    content = benchmark(run)
    assert content is payload_256mib
    del content
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="blob: read 64 MiB in 64 KiB chunks")
@pytest.mark.parametrize("impl", IMPLS)
def test_read_in_chunks(benchmark: Any, impl: str, payload_64mib: bytes) -> None:
    datum = Datum(payload_64mib, "bytes")
    decode = decoder(impl)
    target = bytearray(CHUNK)  # funcbind's side reuses this one buffer

    def azure_loop() -> int:
        stream = decode(datum, None)
        total = 0
        while chunk := stream.read(CHUNK):
            total += len(chunk)
        return total

    def funcbind_loop() -> int:
        stream = decode(datum, None)
        readinto = stream.readinto
        total = 0
        while count := readinto(target):
            total += count
        return total

    run = azure_loop if impl == "azure.functions" else funcbind_loop
    assert benchmark.pedantic(run, rounds=BIG_ROUNDS, iterations=1) == len(payload_64mib)
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="blob: read 1 MiB in 4 KiB chunks")
@pytest.mark.parametrize("impl", IMPLS)
def test_read_in_small_chunks(benchmark: Any, impl: str) -> None:
    # Small enough to stay in cache: this row shows the per-call cost, not memory speed.
    datum = Datum(bytes(range(256)) * (MiB // 256), "bytes")
    decode = decoder(impl)
    target = bytearray(4 * KiB)

    def azure_loop() -> int:
        stream = decode(datum, None)
        total = 0
        while chunk := stream.read(4 * KiB):
            total += len(chunk)
        return total

    def funcbind_loop() -> int:
        stream = decode(datum, None)
        readinto = stream.readinto
        total = 0
        while count := readinto(target):
            total += count
        return total

    run = azure_loop if impl == "azure.functions" else funcbind_loop
    assert benchmark(run) == MiB
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="blob: iterate the lines of a 64 KiB CSV")
@pytest.mark.parametrize("impl", IMPLS)
def test_iterate_lines(benchmark: Any, impl: str) -> None:
    # azure.functions' stream has no readline of its own: io reads it one byte at a time.
    csv_text = "".join(f"{n},SKU-{n:05d},{n % 7 + 1},{n * 1.25:.2f}\n" for n in range(2600))
    datum = Datum(csv_text.encode()[: 64 * KiB], "bytes")
    decode = decoder(impl)

    def run() -> int:
        return sum(1 for _ in decode(datum, None))

    lines = datum.value.count(b"\n") + (not datum.value.endswith(b"\n"))
    assert benchmark.pedantic(run, rounds=BIG_ROUNDS, iterations=1) == lines
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


# -- encode ------------------------------------------------------------------------


@pytest.mark.benchmark(group="blob: encode 64 MiB bytearray")
@pytest.mark.parametrize("impl", IMPLS)
def test_encode_bytearray(benchmark: Any, impl: str, payload_64mib: bytes) -> None:
    output = bytearray(payload_64mib)

    def run() -> Any:
        if impl == "azure.functions":
            return BlobConverter.encode(output, expected_type=None)
        return ENCODE(output)

    datum = benchmark.pedantic(run, rounds=BIG_ROUNDS, iterations=1)
    assert datum.type == "bytes"
    assert len(datum.value) == len(output)
    del datum
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


@pytest.mark.benchmark(group="blob: encode 64 MiB memoryview")
def test_encode_memoryview(benchmark: Any, payload_64mib: bytes) -> None:
    # azure.functions cannot encode a memoryview at all (NotImplementedError): no pair.
    output = memoryview(bytearray(payload_64mib))

    def run() -> Any:
        return ENCODE(output)

    datum = benchmark.pedantic(run, rounds=BIG_ROUNDS, iterations=1)
    assert datum.value is output
    del datum
    benchmark.extra_info["peak_bytes"] = peak_memory(run)
