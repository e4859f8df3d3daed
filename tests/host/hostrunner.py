"""The real ``funcbind run`` in a subprocess on a free port, for the host tests."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import funcbind

HERE = Path(__file__).parent
APPS = HERE / "apps"
WEBAPP = APPS / "webapp"
SETTINGS_APP = APPS / "settings_app"
EXAMPLES = HERE.parents[1] / "examples"
SRC = Path(funcbind.__file__).resolve().parents[1]

MASTER_KEY = "test-master-key"
DEFAULT_KEY = "test-default-key"
SECRET_OWN_KEY = "secret-own-key"

_LISTENING = re.compile(r"listening on (http://\S+)")
STARTUP_SECONDS = 60


class RunningHost:
    """``python -m funcbind run APP --port 0 ...`` with its output collected line by line."""

    def __init__(self, app_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(SRC), *filter(None, [environment.get("PYTHONPATH")])]
        )
        environment["PYTHONUNBUFFERED"] = "1"
        environment.update(env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "funcbind", "run", str(app_dir), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            env=environment,
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self.wait_for(_LISTENING, STARTUP_SECONDS)[1]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            self._new.put(line)
        self._new.put(None)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: re.Pattern[str] | str, timeout: float = 15) -> re.Match[str]:
        """The first output line (seen so far or to come) matching ``pattern``."""
        compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for line in self.lines[checked:]:
                found = compiled.search(line)
                if found:
                    return found
            checked = len(self.lines)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                if self._new.get(timeout=min(remaining, 0.5)) is None and checked == len(
                    self.lines
                ):
                    break  # the process has ended and every line was checked
            except queue.Empty:
                pass
        raise AssertionError(
            f"no output line matched {compiled.pattern!r} (exit code {self.process.poll()}):\n"
            + self.output[-4000:]
        )

    def exit_status(self, timeout: float = 30) -> int:
        """The exit status once the process has ended by itself, which must be within
        ``timeout`` seconds; :attr:`lines` then holds all its output.

        After a test's own Ctrl-C, wait with this rather than :meth:`stop`: a process
        still shutting down would take the signal :meth:`stop` sends as a second Ctrl-C.
        """
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"funcbind run still runs {timeout} s after it was told to stop:\n"
                + self.output[-4000:]
            ) from None
        self._reader.join(10)
        return status

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(
                "funcbind run did not stop after SIGINT:\n" + self.output[-4000:]
            ) from None
        finally:
            self._reader.join(10)
            if self.process.stdout is not None:
                self.process.stdout.close()
