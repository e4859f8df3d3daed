"""funcbind.bindings.storage_sdk without a network: annotations, decoding, errors.

Clients are built but nothing is sent; what the clients do against a real account is
tested in test_storage_azurite.py.
"""

from __future__ import annotations

import importlib.util
import inspect
import io
import socket
import subprocess
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest
from azure.core.exceptions import ServiceRequestError
from azure.storage.blob import (
    BlobClient,
    ContainerClient,
    ExponentialRetry,
    StorageStreamDownloader,
)
from azure.storage.blob import aio as blob_aio
from azure.storage.queue import QueueClient
from azure.storage.queue import aio as queue_aio
from storage_support import APP, OFFLINE_SETTINGS, installed, load_datum

from funcbind import (
    AnnotationError,
    BindingSpec,
    Datum,
    DecodeError,
    UnsupportedDatumError,
    default_registry,
)
from funcbind.bindings import storage_sdk
from funcbind.host.azurite import development_connection_string
from funcbind.storage import StorageClients, blob_reference, blob_references, queue_reference
from funcbind.worker import WorkerRegistry

REGISTRY = default_registry()
WORKER = WorkerRegistry(REGISTRY)
INPUT = BindingSpec(type="blob", name="inblob")
TRIGGER = BindingSpec(type="blobTrigger", name="myblob")
QUEUE = BindingSpec(type="queue", name="jobs")

extension = pytest.importorskip(
    "azurefunctions.extensions.bindings.blob", reason="the dev extra installs it"
)

SYNC_TYPES = [BlobClient, ContainerClient, StorageStreamDownloader]
AIO_TYPES = [blob_aio.BlobClient, blob_aio.ContainerClient, blob_aio.StorageStreamDownloader]
EXTENSION_TYPES = [
    extension.BlobClient,
    extension.ContainerClient,
    extension.StorageStreamDownloader,
]

pytestmark = pytest.mark.usefixtures("offline_clients")


def decode(annotation: Any, datum: Any, binding: BindingSpec = INPUT) -> Any:
    return REGISTRY.decoder(binding.type, annotation, binding)(datum, None)


# -- annotations --------------------------------------------------------------------


@pytest.mark.parametrize(
    "annotation",
    [
        *SYNC_TYPES,
        *AIO_TYPES,
        *EXTENSION_TYPES,
        list[BlobClient],
        typing.List[blob_aio.ContainerClient],
        list[extension.BlobClient],
        typing.Optional[BlobClient],
        blob_aio.ContainerClient | None,
        StorageStreamDownloader[bytes],
        StorageStreamDownloader[str],
    ],
    ids=repr,
)
@pytest.mark.parametrize("binding_type", ["blob", "blobTrigger"])
def test_blob_bindings_accept_sdk_types(annotation: Any, binding_type: str) -> None:
    binding = WORKER.get(binding_type)
    assert binding is not None
    assert binding.check_input_type_annotation(annotation)


@pytest.mark.parametrize("annotation", [QueueClient, queue_aio.QueueClient, list[QueueClient]])
def test_the_queue_binding_accepts_queue_clients_as_inputs(annotation: Any) -> None:
    binding = WORKER.get("queue")
    assert binding is not None
    assert binding.check_input_type_annotation(annotation)
    assert binding.check_output_type_annotation(str)  # the output is unchanged


class MyBlobClient(BlobClient):
    """A user subclass: funcbind could only hand out the base class, so it says no."""


@pytest.mark.parametrize(
    "annotation",
    [
        MyBlobClient,
        list[typing.Optional[BlobClient]],
        StorageStreamDownloader[int],
        pytest.param("azure.storage.blob.BlobServiceClient", id="BlobServiceClient"),
    ],
)
def test_other_sdk_classes_are_refused(annotation: Any) -> None:
    if isinstance(annotation, str):
        import azure.storage.blob

        annotation = azure.storage.blob.BlobServiceClient
    blob = WORKER.get("blob")
    assert blob is not None
    assert not blob.check_input_type_annotation(annotation)


