"""Blob and queue I/O for the host, over the Storage SDKs' async clients.

Clients come from :class:`funcbind.storage.StorageClients` (one service client per
connection, reused).  Every call here passes ``retry_total=0``: the SDKs' own retry
waits 15 s and more between attempts, which would hold an HTTP request or a trigger
loop for a minute; the host retries on its own schedule instead (trigger loops back
off, an HTTP caller gets 503 at once).  Failures become :class:`StorageUnavailableError`
(storage cannot be reached: the message names the connection setting and the
endpoint) or :class:`StorageOperationError` (storage answered with an error).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..errors import FuncbindError
from ..storage.clients import StorageClients
from ..storage.connections import StorageConnection

__all__ = [
    "CALL_OPTIONS",
    "StorageOperationError",
    "StorageUnavailableError",
    "decode_message",
    "download_into_buffer",
    "encode_message",
    "endpoint_of",
    "guarded",
    "is_not_found",
    "storage_error",
    "upload_blob",
    "valid_container_name",
    "valid_queue_name",
]

# Per call: no SDK retries (see the module docstring), and no long wait for a connection.
CALL_OPTIONS: dict[str, Any] = {"retry_total": 0, "connection_timeout": 10}
# Outputs up to this size go up in one request (the SDK wants bytes there, so a
# bytearray or memoryview is copied once).  Larger ones go as blocks, each streamed
# from the buffer itself: aiohttp would hold a large bytes body in one write, and
# warns about it.
SINGLE_UPLOAD_LIMIT = 1024 * 1024
BLOCK_SIZE = 4 * 1024 * 1024
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
_SPECIAL_CONTAINERS = frozenset({"$root", "$logs", "$web"})

T = TypeVar("T")


class StorageUnavailableError(FuncbindError):
    """Storage could not be reached (connection refused, DNS, timeout)."""


class StorageOperationError(FuncbindError):
    """Storage answered a request with an error."""


def valid_queue_name(name: str) -> bool:
    """3-63 lowercase letters, digits and single dashes, starting and ending alphanumeric."""
    return bool(_NAME.fullmatch(name))


def valid_container_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name)) or name in _SPECIAL_CONTAINERS


def endpoint_of(clients: StorageClients, connection: StorageConnection) -> str:
    """The service endpoint of a connection (no secrets), for messages."""
    try:
        if connection.service == "blob":
            client = clients.blob_service(connection, asynchronous=True)
        elif connection.service == "table":
            client = clients.table_service(connection, asynchronous=True)
        else:
            client = clients.queue_service(connection, asynchronous=True)
        return str(client.url).rstrip("/")
    except Exception:  # a broken setting: its own error says why
        return connection.account_url or "its endpoint"


def storage_error(
    exc: BaseException, doing: str, connection: StorageConnection, endpoint: str
) -> FuncbindError:
    """An SDK failure as a sentence naming what was done, the setting and the endpoint."""
    from azure.core import exceptions as azure_errors

    where = f"connection {connection.setting!r} ({endpoint})"
    if isinstance(exc, azure_errors.ServiceRequestError | azure_errors.ServiceResponseError):
        reason = _first_line(exc)
        return StorageUnavailableError(f"storage is unreachable: {doing} via {where}: {reason}")
    if isinstance(exc, azure_errors.ClientAuthenticationError):
        return StorageOperationError(
            f"{doing} via {where}: the account rejected the credentials "
            f"({getattr(exc, 'error_code', None) or getattr(exc, 'status_code', '')}); check "
            f"setting {connection.setting!r}"
        )
    if isinstance(exc, azure_errors.HttpResponseError):
        code = getattr(exc, "error_code", None) or ""
        status = getattr(exc, "status_code", "?")
        return StorageOperationError(f"{doing} via {where} failed: HTTP {status} {code}".rstrip())
    if isinstance(exc, FuncbindError):
        return exc
    return StorageOperationError(f"{doing} via {where} failed: {type(exc).__name__}: {exc}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def is_not_found(exc: BaseException, *codes: str) -> bool:
    """A 404 from storage (optionally with one of the given error codes)."""
    from azure.core.exceptions import ResourceNotFoundError

    if not isinstance(exc, ResourceNotFoundError):
        return False
    return not codes or getattr(exc, "error_code", None) in codes


async def guarded(
    call: Callable[[], Awaitable[T]], doing: str, connection: StorageConnection, endpoint: str
) -> T:
    """Await ``call()``; an SDK failure becomes a StorageUnavailable/OperationError."""
    try:
        return await call()
    except Exception as exc:
        raise storage_error(exc, doing, connection, endpoint) from exc


# -- blobs ---------------------------------------------------------------------------


class _ViewStream(io.RawIOBase):
    """A seekable raw stream over a memoryview: the position and how it moves."""

    def __init__(self, view: memoryview) -> None:
        super().__init__()
        self._view = view
        self._position = 0

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}
        self._position = max(0, base[whence] + offset)
        return self._position


class _BufferWriter(_ViewStream):
    """A writable, seekable stream over a preallocated buffer: each chunk lands once."""

    def __init__(self, buffer: bytearray) -> None:
        super().__init__(memoryview(buffer))

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        size = len(data)
        end = self._position + size
        if end > len(self._view):
            raise ValueError(
                f"the blob grew while it was downloaded: expected {len(self._view)} bytes"
            )
        self._view[self._position : end] = data
        self._position = end
        return size

    def close(self) -> None:
        self._view.release()
        super().close()


async def download_into_buffer(
    blob_client: Any, *, etag: str | None = None
) -> tuple[bytearray, Any] | None:
    """The whole blob in one new ``bytearray`` (its exact size), and its properties.

    None when the blob (or its container) does not exist.  With ``etag``, only that
    version is read: a changed blob raises the SDK's ResourceModifiedError.
    """
    options: dict[str, Any] = dict(CALL_OPTIONS)
    if etag is not None:
        from azure.core import MatchConditions

        options.update(etag=etag, match_condition=MatchConditions.IfNotModified)
    try:
        downloader = await blob_client.download_blob(max_concurrency=1, **options)
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise
    buffer = bytearray(downloader.size)
    writer = _BufferWriter(buffer)
    try:
        await downloader.readinto(writer)
    finally:
        writer.close()
    return buffer, downloader.properties


async def upload_blob(blob_client: Any, container_client: Any, data: Any) -> None:
    """Write ``data`` (str, bytes, bytearray, memoryview) as the whole blob, creating the
    container when it does not exist."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        await _upload(blob_client, data)
    except Exception as exc:
        if not is_not_found(exc, "ContainerNotFound"):
            raise
        try:
            await container_client.create_container(**CALL_OPTIONS)
        except Exception as create_exc:
            from azure.core.exceptions import ResourceExistsError

            if not isinstance(create_exc, ResourceExistsError):
                raise
        await _upload(blob_client, data)


