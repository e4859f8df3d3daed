"""Blobs as the host sends them to a ``blobTrigger`` (WIRE.md §5)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ...datum import Datum
from .event import Event, EventError, EventKind, utc_now

__all__ = ["KIND", "blob"]

DEVELOPMENT_BLOB_ENDPOINT = "http://127.0.0.1:10000/devstoreaccount1"


def blob(
    path: str = "samples/blob.txt",
    content: bytes | str = b"",
    *,
    content_type: str = "application/octet-stream",
    metadata: Mapping[str, str] | None = None,
    etag: str | None = None,
    last_modified: datetime | None = None,
    created: datetime | None = None,
    captures: Mapping[str, str] | None = None,
    as_string: bool = False,
    endpoint: str = DEVELOPMENT_BLOB_ENDPOINT,
) -> Event:
    """A blob at ``container/name``: its content, properties, metadata and URI.

    The content arrives as bytes, or as text with ``as_string`` (a trigger with
    ``dataType: string``).  ``captures`` are the names the trigger's path pattern
    captured (``{name}``); the client fills them from the trigger itself.
    """
    container, _, name = path.partition("/")
    if not container or not name:
        raise EventError(f"blob event: expected a path 'container/name', got {path!r}")
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    modified = last_modified or utc_now()
    made = created or modified
    tag = etag or '"0x' + hashlib.sha1(data, usedforsecurity=False).hexdigest()[:15].upper() + '"'
    own_metadata = dict(metadata or {})
    properties: dict[str, Any] = {
        "BlobType": "BlockBlob",
        "ContentLength": len(data),
        "Length": len(data),
        "ContentType": content_type,
        "ContentEncoding": None,
        "ContentLanguage": None,
        "ContentDisposition": None,
        "CacheControl": None,
        "ETag": tag if tag.startswith('"') else f'"{tag}"',
        "LastModified": modified.isoformat(),
        "CreatedOn": made.isoformat(),
        "Created": made.isoformat(),
        "Metadata": own_metadata,
    }
    trigger_metadata = {
        "BlobTrigger": Datum(path, "string"),
        "Uri": Datum(f"{endpoint.rstrip('/')}/{container}/{quote(name)}", "string"),
        "Properties": Datum(json.dumps(properties), "json"),
        "Metadata": Datum(json.dumps(own_metadata), "json"),
        **{key: Datum(value, "string") for key, value in (captures or {}).items()},
    }
    payload = Datum(data.decode("utf-8"), "string") if as_string else Datum(data, "bytes")
    return Event("blob", "blobTrigger", payload, trigger_metadata, admin_input=path)


KIND = EventKind("blob", "blobTrigger", blob, "a blob (blobTrigger)")
