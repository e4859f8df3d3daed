"""Storage SDK types as binding values: references (ModelBindingData) in, SDK clients out.

A ``blob``/``blobTrigger`` parameter annotated ``azure.storage.blob.BlobClient``,
``ContainerClient`` or ``StorageStreamDownloader`` (or their ``azure.storage.blob.aio``
twins, or the classes of ``azurefunctions-extensions-bindings-blob``, or ``list[...]``
of any of them), and a ``queue`` parameter annotated ``azure.storage.queue.QueueClient``
(sync or aio), receive a client for what the host's ``model_binding_data`` names.

This module has no registration of its own: the ``blob`` and ``queue`` converters ask
:func:`blob_decoder` / :func:`queue_decoder` first, so one converter per binding type
stays the rule.  Annotations are recognised by their module before anything is
imported; the SDKs load only when such an annotation is compiled.  Clients come from
:func:`funcbind.storage.default_clients` (one service client per connection, reused).
See ``docs/bindings/storage-sdk.md``.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

from .._typing import TypeSpec
from ..datum import DatumLike
from ..errors import AnnotationError, DecodeError, UnsupportedDatumError, describe
from ..registry import BindingSpec, Decoder
from ..storage.clients import StorageClients, default_clients
from ..storage.connections import ConnectionSettingError, Service, StorageConnection
from ..storage.downloads import download_options, releasing_first_chunk
from ..storage.references import (
    BLOB_SOURCE,
    QUEUE_SOURCE,
    BlobReference,
    collection_items,
    parse_blob_reference,
    parse_queue_reference,
)
from ._common import Metadata, binding_label

__all__ = [
    "ACCEPTED_BLOB_TYPES",
    "ACCEPTED_QUEUE_TYPES",
    "ReferenceDecoder",
    "SdkType",
    "blob_decoder",
    "queue_decoder",
    "sdk_type_of",
]

Shape = Literal["blob", "container", "downloader", "queue"]

ACCEPTED_BLOB_TYPES = (
    "azure.storage.blob BlobClient, ContainerClient or StorageStreamDownloader (or their "
    ".aio twins, or the azurefunctions.extensions.bindings.blob classes), or a list of them"
)
ACCEPTED_QUEUE_TYPES = "azure.storage.queue.QueueClient or azure.storage.queue.aio.QueueClient"

# Modules whose classes may be SDK annotations: checked before importing anything.
_SDK_MODULES = ("azure.storage.blob", "azure.storage.queue", "azurefunctions.extensions.")
_EXTENSION_MODULE = "azurefunctions.extensions.bindings.blob"
_SIG = re.compile(r"(sig=)[^&\s'\"]+", re.IGNORECASE)


@dataclass(frozen=True)
class SdkType:
    """An SDK class funcbind can build from a reference, and how."""

    service: Service
    shape: Shape
    asynchronous: bool
    name: str  # the public spelling, for messages


def sdk_type_of(cls: object) -> SdkType | None:
    """The SdkType of an annotation class, or None; imports nothing for other classes."""
    module = getattr(cls, "__module__", None)
    if not isinstance(module, str) or not module.startswith(_SDK_MODULES):
        return None
    try:
        return _table(module).get(cls)
    except TypeError:  # unhashable
        return None


def _table(module: str) -> dict[object, SdkType]:
    if module.startswith("azure.storage.blob.aio"):
        return _blob_table(asynchronous=True)
    if module.startswith("azure.storage.blob"):
        return _blob_table(asynchronous=False)
    if module.startswith("azure.storage.queue.aio"):
        return _queue_table(asynchronous=True)
    if module.startswith("azure.storage.queue"):
        return _queue_table(asynchronous=False)
    if module.startswith(_EXTENSION_MODULE):
        return _extension_table()
    return {}


@functools.cache
def _blob_table(*, asynchronous: bool) -> dict[object, SdkType]:
    if asynchronous:
        from azure.storage.blob import aio as sdk

        prefix = "azure.storage.blob.aio"
    else:
        import azure.storage.blob as sdk  # type: ignore[no-redef]

        prefix = "azure.storage.blob"
    return {
        sdk.BlobClient: SdkType("blob", "blob", asynchronous, f"{prefix}.BlobClient"),
        sdk.ContainerClient: SdkType(
            "blob", "container", asynchronous, f"{prefix}.ContainerClient"
        ),
        sdk.StorageStreamDownloader: SdkType(
            "blob", "downloader", asynchronous, f"{prefix}.StorageStreamDownloader"
        ),
    }


@functools.cache
def _queue_table(*, asynchronous: bool) -> dict[object, SdkType]:
    if asynchronous:
        from azure.storage.queue.aio import QueueClient
    else:
        from azure.storage.queue import QueueClient  # type: ignore[assignment]
    name = (
        "azure.storage.queue.aio.QueueClient" if asynchronous else "azure.storage.queue.QueueClient"
    )
    return {QueueClient: SdkType("queue", "queue", asynchronous, name)}


@functools.cache
def _extension_table() -> dict[object, SdkType]:
    try:
        extension = importlib.import_module(_EXTENSION_MODULE)
    except ImportError:
        return {}
    # The extension's classes stand for the sync SDK classes (it returns those, too).
    shapes: dict[str, Shape] = {
        "BlobClient": "blob",
        "ContainerClient": "container",
        "StorageStreamDownloader": "downloader",
    }
    return {
        getattr(extension, name): SdkType("blob", shape, False, f"{_EXTENSION_MODULE}.{name}")
        for name, shape in shapes.items()
        if isinstance(getattr(extension, name, None), type)
    }


# -- compiling -----------------------------------------------------------------


def blob_decoder(spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
    """The decoder for a blob SDK annotation on ``binding``, or None for other annotations."""
    return _compile(spec, binding, "blob")


def queue_decoder(spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
    """The decoder for a QueueClient annotation on ``binding``, or None for others."""
    return _compile(spec, binding, "queue")


def _compile(spec: TypeSpec, binding: BindingSpec, service: Service) -> Decoder | None:
    collection = spec.kind == "list"
    item = spec.item if collection else spec
    if item is None or item.kind != "class" or item.cls is None:
        return None
    sdk_type = sdk_type_of(item.cls)
    if sdk_type is None:
        return None
    where = binding_label(binding)
    if sdk_type.service != service:
        accepted = ACCEPTED_BLOB_TYPES if service == "blob" else ACCEPTED_QUEUE_TYPES
        raise AnnotationError(
            f"{where}: {sdk_type.name} is a {sdk_type.service} client; a {service} binding "
            f"gives {accepted}"
        )
    if item.optional and collection:
        raise AnnotationError(f"{where}: expected list[{sdk_type.name}], got {spec.describe()}")
    encoding = _encoding(item, sdk_type, where)
    if sdk_type.asynchronous and importlib.util.find_spec("aiohttp") is None:
        raise AnnotationError(
            f"{where}: {sdk_type.name} needs aiohttp, the transport of the Storage SDK's "
            "async clients; install it (pip install aiohttp) or annotate the sync class"
        )
    return ReferenceDecoder(sdk_type, where, collection, spec.optional, encoding)


def _encoding(item: TypeSpec, sdk_type: SdkType, where: str) -> str | None:
    """``StorageStreamDownloader[str]`` downloads text (UTF-8); ``[bytes]`` bytes."""
    if not item.args:
        return None
    if sdk_type.shape == "downloader" and item.args in ((bytes,), (str,)):
        return "UTF-8" if item.args == (str,) else None
    raise AnnotationError(
        f"{where}: expected {sdk_type.name} (or StorageStreamDownloader[bytes] / [str]), got "
        f"{item.describe()}"
    )


# -- decoding ------------------------------------------------------------------


class ReferenceDecoder:
    """Decodes ``model_binding_data`` (or a collection of it) into SDK clients.

    Its attributes tell the function layer that the binding wants a reference rather
    than content (``supports_deferred_binding``; see :mod:`funcbind.deferred`).
    """

    supports_deferred_binding = True
    __slots__ = ("_build", "asynchronous", "collection", "optional", "sdk_type", "source", "where")

    def __init__(
        self,
        sdk_type: SdkType,
        where: str,
        collection: bool,
        optional: bool,
        encoding: str | None,
    ) -> None:
        self.sdk_type = sdk_type
        self.where = where
        self.collection = collection
        self.optional = optional
        self.asynchronous = sdk_type.asynchronous
        self.source = BLOB_SOURCE if sdk_type.service == "blob" else QUEUE_SOURCE
        self._build = _builder(sdk_type, where, encoding)

    def __repr__(self) -> str:
        shape = f"list[{self.sdk_type.name}]" if self.collection else self.sdk_type.name
        return f"<ReferenceDecoder {shape} for {self.where}>"

    def __call__(self, datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
        kind = datum.type
        value = datum.value
        if value is not None and kind == "model_binding_data":
            one = self._build(default_clients(), value)
            return [one] if self.collection else one
        if value is not None and kind == "collection_model_binding_data":
            items = collection_items(value, self.where)
            if not self.collection:
                raise DecodeError(
                    f"{self.where}: expected one reference for {self.sdk_type.name}, got a "
                    f"collection of {len(items)}; annotate list[{self.sdk_type.name}]"
                )
            clients = default_clients()
            return [self._build(clients, item) for item in items]
        if value is None or kind is None:
            if self.optional:
                return None
            raise DecodeError(
                f"{self.where}: expected a reference (model_binding_data) for "
                f"{self.sdk_type.name}, got nothing (null)"
            )
        raise UnsupportedDatumError(
            f"{self.where}: expected a reference (wire type model_binding_data) for "
            f"{self.sdk_type.name}, got wire type {kind!r} ({describe(value)}); the host sends "
            'references only to bindings marked "SupportsDeferredBinding" '
            "(funcbind.deferred.raw_bindings marks them)"
        )


Builder = Callable[[StorageClients, Any], Any]


def _builder(sdk_type: SdkType, where: str, encoding: str | None) -> Builder:
    asynchronous = sdk_type.asynchronous
    if sdk_type.shape == "queue":

        def build_queue(clients: StorageClients, value: Any) -> Any:
            ref = parse_queue_reference(value, where)
            conn = _connection(clients, ref.connection, "queue", where)
            return _guard(
                lambda: clients.queue_client(conn, ref.queue, asynchronous=asynchronous), where
            )

        return build_queue

    if sdk_type.shape == "container":

        def build_container(clients: StorageClients, value: Any) -> Any:
            ref = parse_blob_reference(value, where)
            conn = _connection(clients, ref.connection, "blob", where)
            return _guard(
                lambda: clients.container_client(conn, ref.container, asynchronous=asynchronous),
                where,
            )

        return build_container

    def blob_client(clients: StorageClients, value: Any) -> tuple[Any, BlobReference, Any]:
        ref = parse_blob_reference(value, where)
        if ref.blob is None:
            raise DecodeError(
                f"{where}: expected a reference to a blob (BlobName) for {sdk_type.name}, got "
                f"a reference to container {ref.container!r}; annotate ContainerClient for a "
                "container"
            )
        conn = _connection(clients, ref.connection, "blob", where)
        client = _guard(
            lambda: clients.blob_client(
                conn, ref.container, ref.blob or "", asynchronous=asynchronous
            ),
            where,
        )
        return client, ref, conn

    if sdk_type.shape == "blob":
        return lambda clients, value: blob_client(clients, value)[0]

    pending_class = _pending_aio_downloader_class if asynchronous else _pending_downloader_class

    def build_downloader(clients: StorageClients, value: Any) -> Any:
        # No request here: a decoder runs on the host's event loop, the download belongs
        # to the function (a sync function's first read runs in its pool thread).
        client, ref, conn = blob_client(clients, value)
        return pending_class()(
            client, encoding, functools.partial(_download_error, where, ref, conn)
        )

    return build_downloader


def _connection(
    clients: StorageClients, name: str, service: Service, where: str
) -> StorageConnection:
    try:
        return clients.connection(name, service)
    except ConnectionSettingError as exc:
        raise DecodeError(f"{where}: {exc.message}") from exc


def _guard(make: Callable[[], Any], where: str) -> Any:
    """Run a client factory; a setting the SDK rejects becomes a DecodeError for ``where``."""
    try:
        return make()
    except ConnectionSettingError as exc:
        raise DecodeError(f"{where}: {exc.message}") from exc


def _download_error(
    where: str, ref: BlobReference, connection: StorageConnection, exc: Exception
) -> DecodeError:
    """A download failure as a sentence naming the binding, the blob and the setting."""
    from azure.core import exceptions as azure_errors

    path = f"{ref.container}/{ref.blob}"
    account = connection.describe()
    code = getattr(exc, "error_code", None)
    code = getattr(code, "value", code)  # the SDK's StorageErrorCode enum, or a string
    status = getattr(exc, "status_code", None)
    if isinstance(exc, azure_errors.ResourceNotFoundError):
        if code == "ContainerNotFound":
            what = f"container {ref.container!r} does not exist"
        else:
            what = f"blob {path!r} does not exist"
        return DecodeError(f"{where}: {what} in {account}")
    if isinstance(exc, azure_errors.ClientAuthenticationError) or status in (401, 403):
        return DecodeError(
            f"{where}: {account} rejected the credentials while downloading blob {path!r} "
            f"(HTTP {status} {code or ''}); check connection setting {connection.setting!r}"
        )
    if isinstance(exc, azure_errors.HttpResponseError):
        return DecodeError(
            f"{where}: downloading blob {path!r} from {account} failed with HTTP "
            f"{status} {code or ''}".rstrip()
        )
    detail = _SIG.sub(r"\1***", str(exc).splitlines()[0] if str(exc) else "")
    return DecodeError(
        f"{where}: downloading blob {path!r} from {account} failed: {type(exc).__name__}: {detail}"
    )


# -- the sync downloader, opened on first use --------------------------------------

# The sync downloader's public methods: each sends the first request before it runs.
# Some set state before they read (content_as_text sets the encoding), so opening from
# __getattr__ inside them would be too late.  A test compares this with the SDK's class.
_SYNC_DOWNLOADER_METHODS = (
    "read",
    "readall",
    "readinto",
    "chunks",
    "content_as_bytes",
    "content_as_text",
    "download_to_stream",
    "__len__",
)


@functools.cache
def _pending_downloader_class() -> type:
    """A subclass of the sync StorageStreamDownloader that downloads on first use.

    The sync SDK sends a downloader's first request inside ``BlobClient.download_blob()``,
    and decoders run on the host's event loop: a downloader made there would block the
    loop (every invocation of the host) on the network.  This subclass is handed out
    instead.  Its first use (any method, ``len()``, ``size``, ``properties``) calls exactly
    that, in the caller's thread (a sync function's pool thread), and takes over the
    resulting state, so from then on it is the SDK's own downloader.  A first request that
    fails raises a DecodeError and leaves the downloader unopened: the next use tries again.
    """
    import threading

    from azure.storage.blob import StorageStreamDownloader as SyncDownloader

    class PendingSyncStorageStreamDownloader(SyncDownloader):  # type: ignore[type-arg]
        # No super().__init__(): the real state arrives from download_blob().
        def __init__(
            self,
            client: Any,
            encoding: str | None,
            on_error: Callable[[Exception], DecodeError],
        ) -> None:
            self.name = client.blob_name
            self.container = client.container_name
            self._funcbind_pending: tuple[Any, ...] | None = (client, encoding, on_error)
            self._funcbind_lock = threading.Lock()

        def __getattr__(self, name: str) -> Any:
            # Only reached for attributes not set yet.  Before the first request that is
            # all of the SDK's state (size, properties, the private fields its methods
            # read): open, then look again.  Dunder names are probes (copy, protocols).
            if name.startswith(("__", "_funcbind")) or not self.__dict__.get("_funcbind_pending"):
                raise AttributeError(f"'StorageStreamDownloader' object has no attribute {name!r}")
            self._funcbind_open()
            return object.__getattribute__(self, name)

        def _funcbind_open(self) -> None:
            with self._funcbind_lock:  # two threads reading at once send one first request
                if self._funcbind_pending is None:
                    return
                client, encoding, on_error = self._funcbind_pending
                try:
                    started = client.download_blob(encoding=encoding, **download_options())
                except Exception as exc:
                    raise on_error(exc) from exc
                self.__dict__.update(started.__dict__)
                self._funcbind_pending = None

    for name in _SYNC_DOWNLOADER_METHODS:
        method = getattr(SyncDownloader, name, None)  # older SDKs lack some
        if method is not None:
            if name == "readinto":  # streams a blob holding one chunk at a time
                method = releasing_first_chunk(method)
            setattr(PendingSyncStorageStreamDownloader, name, _opening_first(method))
    PendingSyncStorageStreamDownloader.__qualname__ = "PendingSyncStorageStreamDownloader"
    PendingSyncStorageStreamDownloader.__module__ = __name__
    return PendingSyncStorageStreamDownloader


def _opening_first(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` of the SDK's downloader, preceded by the pending download's first request."""

    @functools.wraps(method)
    def opened(self: Any, *args: Any, **kwargs: Any) -> Any:
        self._funcbind_open()
        return method(self, *args, **kwargs)

    return opened


