"""Several processes of one app behind one port: ``FUNCTIONS_WORKER_PROCESS_COUNT`` or
``funcbind run --workers N``.

The parent holds the port, starts development storage once, and spawns N children
(``funcbind run ... --child-of FD``), each listening on that port with SO_REUSEPORT: the
kernel spreads new connections over them (evenly on Linux), so sync functions use N
cores instead of one GIL.  Each child says on the pipe FD when it listens; the parent
announces ``listening on`` once all do.  The children are hosts of one app like any others:
they share queue, blob and timer work through storage with the guarantees of several
hosts.  They run in a process group of their own, so that a Ctrl-C reaches the parent
only; the parent passes each SIGINT/SIGTERM on to every child, so that the first stops
them after their in-flight work and the second at once, as with one process.  A child
whose parent dies stops itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .settings import SettingsError

if TYPE_CHECKING:
    from .console import Console

__all__ = [
    "MAX_PROCESSES",
    "PROCESS_COUNT_SETTING",
    "process_count",
    "ready",
    "run_children",
    "watch_parent",
]

PROCESS_COUNT_SETTING = "FUNCTIONS_WORKER_PROCESS_COUNT"
MAX_PROCESSES = 10  # the host's bound for the setting
# A child checks this often whether its parent is still there.
PARENT_POLL = 1.0
EXIT_SIGNALLED = 128  # as the shell reports a process a signal ended


def process_count(given: int | None, env: Mapping[str, str]) -> int:
    """``--workers``, else the app setting, else 1; SettingsError when it is not usable."""
    if given is not None:
        count, where = given, "--workers"
    else:
        text = env.get(PROCESS_COUNT_SETTING)
        if text is None or not text.strip():
            return 1
        if not text.strip().isdigit():
            raise SettingsError(
                f"app setting {PROCESS_COUNT_SETTING}: expected a whole number 1..{MAX_PROCESSES}, "
                f"got {text!r}"
            )
        count, where = int(text), f"app setting {PROCESS_COUNT_SETTING}"
    if not 1 <= count <= MAX_PROCESSES:
        raise SettingsError(f"{where}: expected 1..{MAX_PROCESSES} processes, got {count}")
    if count > 1 and not hasattr(socket, "SO_REUSEPORT"):
        raise SettingsError(
            f"{where}: several processes share a port through SO_REUSEPORT, which this "
            "system lacks; run several hosts on several ports instead"
        )
    return count


def run_children(count: int, child_args: Sequence[str], console: Console, listening: str) -> int:
    """Serve with ``count`` child processes until they all stop; print ``listening`` once
    every child listens.  The exit status: a forced stop's (128 + signal) if any child
    had one, else the first failure, else 0."""
    readable, writable = os.pipe()
    command = [sys.executable, "-m", "funcbind", "run", *child_args, "--child-of", str(writable)]
    env = {**os.environ, "FUNCBIND_PARENT_PID": str(os.getpid())}
    children: list[subprocess.Popen[bytes]] = []
    forwarded: set[int] = set()

    def forward(signum: int, frame: Any) -> None:
        forwarded.add(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for number in range(count):
            env["FUNCBIND_WORKER_PROCESS"] = str(number + 1)
            children.append(
                subprocess.Popen(command, pass_fds=(writable,), env=env, start_new_session=True)
            )
        os.close(writable)
        writable = -1
        if _await_ready(readable, count):
            console.line(listening, "good")
            console.line(
                f"{count} processes serve this app (pids "
                f"{', '.join(str(child.pid) for child in children)})",
                "dim",
            )
        else:
            console.line("a process ended before it listened; stopping the others", "error")
            forward(signal.SIGTERM, None)
        statuses = [_wait(child) for child in children]
    finally:
        os.close(readable)
        if writable >= 0:
            os.close(writable)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    # A forced stop (a second signal, passed on) ends a child with 128 + that signal.
    expected = {0} | {EXIT_SIGNALLED + signum for signum in forwarded}
    for child, status in zip(children, statuses, strict=True):
        if status not in expected:
            console.line(f"process {child.pid} exited with status {status}", "error")
    return next((status for status in statuses if status), 0)


def _await_ready(readable: int, count: int) -> bool:
    """Read one byte per child that listens; False when one ended before it did."""
    seen = 0
    while seen < count:
        try:
            chunk = os.read(readable, count - seen)
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue
        if not chunk:
            return False
        seen += len(chunk)
    return True


def ready(fd: int) -> None:
    """In a child: tell the parent this process listens."""
    try:
        os.write(fd, b"r")
    finally:
        os.close(fd)


def _wait(child: subprocess.Popen[bytes]) -> int:
    while True:
        try:
            status = child.wait()
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for safety
            continue
        # A child killed by a signal reports -N; as a shell would, that is 128 + N.
        return status if status >= 0 else EXIT_SIGNALLED - status


def watch_parent(parent_pid: int) -> None:
    """In a child: stop (as SIGTERM does) when the parent process is gone."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="funcbind-parent-watch", daemon=True).start()
