"""What ``funcbind run`` prints: the function table, log records, requests and failures.

Every line starts with a UTC timestamp; lines about an invocation name the function
and the invocation id, so interleaved concurrent invocations stay readable.  Output
is written under a lock (log records arrive from worker threads) and flushed at once:
line by line, or, for a background console (``funcbind run``'s), by a writer thread in
batches (see ``_WRITE_INTERVAL``).
"""

from __future__ import annotations

import logging
import math
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol, Union

from ..invocation_logs import FUNCTION_NAME_ATTR, INVOCATION_ID_ATTR

if TYPE_CHECKING:
    from .model import HostedApp, HostedFunction

__all__ = [
    "FUNCBIND_FORMAT",
    "HOST_API_REASON",
    "HOST_FORMAT",
    "LOG_FORMATS",
    "Console",
    "ConsoleLogHandler",
    "TextSink",
    "function_url",
    "timestamp",
]

_UTC = timezone.utc
# Loggers whose records are the host's own, under a shorter name.
_SOURCES = {"root": "app", "uvicorn": "server"}
_RESET = "\x1b[0m"
_STYLES = {"error": "\x1b[31m", "warning": "\x1b[33m", "good": "\x1b[32m", "dim": "\x1b[2m"}


class TextSink(Protocol):
    """Where the console writes: a text stream (only ``write`` and ``flush`` are used)."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


# The formatted second of the last timestamp: strftime costs more than the rest of a
# console line, and lines come many to a second (two per invocation).
_last_second: list[tuple[int, str]] = [(-1, "")]
# The milliseconds of a timestamp, with the "Z" after them, looked up rather than
# formatted: every console line has one.
_MILLIS = tuple(f"{ms:03d}Z" for ms in range(1000))


def timestamp(moment: float | None = None) -> str:
    """``2026-01-02T03:04:05.123Z`` for a POSIX time (default: now)."""
    now = time.time() if moment is None else moment
    second = math.floor(now)
    cached, prefix = _last_second[0]
    if cached != second:
        prefix = datetime.fromtimestamp(second, _UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        _last_second[0] = (second, prefix)  # one tuple: threads see the old pair or the new
    millis = int((now - second) * 1000)
    return prefix + _MILLIS[millis if millis < 1000 else 999]


# ``log_format``: Core Tools' lines (``Executing 'Functions.x' ...``, the function's own
# log messages as written) or funcbind's own, every line prefixed with the function and
# the invocation id.
HOST_FORMAT = "host"
FUNCBIND_FORMAT = "funcbind"
LOG_FORMATS = (HOST_FORMAT, FUNCBIND_FORMAT)
# The reason the host gives for an invocation it started itself (HTTP, admin calls).
HOST_API_REASON = "This function was programmatically called via the host APIs."


# How long a background console's writer lets lines gather before writing them, and the
# least time between two of its writes: a line after a quiet spell is written within
# _GATHER_SECONDS, a steady stream of lines (two per invocation under load) once every
# _WRITE_INTERVAL.  Each write wakes the writer thread, which then takes the GIL from the
# event loop: a few times a second, rather than once every few requests.
_GATHER_SECONDS = 0.005
_WRITE_INTERVAL = 0.05
# Lines written at most in one piece; a batch that reaches it is followed at once.
_BATCH_LINES = 10_000

# What a background console queues: a line as written, a line to timestamp (moment,
# text, style, color), a line to timestamp whose text is still to be made (moment,
# text function, its arguments, style, color), or an event to set once everything
# before it is written.
_Queued = Union[
    str,
    "tuple[float, str, str | None, bool]",
    "tuple[float, Callable[..., str], tuple[Any, ...], str | None, bool]",
    threading.Event,
]


def _texts(batch: list[_Queued]) -> list[str]:
    """The lines of a batch as written: queued moments turned into timestamps."""
    lines = []
    for item in batch:
        if type(item) is tuple:
            if len(item) == 5:
                moment, make_text, args, style, color = item
                text = make_text(*args)
            else:
                moment, text, style, color = item
            text = f"[{timestamp(moment)}] {text}"
            lines.append(f"{_STYLES[style]}{text}{_RESET}" if style and color else text)
        elif type(item) is str:
            lines.append(item)
    return lines


class Console:
    """Line-oriented output for the host; ``verbose`` adds requests and timings."""

    def __init__(
        self,
        stream: TextSink | None = None,
        *,
        verbose: bool = False,
        color: bool | None = None,
        log_format: str = FUNCBIND_FORMAT,
        background: bool = False,
    ) -> None:
        if log_format not in LOG_FORMATS:
            raise ValueError(f"expected a log format in {LOG_FORMATS}, got {log_format!r}")
        self.stream: TextSink = stream if stream is not None else sys.stdout
        self.verbose = verbose
        self.host_format = log_format == HOST_FORMAT
        if color is None:
            isatty = getattr(self.stream, "isatty", None)
            color = bool(isatty and isatty())
        self.color = color
        self._lock = threading.Lock()
        # ``background``: lines go through a queue to a writer thread that writes them
        # many at a time, so the event loop never waits on a write to the terminal or pipe
        # (two lines per invocation), and the timestamps are formatted there too.
        # ``drain()`` waits until everything queued is written; call it before exiting.
        self._queue: queue.SimpleQueue[_Queued] | None = None
        if background:
            self._queue = queue.SimpleQueue()
            threading.Thread(
                target=self._write_queued, name="funcbind-console", daemon=True
            ).start()

    def write(self, text: str, style: str | None = None) -> None:
        """Write lines as they are (no timestamp)."""
        if style and self.color:
            text = f"{_STYLES[style]}{text}{_RESET}"
        if self._queue is not None:
            self._queue.put(text)
            return
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until the lines queued so far are written (a background console)."""
        if self._queue is not None:
            written = threading.Event()
            self._queue.put(written)
            written.wait(timeout)

    def _write_queued(self) -> None:
        assert self._queue is not None
        written_at = -math.inf
        while True:
            batch = [self._queue.get()]
            # Let lines gather: one wake-up of this thread (and one write) per batch, not
            # per line, so the event loop seldom loses the GIL to it.
            time.sleep(max(_GATHER_SECONDS, written_at + _WRITE_INTERVAL - time.monotonic()))
            try:
                while len(batch) < _BATCH_LINES:
                    batch.append(self._queue.get_nowait())
            except queue.Empty:
                pass
            lines = _texts(batch)
            if lines:
                with self._lock:
                    self.stream.write("\n".join(lines) + "\n")
                    self.stream.flush()
            # After a full batch more lines are waiting: the next batch follows at once.
            written_at = -math.inf if len(batch) == _BATCH_LINES else time.monotonic()
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()

    def line(self, text: str, style: str | None = None, *, moment: float | None = None) -> None:
        """One timestamped line."""
        if self._queue is not None:
            # The moment now, its text on the writer thread.
            self._queue.put((time.time() if moment is None else moment, text, style, self.color))
            return
        self.write(f"[{timestamp(moment)}] {text}", style)

    def _line_later(
        self, make_text: Callable[..., str], args: tuple[Any, ...], style: str | None = None
    ) -> None:
        """One timestamped line whose text ``make_text(*args)`` makes: on the writer thread
        for a background console, so the event loop does not format the lines every
        invocation prints (Core Tools' two)."""
        if self._queue is not None:
            self._queue.put((time.time(), make_text, args, style, self.color))
            return
        self.line(make_text(*args), style)

    def invocation(
        self, function_name: str, invocation_id: str, text: str, style: str | None = None
    ) -> None:
        self.line(f"{function_name} ({invocation_id}) {text}", style)

    def executing(self, function_name: str, invocation_id: str, reason: str) -> None:
        """The start of an invocation: Core Tools' line, or funcbind's when verbose."""
        if self.host_format:
            self._line_later(_executing_text, (function_name, reason, invocation_id))
        elif self.verbose:
            self.invocation(function_name, invocation_id, "executing", "dim")

    def invocation_done(
        self, function_name: str, invocation_id: str, seconds: float, error: BaseException | None
    ) -> None:
        """The end of an invocation: always on failure (with the traceback), else if verbose
        (funcbind's format) or always (the host's)."""
        if self.host_format:
            self._executed(function_name, invocation_id, seconds, error)
            return
        took = f"{seconds * 1000:.1f} ms"
        if error is None:
            if self.verbose:
                self.invocation(function_name, invocation_id, f"succeeded in {took}", "dim")
            return
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self.invocation(
            function_name,
            invocation_id,
            f"failed after {took}: {type(error).__name__}: {error}\n{trace.rstrip()}",
            "error",
        )

    def _executed(
        self, function_name: str, invocation_id: str, seconds: float, error: BaseException | None
    ) -> None:
        if error is None:
            self._line_later(_executed_text, (function_name, "Succeeded", invocation_id, seconds))
            return
        text = _executed_text(function_name, "Failed", invocation_id, seconds)
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self.line(
            f"{text}\nException while executing function: Functions.{function_name}. "
            f"{type(error).__name__}: {error}\n{trace.rstrip()}",
            "error",
        )

    def request(self, method: str, target: str, status: int, seconds: float) -> None:
        style = "error" if status >= 500 else "warning" if status >= 400 else None
        self.line(f"{method} {target} -> {status} in {seconds * 1000:.1f} ms", style)

    def function_table(self, app: HostedApp, base_url: str) -> None:
        """The functions, their triggers and URLs, then load errors and notes."""
        rows: list[tuple[str, str, str]] = []
        for function in sorted(app.functions.values(), key=lambda f: f.name.casefold()):
            target = _target_text(function, app, base_url)
            rows.append((function.name, _trigger_text(function), target))
        lines = ["", "Functions:", ""]
        width = max((len(name) for name, _, _ in rows), default=0)
        trigger_width = max((len(trigger) for _, trigger, _ in rows), default=0)
        for name, trigger, target in rows:
            row = f"    {name.ljust(width)}  {trigger.ljust(trigger_width)}  {target}"
            lines.append(row.rstrip())
        if not rows:
            lines.append("    (none)")
        self.write("\n".join(lines))
        problems = [
            (f.name, f"cannot run here: {f.problem}")
            for f in app.functions.values()
            if f.problem and not f.disabled
        ]
        problems += [
            (f.name, f"does not listen (admin calls still work): {f.listener_problem}")
            for f in app.functions.values()
            if f.listener_problem and not f.problem and not f.disabled
        ]
        if problems:
            self.write("")
            for name, problem in sorted(problems):
                self.write(f"    {name}: {problem}", "warning")
        if app.errors:
            self.write("\nFunctions that failed to load:\n")
            for name, message in sorted(app.errors.items()):
                self.write(f"    {name}: {message}", "error")
        for note in app.notes:
            self.write(f"\nNote: {note}", "dim")
        self.write("")

    def notes(self, lines: Iterable[str], style: str | None = "dim") -> None:
        for text in lines:
            self.line(text, style)


