"""Blob leases: how instances of one app on one storage account agree who does what.

A lease is taken on a small blob in container ``azure-webjobs-hosts`` of
``AzureWebJobsStorage`` (created empty when missing), kept by renewing it at half its
period, and given back when done.  An instance that dies stops renewing, and storage
ends its lease after the period: another instance can then take it.  The timer
singleton (``locks/{hostId}/{functionId}.Listener``) and blob receipts
(``blobreceipts/{hostId}/...``) are both built on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from . import storage_io

if TYPE_CHECKING:
    from ..storage.clients import StorageClients
    from ..storage.connections import StorageConnection

__all__ = ["HOSTS_CONTAINER", "BlobLease", "lock_path"]

HOSTS_CONTAINER = "azure-webjobs-hosts"
# After a failed renewal (storage briefly unreachable) the next try comes this soon.
RETRY_RENEWAL = 1.0


def lock_path(host_id: str, function_id: str) -> str:
    """The lock blob of a function's listener, named as the WebJobs singleton names it."""
    return f"locks/{host_id}/{function_id}.Listener"


def _refused(exc: BaseException) -> bool:
    """Storage said no to this lease (another holder, or ours has ended): 409 or 412."""
    return getattr(exc, "status_code", None) in (409, 412)


class BlobLease:
    """A lease on one blob of ``azure-webjobs-hosts``, for ``period`` seconds (15..60)."""

    def __init__(
        self,
        clients: StorageClients,
        connection: StorageConnection,
        path: str,
        period: float,
    ) -> None:
        self.clients = clients
        self.connection = connection
        self.path = path
        self.period = period
        self.lease: Any = None
        self._renewed = 0.0

    @property
    def held(self) -> bool:
        return self.lease is not None

    @property
    def lease_id(self) -> str | None:
        return None if self.lease is None else str(self.lease.id)

    def blob(self) -> Any:
        return self.clients.blob_client(
            self.connection, HOSTS_CONTAINER, self.path, asynchronous=True
        )

    async def create(self, metadata: dict[str, str] | None = None) -> bool:
        """Create the blob empty unless it exists (atomically: If-None-Match *); True when
        this call created it."""
        from azure.core.exceptions import ResourceExistsError

        async def write() -> None:
            await self.blob().upload_blob(
                b"", overwrite=False, metadata=metadata, **storage_io.CALL_OPTIONS
            )

        try:
            await write()
        except ResourceExistsError:
            return False
        except Exception as exc:
            if _refused(exc):
                return False  # exists and leased
            if not storage_io.is_not_found(exc, "ContainerNotFound"):
                raise
            container = self.clients.container_client(
                self.connection, HOSTS_CONTAINER, asynchronous=True
            )
            with contextlib.suppress(ResourceExistsError):
                await container.create_container(**storage_io.CALL_OPTIONS)
            try:
                await write()
            except ResourceExistsError:
                return False
        return True

    async def acquire(self) -> bool:
        """Take the lease when nobody holds it; False when another instance does.
        Storage failures raise."""
        from azure.core.exceptions import ResourceNotFoundError

        for _ in range(2):
            try:
                self.lease = await self.blob().acquire_lease(
                    lease_duration=int(self.period), **storage_io.CALL_OPTIONS
                )
            except ResourceNotFoundError:
                await self.create()
                continue
            except Exception as exc:
                if _refused(exc):
                    return False
                raise
            self._renewed = time.monotonic()
            return True
        return False

    async def renew(self) -> bool:
        """Renew the lease; False when storage says it is no longer ours."""
        if self.lease is None:
            return False
        try:
            await self.lease.renew(**storage_io.CALL_OPTIONS)
        except Exception as exc:
            if _refused(exc) or storage_io.is_not_found(exc):
                self.lease = None
                return False
            raise
        self._renewed = time.monotonic()
        return True

    async def release(self) -> None:
        """Give the lease back (best effort: unreleased, it ends after its period)."""
        lease, self.lease = self.lease, None
        if lease is not None:
            with contextlib.suppress(Exception):
                await lease.release(**storage_io.CALL_OPTIONS)

    async def keep(self, lost: asyncio.Event) -> None:
        """Renew at half the period until cancelled; set ``lost`` (and return) when the
        lease is gone, or may be: storage unreachable for longer than the period allows."""
        delay = self.period / 2
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), delay)
                return
            except asyncio.TimeoutError:
                pass
            try:
                if not await self.renew():
                    lost.set()
                    return
                delay = self.period / 2
            except Exception:
                # Unreachable for now: try again soon, and give up before storage may
                # have handed the lease to another instance.
                if time.monotonic() - self._renewed >= self.period - 2 * RETRY_RENEWAL:
                    self.lease = None
                    lost.set()
                    return
                delay = RETRY_RENEWAL
