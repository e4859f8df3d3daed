"""Azurite, the local Azure Storage emulator, started and stopped as a child process.

The project installs Azurite from npm (``package.json`` pins the version, the README
commands run ``npm ci``).  ``start_azurite`` launches it on loopback with telemetry
off, lets it choose free ports (``0``) unless told otherwise, and reads the ports it
reports; ``Azurite.stop`` ends exactly that process.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FuncbindError
from ..storage.clients import ClosedOnExit
from ..storage.connections import DEVELOPMENT_ACCOUNT, DEVELOPMENT_KEY

__all__ = [
    "DEVELOPMENT_ACCOUNT",
    "DEVELOPMENT_KEY",
    "Azurite",
    "AzuriteError",
    "development_connection_string",
    "find_azurite",
    "start_azurite",
]

DEFAULT_PORTS = {"blob": 10000, "queue": 10001, "table": 10002}

_LISTENING = re.compile(
    r"Azurite (Blob|Queue|Table) service is successfully listening at \S+:(\d+)"
)
_ENV_EXECUTABLE = "FUNCBIND_AZURITE"


class AzuriteError(FuncbindError):
    """Azurite could not be found, started or reached."""


def development_connection_string(
    host: str = "127.0.0.1",
    *,
    blob_port: int = 10000,
    queue_port: int = 10001,
    table_port: int = 10002,
) -> str:
    """The connection string of Azurite's development account on the given ports."""
    base = f"http://{host}"
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={DEVELOPMENT_ACCOUNT};AccountKey={DEVELOPMENT_KEY};"
        f"BlobEndpoint={base}:{blob_port}/{DEVELOPMENT_ACCOUNT};"
        f"QueueEndpoint={base}:{queue_port}/{DEVELOPMENT_ACCOUNT};"
        f"TableEndpoint={base}:{table_port}/{DEVELOPMENT_ACCOUNT};"
    )


@dataclass
class Azurite(ClosedOnExit):
    """A running Azurite process and the ports it listens on."""

    process: subprocess.Popen[str]
    host: str
    ports: dict[str, int]
    location: Path | None  # None: the data lives in Azurite's memory only
    _output: list[str] = field(default_factory=list, repr=False)
    _reader: threading.Thread | None = field(default=None, repr=False)

    @property
    def connection_string(self) -> str:
        return development_connection_string(
            self.host,
            blob_port=self.ports["blob"],
            queue_port=self.ports["queue"],
            table_port=self.ports["table"],
        )

    @property
    def blob_endpoint(self) -> str:
        return f"http://{self.host}:{self.ports['blob']}/{DEVELOPMENT_ACCOUNT}"

    @property
    def queue_endpoint(self) -> str:
        return f"http://{self.host}:{self.ports['queue']}/{DEVELOPMENT_ACCOUNT}"

    def output(self) -> str:
        """What Azurite printed so far (for error messages)."""
        return "".join(self._output[-50:])

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop this Azurite process (and only it): SIGTERM, then SIGKILL after ``timeout``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._reader is not None:
            self._reader.join(timeout)  # it closes the pipe when it reaches its end

    def close(self) -> None:
        """:meth:`stop`, what leaving a ``with start_azurite() as azurite:`` block does."""
        self.stop()


def find_azurite(start: Path | None = None) -> str:
    """The Azurite executable: ``$FUNCBIND_AZURITE``, a ``node_modules/.bin`` above
    ``start`` (or the working directory) or above funcbind's own checkout, or ``PATH``."""
    explicit = os.environ.get(_ENV_EXECUTABLE)
    if explicit:
        return explicit
    for candidate in _node_bin_candidates(start):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("azurite")
    if found:
        return found
    raise AzuriteError(
        "expected the Azurite storage emulator, found none: run `npm ci` in the funcbind "
        f"checkout (package.json pins it), install it with `npm install azurite`, or set "
        f"{_ENV_EXECUTABLE} to its path"
    )


def _node_bin_candidates(start: Path | None) -> Iterator[Path]:
    roots = [Path(start or Path.cwd()).resolve(), Path(__file__).resolve().parent]
    for root in roots:
        for folder in (root, *root.parents):
            yield folder / "node_modules" / ".bin" / "azurite"


def start_azurite(
    location: Path | None,
    *,
    host: str = "127.0.0.1",
    blob_port: int = 0,
    queue_port: int = 0,
    table_port: int = 0,
    executable: str | None = None,
    timeout: float = 60.0,
    launched: Callable[[subprocess.Popen[str]], None] | None = None,
) -> Azurite:
    """Start Azurite with its data under ``location``, or in memory only when it is None
    (nothing written to disk, and a faster start); port 0 lets it pick a free port.

    Returns once every service reports that it listens; raises :class:`AzuriteError`
    with Azurite's own output when it exits or does not get there within ``timeout``.
    ``launched`` is given the process as soon as it runs (whoever may stop it first).
    """
    if location is None:
        persistence = ["--inMemoryPersistence"]
    else:
        location.mkdir(parents=True, exist_ok=True)
        persistence = ["--location", str(location)]
    command = [
        executable or find_azurite(),
        "--silent",
        "--disableTelemetry",
        "--skipApiVersionCheck",
        "--loose",
        *persistence,
        "--blobHost", host, "--blobPort", str(blob_port),
        "--queueHost", host, "--queuePort", str(queue_port),
        "--tableHost", host, "--tablePort", str(table_port),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # Ctrl-C in a terminal reaches the host, which stops us
    )
    if launched is not None:
        launched(process)
    azurite = Azurite(process=process, host=host, ports={}, location=location)
    ready = threading.Event()
    azurite._reader = threading.Thread(
        target=_drain, args=(azurite, ready), name="azurite-output", daemon=True
    )
    azurite._reader.start()
    deadline = time.monotonic() + timeout
    try:
        while not ready.wait(0.05):
            if process.poll() is not None or time.monotonic() > deadline:
                azurite.stop()
                why = (
                    f"exited with code {process.returncode}" if process.returncode else "timed out"
                )
                raise AzuriteError(
                    f"expected Azurite to listen on {host} within {timeout:.0f} s, but it {why}; "
                    f"command: {' '.join(command)}; output:\n{azurite.output()}"
                )
    except BaseException:
        # Ctrl-C while waiting: the caller never gets the handle, so stop it here.
        azurite.stop()
        raise
    return azurite


def _drain(azurite: Azurite, ready: threading.Event) -> None:
    # Reading the pipe to its end keeps Azurite from blocking on a full pipe buffer.
    assert azurite.process.stdout is not None
    with azurite.process.stdout as output:
        for line in output:
            azurite._output.append(line)
            del azurite._output[:-200]
            match = _LISTENING.search(line)
            if match:
                azurite.ports[match.group(1).lower()] = int(match.group(2))
                if len(azurite.ports) == len(DEFAULT_PORTS):
                    ready.set()