def _executing_text(function_name: str, reason: str, invocation_id: str) -> str:
    return f"Executing 'Functions.{function_name}' (Reason='{reason}', Id={invocation_id})"


def _executed_text(function_name: str, status: str, invocation_id: str, seconds: float) -> str:
    return (
        f"Executed 'Functions.{function_name}' ({status}, Id={invocation_id}, "
        f"Duration={round(seconds * 1000)}ms)"
    )


def _trigger_text(function: HostedFunction) -> str:
    if function.disabled:
        return f"{function.trigger_type} (disabled)"
    if function.is_http:
        methods = ",".join(function.methods) if function.methods else "all methods"
        return f"{function.trigger_type} [{methods}]"
    if function.trigger_detail:
        return f"{function.trigger_type} ({function.trigger_detail})"
    return function.trigger_type


def _target_text(function: HostedFunction, app: HostedApp, base_url: str) -> str:
    if function.disabled:
        return ""
    if function.is_http:
        return function_url(function, app, base_url)
    return f"POST {base_url}/admin/functions/{function.name}" + (
        "  (x-functions-key: master key)" if app.keys is not None else ""
    )


def function_url(function: HostedFunction, app: HostedApp, base_url: str) -> str:
    """The function's full URL, its route template as written, ``?code=`` when needed."""
    prefix = app.host_settings.route_prefix
    template = (function.route_template or "").strip("/")
    path = "/".join(part for part in (prefix, template) if part)
    url = f"{base_url}/{path}"
    if app.keys is not None:
        key = app.keys.key_for(function.auth_level, function.name)
        if key is not None:
            url += f"?code={key}"
    return url


class ConsoleLogHandler(logging.Handler):
    """Prints log records: time, function and invocation id when there is one, level."""

    def __init__(self, console: Console, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
            invocation_id = getattr(record, INVOCATION_ID_ATTR, None)
            function_name = getattr(record, FUNCTION_NAME_ATTR, None)
            style = (
                "error"
                if record.levelno >= logging.ERROR
                else "warning"
                if record.levelno >= logging.WARNING
                else None
            )
            if invocation_id and self.console.host_format:
                # Core Tools prints a function's own messages as written.
                self.console.line(message, style, moment=record.created)
                return
            if invocation_id:
                source = f"{function_name or '?'} ({invocation_id})"
            else:
                source = _SOURCES.get(record.name.partition(".")[0], record.name)
            text = f"{source} {record.levelname}: {message}"
            self.console.line(text, style, moment=record.created)
        except Exception:
            self.handleError(record)
