"""Blob receipts: which versions of a blob a function has completed, and its failures.

A receipt is a small blob in ``azure-webjobs-hosts`` named as the host names it,
``blobreceipts/{hostId}/Host.Functions.{name}/{etag}/BlockBlob/{container}/{blob}``,
with metadata ``Completed`` and ``FailureCount``.  Several instances of one app (one
host id) on one storage account share them: before running a version an instance
creates its receipt if missing (If-None-Match *) and takes a lease on it, renewed while
the function runs; an instance that finds the lease taken leaves the version to its
holder, and one that finds the receipt completed skips it.  So each version runs once
across instances, failures are counted across them, and a version whose instance died
mid-run is run again once its lease expires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import storage_io
from .leases import HOSTS_CONTAINER, BlobLease
from .model import function_id

if TYPE_CHECKING:
    from ..storage.clients import StorageClients
    from ..storage.connections import StorageConnection

__all__ = ["BUSY_RETRY", "RECEIPT_LEASE", "Receipt", "Receipts", "bare_etag"]

# The lease on a receipt while its version runs (the shortest storage allows): how soon
# another instance runs a version again when the one running it died.
RECEIPT_LEASE = 15.0
# A version another instance is running is looked at again after this long.
BUSY_RETRY = 2.0


def bare_etag(value: str) -> str:
    """An ETag without the quotes headers carry (listings give it bare)."""
    return value.strip('"')


@dataclass
class Receipt:
    completed: bool = False
    failures: int = 0
    retry_at: float = 0.0


@dataclass
class Receipts:
    """Completed and failing blob versions of one function, mirrored in blob receipts."""

    clients: StorageClients
    connection: StorageConnection
    host_id: str
    function_name: str
    container: str
    known: dict[tuple[str, str], Receipt] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"blobreceipts/{self.host_id}/{function_id(self.function_name)}/"

    def _client(self) -> Any:
        return self.clients.container_client(self.connection, HOSTS_CONTAINER, asynchronous=True)

    async def load(self) -> None:
        """Read every receipt of this function (once, at start)."""
        found: dict[tuple[str, str], Receipt] = {}
        client = self._client()
        try:
            async for item in client.list_blobs(
                name_starts_with=self.prefix, include=["metadata"], **storage_io.CALL_OPTIONS
            ):
                parts = item.name[len(self.prefix) :].split("/", 3)
                if len(parts) != 4 or parts[2] != self.container:
                    continue
                metadata = item.metadata or {}
                found[(parts[3], parts[0])] = Receipt(
                    completed=metadata.get("Completed") == "true",
                    failures=_count(metadata.get("FailureCount")),
                )
        except Exception as exc:
            if not storage_io.is_not_found(exc, "ContainerNotFound"):
                raise
        self.known = found

    def get(self, name: str, etag: str) -> Receipt:
        return self.known.setdefault((name, bare_etag(etag)), Receipt())

    def path(self, name: str, etag: str) -> str:
        return f"{self.prefix}{bare_etag(etag)}/BlockBlob/{self.container}/{name}"

    async def claim(self, name: str, etag: str) -> BlobLease | None:
        """Lease the version's receipt (created if missing) and read it under the lease;
        None when another instance holds it or it is completed."""
        lease = BlobLease(self.clients, self.connection, self.path(name, etag), RECEIPT_LEASE)
        receipt = self.get(name, etag)
        if not await lease.acquire():
            receipt.retry_at = time.monotonic() + BUSY_RETRY
            return None
        try:
            properties = await lease.blob().get_blob_properties(
                lease=lease.lease, **storage_io.CALL_OPTIONS
            )
        except BaseException:
            await lease.release()
            raise
        metadata = properties.metadata or {}
        receipt.completed = metadata.get("Completed") == "true"
        receipt.failures = _count(metadata.get("FailureCount"))
        if receipt.completed:
            await lease.release()
            return None
        return lease

    async def save(self, lease: BlobLease, receipt: Receipt) -> None:
        """Write the receipt under its lease, then give the lease back."""
        metadata = {"FailureCount": str(receipt.failures)}
        if receipt.completed:
            metadata["Completed"] = "true"
        try:
            await lease.blob().set_blob_metadata(
                metadata, lease=lease.lease, **storage_io.CALL_OPTIONS
            )
        finally:
            await lease.release()


def _count(text: str | None) -> int:
    return int(text) if text is not None and text.isdigit() else 0