def test_a_client_of_the_other_service_gets_a_sentence() -> None:
    with pytest.raises(AnnotationError, match="QueueClient is a queue client; a blob binding"):
        REGISTRY.decoder("blob", QueueClient, INPUT)
    with pytest.raises(AnnotationError, match="BlobClient is a blob client; a queue binding"):
        REGISTRY.decoder("queue", BlobClient, QUEUE)


def test_refusals_list_what_is_accepted() -> None:
    with pytest.raises(AnnotationError, match="QueueClient"):
        REGISTRY.decoder("queue", str, QUEUE)
    with pytest.raises(AnnotationError, match="StorageStreamDownloader"):
        REGISTRY.decoder("blob", int, INPUT)


def test_aio_types_without_aiohttp_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "aiohttp" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(AnnotationError, match="needs aiohttp"):
        storage_sdk.blob_decoder(REGISTRY_SPEC(blob_aio.BlobClient), INPUT)


def REGISTRY_SPEC(annotation: Any) -> Any:
    from funcbind import normalize

    return normalize(annotation)


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (BlobClient, storage_sdk.SdkType("blob", "blob", False, "azure.storage.blob.BlobClient")),
        (
            blob_aio.StorageStreamDownloader,
            storage_sdk.SdkType(
                "blob", "downloader", True, "azure.storage.blob.aio.StorageStreamDownloader"
            ),
        ),
        (
            extension.ContainerClient,
            storage_sdk.SdkType(
                "blob",
                "container",
                False,
                "azurefunctions.extensions.bindings.blob.ContainerClient",
            ),
        ),
        (
            queue_aio.QueueClient,
            storage_sdk.SdkType("queue", "queue", True, "azure.storage.queue.aio.QueueClient"),
        ),
        (func.InputStream, None),
        (bytes, None),
    ],
)
def test_sdk_type_of(annotation: Any, expected: Any) -> None:
    assert storage_sdk.sdk_type_of(annotation) == expected


def test_plain_blob_annotations_do_not_import_the_sdks(tmp_path: Path) -> None:
    code = (
        "import sys, typing, funcbind, azure.functions as func\n"
        "r = funcbind.default_registry()\n"
        "for a in (bytes, str, func.InputStream, typing.Any):\n"
        "    r.decoder('blob', a); r.decoder('blobTrigger', a)\n"
        "r.encoder('queue', str)\n"
        "heavy = [m for m in sys.modules if m.startswith(('azure.storage', 'aiohttp'))]\n"
        "assert not heavy, heavy\n"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(src)},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


# -- decoding (no network) -----------------------------------------------------------


def test_a_blob_client_for_the_reference() -> None:
    client = decode(BlobClient, load_datum("blob_trigger"), TRIGGER)
    assert type(client) is BlobClient
    assert (client.container_name, client.blob_name) == ("samples-workitems", "test.txt")
    assert client.url == "http://127.0.0.1:10000/devstoreaccount1/samples-workitems/test.txt"
    assert client.account_name == "devstoreaccount1"


def test_a_blob_of_another_connection_with_a_nested_name() -> None:
    client = decode(blob_aio.BlobClient, load_datum("blob_nested_path"))
    assert isinstance(client, blob_aio.BlobClient)
    assert client.blob_name == "2024/06/daily report.csv"
    assert client.url == "https://reports.blob.core.windows.net/reports/2024/06/daily%20report.csv"


@pytest.mark.parametrize("annotation", [ContainerClient, blob_aio.ContainerClient])
def test_a_container_client(annotation: Any) -> None:
    client = decode(annotation, load_datum("container"))
    assert type(client) is annotation
    assert client.container_name == "samples-workitems"


def test_a_container_client_from_a_blob_reference_is_its_container() -> None:
    assert decode(ContainerClient, load_datum("blob_trigger")).container_name == "samples-workitems"


