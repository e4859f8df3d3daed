"""Streaming a blob through the sync StorageStreamDownloader binding, one chunk at a time.

Against Azurite: which ranges the downloader asks for, that it holds one chunk at a time
(the SDK's readinto otherwise keeps the first chunk, and urllib3 copies a short last
chunk), and that the SDK's state after ``readinto`` reads as the SDK's own does.
"""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from azure.storage.blob import BlobBlock, BlobServiceClient, StorageStreamDownloader
from storage_support import HashingSink

import funcbind
from conftest import StorageData
from funcbind.storage import blob_reference
from funcbind.storage.clients import DEFAULT_CHUNK_SIZES

pytestmark = pytest.mark.azurite

CONNECTION = "AzureWebJobsStorage"
MiB = 1024 * 1024
CHUNK = DEFAULT_CHUNK_SIZES[False]
# Three whole chunks and a last one 1 MiB short of a chunk.
SIZE = 3 * CHUNK + CHUNK - MiB
BLOCK = hashlib.sha256(b"chunks").digest() * (MiB // 32)


@pytest.fixture(scope="module")
def odd_blob(storage_data: StorageData) -> str:
    name = "odd.bin"
    with BlobServiceClient.from_connection_string(storage_data.settings[CONNECTION]) as s:
        client = s.get_blob_client(storage_data.container, name)
        client.stage_block("block-0", BLOCK)
        client.commit_block_list([BlobBlock("block-0")] * (SIZE // MiB))
    return name


def downloader(data: StorageData, blob: str) -> Any:
    """A StorageStreamDownloader for ``blob``, decoded as a language worker does."""
    binding = funcbind.get_binding_registry().get("blob")
    assert binding is not None
    datum = blob_reference(CONNECTION, data.container, blob)
    return binding.decode(datum, trigger_metadata=None, pytype=StorageStreamDownloader)


@pytest.fixture
def ranges(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The x-ms-range of every request the test sends."""
    sent: list[str] = []
    send = requests.Session.send

    def recording(self: requests.Session, request: Any, **kwargs: Any) -> Any:
        sent.append(request.headers.get("x-ms-range", ""))
        return send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", recording)
    yield sent


@pytest.mark.usefixtures("azurite_clients")
def test_readinto_asks_for_whole_chunks_the_first_one_too(
    storage_data: StorageData, odd_blob: str, ranges: list[str]
) -> None:
    sink = HashingSink()
    assert downloader(storage_data, odd_blob).readinto(sink) == SIZE
    assert sink.digest.digest() == hashlib.sha256(BLOCK * (SIZE // MiB)).digest()
    starts = range(0, SIZE, CHUNK)
    assert ranges == [f"bytes={start}-{min(start + CHUNK, SIZE) - 1}" for start in starts]


@pytest.mark.usefixtures("azurite_clients")
def test_readinto_holds_one_chunk_at_a_time(storage_data: StorageData, odd_blob: str) -> None:
    def stream_it() -> HashingSink:
        sink = HashingSink()
        downloader(storage_data, odd_blob).readinto(sink)
        return sink

    stream_it()  # warm: the service client and its connection exist
    tracemalloc.start()
    try:
        sink = stream_it()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sink.written == SIZE
    # Keeping the first chunk would need two chunks; a copied short last chunk, one plus
    # twice the last (all of the SDK's own download path would need about ten).
    assert peak < CHUNK + 2 * MiB, f"peak {peak / MiB:.1f} MiB with {CHUNK // MiB} MiB chunks"


@pytest.fixture(scope="module")
def sdk_service(storage_data: StorageData) -> Iterator[BlobServiceClient]:
    """A service client of the SDK's own, with its default sizes."""
    with BlobServiceClient.from_connection_string(storage_data.settings[CONNECTION]) as service:
        yield service


def sdk_downloader(service: BlobServiceClient, data: StorageData, blob: str) -> Any:
    return service.get_blob_client(data.container, blob).download_blob()


AFTERWARDS = {
    "read": lambda d: d.read(),
    "read(10)": lambda d: d.read(10),
    "readall": lambda d: d.readall(),
    "readinto": lambda d: d.readinto(io.BytesIO()),
}


@pytest.mark.usefixtures("azurite_clients")
@pytest.mark.parametrize("afterwards", AFTERWARDS.values(), ids=AFTERWARDS.keys())
def test_after_readinto_the_downloader_reads_as_the_sdks_does(
    storage_data: StorageData,
    odd_blob: str,
    sdk_service: BlobServiceClient,
    afterwards: Callable[[Any], Any],
) -> None:
    ours = downloader(storage_data, odd_blob)
    assert ours.readinto(HashingSink()) == SIZE
    assert ours._current_content == b""  # the first chunk is let go
    sdk = sdk_downloader(sdk_service, storage_data, odd_blob)
    assert sdk.readinto(HashingSink()) == SIZE
    assert afterwards(ours) == afterwards(sdk)


@pytest.mark.usefixtures("azurite_clients")
def test_chunks_after_readinto_iterate_the_whole_blob(
    storage_data: StorageData, odd_blob: str, sdk_service: BlobServiceClient
) -> None:
    # As the SDK documents chunks(): the whole content, whatever was read before.  (The
    # SDK's own downloader, keeping its first chunk, yields that chunk alone here.)
    ours = downloader(storage_data, odd_blob)
    ours.readinto(HashingSink())
    assert b"".join(ours.chunks()) == BLOCK * (SIZE // MiB)
    small = downloader(storage_data, "b.txt")
    small.readinto(io.BytesIO())
    sdk = sdk_downloader(sdk_service, storage_data, "b.txt")
    sdk.readinto(io.BytesIO())
    assert list(small.chunks()) == list(sdk.chunks()) == [b"bravo"]


@pytest.mark.usefixtures("azurite_clients")
@pytest.mark.parametrize("blob", ["b.txt", "odd"])
def test_readinto_after_a_partial_read_keeps_every_byte(
    storage_data: StorageData, odd_blob: str, blob: str
) -> None:
    name = odd_blob if blob == "odd" else blob
    whole = BLOCK * (SIZE // MiB) if blob == "odd" else storage_data.blobs[name]
    ours = downloader(storage_data, name)
    start = ours.read(3)
    sink = io.BytesIO()
    assert ours.readinto(sink) == len(whole) - 3
    assert start + sink.getvalue() == whole
    assert ours.read() == b""


@pytest.mark.usefixtures("azurite_clients")
def test_a_small_blob_read_into_a_stream_is_read_to_its_end(storage_data: StorageData) -> None:
    ours = downloader(storage_data, "dir/c.txt")
    sink = io.BytesIO()
    assert ours.readinto(sink) == 7
    assert sink.getvalue() == b"charlie"
    assert ours.read() == b"" and ours.readall() == b""
    assert ours.readinto(io.BytesIO()) == 0
