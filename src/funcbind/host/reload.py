"""``funcbind run --reload``: a saved edit is served within a second, in the same process.

:class:`Reloader` watches the app folder (with watchfiles when it is installed, else by
polling modification times) for changes to ``.py`` files and ``function.json``.  On a
change it loads the app again in the host's own process -- every module of the app is
imported afresh under the app's private package -- and, when the new version loads
without new errors, hands it to the ASGI app, which serves its routes at once and
restarts the trigger listeners.  The listening socket, Azurite, the keys and the
storage clients stay; so does a debugger attached to the process.

A version that fails to load (a syntax error, an import error, a binding that does not
compile) is reported line by line and the last good version keeps serving.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FuncbindError
from .console import Console

if TYPE_CHECKING:
    from .model import HostedApp

__all__ = ["POLL_INTERVAL", "Reloader", "watched"]

POLL_INTERVAL = 0.2  # seconds between scans when watchfiles is not installed
_DEBOUNCE_MS = 50  # a save that writes several files at once is one change
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", ".python_packages", ".venv", "venv"})


def watched(path: Path, app_dir: Path) -> bool:
    """Whether a change to ``path`` means a new version of the app."""
    try:
        parts = path.relative_to(app_dir).parts
    except ValueError:
        return False
    if any(part.startswith(".") or part in _SKIPPED_DIRS for part in parts[:-1]):
        return False
    return path.suffix == ".py" or path.name == "function.json"


class Reloader:
    """Loads the app again on every change and hands good versions to ``replace``."""

    def __init__(
        self,
        current: HostedApp,
        console: Console,
        load: Callable[[], HostedApp],
        replace: Callable[[HostedApp], Any],
    ) -> None:
        self.current = current
        self.console = console
        self.load = load
        self.replace = replace
        self.app_dir = current.app_dir

    async def run(self, stopping: asyncio.Event) -> None:
        async for changed in self._changes(stopping):
            await self.reload(changed)

    async def reload(self, changed: Iterable[Path]) -> bool:
        """Load the app again; serve it if it is good.  True when it now serves."""
        names = sorted({self._shown(path) for path in changed})
        self.console.line(f"reload: {', '.join(names)} changed; loading the app again", "dim")
        self._forget_app_modules()
        _drop_cached_bytecode(changed)
        try:
            new = self.load()
        except FuncbindError as exc:
            self._refused([exc.message])
            return False
        introduced = [
            error for name, error in new.errors.items() if self.current.errors.get(name) != error
        ]
        if introduced:
            self._refused(introduced)
            return False
        await self.replace(new)
        self.current = new
        self.console.line(
            f"reload: serving the new version ({len(new.functions)} function(s))", "good"
        )
        return True

    def _refused(self, problems: list[str]) -> None:
        for problem in problems:
            self.console.line(f"reload: {problem}", "error")
        self.console.line(
            "reload: the new version failed to load; the last good version keeps serving",
            "error",
        )

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.app_dir).as_posix()
        except ValueError:
            return str(path)

    def _forget_app_modules(self) -> None:
        """Drop the app's modules (``<package>.<name>``) so that every one is executed
        afresh, the helpers a function imports included; the running version keeps its
        own module objects."""
        from ..loader import app_package_name

        prefix = app_package_name(self.app_dir) + "."
        for name in [n for n in sys.modules if n.startswith(prefix)]:
            del sys.modules[name]

    async def _changes(self, stopping: asyncio.Event) -> AsyncIterator[set[Path]]:
        try:
            import watchfiles
        except ImportError:
            async for found in self._polled(stopping):
                yield found
            return
        app_dir = self.app_dir
        async for changes in watchfiles.awatch(
            app_dir,
            watch_filter=lambda _change, path: watched(Path(path), app_dir),
            stop_event=stopping,
            debounce=_DEBOUNCE_MS,
            step=_DEBOUNCE_MS,
        ):
            yield {Path(path) for _change, path in changes}

    async def _polled(self, stopping: asyncio.Event) -> AsyncIterator[set[Path]]:
        seen = self._stamps()
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), POLL_INTERVAL)
                return
            except asyncio.TimeoutError:
                pass
            now = self._stamps()
            changed = {path for path in now.keys() | seen.keys() if now.get(path) != seen.get(path)}
            seen = now
            if changed:
                yield changed

    def _stamps(self) -> dict[Path, tuple[int, int]]:
        stamps: dict[Path, tuple[int, int]] = {}
        for folder, dirs, files in os.walk(self.app_dir):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS]
            for name in files:
                path = Path(folder, name)
                if path.suffix == ".py" or name == "function.json":
                    try:
                        stat = path.stat()
                    except OSError:
                        continue
                    stamps[path] = (stat.st_mtime_ns, stat.st_size)
        return stamps


def _drop_cached_bytecode(changed: Iterable[Path]) -> None:
    """Remove the cached bytecode of the changed sources.

    Python trusts a ``__pycache__`` file whose recorded source size and modification
    time (in whole seconds) match; an edit that keeps the size and lands in the same
    second as the one before would otherwise be served as the old version.
    """
    from contextlib import suppress
    from importlib.util import cache_from_source

    for path in changed:
        # No cache tag (an unusual interpreter) or a file we may not remove: Python then
        # compares sizes and times as usual, as a fresh process would.
        if path.suffix == ".py":
            with suppress(NotImplementedError, OSError):
                Path(cache_from_source(str(path))).unlink(missing_ok=True)