@pytest.mark.parametrize("annotation", [QueueClient, queue_aio.QueueClient])
def test_a_queue_client(annotation: Any) -> None:
    client = decode(annotation, load_datum("queue"), QUEUE)
    assert type(client) is annotation
    assert client.queue_name == "orders"
    assert client.url == "http://127.0.0.1:10001/devstoreaccount1/orders"


def test_a_collection_decodes_into_a_list() -> None:
    clients = decode(list[BlobClient], load_datum("collection"))
    assert [c.blob_name for c in clients] == ["a.txt", "b.txt", "dir/c.txt"]
    assert all(type(c) is BlobClient for c in clients)


def test_a_single_reference_for_a_list_is_a_list_of_one() -> None:
    clients = decode(list[blob_aio.BlobClient], load_datum("blob_trigger"))
    assert [c.blob_name for c in clients] == ["test.txt"]


def test_an_empty_collection_is_an_empty_list() -> None:
    assert decode(list[ContainerClient], Datum([], "collection_model_binding_data")) == []


def test_a_collection_for_a_single_client_is_refused() -> None:
    with pytest.raises(DecodeError, match="got a collection of 3; annotate list"):
        decode(BlobClient, load_datum("collection"))


def test_a_container_reference_for_a_blob_client_is_refused() -> None:
    with pytest.raises(DecodeError, match="annotate ContainerClient for a container"):
        decode(BlobClient, load_datum("container"))


@pytest.mark.parametrize("datum", [Datum(None, None), Datum(None, "model_binding_data")])
def test_null_is_none_for_optional_and_an_error_otherwise(datum: Datum) -> None:
    assert decode(typing.Optional[BlobClient], datum) is None
    assert decode(list[BlobClient] | None, datum) is None
    with pytest.raises(DecodeError, match=r"expected a reference .* got nothing"):
        decode(BlobClient, datum)


@pytest.mark.parametrize(
    "datum", [Datum(b"content", "bytes"), Datum("text", "string"), Datum("{}", "json")]
)
def test_content_instead_of_a_reference_is_unsupported(datum: Datum) -> None:
    with pytest.raises(UnsupportedDatumError, match="SupportsDeferredBinding") as caught:
        decode(ContainerClient, datum)
    assert isinstance(caught.value, NotImplementedError)  # what workers expect


def test_clients_are_reused_across_decodes(offline_clients: StorageClients) -> None:
    datum = load_datum("blob_trigger")
    first = decode(BlobClient, datum)
    assert decode(BlobClient, datum) is first
    other = decode(BlobClient, blob_reference("AzureWebJobsStorage", "samples-workitems", "z"))
    assert other is not first
    assert other._pipeline._transport._transport is first._pipeline._transport._transport
    assert len(list(offline_clients.cached_clients())) == 1


# -- bad input: clear errors naming the binding and the setting, no clients -------------


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("bad_json", "binding 'blob' \\('inblob'\\): expected the ModelBindingData content"),
        ("no_connection", "binding 'blob' \\('inblob'\\): expected Connection"),
        ("other_source", "binding 'blob' \\('inblob'\\): expected a ModelBindingData from"),
    ],
)
def test_malformed_references(fixture: str, expected: str, offline_clients: StorageClients) -> None:
    with pytest.raises(DecodeError, match=expected):
        decode(BlobClient, load_datum(fixture))
    assert not list(offline_clients.cached_clients())


def test_a_missing_connection_setting(offline_clients: StorageClients) -> None:
    datum = blob_reference("NoSuchSetting", "c", "b")
    with pytest.raises(DecodeError) as caught:
        decode(StorageStreamDownloader, datum)
    message = str(caught.value)
    assert message.startswith("binding 'blob' ('inblob'): connection setting 'NoSuchSetting'")
    assert "'NoSuchSetting__blobServiceUri'" in message
    assert not list(offline_clients.cached_clients())


