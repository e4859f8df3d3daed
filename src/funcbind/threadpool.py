"""The thread pool sync functions run in, built for callers on an event loop.

``loop.run_in_executor`` on a :class:`~concurrent.futures.ThreadPoolExecutor` pays,
per call, a concurrent future, an asyncio future chained to it, and one
``call_soon_threadsafe`` -- a write to the loop's wake-up pipe -- for every completion.
Under load those wake-ups dominate: with 32 invocations in flight on a two-core
machine the stdlib path costs several times the machinery of the invocation itself.

:class:`FunctionThreadPool` keeps one asyncio future per call and batches completions:
a worker thread appends its result to the calling loop's inbox and wakes the loop only
when the inbox was empty, so a loop busy with other requests drains many results in one
callback.  Threads start on demand up to ``max_workers``, but only for calls that wait
(``BACKLOG_DELAY``), so cheap functions are not spread over threads that fight for the
GIL.  It is also a :class:`concurrent.futures.Executor`, so code that expects one
(``submit``, ``map``, ``run_in_executor``) keeps working.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import concurrent.futures
import enum
import queue
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["FunctionThreadPool"]

T = TypeVar("T")

# A job: the future to complete, where to deliver it (an _Inbox, or None for a
# concurrent future), and the call.  None on the queue tells one worker to exit.
_Job = tuple[Any, "_Inbox | None", Callable[..., Any], tuple[Any, ...]]

# A call queued while no worker is free starts another thread only if it is still
# waiting after this long.  Cheap sync functions are then served by few threads, which
# spares them the contention for the GIL that many threads cause; functions that block
# get another thread within about a millisecond.
BACKLOG_DELAY = 0.001
# An armed check this late (its loop stopped or is blocked) no longer counts.
_STALE_CHECK = 0.1


class _Claim(enum.Enum):
    """What a worker that found no job to claim gets: it waits on the queue."""

    WAIT = enum.auto()


# Pools still running at interpreter exit: their workers finish what they run (as the
# stdlib pool's do) before the interpreter goes away.
_live_pools: weakref.WeakSet[FunctionThreadPool] = weakref.WeakSet()


@atexit.register
def _stop_pools_at_exit() -> None:
    for pool in list(_live_pools):
        pool.shutdown(wait=True)


class _Inbox:
    """Completed calls waiting for one event loop, delivered in batches."""

    __slots__ = ("_done", "_lock", "_loop", "_scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Weak: the pool outlives loops (tests make one per test); a closed loop's inbox
        # must not keep it alive.
        self._loop = weakref.ref(loop)
        self._done: collections.deque[tuple[asyncio.Future[Any], Any, BaseException | None]] = (
            collections.deque()
        )
        self._lock = threading.Lock()
        self._scheduled = False

    def deliver(
        self, future: asyncio.Future[Any], result: Any, error: BaseException | None
    ) -> None:
        """Queue one outcome (from a worker thread); wake the loop if nothing is pending."""
        self._done.append((future, result, error))
        with self._lock:
            if self._scheduled:
                return  # a drain is already on its way and will find this one too
            self._scheduled = True
        loop = self._loop()
        try:
            if loop is None:
                raise RuntimeError("the event loop is gone")
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:
            # The loop is closed: nobody can await these futures any more, and holding
            # them would keep the loop alive through them.
            self._done.clear()

    def _drain(self) -> None:
        # Reset the flag before taking items: a result delivered from here on schedules
        # another drain, so none is stranded.
        with self._lock:
            self._scheduled = False
        done = self._done
        while done:
            future, result, error = done.popleft()
            if future.done():
                continue  # cancelled while it ran (a timeout, a client gone)
            if error is None:
                future.set_result(result)
            elif isinstance(error, asyncio.CancelledError):
                future.cancel()  # shut down with cancel_futures before it ran
            else:
                future.set_exception(error)


class FunctionThreadPool(concurrent.futures.Executor):
    """A bounded pool of threads for sync functions, awaited from event loops.

    ``await pool.run(fn, *args)`` calls ``fn(*args)`` in a pool thread.  Callers copy
    context variables themselves (``contextvars.copy_context().run`` as ``fn``), as
    with ``run_in_executor``.  Threads start on demand up to ``max_workers``: for
    ``run``, when a call has waited ``backlog_delay`` seconds with no worker free (the
    first thread at once); for ``submit``, at once, as the stdlib pool does.
    """

    def __init__(
        self,
        max_workers: int,
        thread_name_prefix: str = "funcbind-function",
        *,
        backlog_delay: float = BACKLOG_DELAY,
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"expected max_workers to be at least 1, got {max_workers}")
        self._max_workers = max_workers
        self._backlog_delay = backlog_delay
        # Calls queued and calls taken by a worker so far: whether the call a backlog
        # check is about has started.  Workers count without the lock; a lost count only
        # starts a thread early, within the bound.
        self._queued = 0
        self._taken = 0
        # When the backlog check now armed is due (None: none armed).  One whose loop
        # stopped before running it goes stale, and the next call arms another.
        self._check_due: float | None = None
        self._prefix = thread_name_prefix
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        # Under the lock: workers blocked in (or on their way into) ``jobs.get()``, and
        # jobs in the queue that no worker has claimed yet.  A new job has a free worker
        # exactly when waiting >= pending.  Both are counted under the lock, by the
        # workers too, because a count kept outside it drifts under the race between a
        # worker going idle and a job arriving, and a drifted count means a job that
        # waits while the pool could have started a thread for it.
        self._waiting = 0
        self._pending = 0
        self._lock = threading.Lock()
        self._shutdown = False
        self._inboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Inbox] = (
            weakref.WeakKeyDictionary()
        )
        # The last loop served and its inbox, as one tuple (replaced whole, read whole):
        # a host has one loop, and this spares it the weak-dictionary lookup per call.
        self._last: tuple[weakref.ref[asyncio.AbstractEventLoop], _Inbox] | None = None
        _live_pools.add(self)

    @property
    def max_workers(self) -> int:
        return self._max_workers

    @property
    def threads(self) -> tuple[threading.Thread, ...]:
        """The worker threads started so far."""
        return tuple(self._threads)

    def run(self, fn: Callable[..., T], /, *args: Any) -> asyncio.Future[T]:
        """Call ``fn(*args)`` in a pool thread; await the result on the running loop."""
        loop = asyncio.get_running_loop()
        last = self._last
        inbox = last[1] if last is not None and last[0]() is loop else self._inbox_for(loop)
        future: asyncio.Future[T] = loop.create_future()
        self._put((future, inbox, fn, args), loop)
        return future

    def submit(
        self, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        """The :class:`~concurrent.futures.Executor` interface: a concurrent future."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        call = fn if not kwargs else _with_keywords(fn, kwargs)
        self._put((future, None, call, args))
        return future

    def cover_stuck(self, abandon: Callable[[Callable[[], None]], bool]) -> None:
        """A call was abandoned (a timeout) while a worker runs it: allow one more
        thread until that worker is done, so the stuck one does not shrink the pool.
        ``abandon(on_end)`` says whether the worker still runs it and calls ``on_end``
        when it ends."""
        with self._lock:
            self._max_workers += 1
        if not abandon(self._uncover):
            self._uncover()

    def _uncover(self) -> None:
        with self._lock:
            self._max_workers -= 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking work; workers finish what is queued (or cancel it) and exit."""
        with self._lock:
            already = self._shutdown
            self._shutdown = True
            dropped = self._take_queued() if cancel_futures else []
            if not already:
                for _ in self._threads:
                    self._jobs.put(None)
        _live_pools.discard(self)
        # Outside the lock: a cancelled future runs its callbacks, which may call back here.
        for future, inbox, _, _ in dropped:
            if inbox is None:
                future.cancel()
            else:
                inbox.deliver(future, None, asyncio.CancelledError())
        if wait:
            current = threading.current_thread()
            for thread in list(self._threads):
                if thread is not current:
                    thread.join()

    def __repr__(self) -> str:
        state = "shut down" if self._shutdown else "running"
        return f"<FunctionThreadPool {len(self._threads)}/{self._max_workers} threads, {state}>"

    # -- internals -------------------------------------------------------------------

    def _inbox_for(self, loop: asyncio.AbstractEventLoop) -> _Inbox:
        with self._lock:
            inbox = self._inboxes.get(loop)
            if inbox is None:
                inbox = self._inboxes[loop] = _Inbox(loop)
        self._last = (weakref.ref(loop), inbox)
        return inbox

    def _put(self, job: _Job, loop: asyncio.AbstractEventLoop | None = None) -> None:
        # One lock for the check, the job and the thread: no job may land behind the exit
        # markers of a shutdown, or in a pool that will never start a thread for it.
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot run new work: the function thread pool is shut down")
            self._jobs.put(job)
            self._queued += 1
            self._pending += 1
            if self._waiting >= self._pending or len(self._threads) >= self._max_workers:
                return  # a free worker takes it, or it waits for one
            if loop is None or not self._threads:
                self._start_thread()
                return
            now = time.monotonic()
            due = self._check_due
            if due is not None and now < due + _STALE_CHECK:
                return  # a check is on its way; it looks at the newest call
            self._check_due = now + self._backlog_delay
            target = self._queued
        loop.call_later(self._backlog_delay, self._check_backlog, loop, target)

    def _check_backlog(self, loop: asyncio.AbstractEventLoop, target: int) -> None:
        """On the loop: start a thread if call number ``target`` is still waiting.

        Calls queued after ``target`` are covered by the next check, armed here while
        any call waits.
        """
        with self._lock:
            self._check_due = None
            if self._shutdown or len(self._threads) >= self._max_workers:
                return
            if self._taken < target:
                self._start_thread()  # it waited the whole delay: the threads do not keep up
                if len(self._threads) >= self._max_workers:
                    return
            if self._queued <= self._taken:
                return  # nothing waits
            self._check_due = time.monotonic() + self._backlog_delay
            target = self._queued
        loop.call_later(self._backlog_delay, self._check_backlog, loop, target)

    def _start_thread(self) -> None:
        # Called with the lock held.
        thread = threading.Thread(
            target=self._work,
            name=f"{self._prefix}_{len(self._threads)}",
            # Daemon, so that a function stuck forever cannot hold the process at exit;
            # the atexit hook still lets running functions finish normally.
            daemon=True,
        )
        thread.start()
        self._threads.append(thread)

    def _work(self) -> None:
        jobs = self._jobs
        lock = self._lock
        while True:
            with lock:
                job = self._claim()
            if job is _Claim.WAIT:
                job = jobs.get()
                with lock:
                    self._waiting -= 1
                    if job is not None:
                        self._pending -= 1
            if job is None:
                return
            self._taken += 1
            _run_job(*job)
            job = None  # drop the call's arguments before waiting for the next job

    def _claim(self) -> _Job | _Claim | None:
        """With the lock held: a queued job, or ``WAIT`` (counted as waiting) if none."""
        if self._pending:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                pass  # a woken worker holds it and has not counted it yet: wait too
            else:
                if job is not None:
                    self._pending -= 1
                return job
        self._waiting += 1
        return _Claim.WAIT

    def _take_queued(self) -> list[_Job]:
        taken: list[_Job] = []
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return taken
            if job is not None:
                taken.append(job)


def _run_job(
    future: Any, inbox: _Inbox | None, fn: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    if inbox is None:  # a concurrent future, from submit()
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = fn(*args)
        except BaseException as exc:  # delivered through the future
            future.set_exception(exc)
        else:
            future.set_result(result)
        return
    if future.done():  # cancelled before it started (a timeout, a client gone): skip it
        return
    try:
        result = fn(*args)
    except BaseException as exc:  # delivered to the awaiting caller
        inbox.deliver(future, None, exc)
    else:
        inbox.deliver(future, result, None)


def _with_keywords(fn: Callable[..., T], kwargs: dict[str, Any]) -> Callable[..., T]:
    def call(*args: Any) -> T:
        return fn(*args, **kwargs)

    return call