# -- the aio downloader, opened on first use ---------------------------------------


@functools.cache
def _pending_aio_downloader_class() -> type:
    """A subclass of the aio StorageStreamDownloader that downloads on its first await.

    A decoder cannot await, and the aio SDK sends a downloader's first request inside
    ``await BlobClient.download_blob()``.  This subclass is handed out instead: its
    first awaited read calls exactly that and takes over the resulting state, so from
    then on it is the SDK's own downloader.  ``size`` and ``properties`` exist after that
    first read.  A first request that fails raises a DecodeError; the next read tries again.
    """
    import asyncio

    from azure.storage.blob.aio import StorageStreamDownloader as AioDownloader

    class PendingStorageStreamDownloader(AioDownloader):  # type: ignore[type-arg]
        # No super().__init__(): the real state arrives from download_blob().
        def __init__(
            self,
            client: Any,
            encoding: str | None,
            on_error: Callable[[Exception], DecodeError],
        ) -> None:
            self.name = client.blob_name
            self.container = client.container_name
            self._funcbind_pending: tuple[Any, ...] | None = (client, encoding, on_error)
            self._funcbind_opening: asyncio.Future[None] | None = None

        def __getattr__(self, name: str) -> Any:
            # Only reached for attributes not set yet, i.e. before the first read.
            if not name.startswith("_funcbind") and self.__dict__.get("_funcbind_pending"):
                raise AttributeError(
                    f"StorageStreamDownloader.{name} is known once the download has started: "
                    "await one of read(), readall(), readinto() or chunks() first"
                )
            raise AttributeError(name)

        async def _funcbind_ready(self) -> None:
            if self._funcbind_pending is None:
                return
            if self._funcbind_opening is None:
                self._funcbind_opening = asyncio.ensure_future(self._funcbind_open())
            opening = self._funcbind_opening
            try:
                await asyncio.shield(opening)
            except Exception:
                # A failed first request is not kept: the next read sends it again.
                if opening.done() and self._funcbind_opening is opening:
                    self._funcbind_opening = None
                raise

        async def _funcbind_open(self) -> None:
            assert self._funcbind_pending is not None
            client, encoding, on_error = self._funcbind_pending
            try:
                real = await client.download_blob(encoding=encoding)
            except Exception as exc:
                raise on_error(exc) from exc
            self.__dict__.update(real.__dict__)
            self._funcbind_pending = None

        async def read(self, *args: Any, **kwargs: Any) -> Any:
            await self._funcbind_ready()
            return await super().read(*args, **kwargs)

        async def readall(self) -> Any:
            await self._funcbind_ready()
            return await super().readall()

        async def readinto(self, stream: Any) -> int:
            await self._funcbind_ready()
            return await super().readinto(stream)

        async def content_as_bytes(self, *args: Any, **kwargs: Any) -> Any:
            await self._funcbind_ready()
            return await cast(Any, super()).content_as_bytes(*args, **kwargs)

        async def content_as_text(self, *args: Any, **kwargs: Any) -> Any:
            await self._funcbind_ready()
            return await cast(Any, super()).content_as_text(*args, **kwargs)

        async def download_to_stream(self, *args: Any, **kwargs: Any) -> Any:
            await self._funcbind_ready()
            return await cast(Any, super()).download_to_stream(*args, **kwargs)

        def chunks(self) -> Any:
            return _ChunksAfterOpening(self, AioDownloader.chunks)

    PendingStorageStreamDownloader.__qualname__ = "PendingStorageStreamDownloader"
    PendingStorageStreamDownloader.__module__ = __name__
    return PendingStorageStreamDownloader


class _ChunksAfterOpening:
    """``chunks()`` of a pending downloader: opens it on the first ``__anext__``."""

    __slots__ = ("_chunks", "_downloader", "_inner")

    def __init__(self, downloader: Any, chunks: Callable[[Any], Any]) -> None:
        self._downloader = downloader
        self._chunks = chunks
        self._inner: Any = None

    def __aiter__(self) -> _ChunksAfterOpening:
        return self

    async def __anext__(self) -> Any:
        if self._inner is None:
            await self._downloader._funcbind_ready()
            self._inner = self._chunks(self._downloader)
        return await self._inner.__anext__()