def test_a_malformed_connection_setting(offline_clients: StorageClients) -> None:
    offline_clients.settings = {"Broken": "AccountName=x;AccountKey"}  # type: ignore[assignment]
    with pytest.raises(DecodeError, match="'jobs'\\): connection setting 'Broken' is malformed"):
        decode(QueueClient, queue_reference("Broken", "q"), QUEUE)
    assert not list(offline_clients.cached_clients())


def test_one_bad_item_fails_the_whole_list() -> None:
    good = load_datum("collection").value
    bad = blob_references("NoSuchSetting", "c", ["x"]).value
    with pytest.raises(DecodeError, match="'NoSuchSetting' is not set"):
        decode(list[BlobClient], Datum([*good, *bad], "collection_model_binding_data"))


@pytest.mark.anyio
async def test_decode_errors_through_invoke_name_function_and_parameter() -> None:
    from funcbind.invoke import invoke
    from funcbind.loader import load_function_folder

    plan = load_function_folder(APP / "SyncClients", registry=REGISTRY)
    inputs = {
        "client": blob_reference("AzureWebJobsStorage", "sdk", "a.txt"),
        "container": blob_reference("MissingSetting", "sdk"),
    }
    result = await invoke(plan, inputs)
    assert result.stage == "decode"
    assert str(result.error).startswith(
        "function 'SyncClients', parameter 'container', binding 'blob': binding 'blob' "
        "('container'): connection setting 'MissingSetting' is not set"
    )


# -- the aio downloader, before its first read ----------------------------------------


@pytest.mark.anyio
async def test_an_aio_downloader_waits_for_its_first_read() -> None:
    downloader = decode(blob_aio.StorageStreamDownloader, load_datum("blob_trigger"))
    assert isinstance(downloader, blob_aio.StorageStreamDownloader)
    assert (downloader.container, downloader.name) == ("samples-workitems", "test.txt")
    with pytest.raises(AttributeError, match="await one of read"):
        _ = downloader.size
    with pytest.raises(AttributeError, match="await one of read"):
        len(downloader)
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = downloader._funcbind_no_such_thing


# -- the sync downloader, before its first use --------------------------------------


@pytest.fixture
def unreachable() -> Iterator[StorageClients]:
    """Connection setting 'Unreachable': a blob endpoint on a port where nothing listens.

    The socket is bound but never listens, so the port stays taken and a connection to
    it is refused at once.  The SDK retries a refused connection three times, 15 s and
    more apart: the backoff is made zero so that a first use fails at once.
    """
    with socket.socket() as taken, pytest.MonkeyPatch.context() as patch:
        taken.bind(("127.0.0.1", 0))
        patch.setattr(ExponentialRetry, "get_backoff_time", lambda self, settings: 0)
        port = taken.getsockname()[1]
        settings = {"Unreachable": development_connection_string(blob_port=port)}
        with installed(StorageClients(settings)) as clients:
            yield clients


def worker_decode(annotation: Any, datum: Any) -> Any:
    blob = WORKER.get("blob")
    assert blob is not None
    return blob.decode(datum, trigger_metadata=None, pytype=annotation)


FIRST_USES: dict[str, Callable[[Any], Any]] = {
    "read": lambda d: d.read(2),
    "readall": lambda d: d.readall(),
    "readinto": lambda d: d.readinto(io.BytesIO()),
    "chunks": lambda d: d.chunks(),
    "content_as_bytes": lambda d: d.content_as_bytes(),
    "content_as_text": lambda d: d.content_as_text(),
    "download_to_stream": lambda d: d.download_to_stream(io.BytesIO()),
    "len": len,
    "size": lambda d: d.size,
    "properties": lambda d: d.properties,
}


