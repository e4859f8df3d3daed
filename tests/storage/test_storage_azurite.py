"""Storage SDK types against a real Azurite: every type, sync and async, single and list.

Two ways in: the worker protocol (``funcbind.get_binding_registry()``, as a language
worker calls it) and ``funcbind.invoke`` on the function folders under ``apps/sdk_app``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import threading
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import (
    BlobBlock,
    BlobClient,
    BlobServiceClient,
    ContainerClient,
    StorageStreamDownloader,
)
from azure.storage.blob import aio as blob_aio
from azure.storage.queue import QueueClient
from azure.storage.queue import aio as queue_aio
from storage_support import APP, HashingSink, installed, installed_async

import funcbind
from conftest import StorageData
from funcbind import Datum, DecodeError
from funcbind.invoke import invoke
from funcbind.loader import load_function_folder
from funcbind.storage import StorageClients, blob_reference, blob_references, queue_reference

pytestmark = pytest.mark.azurite

CONNECTION = "AzureWebJobsStorage"
MiB = 1024 * 1024
BINDING_TYPES = ["blob", "blobTrigger"]


def worker_decode(binding_type: str, datum: Any, pytype: Any, data: StorageData) -> Any:
    """Decode as a language worker does, trigger metadata included for triggers."""
    binding = funcbind.get_binding_registry().get(binding_type)
    assert binding is not None
    assert binding.check_input_type_annotation(pytype)
    metadata = {
        "BlobTrigger": Datum(f"{data.container}/a.txt", "string"),
        "Uri": Datum(f"http://127.0.0.1/devstoreaccount1/{data.container}/a.txt", "string"),
    }
    return binding.decode(datum, trigger_metadata=metadata, pytype=pytype)


def ref(data: StorageData, blob: str | None = "a.txt") -> Datum:
    return blob_reference(CONNECTION, data.container, blob)


def refs(data: StorageData) -> Datum:
    return blob_references(CONNECTION, data.container, sorted(data.blobs))


# -- sync, through the worker protocol ---------------------------------------------------


@pytest.mark.usefixtures("azurite_clients")
@pytest.mark.parametrize("binding_type", BINDING_TYPES)
def test_blob_client(binding_type: str, storage_data: StorageData) -> None:
    client = worker_decode(binding_type, ref(storage_data), BlobClient, storage_data)
    assert type(client) is BlobClient
    assert client.download_blob().readall() == b"alpha"
    assert client.get_blob_properties().size == 5


@pytest.mark.usefixtures("azurite_clients")
@pytest.mark.parametrize("binding_type", BINDING_TYPES)
def test_container_client(binding_type: str, storage_data: StorageData) -> None:
    client = worker_decode(binding_type, ref(storage_data, None), ContainerClient, storage_data)
    assert sorted(blob.name for blob in client.list_blobs()) == sorted(storage_data.blobs)


@pytest.mark.usefixtures("azurite_clients")
@pytest.mark.parametrize("binding_type", BINDING_TYPES)
def test_storage_stream_downloader(binding_type: str, storage_data: StorageData) -> None:
    downloader = worker_decode(
        binding_type, ref(storage_data, "dir/c.txt"), StorageStreamDownloader, storage_data
    )
    assert isinstance(downloader, StorageStreamDownloader)
    assert downloader.size == 7
    sink = io.BytesIO()
    assert downloader.readinto(sink) == 7
    assert sink.getvalue() == b"charlie"


def read_into(downloader: Any) -> bytes:
    sink = io.BytesIO()
    downloader.readinto(sink)
    return sink.getvalue()


def deprecated(use: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def warned(downloader: Any) -> Any:
        with pytest.warns(DeprecationWarning, match="deprecated"):
            return use(downloader)

    return warned


FIRST_USES: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "read": (lambda d: d.read(2) + d.read(), b"bravo"),
    "readall": (lambda d: d.readall(), b"bravo"),
    "readinto": (read_into, b"bravo"),
    "chunks": (lambda d: list(d.chunks()), [b"bravo"]),
    "size": (lambda d: d.size, 5),
    "len": (len, 5),
    "properties": (lambda d: (d.properties.name, d.properties.size), ("b.txt", 5)),
    "content_as_bytes": (deprecated(lambda d: d.content_as_bytes()), b"bravo"),
    "content_as_text": (deprecated(lambda d: d.content_as_text()), "bravo"),
    "download_to_stream": (
        deprecated(lambda d: d.download_to_stream(io.BytesIO()).name),
        "b.txt",
    ),
}


@pytest.mark.usefixtures("azurite_clients")
@pytest.mark.parametrize(("use", "expected"), FIRST_USES.values(), ids=FIRST_USES.keys())
def test_any_first_use_starts_a_sync_downloader(
    use: Callable[[Any], Any], expected: Any, storage_data: StorageData
) -> None:
    downloader = worker_decode(
        "blob", ref(storage_data, "b.txt"), StorageStreamDownloader, storage_data
    )
    assert use(downloader) == expected
    assert downloader.size == 5 and downloader.properties.etag


@pytest.mark.usefixtures("azurite_clients")
def test_a_text_downloader(storage_data: StorageData) -> None:
    downloader = worker_decode(
        "blob", ref(storage_data, "b.txt"), StorageStreamDownloader[str], storage_data
    )
    assert downloader.readall() == "bravo"


@pytest.mark.usefixtures("azurite_clients")
@pytest.mark.parametrize("binding_type", BINDING_TYPES)
def test_lists(binding_type: str, storage_data: StorageData) -> None:
    expected = [storage_data.blobs[name] for name in sorted(storage_data.blobs)]
    clients = worker_decode(binding_type, refs(storage_data), list[BlobClient], storage_data)
    assert [c.download_blob().readall() for c in clients] == expected
    streams = worker_decode(
        binding_type, refs(storage_data), list[StorageStreamDownloader], storage_data
    )
    assert [s.readall() for s in streams] == expected
    containers = worker_decode(
        binding_type, refs(storage_data), list[ContainerClient], storage_data
    )
    assert {c.container_name for c in containers} == {storage_data.container}


@pytest.mark.usefixtures("azurite_clients")
def test_the_extension_classes(storage_data: StorageData) -> None:
    extension = pytest.importorskip("azurefunctions.extensions.bindings.blob")
    client = worker_decode("blobTrigger", ref(storage_data), extension.BlobClient, storage_data)
    assert client.download_blob().readall() == b"alpha"
    container = worker_decode("blob", ref(storage_data), extension.ContainerClient, storage_data)
    assert len(list(container.list_blobs())) == len(storage_data.blobs)
    stream = worker_decode(
        "blob", ref(storage_data), extension.StorageStreamDownloader, storage_data
    )
    assert stream.readall() == b"alpha"
    many = worker_decode("blob", refs(storage_data), list[extension.BlobClient], storage_data)
    assert len(many) == 3  # the extension itself refuses lists


@pytest.mark.usefixtures("azurite_clients")
def test_queue_client(storage_data: StorageData) -> None:
    binding = funcbind.get_binding_registry().get("queue")
    assert binding is not None
    client = binding.decode(
        queue_reference(CONNECTION, storage_data.queue), trigger_metadata=None, pytype=QueueClient
    )
    assert type(client) is QueueClient
    marker = uuid.uuid4().hex
    client.send_message(marker)
    received = [m.content for m in client.receive_messages(messages_per_page=32)]
    assert marker in received


def test_clients_are_shared_across_invocations(storage_data: StorageData) -> None:
    with installed(StorageClients(dict(storage_data.settings))) as clients:
        first = worker_decode("blob", ref(storage_data), BlobClient, storage_data)
        streams = [
            worker_decode("blob", ref(storage_data, name), StorageStreamDownloader, storage_data)
            for name in storage_data.blobs
        ]
        assert worker_decode("blob", ref(storage_data), BlobClient, storage_data) is first
        assert [s.readall() for s in streams] == list(storage_data.blobs.values())
        assert len(list(clients.cached_clients())) == 1  # one BlobServiceClient for all


# -- async, through the worker protocol --------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("binding_type", BINDING_TYPES)
async def test_aio_blob_and_container_clients(binding_type: str, storage_data: StorageData) -> None:
    async with installed_async(StorageClients(dict(storage_data.settings))):
        client = worker_decode(binding_type, ref(storage_data), blob_aio.BlobClient, storage_data)
        assert type(client) is blob_aio.BlobClient
        assert await (await client.download_blob()).readall() == b"alpha"
        container = worker_decode(
            binding_type, ref(storage_data, None), blob_aio.ContainerClient, storage_data
        )
        names = [blob.name async for blob in container.list_blobs()]
        assert sorted(names) == sorted(storage_data.blobs)


@pytest.mark.anyio
@pytest.mark.parametrize("binding_type", BINDING_TYPES)
async def test_aio_downloader(binding_type: str, storage_data: StorageData) -> None:
    pytype = blob_aio.StorageStreamDownloader
    async with installed_async(StorageClients(dict(storage_data.settings))):
        downloader = worker_decode(binding_type, ref(storage_data, "b.txt"), pytype, storage_data)
        assert await downloader.readall() == b"bravo"
        assert downloader.size == 5 and len(downloader) == 5
        assert downloader.properties.name == "b.txt"

        downloader = worker_decode(binding_type, ref(storage_data, "b.txt"), pytype, storage_data)
        sink = io.BytesIO()
        assert await downloader.readinto(sink) == 5
        assert sink.getvalue() == b"bravo"

        downloader = worker_decode(binding_type, ref(storage_data, "b.txt"), pytype, storage_data)
        assert [chunk async for chunk in downloader.chunks()] == [b"bravo"]

        downloader = worker_decode(binding_type, ref(storage_data, "b.txt"), pytype, storage_data)
        assert await downloader.read(2) == b"br"
        assert await downloader.read() == b"avo"

        text = worker_decode(binding_type, ref(storage_data, "b.txt"), pytype[str], storage_data)
        assert await text.readall() == "bravo"


@pytest.mark.anyio
async def test_aio_lists(storage_data: StorageData) -> None:
    expected = [storage_data.blobs[name] for name in sorted(storage_data.blobs)]
    async with installed_async(StorageClients(dict(storage_data.settings))):
        clients = worker_decode("blob", refs(storage_data), list[blob_aio.BlobClient], storage_data)
        assert [await (await c.download_blob()).readall() for c in clients] == expected
        streams = worker_decode(
            "blobTrigger", refs(storage_data), list[blob_aio.StorageStreamDownloader], storage_data
        )
        assert [await s.readall() for s in streams] == expected


@pytest.mark.anyio
async def test_aio_queue_client(storage_data: StorageData) -> None:
    binding = funcbind.get_binding_registry().get("queue")
    assert binding is not None
    async with installed_async(StorageClients(dict(storage_data.settings))):
        client = binding.decode(
            queue_reference(CONNECTION, storage_data.queue),
            trigger_metadata=None,
            pytype=queue_aio.QueueClient,
        )
        assert type(client) is queue_aio.QueueClient
        marker = uuid.uuid4().hex
        await client.send_message(marker)
        received = [m.content async for m in client.receive_messages(messages_per_page=32)]
        assert marker in received


# -- through funcbind.invoke on function folders ------------------------------------------


def folder_inputs(data: StorageData) -> dict[str, Datum]:
    return {
        "client": ref(data),
        "container": ref(data, None),
        "stream": ref(data, "b.txt"),
        "many": refs(data),
        "streams": refs(data),
        "queue": queue_reference(CONNECTION, data.queue),
    }


def expected_report(data: StorageData) -> dict[str, Any]:
    return {
        "trigger": "alpha",
        "container": sorted(data.blobs),
        "stream": "bravo",
        "many": sorted(data.blobs),
        "streams": [data.blobs[name].decode() for name in sorted(data.blobs)],
        "queue": data.queue,
    }


@pytest.mark.anyio
async def test_invoke_a_function_of_sync_clients(storage_data: StorageData) -> None:
    plan = load_function_folder(APP / "SyncClients")
    async with installed_async(StorageClients(dict(storage_data.settings))):
        result = await invoke(plan, folder_inputs(storage_data))
    assert result.error is None, result.error
    assert result.return_value is not None
    assert json.loads(result.return_value.value) == expected_report(storage_data)


@pytest.mark.anyio
async def test_a_sync_function_downloads_in_its_pool_thread(
    storage_data: StorageData, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads: list[tuple[str, int]] = []
    download_blob = BlobClient.download_blob

    def recorded(self: BlobClient, *args: Any, **kwargs: Any) -> Any:
        downloads.append((self.blob_name, threading.get_ident()))
        return download_blob(self, *args, **kwargs)

    monkeypatch.setattr(BlobClient, "download_blob", recorded)
    plan = load_function_folder(APP / "SyncClients")
    async with installed_async(StorageClients(dict(storage_data.settings))):
        result = await invoke(plan, folder_inputs(storage_data))
    assert result.error is None, result.error
    # client.download_blob() by the function itself, then the stream, then the streams
    assert [name for name, _ in downloads] == ["a.txt", "b.txt", "a.txt", "b.txt", "dir/c.txt"]
    threads = {thread for _, thread in downloads}
    assert len(threads) == 1  # the function's own thread
    assert threading.get_ident() not in threads  # not the event loop's


@pytest.mark.anyio
async def test_invoke_a_function_of_aio_clients(storage_data: StorageData) -> None:
    plan = load_function_folder(APP / "AsyncClients")
    async with installed_async(StorageClients(dict(storage_data.settings))):
        result = await invoke(plan, folder_inputs(storage_data))
    assert result.error is None, result.error
    assert result.return_value is not None
    assert json.loads(result.return_value.value) == {
        **expected_report(storage_data),
        "stream_size": 5,
    }


@pytest.mark.anyio
async def test_invoke_an_app_written_for_the_extension(storage_data: StorageData) -> None:
    pytest.importorskip("azurefunctions.extensions.bindings.blob")
    plan = load_function_folder(APP / "ExtensionTypes")
    inputs = dict.fromkeys(("client", "container", "stream"), ref(storage_data))
    async with installed_async(StorageClients(dict(storage_data.settings))):
        result = await invoke(plan, inputs)
    assert result.error is None, result.error
    assert result.return_value is not None
    assert json.loads(result.return_value.value) == {
        "trigger": "alpha",
        "container": sorted(storage_data.blobs),
        "stream": "alpha",
    }


@pytest.mark.anyio
async def test_invoke_mixes_references_and_content(storage_data: StorageData) -> None:
    plan = load_function_folder(APP / "Mixed")
    inputs = {
        "trigger": Datum("a.txt", "string"),
        "text": ref(storage_data, "a.txt"),
        "content": Datum(b"alpha", "bytes"),
    }  # "maybe" is left out: it arrives as null
    async with installed_async(StorageClients(dict(storage_data.settings))):
        result = await invoke(plan, inputs)
    assert result.error is None, result.error
    assert result.outputs["copy"].value == b"alpha (maybe: none)"


# -- what does not exist ------------------------------------------------------------------


@contextlib.contextmanager
def uploaded(data: StorageData, name: str, content: bytes) -> Iterator[None]:
    """A blob that exists for a while: the module's container is shared by its tests."""
    with BlobServiceClient.from_connection_string(data.settings[CONNECTION]) as service:
        client = service.get_blob_client(data.container, name)
        client.upload_blob(content)
        try:
            yield
        finally:
            client.delete_blob()


