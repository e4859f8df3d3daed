"""ModelBindingData: the reference to a blob, container or queue the host sends instead of data.

The host sends ``model_binding_data`` (WIRE.md §3) for a binding marked
``SupportsDeferredBinding``: ``version`` ``"1.0"``, ``source`` (``AzureStorageBlobs``),
``content_type`` ``application/json`` and ``content``, JSON bytes with ``Connection``
(an app setting name), ``ContainerName`` and ``BlobName`` (absent for a container).
funcbind's local host sends queues the same way, with ``source`` ``AzureStorageQueues``
and ``content`` ``{"Connection": ..., "QueueName": ...}``, and tables with ``source``
``AzureStorageTables`` and ``content`` ``{"Connection": ..., "TableName": ...}``.

A value is the worker's ``ModelBindingData`` message or any object with those
attributes, or a mapping with those keys (what :func:`blob_reference` builds, and what
``funcbind.wire`` turns into the message).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..datum import Datum, json_loads
from ..errors import DecodeError, describe

__all__ = [
    "BLOB_SOURCE",
    "QUEUE_SOURCE",
    "TABLE_SOURCE",
    "BlobReference",
    "QueueReference",
    "TableReference",
    "blob_reference",
    "blob_references",
    "collection_items",
    "parse_blob_reference",
    "parse_queue_reference",
    "parse_table_reference",
    "queue_reference",
    "table_reference",
]

BLOB_SOURCE = "AzureStorageBlobs"
QUEUE_SOURCE = "AzureStorageQueues"
TABLE_SOURCE = "AzureStorageTables"  # funcbind's own, for TableClient parameters
VERSION = "1.0"
CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class BlobReference:
    """A blob (``blob`` set) or a container (``blob`` None) behind a connection setting."""

    connection: str
    container: str
    blob: str | None = None


@dataclass(frozen=True)
class QueueReference:
    """A queue behind a connection setting."""

    connection: str
    queue: str


# -- reading -------------------------------------------------------------------


# Parsed references by source and content (bytes or str): a reference seen again, such
# as a blob input bound to a fixed path, is not parsed twice.  Cleared when full.
_parsed: dict[tuple[str, Any], Any] = {}
_PARSED_LIMIT = 1024


def parse_blob_reference(value: Any, where: str) -> BlobReference:
    """The blob reference in one ModelBindingData; DecodeError naming ``where`` if bad."""
    found: BlobReference = _parse_once(value, BLOB_SOURCE, where, _parse_blob_reference)
    return found


def parse_queue_reference(value: Any, where: str) -> QueueReference:
    """The queue reference in one ModelBindingData; DecodeError naming ``where`` if bad."""
    found: QueueReference = _parse_once(value, QUEUE_SOURCE, where, _parse_queue_reference)
    return found


@dataclass(frozen=True)
class TableReference:
    """A table behind a connection setting."""

    connection: str
    table: str


def parse_table_reference(value: Any, where: str) -> TableReference:
    """The table reference in one ModelBindingData; DecodeError naming ``where`` if bad."""
    found: TableReference = _parse_once(value, TABLE_SOURCE, where, _parse_table_reference)
    return found


def _parse_table_reference(value: Any, where: str) -> TableReference:
    fields = _content(value, TABLE_SOURCE, where)
    return TableReference(
        _required(fields, "Connection", where), _required(fields, "TableName", where)
    )


def _parse_once(value: Any, source: str, where: str, parse: Callable[[Any, str], Any]) -> Any:
    key = (source, _field(value, "content"))
    try:
        found = _parsed.get(key)
    except TypeError:  # unhashable content: parsed below, which also reports it
        return parse(value, where)
    if found is not None and _field(value, "source") in (None, "", source):
        return found
    found = parse(value, where)
    if len(_parsed) >= _PARSED_LIMIT:
        _parsed.clear()
    _parsed[key] = found
    return found


def _parse_blob_reference(value: Any, where: str) -> BlobReference:
    fields = _content(value, BLOB_SOURCE, where)
    connection = _required(fields, "Connection", where)
    container = _required(fields, "ContainerName", where)
    blob = fields.get("BlobName")
    if blob is not None and not isinstance(blob, str):
        raise DecodeError(
            f"{where}: expected BlobName in the ModelBindingData content to be a string, "
            f"got {describe(blob)}"
        )
    return BlobReference(connection, container, blob or None)


def _parse_queue_reference(value: Any, where: str) -> QueueReference:
    fields = _content(value, QUEUE_SOURCE, where)
    return QueueReference(
        _required(fields, "Connection", where), _required(fields, "QueueName", where)
    )


def collection_items(value: Any, where: str) -> list[Any]:
    """The ModelBindingData items of a ``collection_model_binding_data`` value."""
    items = value.get("model_binding_data") if isinstance(value, Mapping) else value
    items = getattr(items, "model_binding_data", items)
    if isinstance(items, str | bytes | bytearray | Mapping) or not isinstance(items, Iterable):
        raise DecodeError(
            f"{where}: expected a collection of ModelBindingData (a message with "
            f"model_binding_data, or a list), got {describe(value)}"
        )
    return list(items)


def _field(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def _content(value: Any, expected_source: str, where: str) -> dict[str, Any]:
    content = _field(value, "content")
    if content is None:
        raise DecodeError(
            f"{where}: expected a ModelBindingData with JSON content (Connection, "
            f"ContainerName, ...), got {describe(value)}"
        )
    source = _field(value, "source")
    if source and source != expected_source:
        raise DecodeError(
            f"{where}: expected a ModelBindingData from source {expected_source!r}, got "
            f"source {source!r}; this binding cannot use a reference to another service"
        )
    try:
        fields = json_loads(content)
    except (ValueError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
        raise DecodeError(
            f"{where}: expected the ModelBindingData content to be JSON, got "
            f"{describe(content)} ({exc})"
        ) from None
    if not isinstance(fields, dict):
        raise DecodeError(
            f"{where}: expected the ModelBindingData content to be a JSON object, got "
            f"{describe(fields)}"
        )
    return fields


def _required(fields: Mapping[str, Any], name: str, where: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value.strip():
        got = "nothing" if value is None else describe(value)
        raise DecodeError(
            f"{where}: expected {name} in the ModelBindingData content as a non-empty "
            f"string, got {got} (content keys: {', '.join(sorted(fields)) or 'none'})"
        )
    return value


# -- building (for hosts) ------------------------------------------------------


def _message(source: str, content: Mapping[str, str]) -> dict[str, Any]:
    return {
        "version": VERSION,
        "source": source,
        "content_type": CONTENT_TYPE,
        "content": json.dumps(content, separators=(",", ":")).encode("utf-8"),
    }


def _blob_content(connection: str, container: str, blob: str | None) -> dict[str, str]:
    content = {"Connection": connection, "ContainerName": container}
    if blob is not None:
        content["BlobName"] = blob
    return content


def blob_reference(connection: str, container: str, blob: str | None = None) -> Datum:
    """The ``model_binding_data`` Datum a host sends for a blob (or, without ``blob``, a
    container) behind the connection setting ``connection``."""
    return Datum(
        _message(BLOB_SOURCE, _blob_content(connection, container, blob)), "model_binding_data"
    )


def blob_references(connection: str, container: str, blobs: Iterable[str]) -> Datum:
    """The ``collection_model_binding_data`` Datum for several blobs of one container."""
    items = [_message(BLOB_SOURCE, _blob_content(connection, container, b)) for b in blobs]
    return Datum(items, "collection_model_binding_data")


def queue_reference(connection: str, queue: str) -> Datum:
    """The ``model_binding_data`` Datum funcbind's host sends for a queue."""
    content = {"Connection": connection, "QueueName": queue}
    return Datum(_message(QUEUE_SOURCE, content), "model_binding_data")


def table_reference(connection: str, table: str) -> Datum:
    """The ``model_binding_data`` Datum funcbind's host sends for a table."""
    content = {"Connection": connection, "TableName": table}
    return Datum(_message(TABLE_SOURCE, content), "model_binding_data")
