"""The Storage client cache: service clients built once per connection, derived ones cached.

:class:`StorageClients` keeps one service client per (connection, service, sync or
async) and derives blob, container and queue clients from it; the Storage SDKs are
imported on first use only.  The SDK-type bindings and the local host share it, through
the process-wide instance :func:`default_clients`.  Connections come from
:mod:`funcbind.storage.connections`.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from .connections import ConnectionSettingError, Service, StorageConnection, resolve_connection

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "DEFAULT_CHUNK_SIZES",
    "DEFAULT_DERIVED_CACHE_SIZE",
    "DEFAULT_FIRST_CHUNK_SIZES",
    "ClosedOnExit",
    "StorageClients",
    "default_clients",
    "set_default_clients",
]

# The SDK fetches max_single_get_size of a blob in its first request, then
# max_chunk_get_size per request; sync clients read each response from the socket in
# blocks of connection_data_block_size (azure-core's default: 4 KiB).  The sync SDK needs
# about ten times a chunk while reading one (a list presized by the response's
# Content-Length: 8 bytes per byte of content; blocks; their joined copy), and its
# readinto keeps the first chunk for the whole download.  funcbind's StorageStreamDownloader
# binding takes the list away, reads each response as one block and lets the first chunk
# go once written (storage/downloads.py), so a chunk costs about itself and a download
# holds one at a time: sync clients fetch 8 MiB per request, the first one too.  Few
# requests matter more than bytes (on Azurite a request costs about 2 ms of the SDK's
# Python and 3.5 ms of Azurite's CPU, and Azurite computes an MD5 of every range of
# 4 MiB or less), and 8 MiB keeps a download near 8 MiB plus the caller's buffers.
# (A download_blob() call of the function's own keeps the SDK's list: about 10 times a
# chunk; with the SDK's defaults, 32 MiB first, about 290 MiB.)  The aio SDK needs about
# three times a chunk, so aio clients use 2 MiB for both.
DEFAULT_FIRST_CHUNK_SIZES: Mapping[bool, int] = {False: 8 * 1024 * 1024, True: 2 * 1024 * 1024}
DEFAULT_CHUNK_SIZES: Mapping[bool, int] = {False: 8 * 1024 * 1024, True: 2 * 1024 * 1024}
DEFAULT_DERIVED_CACHE_SIZE = 128


class ClosedOnExit:
    """A resource that a ``with`` block closes: leaving it calls :meth:`close`.

    The storage clients and the Azurite process (``funcbind.host.azurite``) are both
    used as ``with StorageClients() as clients:`` or ``with start_azurite() as azurite:``.
    """

    __slots__ = ()

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@dataclass
class _ServiceEntry:
    client: Any
    credential: Any
    loop: asyncio.AbstractEventLoop | None
    asynchronous: bool


class StorageClients(ClosedOnExit):
    """Service clients created once per connection and reused; derived clients cached.

    One service client per (connection, service, sync or async, and for async clients
    the event loop that uses it: an aiohttp session belongs to one loop).  Blob,
    container and queue clients derived from it are kept in a small LRU cache, so a
    reference seen again costs a dictionary lookup; they share the service client's
    transport, and closing one of them leaves the others working.  ``close()`` (or
    ``await aclose()`` for async clients) closes everything; the object stays usable.

    ``chunk_size`` sets the blob download request size, the first request's too
    (default: 8 MiB sync, 2 MiB async; see ``DEFAULT_CHUNK_SIZES``).
    """

    def __init__(
        self,
        settings: Mapping[str, str] | None = None,
        *,
        chunk_size: int | None = None,
        derived_cache_size: int = DEFAULT_DERIVED_CACHE_SIZE,
    ) -> None:
        self.settings = settings
        # (first request, later requests) for sync (False) and async (True) clients
        self.chunk_sizes: dict[bool, tuple[int, int]] = {
            asynchronous: (
                (DEFAULT_FIRST_CHUNK_SIZES[asynchronous], DEFAULT_CHUNK_SIZES[asynchronous])
                if chunk_size is None
                else (chunk_size, chunk_size)
            )
            for asynchronous in (False, True)
        }
        self._derived_limit = derived_cache_size
        self._services: dict[tuple[Any, ...], _ServiceEntry] = {}
        self._derived: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<StorageClients: {len(self._services)} service clients>"

    def connection(self, name: str, service: Service) -> StorageConnection:
        """Resolve a connection setting name against this object's settings."""
        return resolve_connection(name, service, self.settings)

    # -- service clients

    def blob_service(
        self, connection: StorageConnection | str, *, asynchronous: bool = False
    ) -> Any:
        """The shared ``BlobServiceClient`` (aio when ``asynchronous``) of a connection."""
        return self._service(self._connection(connection, "blob"), asynchronous).client

    def queue_service(
        self, connection: StorageConnection | str, *, asynchronous: bool = False
    ) -> Any:
        """The shared ``QueueServiceClient`` (aio when ``asynchronous``) of a connection."""
        return self._service(self._connection(connection, "queue"), asynchronous).client

    def table_service(
        self, connection: StorageConnection | str, *, asynchronous: bool = False
    ) -> Any:
        """The shared ``TableServiceClient`` (aio when ``asynchronous``) of a connection."""
        return self._service(self._connection(connection, "table"), asynchronous).client

    # -- derived clients

    def blob_client(
        self,
        connection: StorageConnection | str,
        container: str,
        blob: str,
        *,
        asynchronous: bool = False,
    ) -> Any:
        """A ``BlobClient`` for ``container/blob``, derived from the shared service client."""
        conn = self._connection(connection, "blob")
        return self._derive(
            conn,
            asynchronous,
            ("blob", container, blob),
            lambda service: service.get_blob_client(container, blob),
        )

    def container_client(
        self, connection: StorageConnection | str, container: str, *, asynchronous: bool = False
    ) -> Any:
        """A ``ContainerClient``, derived from the shared service client."""
        conn = self._connection(connection, "blob")
        return self._derive(
            conn,
            asynchronous,
            ("container", container),
            lambda service: service.get_container_client(container),
        )

    def queue_client(
        self, connection: StorageConnection | str, queue: str, *, asynchronous: bool = False
    ) -> Any:
        """A ``QueueClient`` for ``queue``, derived from the shared service client."""
        conn = self._connection(connection, "queue")
        return self._derive(
            conn, asynchronous, ("queue", queue), lambda service: service.get_queue_client(queue)
        )

    def table_client(
        self, connection: StorageConnection | str, table: str, *, asynchronous: bool = False
    ) -> Any:
        """A ``TableClient`` for ``table``, derived from the shared service client."""
        conn = self._connection(connection, "table")
        return self._derive(
            conn, asynchronous, ("table", table), lambda service: service.get_table_client(table)
        )

    def _connection(
        self, connection: StorageConnection | str, service: Service
    ) -> StorageConnection:
        if isinstance(connection, StorageConnection):
            if connection.service != service:
                raise ConnectionSettingError(
                    f"expected a {service} connection, got the {connection.service} connection "
                    f"of setting {connection.setting!r}"
                )
            return connection
        return self.connection(connection, service)

    def _derive(
        self,
        connection: StorageConnection,
        asynchronous: bool,
        what: tuple[str, ...],
        make: Callable[[Any], Any],
    ) -> Any:
        loop = _running_loop() if asynchronous else None
        key = (connection, asynchronous, loop, *what)
        derived = self._derived
        client = derived.get(key)
        if client is not None:
            try:  # noqa: SIM105 - the hot path: suppress() would cost more than the lookup
                derived.move_to_end(key)
            except KeyError:  # evicted by another thread meanwhile: still a good client
                pass
            return client
        client = make(self._service(connection, asynchronous, loop).client)
        with self._lock:
            existing = derived.get(key)
            if existing is not None:
                return existing
            derived[key] = client
            while len(derived) > self._derived_limit:
                derived.popitem(last=False)
        return client

    def _service(
        self,
        connection: StorageConnection,
        asynchronous: bool,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> _ServiceEntry:
        if asynchronous and loop is None:
            loop = _running_loop()
        key = (connection, asynchronous, loop)
        entry = self._services.get(key)
        if entry is not None:
            return entry
        with self._lock:
            entry = self._services.get(key)
            if entry is None:
                if asynchronous:
                    self._forget_closed_loops()
                client, credential = _new_service_client(
                    connection, asynchronous, self.chunk_sizes[asynchronous]
                )
                entry = _ServiceEntry(client, credential, loop, asynchronous)
                self._services[key] = entry
        return entry

    def _forget_closed_loops(self) -> None:
        """Drop the async clients (service and derived) of event loops that have closed.

        Each ``asyncio.run`` or restarted host loop adds clients of its own; once the
        loop is closed they can never be used or closed again (their connections went
        with it), and keeping them would keep the dead loop alive.  Called with the
        lock held, when a new async service client is added: never on a lookup.
        """
        dead = {key for key, entry in self._services.items() if _closed(entry.loop)}
        if not dead:
            return
        loops = {key[2] for key in dead}
        for key in dead:
            del self._services[key]
        # list() copies the keys in one step: the lock-free lookup path may reorder
        # the cache meanwhile, which would break an iteration over it.
        for key in [key for key in list(self._derived) if key[2] in loops]:
            self._derived.pop(key, None)

    # -- closing

    def _take(self, *, asynchronous: bool | None = None) -> list[_ServiceEntry]:
        """Forget the matching service clients (and every derived client); return them."""
        with self._lock:
            self._derived.clear()
            taken = [e for e in self._services.values() if asynchronous in (None, e.asynchronous)]
            self._services = {
                k: e
                for k, e in self._services.items()
                if asynchronous not in (None, e.asynchronous)
            }
        return taken

    def close(self) -> None:
        """Close every sync client; async ones too when no event loop runs in this thread.

        Inside a running loop use ``await aclose()``: async clients cannot be closed
        synchronously there, and are left open (and cached) for it.
        """
        for entry in self._take(asynchronous=False):
            _close_sync(entry)
        if _running_loop() is None:
            pending = self._take(asynchronous=True)
            if pending:
                import asyncio

                asyncio.run(_close_async_entries(pending))

    async def aclose(self) -> None:
        """Close every client, sync and async."""
        for entry in self._take(asynchronous=False):
            _close_sync(entry)
        await _close_async_entries(self._take(asynchronous=True))

    async def __aenter__(self) -> StorageClients:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def cached_clients(self) -> Iterator[tuple[StorageConnection, bool]]:
        """The (connection, asynchronous) pairs that have a live service client."""
        for connection, asynchronous, _loop in list(self._services):
            yield connection, asynchronous


def _running_loop() -> asyncio.AbstractEventLoop | None:
    module = sys.modules.get("asyncio")  # not imported: no loop can be running
    if module is None:
        return None
    try:
        loop: asyncio.AbstractEventLoop = module.get_running_loop()
    except RuntimeError:
        return None
    return loop


def _closed(loop: asyncio.AbstractEventLoop | None) -> bool:
    return loop is not None and loop.is_closed()


def _close_sync(entry: _ServiceEntry) -> None:
    with contextlib.suppress(Exception):  # closing must not fail a shutdown
        entry.client.close()
    if entry.credential is not None:
        with contextlib.suppress(Exception):
            entry.credential.close()


async def _close_async_entries(entries: list[_ServiceEntry]) -> None:
    current = _running_loop()
    for entry in entries:
        if entry.loop is not current and _closed(entry.loop):
            continue  # its loop is gone, and its connections with it
        with contextlib.suppress(Exception):
            await entry.client.close()
        if entry.credential is not None:
            with contextlib.suppress(Exception):
                await entry.credential.close()


def _new_service_client(
    connection: StorageConnection, asynchronous: bool, chunk_sizes: tuple[int, int]
) -> tuple[Any, Any]:
    """A new service client (and the credential it owns, if any) for a connection."""
    service_class = _service_class(connection.service, asynchronous)
    options: dict[str, Any] = {}
    if connection.service == "blob":
        first, chunk = chunk_sizes
        options = {"max_single_get_size": first, "max_chunk_get_size": chunk}
        if not asynchronous:
            options["connection_data_block_size"] = chunk
    credential = None
    try:
        if connection.connection_string is not None:
            client = service_class.from_connection_string(connection.connection_string, **options)
        else:
            credential = _default_credential(connection, asynchronous)
            client = service_class(connection.account_url, credential=credential, **options)
    except ConnectionSettingError:
        raise
    except (ValueError, TypeError) as exc:
        if credential is not None and not asynchronous:
            # (An aio credential that never sent a request holds nothing to close.)
            with contextlib.suppress(Exception):
                credential.close()
        raise ConnectionSettingError(
            f"connection setting {connection.setting!r} is malformed: the Storage SDK "
            f"rejected it ({type(exc).__name__}: {_without_secrets(exc)})"
        ) from None
    return client, credential


def _without_secrets(exc: Exception) -> str:
    # The SDK's messages about connection strings do not echo them; clip anyway.
    text = str(exc)
    return text if "AccountKey" not in text and "sig=" not in text else "details withheld"


def _service_class(service: Service, asynchronous: bool) -> Any:
    try:
        if service == "blob":
            if asynchronous:
                from azure.storage.blob.aio import BlobServiceClient as AsyncBlobService

                return AsyncBlobService
            from azure.storage.blob import BlobServiceClient

            return BlobServiceClient
        if service == "table":
            if asynchronous:
                from azure.data.tables.aio import TableServiceClient as AsyncTableService

                return AsyncTableService
            from azure.data.tables import TableServiceClient

            return TableServiceClient
        if asynchronous:
            from azure.storage.queue.aio import QueueServiceClient as AsyncQueueService

            return AsyncQueueService
        from azure.storage.queue import QueueServiceClient

        return QueueServiceClient
    except ImportError as exc:
        package = "azure-data-tables" if service == "table" else f"azure-storage-{service}"
        raise ConnectionSettingError(
            f"expected the {package} package for {service} clients, but it cannot be "
            f"imported ({exc}); install it: pip install 'funcbind[storage]'"
        ) from exc


def _default_credential(connection: StorageConnection, asynchronous: bool) -> Any:
    try:
        identity = importlib.import_module(
            "azure.identity.aio" if asynchronous else "azure.identity"
        )
    except ImportError:
        raise ConnectionSettingError(
            f"connection setting {connection.setting!r} is identity-based (a service URL, "
            "no connection string), which needs azure-identity for DefaultAzureCredential; "
            "install it (pip install azure-identity) or set a connection string instead"
        ) from None
    credential_class = identity.DefaultAzureCredential
    if connection.client_id:
        return credential_class(managed_identity_client_id=connection.client_id)
    return credential_class()


# -- the process-wide instance ---------------------------------------------------

_default: StorageClients | None = None
_default_lock = threading.Lock()


def default_clients() -> StorageClients:
    """The process-wide :class:`StorageClients` (over ``os.environ``) the SDK bindings use."""
    clients = _default
    if clients is None:
        with _default_lock:
            clients = _default
            if clients is None:
                clients = set_default_clients(StorageClients())
    return clients


def set_default_clients(clients: StorageClients | None) -> StorageClients:
    """Make ``clients`` the process-wide instance (None: a fresh one); return it.

    The previous instance is not closed: its owner closes it.
    """
    global _default  # noqa: PLW0603 - one shared cache per process, replaceable
    _default = clients if clients is not None else StorageClients()
    return _default
