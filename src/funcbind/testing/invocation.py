"""One invocation as a test sees it: what went in is the test's, what came out is here.

An :class:`Invocation` holds the return value and each ``Out`` value as the function
set them, the same as the wire data the host sends on (Datums), the log records of
that invocation, the exception if any, and the duration.  The pytest plugin shows the
logs and exception of a test's invocations when the test fails.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..datum import Datum

__all__ = ["Invocation", "InvocationFailed", "note", "recent_invocations", "recent_notes"]


class InvocationFailed(AssertionError):
    """:meth:`Invocation.check` on a failed invocation: its error, exception and logs."""


@dataclass(eq=False)
class Invocation:
    """The outcome of one invocation of a function.

    ``return_value`` and ``outputs`` are Python values as the function returned and
    set them (an ``Out`` left unset is absent); ``return_datum`` and ``output_data`` are
    the Datums encoded from them, what the host sends on.  ``error`` is funcbind's
    error (which names function, binding and stage) and ``exception`` the function's
    own exception when the call itself raised.  ``timed_out`` is set when the call ran
    past ``functionTimeout``.
    """

    function_name: str
    invocation_id: str
    duration: float
    return_value: Any = None
    outputs: dict[str, Any] = field(default_factory=dict)
    return_datum: Datum | None = None
    output_data: Mapping[str, Datum] = field(default_factory=dict)
    logs: list[logging.LogRecord] = field(default_factory=list)
    error: BaseException | None = None
    stage: str | None = None
    timed_out: bool = False

    def __post_init__(self) -> None:
        _Recent.add(self)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out

    @property
    def exception(self) -> BaseException | None:
        """The function's own exception (stage ``call``), else funcbind's error."""
        original = getattr(self.error, "original", None)
        return original if isinstance(original, BaseException) else self.error

    @property
    def messages(self) -> list[str]:
        """The log messages of this invocation, formatted, in order."""
        return [record.getMessage() for record in self.logs]

    def check(self) -> Invocation:
        """Return self when the invocation succeeded, else raise :class:`InvocationFailed`."""
        if not self.ok:
            raise InvocationFailed(self.describe())
        return self

    def describe(self) -> str:
        """Several lines: the outcome, the exception with its traceback, the logs."""
        lines = [repr(self)]
        if self.timed_out:
            lines.append("  ran past functionTimeout")
        if self.error is not None:
            lines.append(f"  error ({self.stage}): {self.error}")
            exception = self.exception
            if exception is not None and exception.__traceback__ is not None:
                formatted = traceback.format_exception(exception)
                lines.extend("    " + line for chunk in formatted for line in chunk.splitlines())
        if self.logs:
            lines.append("  logs:")
            lines.extend(
                f"    {record.levelname:<8} {record.name}: {record.getMessage()}"
                for record in self.logs
            )
        else:
            lines.append("  logs: none")
        return "\n".join(lines)

    def __repr__(self) -> str:
        if self.ok:
            state = "ok"
        elif self.timed_out:
            state = "timed out"
        else:
            state = f"failed at {self.stage}: {type(self.exception).__name__}"
        return (
            f"<Invocation {self.function_name!r} {state} in {self.duration * 1000:.1f} ms, "
            f"{len(self.logs)} log record(s)>"
        )


class _Recent:
    """The invocations made since the pytest plugin last cleared the list (one test's),
    and notes on requests the host could not route."""

    items: ClassVar[list[Invocation]] = []
    notes: ClassVar[list[str]] = []
    lock = threading.Lock()
    LIMIT = 200

    @classmethod
    def add(cls, invocation: Invocation) -> None:
        with cls.lock:
            cls.items.append(invocation)
            del cls.items[: -cls.LIMIT]


def recent_invocations(*, clear: bool = False) -> list[Invocation]:
    """The invocations recorded lately (at most 200), oldest first; ``clear`` empties the
    list, and the notes."""
    with _Recent.lock:
        found = list(_Recent.items)
        if clear:
            _Recent.items.clear()
            _Recent.notes.clear()
    return found


def note(text: str) -> None:
    """Keep a line for the report of the test that is running (a request no route served)."""
    with _Recent.lock:
        if text not in _Recent.notes:
            _Recent.notes.append(text)
            del _Recent.notes[: -_Recent.LIMIT]


def recent_notes() -> list[str]:
    with _Recent.lock:
        return list(_Recent.notes)
