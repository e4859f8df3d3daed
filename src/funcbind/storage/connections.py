"""Storage connections: a binding's ``connection`` setting resolved.

A storage binding names an app setting, not an account (WIRE.md §3).  The setting
``<name>`` holds a connection string; failing that, ``<name>__blobServiceUri`` /
``<name>__queueServiceUri`` / ``<name>__tableServiceUri`` / ``<name>__serviceUri`` (or
``<name>__accountName``) hold
the service URL of an identity-based connection, authenticated with azure-identity's
``DefaultAzureCredential`` (``<name>__clientId`` picks a user-assigned identity).
``UseDevelopmentStorage=true`` means Azurite on its well-known loopback endpoints,
which ``FUNCBIND_AZURITE_BLOB_ENDPOINT`` / ``FUNCBIND_AZURITE_QUEUE_ENDPOINT`` /
``FUNCBIND_AZURITE_TABLE_ENDPOINT`` override.

The clients built from a :class:`StorageConnection` are kept by
:class:`funcbind.storage.clients.StorageClients`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from ..errors import FuncbindError

__all__ = [
    "AZURITE_ENDPOINT_SETTINGS",
    "DEFAULT_CONNECTION",
    "ConnectionSettingError",
    "Service",
    "StorageConnection",
    "connection_setting_name",
    "resolve_connection",
]

Service = Literal["blob", "queue", "table"]

DEFAULT_CONNECTION = "AzureWebJobsStorage"
# Where Azurite listens when a connection string says UseDevelopmentStorage=true.
AZURITE_ENDPOINT_SETTINGS: Mapping[Service, str] = {
    "blob": "FUNCBIND_AZURITE_BLOB_ENDPOINT",
    "queue": "FUNCBIND_AZURITE_QUEUE_ENDPOINT",
    "table": "FUNCBIND_AZURITE_TABLE_ENDPOINT",
}
_AZURITE_DEFAULT_PORTS: Mapping[Service, int] = {"blob": 10000, "queue": 10001, "table": 10002}
# Azurite's well-known development account: the same for every installation.
DEVELOPMENT_ACCOUNT = "devstoreaccount1"
DEVELOPMENT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
_ENDPOINT_KEYS: Mapping[Service, str] = {
    "blob": "blobendpoint",
    "queue": "queueendpoint",
    "table": "tableendpoint",
}
_SERVICE_URI_SUFFIXES: Mapping[Service, tuple[str, ...]] = {
    "blob": ("__blobServiceUri", "__serviceUri"),
    "queue": ("__queueServiceUri", "__serviceUri"),
    "table": ("__tableServiceUri", "__serviceUri"),
}
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
    endpoint_key = f"{service.title()}Endpoint"
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