@pytest.mark.usefixtures("azurite_clients")
def test_a_missing_blob_fails_a_downloader_at_its_first_use(storage_data: StorageData) -> None:
    downloader = worker_decode(
        "blob", ref(storage_data, "later.txt"), StorageStreamDownloader, storage_data
    )
    with pytest.raises(DecodeError) as caught:
        downloader.readall()
    assert str(caught.value) == (
        f"binding 'blob': blob '{storage_data.container}/later.txt' does not exist in the "
        "account of connection setting 'AzureWebJobsStorage'"
    )
    assert isinstance(caught.value.__cause__, ResourceNotFoundError)
    with uploaded(storage_data, "later.txt", b"here now"):
        assert downloader.readall() == b"here now"  # a failed first request is not kept


@pytest.mark.usefixtures("azurite_clients")
def test_a_missing_container_is_named(storage_data: StorageData) -> None:
    datum = blob_reference(CONNECTION, "no-such-container", "a.txt")
    downloader = worker_decode("blobTrigger", datum, StorageStreamDownloader, storage_data)
    with pytest.raises(DecodeError, match="container 'no-such-container' does not exist"):
        _ = downloader.size


@pytest.mark.anyio
async def test_a_missing_blob_fails_a_sync_function_not_its_decode(
    storage_data: StorageData,
) -> None:
    plan = load_function_folder(APP / "SyncClients")
    inputs = {**folder_inputs(storage_data), "stream": ref(storage_data, "nope.txt")}
    async with installed_async(StorageClients(dict(storage_data.settings))):
        result = await invoke(plan, inputs)
    assert result.stage == "call"
    assert str(result.error) == (
        "function 'SyncClients': function raised DecodeError: binding 'blob' ('stream'): "
        f"blob '{storage_data.container}/nope.txt' does not exist in the account of "
        "connection setting 'AzureWebJobsStorage'"
    )