class _ViewReader(_ViewStream):
    """A readable, seekable stream over a slice of a buffer (a block being uploaded)."""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        chunk = self._view[self._position : self._position + len(target)]
        size = len(chunk)
        target[:size] = chunk
        self._position += size
        return size


async def _upload(blob_client: Any, data: Any) -> None:
    size = len(data) if type(data) is bytes else memoryview(data).nbytes
    if type(data) is bytes and size <= SINGLE_UPLOAD_LIMIT:
        # io.BytesIO over a bytes object shares it, and reads it back whole without a copy.
        await blob_client.upload_blob(data, length=size, overwrite=True, **CALL_OPTIONS)
        return
    view = memoryview(data).cast("B")
    try:
        if size <= SINGLE_UPLOAD_LIMIT:
            await blob_client.upload_blob(
                view.tobytes(), length=size, overwrite=True, **CALL_OPTIONS
            )
            return
        # Large outputs go up as blocks streamed from the buffer: no copy of the whole.
        block_ids = []
        for index, start in enumerate(range(0, size, BLOCK_SIZE)):
            block_id = f"{index:08d}"
            chunk = view[start : start + BLOCK_SIZE]
            await blob_client.stage_block(
                block_id, _ViewReader(chunk), length=len(chunk), **CALL_OPTIONS
            )
            block_ids.append(block_id)
        from azure.storage.blob import BlobBlock

        await blob_client.commit_block_list(
            [BlobBlock(block_id=b) for b in block_ids], **CALL_OPTIONS
        )
    finally:
        view.release()


# -- queues ----------------------------------------------------------------------------


def encode_message(payload: str | bytes | bytearray | memoryview, encoding: str) -> str:
    """A message body as queue storage keeps it: base64 of the bytes, or the text itself."""
    if encoding == "base64":
        raw = payload.encode("utf-8") if isinstance(payload, str) else payload
        return base64.b64encode(raw).decode("ascii")
    if isinstance(payload, str):
        return payload
    try:
        return bytes(payload).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StorageOperationError(
            "expected a UTF-8 message with messageEncoding 'none' (host.json "
            f"extensions.queues), got bytes that are not UTF-8 ({exc.reason} at byte "
            f"{exc.start}); use messageEncoding 'base64' to send binary messages"
        ) from exc


def decode_message(content: str, encoding: str) -> bytes | str:
    """A stored message body: the bytes under base64, or the text itself.

    ValueError when a base64 queue holds a message that is not base64.
    """
    if encoding != "base64":
        return content
    try:
        return base64.b64decode(content.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("the message is not base64, as messageEncoding 'base64' expects") from None
