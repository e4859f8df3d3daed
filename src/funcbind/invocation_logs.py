"""Per-invocation logging: tag every record with its invocation and collect it.

Function code logs through plain :mod:`logging` (the root logger or any named
logger).  While an invocation runs, a context variable names it; a log record
factory, installed once, reads that variable when a record is created, stamps the
record with ``funcbind_invocation_id`` and ``funcbind_function_name`` and appends it
to the invocation's list.  Context variables follow the work: the copy made for the
thread-pool call of a sync function and every task an async function creates.
Threads the function starts itself carry no context; as with the Azure worker,
such a thread can set ``context.thread_local_storage.invocation_id`` to have its
records attributed.

The factory runs where records are created, before any logger or handler
filtering, so capture does not depend on handlers or on ``propagate``; it does
depend on the logger's level (a record the level suppresses is never created).
"""

from __future__ import annotations

import logging
import threading
from contextvars import ContextVar, Token
from typing import Any

__all__ = [
    "FUNCTION_NAME_ATTR",
    "INVOCATION_ID_ATTR",
    "InvocationLog",
    "current_invocation",
    "end",
    "enter",
    "install",
    "reachable_from_threads",
    "thread_local_storage",
]

# Record attributes.  Prefixed so that a user's ``extra={"function_name": ...}`` does not
# collide (logging refuses an ``extra`` key that is already a record attribute).
INVOCATION_ID_ATTR = "funcbind_invocation_id"
FUNCTION_NAME_ATTR = "funcbind_function_name"


class InvocationLog:
    """The log of one invocation: its identity and the records collected so far."""

    __slots__ = ("function_name", "invocation_id", "open", "records")

    def __init__(self, invocation_id: str, function_name: str) -> None:
        self.invocation_id = invocation_id
        self.function_name = function_name
        self.records: list[logging.LogRecord] = []
        self.open = True

    def __repr__(self) -> str:
        state = "open" if self.open else "closed"
        return (
            f"<InvocationLog {self.function_name!r} {self.invocation_id!r} "
            f"{len(self.records)} records, {state}>"
        )


_current: ContextVar[InvocationLog | None] = ContextVar("funcbind_invocation", default=None)
# Invocations in flight by id: how a record from a user thread that only set
# thread_local_storage.invocation_id finds its invocation.
_active: dict[str, InvocationLog] = {}
_thread_local = threading.local()
_install_lock = threading.Lock()


class _Installed:
    """The tagging factory currently installed by us (module state without ``global``)."""

    factory: Any = None


def thread_local_storage() -> threading.local:
    """The object ``Context.thread_local_storage`` returns (shared, per thread)."""
    return _thread_local


def current_invocation() -> InvocationLog | None:
    """The invocation whose code is running in this context, if any."""
    log = _current.get()
    if log is None:
        invocation_id = getattr(_thread_local, "invocation_id", None)
        if invocation_id is not None:
            log = _active.get(invocation_id)
    return log


def install() -> None:
    """Install the tagging record factory; a no-op when it is already the current one.

    It wraps whatever factory is current, so other factories keep working.  If some
    other code later replaces the factory without chaining, calling this again puts
    tagging back; a record is never collected twice even if two of ours are chained.
    """
    if logging.getLogRecordFactory() is _Installed.factory:
        return
    with _install_lock:
        previous = logging.getLogRecordFactory()
        if previous is _Installed.factory:
            return

        def tagging_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if record.__dict__.get(INVOCATION_ID_ATTR) is not None:
                return record  # an inner factory of ours already tagged (and collected) it
            # An inner factory may have tagged it None: a second copy of this module (a
            # re-import, as pytester's in-process runs do) whose context knows no
            # invocation.  This one may know it, so it looks again.
            log = current_invocation()
            if log is None:
                # A thread may name an invocation that is not (or no longer) collecting:
                # its records still carry the id.
                record.__dict__[INVOCATION_ID_ATTR] = getattr(_thread_local, "invocation_id", None)
                record.__dict__[FUNCTION_NAME_ATTR] = None
            else:
                record.__dict__[INVOCATION_ID_ATTR] = log.invocation_id
                record.__dict__[FUNCTION_NAME_ATTR] = log.function_name
                if log.open:
                    log.records.append(record)  # list.append is atomic: threads may race here
            return record

        logging.setLogRecordFactory(tagging_factory)
        _Installed.factory = tagging_factory


def enter(log: InvocationLog) -> Token[InvocationLog | None]:
    """Start collecting into ``log`` (or a subclass of it) in the current context.

    Pass the token returned to :func:`end`.
    """
    if logging.getLogRecordFactory() is not _Installed.factory:
        install()
    return _current.set(log)


def reachable_from_threads(log: InvocationLog) -> None:
    """Let threads the function starts find ``log`` by ``thread_local_storage.invocation_id``.

    Only code that holds the invocation's ``context`` can know its id, so the caller
    does this when it builds one (and then ends with ``reachable=True``); other
    invocations skip the bookkeeping.
    """
    _active[log.invocation_id] = log


def end(log: InvocationLog, token: Token[InvocationLog | None], reachable: bool = False) -> None:
    """Stop collecting; later records (from tasks that outlive the call) are tagged only."""
    log.open = False
    if reachable and _active.get(log.invocation_id) is log:
        del _active[log.invocation_id]
    try:  # noqa: SIM105 - contextlib.suppress costs more, on every invocation
        _current.reset(token)
    except ValueError:
        pass  # ended from another context than it began in: nothing to restore
