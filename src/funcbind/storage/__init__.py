"""Azure Storage access shared by the SDK-type bindings and the local host.

``connections``: a binding's ``connection`` setting resolved into a
:class:`StorageConnection`.  ``clients``: :class:`StorageClients`, the cache of service
clients (one per connection, service, sync or async) with cheap derived clients.
``references``: the ModelBindingData a host sends instead of content, read and built.

Importing this package imports no Storage SDK.
"""

from __future__ import annotations

from .clients import StorageClients, default_clients, set_default_clients
from .connections import (
    DEFAULT_CONNECTION,
    ConnectionSettingError,
    StorageConnection,
    connection_setting_name,
    resolve_connection,
)
from .references import (
    BLOB_SOURCE,
    QUEUE_SOURCE,
    BlobReference,
    QueueReference,
    blob_reference,
    blob_references,
    parse_blob_reference,
    parse_queue_reference,
    queue_reference,
)

__all__ = [
    "BLOB_SOURCE",
    "DEFAULT_CONNECTION",
    "QUEUE_SOURCE",
    "BlobReference",
    "ConnectionSettingError",
    "QueueReference",
    "StorageClients",
    "StorageConnection",
    "blob_reference",
    "blob_references",
    "connection_setting_name",
    "default_clients",
    "parse_blob_reference",
    "parse_queue_reference",
    "queue_reference",
    "resolve_connection",
    "set_default_clients",
]
