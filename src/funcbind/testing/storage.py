"""Storage for tests: one Azurite per test session, and helpers to seed and inspect it.

:class:`AzuriteSession` reserves free loopback ports at once (apps must be loaded with
their development-storage endpoints known) and starts Azurite on those ports only
when an app or a test first needs storage; a session that uses none never starts it.
It wraps :func:`funcbind.host.azurite.start_azurite`, the same launcher ``funcbind
run`` uses; the data lives in Azurite's memory only (``--inMemoryPersistence``), so
nothing is written to disk and nothing is left when it stops.
:class:`StorageHelper` seeds blobs and queue messages and reads what functions wrote,
through the Storage SDKs, on the account of ``UseDevelopmentStorage=true``.
"""

from __future__ import annotations

import atexit
import base64
import concurrent.futures
import contextlib
import functools
import socket
import subprocess
import threading
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..host.azurite import Azurite

from ..errors import FuncbindError

__all__ = ["AzuriteSession", "StorageHelper", "StoragePathError"]


class StoragePathError(FuncbindError, ValueError):
    """A blob path that does not name a container and a blob."""


_SERVICES = ("blob", "queue", "table")
# How long stop() gives an Azurite it ended mid-start to go.
_BOOT_GONE = 10.0


def _stopped() -> Exception:
    from ..host.azurite import AzuriteError

    return AzuriteError("expected Azurite to start, but its session was stopped meanwhile")