@pytest.mark.usefixtures("azurite_clients")
def test_a_client_for_a_missing_blob_is_a_reference_until_used(storage_data: StorageData) -> None:
    client = worker_decode("blob", ref(storage_data, "not-yet.txt"), BlobClient, storage_data)
    assert not client.exists()
    with pytest.raises(ResourceNotFoundError):
        client.download_blob()
    client.upload_blob(b"now it does")  # what a client for a new blob is for
    assert client.download_blob().readall() == b"now it does"
    client.delete_blob()


@pytest.mark.anyio
async def test_a_missing_blob_fails_an_aio_downloader_at_its_first_read(
    storage_data: StorageData,
) -> None:
    async with installed_async(StorageClients(dict(storage_data.settings))):
        downloader = worker_decode(
            "blob", ref(storage_data, "nope.txt"), blob_aio.StorageStreamDownloader, storage_data
        )
        with pytest.raises(DecodeError, match=r"/nope\.txt' does not exist in the account of"):
            await downloader.readall()
        with uploaded(storage_data, "nope.txt", b"here now"):
            assert await downloader.readall() == b"here now"  # the failure is not kept


def test_wrong_credentials_are_named(storage_data: StorageData, azurite: Any) -> None:
    wrong = azurite.connection_string.replace("AccountKey=Eby8", "AccountKey=Xby8")
    with installed(StorageClients({CONNECTION: wrong})):
        downloader = worker_decode("blob", ref(storage_data), StorageStreamDownloader, storage_data)
        with pytest.raises(DecodeError, match="rejected the credentials") as caught:
            downloader.readall()
    assert "Xby8" not in str(caught.value)
    assert "connection setting 'AzureWebJobsStorage'" in str(caught.value)


