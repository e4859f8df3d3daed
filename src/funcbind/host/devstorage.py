"""Development storage for ``funcbind run``: Azurite, started when the app needs it.

When a function that can run uses a connection set to ``UseDevelopmentStorage=true``,
``funcbind run`` looks at the endpoints that means (Azurite's well-known loopback
ports 10000, 10001 and 10002, or ``FUNCBIND_AZURITE_BLOB_ENDPOINT`` /
``FUNCBIND_AZURITE_QUEUE_ENDPOINT`` / ``FUNCBIND_AZURITE_TABLE_ENDPOINT``): an Azurite
already listening is used; when nothing listens, Azurite is started there with its data
under ``APP/.funcbind/azurite`` and stopped when the host stops; anything else on those
ports is reported, and the host serves without storage.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .azurite import DEFAULT_PORTS, Azurite, AzuriteError, start_azurite
from .console import Console
from .keys import state_dir

if TYPE_CHECKING:
    from ..storage.connections import StorageConnection
    from .model import HostedApp

__all__ = ["FREE", "OTHER", "RUNNING", "development_endpoints", "ensure_development_storage"]

FREE, RUNNING, OTHER = "free", "azurite", "other"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_ENDPOINT_KEYS = {"blob": "blobendpoint", "queue": "queueendpoint", "table": "tableendpoint"}
_AZURITE_SERVER = re.compile(rb"(?im)^server:[ \t]*azurite")


def _connections(app: HostedApp) -> Iterator[StorageConnection]:
    for function in app.functions.values():
        if function.disabled or function.problem is not None:
            continue
        storage = function.storage
        if storage is not None:
            for binding in (*storage.inputs, *storage.outputs):
                connection = getattr(binding, "connection", None)
                if connection is not None:
                    yield connection
        config = function.trigger_config
        for name in ("connection", "monitor"):
            connection = getattr(config, name, None)
            if connection is not None:
                yield connection


def development_endpoints(app: HostedApp) -> dict[str, tuple[str, int]]:
    """The (host, port) of each development-storage service the app's functions use."""
    found: dict[str, tuple[str, int]] = {}
    for connection in _connections(app):
        if connection.depends_on is None or connection.connection_string is None:
            continue  # not UseDevelopmentStorage=true
        key = _ENDPOINT_KEYS[connection.service]
        for part in connection.connection_string.split(";"):
            name, _, value = part.partition("=")
            if name.strip().lower() == key:
                address = urlsplit(value.strip())
                if address.hostname and address.port:
                    found[connection.service] = (address.hostname, address.port)
    return found


def probe(host: str, port: int, timeout: float = 1.0) -> str:
    """FREE when nothing listens, RUNNING for Azurite, OTHER for anything else."""
    try:
        sock = socket.create_connection((host, port), timeout)
    except OSError:
        return FREE
    with sock:
        try:
            request = f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
            sock.sendall(request.encode())
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                head += chunk
        except OSError:
            return OTHER
    return RUNNING if _AZURITE_SERVER.search(head) else OTHER


def ensure_development_storage(
    app: HostedApp, console: Console, *, allow_start: bool = True
) -> Azurite | None:
    """Start Azurite when the app needs development storage and none listens.

    Returns the Azurite this call started (the caller stops it), or None.  Problems
    are printed; the host serves on without storage.
    """
    endpoints = development_endpoints(app)
    if not endpoints:
        return None
    states = {service: probe(host, port) for service, (host, port) in endpoints.items()}
    shown = ", ".join(f"{s} {h}:{p}" for s, (h, p) in sorted(endpoints.items()))
    if all(state == RUNNING for state in states.values()):
        console.line(f"development storage: using the Azurite listening on {shown}", "dim")
        return None
    others = [s for s, state in states.items() if state == OTHER]
    if others:
        for service in sorted(others):
            host, port = endpoints[service]
            console.line(
                f"development storage: {host}:{port} (the {service} endpoint of "
                "UseDevelopmentStorage=true) is in use by something that is not Azurite; "
                "functions using storage will fail. Stop that program, or point "
                f"FUNCBIND_AZURITE_{service.upper()}_ENDPOINT or the connection setting "
                "elsewhere",
                "error",
            )
        return None
    if any(state == RUNNING for state in states.values()):
        console.line(
            f"development storage: Azurite answers on some of {shown} but not all; restart it "
            "so that it listens on every one",
            "error",
        )
        return None
    if not allow_start:
        console.line(
            f"development storage: nothing listens on {shown} (--no-azurite); start Azurite "
            "there, or functions using storage will fail",
            "warning",
        )
        return None
    if any(host not in _LOOPBACK for host, _ in endpoints.values()):
        console.line(
            f"development storage: nothing listens on {shown}, which is not this machine; "
            "functions using storage will fail until it is reachable",
            "warning",
        )
        return None
    return _start(app.app_dir, endpoints, console)


def _start(
    app_dir: Path, endpoints: dict[str, tuple[str, int]], console: Console
) -> Azurite | None:
    host = next(iter(endpoints.values()))[0]
    ports = {
        service: endpoints[service][1] if service in endpoints else _free_or_any(host, port)
        for service, port in DEFAULT_PORTS.items()
    }
    try:
        location = state_dir(app_dir) / "azurite"
    except OSError as exc:
        console.line(f"development storage: cannot create {app_dir}/.funcbind: {exc}", "error")
        return None
    console.line(
        f"development storage: starting Azurite on {host} (blob {ports['blob']}, queue "
        f"{ports['queue']}, table {ports['table']}), data in {location}",
        "dim",
    )
    try:
        azurite = start_azurite(
            location,
            host=host,
            blob_port=ports["blob"],
            queue_port=ports["queue"],
            table_port=ports["table"],
        )
    except AzuriteError as exc:
        console.line(
            f"development storage: {exc.message}; functions using storage will fail", "error"
        )
        return None
    console.line(
        f"development storage: Azurite is running (pid {azurite.process.pid}); it stops with "
        "the host",
        "dim",
    )
    return azurite


def _free_or_any(host: str, port: int) -> int:
    """``port`` when nothing listens there, else 0 (any free port) for a service not used."""
    return port if probe(host, port, timeout=0.3) == FREE else 0