@pytest.mark.parametrize("use", FIRST_USES.values(), ids=FIRST_USES.keys())
@pytest.mark.parametrize("path", ["registry", "worker"])
def test_a_sync_downloader_sends_nothing_until_its_first_use(
    path: str, use: Callable[[Any], Any], unreachable: StorageClients
) -> None:
    datum = blob_reference("Unreachable", "reports", "daily.csv")
    if path == "worker":
        downloader = worker_decode(StorageStreamDownloader, datum)
    else:
        downloader = decode(StorageStreamDownloader, datum)
    assert isinstance(downloader, StorageStreamDownloader)
    assert (downloader.container, downloader.name) == ("reports", "daily.csv")
    with pytest.raises(DecodeError) as caught:
        use(downloader)
    assert str(caught.value).startswith(
        "binding 'blob'"
        + (" ('inblob')" if path == "registry" else "")
        + ": downloading blob 'reports/daily.csv' from the account of connection setting "
        "'Unreachable' failed: ServiceRequestError: "
    )
    assert isinstance(caught.value.__cause__, ServiceRequestError)
    with pytest.raises(DecodeError):  # not opened: the next use tries again
        downloader.readall()


def test_lists_of_sync_downloaders_send_nothing_either(unreachable: StorageClients) -> None:
    datum = blob_references("Unreachable", "reports", ["a.csv", "b.csv"])
    downloaders = worker_decode(list[StorageStreamDownloader[str]], datum)
    assert [d.name for d in downloaders] == ["a.csv", "b.csv"]
    with pytest.raises(DecodeError, match=r"downloading blob 'reports/b\.csv'"):
        downloaders[1].readall()


def test_every_public_method_of_the_sync_downloader_starts_it() -> None:
    pending = type(decode(StorageStreamDownloader, load_datum("blob_trigger")))
    sdk_methods = {
        name
        for name, value in vars(StorageStreamDownloader).items()
        if callable(value) and (not name.startswith("_") or name == "__len__")
    }
    assert sdk_methods <= set(FIRST_USES) | {"__len__"}  # all tried above
    for name in sdk_methods:
        # Each is the SDK's method behind the opening wrapper (readinto behind two).
        assert inspect.unwrap(getattr(pending, name)) is getattr(StorageStreamDownloader, name)


def test_probing_a_pending_sync_downloader_sends_nothing(unreachable: StorageClients) -> None:
    downloader = worker_decode(StorageStreamDownloader, blob_reference("Unreachable", "c", "b"))
    assert not hasattr(downloader, "__array__")
    assert not hasattr(downloader, "_funcbind_no_such_thing")
    assert repr(downloader).startswith("<funcbind.bindings.storage_sdk.PendingSync")


# -- compared with the stock extension ------------------------------------------------


@pytest.mark.parametrize(
    ("stock_type", "ours"),
    [
        (extension.BlobClient, BlobClient),
        (extension.ContainerClient, ContainerClient),
    ],
)
@pytest.mark.parametrize("fixture", ["blob_trigger", "blob_nested_path"])
def test_the_same_clients_as_the_stock_extension(
    stock_type: Any, ours: Any, fixture: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in OFFLINE_SETTINGS.items():
        monkeypatch.setenv(name, value)
    datum = load_datum(fixture)
    message = SimpleNamespace(**datum.value)  # what the worker hands the extension
    base = pytest.importorskip("azurefunctions.extensions.base")
    stock = extension.BlobClientConverter.decode(
        base.Datum(message, "model_binding_data"), trigger_metadata=None, pytype=stock_type
    )
    mine = decode(stock_type, datum)
    assert type(stock) is type(mine) is ours  # both hand out the SDK's own class
    assert mine.url == stock.url
    assert mine.account_name == stock.account_name
    assert mine.credential.account_name == stock.credential.account_name
    stock.close()


@pytest.mark.parametrize("annotation", SYNC_TYPES)
def test_plain_sdk_annotations_where_the_stock_extension_refuses_them(annotation: Any) -> None:
    assert not extension.BlobClientConverter.check_input_type_annotation(annotation)
    blob = WORKER.get("blob")
    assert blob is not None and blob.check_input_type_annotation(annotation)