class AzuriteSession:
    """An Azurite for a whole test session, started on first need.

    Pass ``azurite`` to share one that is already running (its owner stops it).
    """

    def __init__(self, azurite: Azurite | None = None) -> None:
        self._lock = threading.Lock()
        self._own = azurite is None
        self._azurite = azurite
        self._starting: concurrent.futures.Future[Azurite] | None = None
        # The Azurite process while it boots: what stop() ends without waiting for it.
        self._booting: subprocess.Popen[str] | None = None
        self.ports: dict[str, int] = (
            dict(azurite.ports) if azurite is not None else _free_ports(len(_SERVICES))
        )
        # Whether the tests about to run use storage, when a test runner knows it (the
        # pytest plugin, from the azurite marker).  None: nobody knows, and a client of
        # an app with storage bindings starts Azurite in the background as it opens;
        # False: clients start it only when a function or a test first uses storage.
        self.expected: bool | None = None

    @property
    def started(self) -> bool:
        return self._azurite is not None and self._azurite.running()

    @property
    def environment(self) -> dict[str, str]:
        """The settings that point ``UseDevelopmentStorage=true`` at this Azurite."""
        from ..storage.connections import AZURITE_ENDPOINT_SETTINGS, DEVELOPMENT_ACCOUNT

        return {
            setting: f"http://127.0.0.1:{self.ports[service]}/{DEVELOPMENT_ACCOUNT}"
            for service, setting in AZURITE_ENDPOINT_SETTINGS.items()
        }

    @property
    def connection_string(self) -> str:
        from ..host.azurite import development_connection_string

        return development_connection_string(
            blob_port=self.ports["blob"],
            queue_port=self.ports["queue"],
            table_port=self.ports["table"],
        )

    def start(self) -> Azurite:
        """Start Azurite on the reserved ports unless it runs already; return it once it
        listens."""
        if self._azurite is not None:
            return self._azurite
        return self.starting().result()

    def starting(self) -> concurrent.futures.Future[Azurite]:
        """Start Azurite in a thread of its own; the future is done once it listens.

        Nothing waits for it: a client closing early leaves the start to finish, and
        :meth:`stop` (at the latest at exit) ends it, booted or not.
        """
        with self._lock:
            if self._starting is None:
                future: concurrent.futures.Future[Azurite] = concurrent.futures.Future()
                if self._azurite is not None:
                    future.set_result(self._azurite)
                else:
                    threading.Thread(
                        target=self._boot, args=(future,), name="azurite-start", daemon=True
                    ).start()
                self._starting = future
            return self._starting

    def _boot(self, future: concurrent.futures.Future[Azurite]) -> None:
        from ..host.azurite import start_azurite

        try:
            # In memory: nothing to write to disk or to clean up, and a faster start.
            azurite = start_azurite(
                None,
                blob_port=self.ports["blob"],
                queue_port=self.ports["queue"],
                table_port=self.ports["table"],
                launched=functools.partial(self._launched, future),
            )
        except BaseException as exc:
            future.set_exception(exc)
            return
        with self._lock:
            self._booting = None
            if self._starting is future:
                self._azurite = azurite
                AzuriteSession._running.add(self)
                kept = True
            else:
                kept = False  # stopped while it booted
        if not kept:
            azurite.stop()
            future.set_exception(_stopped())
            return
        future.set_result(azurite)

    def _launched(
        self, future: concurrent.futures.Future[Azurite], process: subprocess.Popen[str]
    ) -> None:
        with self._lock:
            current = self._starting is future
            if current:
                self._booting = process
        if not current:  # stopped before Azurite even ran: end it at once
            process.terminate()

    def stop(self) -> None:
        """Stop the Azurite this session started (never one it was given), even one still
        starting."""
        with self._lock:
            starting, self._starting = self._starting, None
            booting, self._booting = self._booting, None
            AzuriteSession._running.discard(self)
            azurite = self._azurite
            if self._own:
                self._azurite = None
        if booting is not None:
            booting.terminate()  # its start ends with an AzuriteError, which nobody awaits
        if azurite is not None and self._own:
            azurite.stop()
        if starting is not None and not starting.done():
            with contextlib.suppress(Exception):
                starting.exception(_BOOT_GONE)

    # -- the one of the process, and those left running ----------------------------

    _shared: AzuriteSession | None = None
    _shared_lock = threading.Lock()
    # Sessions whose own Azurite runs now: what the pytest plugin stops at the end.
    _running: ClassVar[set[AzuriteSession]] = set()

    @classmethod
    def still_running(cls) -> list[AzuriteSession]:
        """The sessions whose own Azurite is running now."""
        return [session for session in list(cls._running) if session._own]

    @property
    def pid(self) -> int | None:
        return self._azurite.process.pid if self._azurite is not None else None

    @classmethod
    def shared(cls) -> AzuriteSession:
        """The process-wide session (what clients use unless given one); stopped at exit."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
                atexit.register(cls._shared.stop)
            return cls._shared


def _free_ports(count: int) -> dict[str, int]:
    """Loopback ports nothing listens on now (held together so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return {
            service: sock.getsockname()[1] for service, sock in zip(_SERVICES, sockets, strict=True)
        }
    finally:
        for sock in sockets:
            sock.close()


class StorageHelper:
    """Seed and inspect the development storage an app under test uses.

    Queue messages are encoded as the app's ``host.json`` says (base64 by default), so a
    message sent here is one the app's queue trigger reads, and one its queue output
    wrote reads back as the text the function set.
    """

    def __init__(self, session: AzuriteSession, message_encoding: str = "base64") -> None:
        self.session = session
        self.message_encoding = message_encoding
        self._blobs: Any = None
        self._queues: Any = None

    @property
    def blob_service(self) -> Any:
        """A sync ``BlobServiceClient`` on the development account (Azurite started)."""
        if self._blobs is None:
            from azure.storage.blob import BlobServiceClient

            self.session.start()
            self._blobs = BlobServiceClient.from_connection_string(self.session.connection_string)
        return self._blobs

    @property
    def queue_service(self) -> Any:
        """A sync ``QueueServiceClient`` on the development account (Azurite started)."""
        if self._queues is None:
            from azure.storage.queue import QueueServiceClient

            self.session.start()
            self._queues = QueueServiceClient.from_connection_string(self.session.connection_string)
        return self._queues

    def upload_blob(
        self, path: str, data: bytes | str, *, metadata: dict[str, str] | None = None
    ) -> None:
        """Write blob ``container/name`` (the container is created when missing)."""
        from azure.core.exceptions import ResourceExistsError

        container, name = _split(path)
        client = self.blob_service.get_container_client(container)
        with contextlib.suppress(ResourceExistsError):
            client.create_container()
        client.upload_blob(name, data, overwrite=True, metadata=metadata)

    def download_blob(self, path: str) -> bytes | None:
        """The content of blob ``container/name``, or None when there is none."""
        from azure.core.exceptions import ResourceNotFoundError

        container, name = _split(path)
        try:
            return bytes(
                self.blob_service.get_blob_client(container, name).download_blob().readall()
            )
        except ResourceNotFoundError:
            return None

    def blob_names(self, container: str) -> list[str]:
        """The names of the blobs in ``container`` (empty when it does not exist)."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return [b.name for b in self.blob_service.get_container_client(container).list_blobs()]
        except ResourceNotFoundError:
            return []

    def send_message(self, queue: str, body: str | bytes) -> None:
        """Put a message in ``queue`` (created when missing), encoded as the app expects."""
        from azure.core.exceptions import ResourceExistsError

        client = self.queue_service.get_queue_client(queue)
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()
        raw = body.encode("utf-8") if isinstance(body, str) else body
        if self.message_encoding == "base64":
            client.send_message(base64.b64encode(raw).decode("ascii"))
        else:
            client.send_message(raw.decode("utf-8"))

    def queue_messages(self, queue: str) -> list[str]:
        """The texts of the messages visible in ``queue`` now, peeked (left in place)."""
        from azure.core.exceptions import ResourceNotFoundError

        client = self.queue_service.get_queue_client(queue)
        try:
            found = client.peek_messages(max_messages=32)
        except ResourceNotFoundError:
            return []
        return [self._text(message.content) for message in found]

    def clear_queue(self, queue: str) -> None:
        """Remove every message from ``queue`` (nothing when it does not exist)."""
        from azure.core.exceptions import ResourceNotFoundError

        with contextlib.suppress(ResourceNotFoundError):
            self.queue_service.get_queue_client(queue).clear_messages()

    def close(self) -> None:
        for client in (self._blobs, self._queues):
            if client is not None:
                client.close()
        self._blobs = self._queues = None

    def _text(self, content: Any) -> str:
        if isinstance(content, bytes):
            content = content.decode("utf-8")
        if self.message_encoding != "base64":
            return str(content)
        return base64.b64decode(content).decode("utf-8")


def _split(path: str) -> tuple[str, str]:
    container, _, name = path.partition("/")
    if not container or not name:
        raise StoragePathError(f"expected a blob path 'container/name', got {path!r}")
    return container, name
