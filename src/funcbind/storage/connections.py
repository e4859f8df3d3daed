"""Storage connections: a binding's ``connection`` setting resolved, and clients shared.

A storage binding names an app setting, not an account (WIRE.md §3).  The setting
``<name>`` holds a connection string; failing that, ``<name>__blobServiceUri`` /
``<name>__queueServiceUri`` / ``<name>__serviceUri`` (or ``<name>__accountName``) hold
the service URL of an identity-based connection, authenticated with azure-identity's
``DefaultAzureCredential`` (``<name>__clientId`` picks a user-assigned identity).
``UseDevelopmentStorage=true`` means Azurite on its well-known loopback endpoints,
which ``FUNCBIND_AZURITE_BLOB_ENDPOINT`` / ``FUNCBIND_AZURITE_QUEUE_ENDPOINT`` override.

:class:`StorageClients` keeps one service client per (connection, service, sync or
async) and derives blob, container and queue clients from it; the Storage SDKs are
imported on first use only.  The SDK-type bindings and the local host share it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from ..errors import FuncbindError

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "AZURITE_ENDPOINT_SETTINGS",
    "DEFAULT_CONNECTION",
    "ConnectionSettingError",
    "Service",
    "StorageClients",
    "StorageConnection",
    "connection_setting_name",
    "default_clients",
    "resolve_connection",
    "set_default_clients",
]

Service = Literal["blob", "queue"]

DEFAULT_CONNECTION = "AzureWebJobsStorage"
# Where Azurite listens when a connection string says UseDevelopmentStorage=true.
AZURITE_ENDPOINT_SETTINGS: Mapping[Service, str] = {
    "blob": "FUNCBIND_AZURITE_BLOB_ENDPOINT",
    "queue": "FUNCBIND_AZURITE_QUEUE_ENDPOINT",
}
_AZURITE_DEFAULT_PORTS: Mapping[Service, int] = {"blob": 10000, "queue": 10001}
# Azurite's well-known development account: the same for every installation.
DEVELOPMENT_ACCOUNT = "devstoreaccount1"
DEVELOPMENT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
_ENDPOINT_KEYS: Mapping[Service, str] = {"blob": "blobendpoint", "queue": "queueendpoint"}
_SERVICE_URI_SUFFIXES: Mapping[Service, tuple[str, ...]] = {
    "blob": ("__blobServiceUri", "__serviceUri"),
    "queue": ("__queueServiceUri", "__serviceUri"),
}
# The SDK fetches this much of a blob in its first request, and this much per later
# request.  The sync SDK briefly needs about ten times a chunk while reading one (it
# builds a list presized by the response's Content-Length: 8 bytes per byte of
# content), so sync clients use 1 MiB and a streamed download stays near 10 MiB
# whatever the blob size; the SDK's defaults (32 MiB first, then 4 MiB) peak near
# 290 MiB.  The aio SDK needs about three times a chunk, so aio clients use 2 MiB.
DEFAULT_CHUNK_SIZES: Mapping[bool, int] = {False: 1024 * 1024, True: 2 * 1024 * 1024}
DEFAULT_DERIVED_CACHE_SIZE = 128
_RESOLVED_CACHE_LIMIT = 256


class ConnectionSettingError(FuncbindError, ValueError):
    """A connection setting is missing or malformed, or its client cannot be built."""


@dataclass(frozen=True)
class StorageConnection:
    """One storage account endpoint for one service, as a connection setting describes it.

    Exactly one of ``connection_string`` (secret: never printed) and ``account_url``
    (identity-based) is set.  ``setting`` names the app setting it came from, for
    messages; two names holding the same value are the same connection.
    """

    service: Service
    setting: str = field(compare=False)
    connection_string: str | None = field(default=None, repr=False)
    account_url: str | None = None
    client_id: str | None = None
    # A setting the resolution also read, and its value then (the Azurite override).
    depends_on: tuple[str, str | None] | None = field(default=None, compare=False, repr=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The connection is part of every cache key: hash its fields once.
        key = (self.service, self.connection_string, self.account_url, self.client_id)
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        return self._hash

    @property
    def identity_based(self) -> bool:
        return self.account_url is not None

    def describe(self) -> str:
        """Where the connection points, without secrets: for error messages."""
        if self.account_url is not None:
            return f"{_redacted(self.account_url)} (identity-based, setting {self.setting!r})"
        return f"the account of connection setting {self.setting!r}"


def connection_setting_name(properties: Mapping[str, Any]) -> str:
    """The connection setting a binding names: its ``connection``, else AzureWebJobsStorage."""
    name = properties.get("connection")
    return name if isinstance(name, str) and name.strip() else DEFAULT_CONNECTION


# -- resolution ----------------------------------------------------------------

_resolved: dict[tuple[Any, ...], StorageConnection] = {}


def resolve_connection(
    name: str, service: Service, settings: Mapping[str, str] | None = None
) -> StorageConnection:
    """Resolve the connection setting ``name`` for ``service`` from ``settings``.

    ``settings`` defaults to the process environment (where the host puts app
    settings).  Raises :class:`ConnectionSettingError` naming the setting.
    """
    if settings is None:
        settings = os.environ
    if not isinstance(name, str) or not name.strip():
        raise ConnectionSettingError(
            f"expected the name of a connection app setting, got {name!r}; set the "
            f'binding\'s "connection" (or leave it out for {DEFAULT_CONNECTION!r})'
        )
    value = settings.get(name)
    if value is not None and value.strip():
        key: tuple[Any, ...] = (name, service, value)
        found = _resolved.get(key)
        if found is None or (
            found.depends_on is not None
            and settings.get(found.depends_on[0]) != found.depends_on[1]
        ):
            found = _remember(key, _from_connection_string(name, service, value, settings))
        return found
    values = tuple(settings.get(name + suffix) for suffix in _identity_settings(service))
    key = (name, service, *values)
    found = _resolved.get(key)
    if found is None:
        found = _remember(key, _from_identity_settings(name, service, values, value))
    return found


def _remember(key: tuple[Any, ...], connection: StorageConnection) -> StorageConnection:
    if len(_resolved) >= _RESOLVED_CACHE_LIMIT:
        _resolved.clear()  # settings that keep changing: start over rather than grow
    _resolved[key] = connection
    return connection


def _identity_settings(service: Service) -> tuple[str, ...]:
    return (*_SERVICE_URI_SUFFIXES[service], "__accountName", "__clientId")


def _from_connection_string(
    name: str, service: Service, value: str, settings: Mapping[str, str]
) -> StorageConnection:
    stripped = value.strip()
    if stripped.lower().startswith(("http://", "https://")):
        raise ConnectionSettingError(
            f"connection setting {name!r} holds a URL, expected a connection string; for an "
            f"identity-based connection put the URL in {name + _SERVICE_URI_SUFFIXES[service][0]!r}"
            " instead"
        )
    parts: dict[str, str] = {}
    for segment in stripped.split(";"):
        if not segment.strip():
            continue
        key, sep, item = segment.partition("=")
        if not sep or not key.strip():
            raise ConnectionSettingError(
                f"connection setting {name!r} is malformed: expected "
                "'Key=value' pairs separated by ';' (such as "
                "'DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...'), got a "
                f"segment without '=' (segment {len(parts) + 1})"
            )
        parts[key.strip().lower()] = item.strip()
    if parts.get("usedevelopmentstorage", "").lower() == "true":
        return _development_storage(name, service, settings)
    endpoint = parts.get(_ENDPOINT_KEYS[service])
    if endpoint is not None:
        _check_url(endpoint, name, f"{_ENDPOINT_KEYS[service][:-8].title()}Endpoint")
    if not parts.get("accountname") and endpoint is None:
        raise ConnectionSettingError(
            f"connection setting {name!r} is malformed: expected AccountName (with "
            f"AccountKey or SharedAccessSignature) or a {_ENDPOINT_KEYS[service][:-8].title()}"
            f"Endpoint in the connection string, got neither (keys: "
            f"{', '.join(sorted(parts)) or 'none'})"
        )
    return StorageConnection(service, name, connection_string=stripped)


def _development_storage(
    name: str, service: Service, settings: Mapping[str, str]
) -> StorageConnection:
    override = AZURITE_ENDPOINT_SETTINGS[service]
    default = f"http://127.0.0.1:{_AZURITE_DEFAULT_PORTS[service]}/{DEVELOPMENT_ACCOUNT}"
    endpoint = (settings.get(override) or "").strip() or default
    _check_url(endpoint, override)
    endpoint_key = "BlobEndpoint" if service == "blob" else "QueueEndpoint"
    connection_string = (
        f"DefaultEndpointsProtocol=http;AccountName={DEVELOPMENT_ACCOUNT};"
        f"AccountKey={DEVELOPMENT_KEY};{endpoint_key}={endpoint.rstrip('/')};"
    )
    return StorageConnection(
        service,
        name,
        connection_string=connection_string,
        depends_on=(override, settings.get(override)),
    )


def _from_identity_settings(
    name: str, service: Service, values: tuple[str | None, ...], plain: str | None
) -> StorageConnection:
    *uris, account_name, client_id = (v.strip() if v else None for v in values)
    suffixes = _SERVICE_URI_SUFFIXES[service]
    for suffix, uri in zip(suffixes, uris, strict=True):
        if uri:
            _check_url(uri, name + suffix)
            return StorageConnection(
                service, name + suffix, account_url=uri.rstrip("/"), client_id=client_id
            )
    if account_name:
        url = f"https://{account_name}.{service}.core.windows.net"
        return StorageConnection(
            service, name + "__accountName", account_url=url, client_id=client_id
        )
    empty = " (it is set but empty)" if plain is not None else ""
    candidates = ", ".join(repr(name + suffix) for suffix in suffixes)
    raise ConnectionSettingError(
        f"connection setting {name!r} is not set{empty}: expected an app setting {name!r} "
        f"holding a storage connection string (or 'UseDevelopmentStorage=true' for "
        f"Azurite), or {candidates} holding the {service} service URL of an identity-based "
        "connection"
    )


def _check_url(url: str, setting: str, field: str = "") -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        what = f"{field} to be an http(s) URL" if field else "an http(s) URL"
        raise ConnectionSettingError(
            f"setting {setting!r} is malformed: expected {what} such as "
            f"'https://<account>.blob.core.windows.net', got {_redacted(url)!r}"
        )


def _redacted(url: str) -> str:
    """A URL without its query string, which may hold a SAS token."""
    head, sep, _query = url.partition("?")
    return f"{head}?..." if sep else head


# -- clients -------------------------------------------------------------------


@dataclass
class _ServiceEntry:
    client: Any
    credential: Any
    loop: asyncio.AbstractEventLoop | None
    asynchronous: bool


class StorageClients:
    """Service clients created once per connection and reused; derived clients cached.

    One service client per (connection, service, sync or async, and for async clients
    the event loop that uses it: an aiohttp session belongs to one loop).  Blob,
    container and queue clients derived from it are kept in a small LRU cache, so a
    reference seen again costs a dictionary lookup; they share the service client's
    transport, and closing one of them leaves the others working.  ``close()`` (or
    ``await aclose()`` for async clients) closes everything; the object stays usable.

    ``chunk_size`` sets the blob download request size (default: 1 MiB sync, 2 MiB
    async; see ``DEFAULT_CHUNK_SIZES``).
    """

    def __init__(
        self,
        settings: Mapping[str, str] | None = None,
        *,
        chunk_size: int | None = None,
        derived_cache_size: int = DEFAULT_DERIVED_CACHE_SIZE,
    ) -> None:
        self.settings = settings
        self.chunk_sizes = (
            dict(DEFAULT_CHUNK_SIZES)
            if chunk_size is None
            else dict.fromkeys((False, True), chunk_size)
        )
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
                client, credential = _new_service_client(
                    connection, asynchronous, self.chunk_sizes[asynchronous]
                )
                entry = _ServiceEntry(client, credential, loop, asynchronous)
                self._services[key] = entry
        return entry

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

    def __enter__(self) -> StorageClients:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

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


def _close_sync(entry: _ServiceEntry) -> None:
    with contextlib.suppress(Exception):  # closing must not fail a shutdown
        entry.client.close()
    if entry.credential is not None:
        with contextlib.suppress(Exception):
            entry.credential.close()


async def _close_async_entries(entries: list[_ServiceEntry]) -> None:
    current = _running_loop()
    for entry in entries:
        if entry.loop is not None and entry.loop is not current and entry.loop.is_closed():
            continue  # its loop is gone, and its connections with it
        with contextlib.suppress(Exception):
            await entry.client.close()
        if entry.credential is not None:
            with contextlib.suppress(Exception):
                await entry.credential.close()


def _new_service_client(
    connection: StorageConnection, asynchronous: bool, chunk_size: int
) -> tuple[Any, Any]:
    """A new service client (and the credential it owns, if any) for a connection."""
    service_class = _service_class(connection.service, asynchronous)
    options: dict[str, Any] = {}
    if connection.service == "blob":
        options = {"max_single_get_size": chunk_size, "max_chunk_get_size": chunk_size}
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
        if asynchronous:
            from azure.storage.queue.aio import QueueServiceClient as AsyncQueueService

            return AsyncQueueService
        from azure.storage.queue import QueueServiceClient

        return QueueServiceClient
    except ImportError as exc:
        package = f"azure-storage-{service}"
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