# -- memory ------------------------------------------------------------------------------

BIG = 32 * MiB


@pytest.fixture(scope="module")
def big_blob(storage_data: StorageData) -> str:
    """A 32 MiB blob: one 1 MiB block staged once and committed 32 times over."""
    name = "big.bin"
    with BlobServiceClient.from_connection_string(storage_data.settings[CONNECTION]) as service:
        client = service.get_blob_client(storage_data.container, name)
        client.stage_block("block-0", BIG_BLOCK)
        client.commit_block_list([BlobBlock("block-0")] * (BIG // MiB))
    return name


BIG_BLOCK = hashlib.sha256(b"seed").digest() * (MiB // 32)


@pytest.mark.usefixtures("azurite_clients")
def test_readinto_keeps_memory_flat(storage_data: StorageData, big_blob: str) -> None:
    def stream_it() -> HashingSink:
        sink = HashingSink()
        downloader = worker_decode(
            "blob", ref(storage_data, big_blob), StorageStreamDownloader, storage_data
        )
        downloader.readinto(sink)
        return sink

    stream_it()  # warm: the service client and its connection exist
    tracemalloc.start()
    try:
        sink = stream_it()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sink.written == BIG
    # Several chunks, written behind the download: every byte once, in order.
    assert sink.digest.digest() == hashlib.sha256(BIG_BLOCK * (BIG // MiB)).digest()
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB for a {BIG // MiB} MiB blob"


@pytest.mark.anyio
async def test_aio_readinto_keeps_memory_flat(storage_data: StorageData, big_blob: str) -> None:
    pytype = blob_aio.StorageStreamDownloader
    async with installed_async(StorageClients(dict(storage_data.settings))):

        async def stream_it() -> HashingSink:
            sink = HashingSink()
            downloader = worker_decode("blob", ref(storage_data, big_blob), pytype, storage_data)
            await downloader.readinto(sink)
            return sink

        await stream_it()
        tracemalloc.start()
        try:
            sink = await stream_it()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert sink.written == BIG
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB for a {BIG // MiB} MiB blob"
