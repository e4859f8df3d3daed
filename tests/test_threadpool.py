"""The thread pool sync functions run in (funcbind.threadpool)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from funcbind.threadpool import FunctionThreadPool

pytestmark = pytest.mark.anyio

WAIT = 30  # seconds: a liveness bound for events between threads, never a timing assertion


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def pool() -> Iterator[FunctionThreadPool]:
    pool = FunctionThreadPool(4, thread_name_prefix="test-pool")
    yield pool
    pool.shutdown()


async def test_runs_in_a_pool_thread_and_returns(pool: FunctionThreadPool) -> None:
    def where(x: int, y: int) -> tuple[str, int]:
        return threading.current_thread().name, x + y

    name, total = await pool.run(where, 2, 3)
    assert total == 5
    assert name.startswith("test-pool_")
    assert name != threading.current_thread().name


async def test_exceptions_reach_the_caller(pool: FunctionThreadPool) -> None:
    def fails() -> None:
        raise KeyError("missing")

    def exits() -> None:
        raise SystemExit(3)

    with pytest.raises(KeyError, match="missing"):
        await pool.run(fails)
    with pytest.raises(SystemExit):
        await pool.run(exits)
    assert await pool.run(lambda: "the pool still works") == "the pool still works"


async def test_context_is_the_callers_when_copied(pool: FunctionThreadPool) -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var")
    var.set("caller")
    assert await pool.run(contextvars.copy_context().run, var.get) == "caller"


async def test_many_in_flight_all_complete_in_order_of_their_own(
    pool: FunctionThreadPool,
) -> None:
    results = await asyncio.gather(*(pool.run(lambda n=n: n * n) for n in range(500)))
    assert results == [n * n for n in range(500)]


async def test_completions_are_delivered_in_batches() -> None:
    """Results finished while the loop is busy arrive with one loop wake-up, not one each."""
    pool = FunctionThreadPool(2)
    loop = asyncio.get_running_loop()
    wakeups = 0
    original = loop.call_soon_threadsafe

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal wakeups
        wakeups += 1
        return original(*args, **kwargs)

    finished = threading.Semaphore(0)

    def job(n: int) -> int:
        finished.release()
        return n

    try:
        loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
        futures = [pool.run(job, n) for n in range(50)]
        # Keep the loop thread busy (not awaiting) until every job has finished.
        for _ in range(50):
            assert finished.acquire(timeout=WAIT)
        assert await asyncio.gather(*futures) == list(range(50))
    finally:
        del loop.call_soon_threadsafe
        pool.shutdown()
    # One wake-up for everything delivered while the loop was blocked, plus at most one per
    # worker for a job that had signalled but not yet delivered when the loop went on.
    assert 1 <= wakeups <= 3


async def test_threads_start_on_demand_up_to_the_bound() -> None:
    pool = FunctionThreadPool(2)
    try:
        assert pool.threads == ()
        await pool.run(lambda: None)
        assert len(pool.threads) == 1
        running = 0
        peak = 0
        lock = threading.Lock()
        both = threading.Barrier(2, timeout=WAIT)

        def busy() -> None:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                both.wait()  # two at once prove the second thread; a third breaks the barrier
            finally:
                with lock:
                    running -= 1

        await asyncio.gather(*(pool.run(busy) for _ in range(6)))
        assert peak == 2
        assert len(pool.threads) == 2
        assert pool.max_workers == 2
    finally:
        pool.shutdown()


async def test_a_job_cancelled_before_it_starts_does_not_run() -> None:
    pool = FunctionThreadPool(1)
    release = threading.Event()
    started = threading.Event()
    ran = []

    def blocker() -> None:
        started.set()
        release.wait(WAIT)

    try:
        first = pool.run(blocker)
        assert await asyncio.to_thread(started.wait, WAIT)
        second = pool.run(ran.append, "second")
        second.cancel()
        release.set()
        await first
        await pool.run(lambda: None)  # the queue is FIFO: the cancelled job came before
    finally:
        pool.shutdown()
    assert ran == []


async def test_a_job_cancelled_while_it_runs_is_dropped_quietly(pool: FunctionThreadPool) -> None:
    release = threading.Event()
    started = threading.Event()

    def slow() -> str:
        started.set()
        release.wait(WAIT)
        return "late"

    task = asyncio.ensure_future(pool.run(slow))
    assert await asyncio.to_thread(started.wait, WAIT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    # The late result must not be set on the cancelled future (InvalidStateError).
    assert await pool.run(lambda: "next") == "next"


def test_each_loop_gets_its_own_results() -> None:
    pool = FunctionThreadPool(2)
    outcomes: dict[int, list[int]] = {}

    def loop_in_a_thread(index: int) -> None:
        async def main() -> list[int]:
            return list(await asyncio.gather(*(pool.run(lambda n=n: n + index) for n in range(50))))

        outcomes[index] = asyncio.run(main())

    try:
        threads = [threading.Thread(target=loop_in_a_thread, args=(i * 1000,)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
    finally:
        pool.shutdown()
    assert outcomes == {i * 1000: [n + i * 1000 for n in range(50)] for i in range(3)}


def test_a_closed_loop_neither_breaks_the_pool_nor_is_kept_alive() -> None:
    pool = FunctionThreadPool(1)
    release = threading.Event()
    started = threading.Event()

    def slow() -> str:
        started.set()
        release.wait(WAIT)
        return "nobody waits"

    loop = asyncio.new_event_loop()

    async def leave_it_running() -> None:
        pool.run(slow)
        await asyncio.to_thread(started.wait, WAIT)

    try:
        loop.run_until_complete(leave_it_running())
        loop.close()
        release.set()
        gone = weakref.ref(loop)
        del loop
        gc.collect()
        assert asyncio.run(_one(pool)) == "still serving"
        gc.collect()
        assert gone() is None
    finally:
        pool.shutdown()


async def _one(pool: FunctionThreadPool) -> str:
    return await pool.run(lambda: "still serving")


def test_it_is_a_concurrent_executor() -> None:
    with FunctionThreadPool(2) as pool:
        assert isinstance(pool, concurrent.futures.Executor)
        assert pool.submit(pow, 2, 10).result(WAIT) == 1024
        assert pool.submit(int, "ff", base=16).result(WAIT) == 255
        assert list(pool.map(abs, [-1, -2, 3])) == [1, 2, 3]
        failing = pool.submit(int, "not a number")
        with pytest.raises(ValueError, match="invalid literal"):
            failing.result(WAIT)


async def test_run_in_executor_works_with_it(pool: FunctionThreadPool) -> None:
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(pool, sum, [1, 2, 3]) == 6


async def test_shutdown_finishes_queued_work_then_refuses_more() -> None:
    pool = FunctionThreadPool(1)
    done = []
    futures = [pool.submit(done.append, n) for n in range(20)]
    pool.shutdown(wait=True)
    assert done == list(range(20))
    assert all(future.done() for future in futures)
    assert all(not thread.is_alive() for thread in pool.threads)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(print)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.run(print)
    pool.shutdown()  # twice is harmless


async def test_shutdown_can_cancel_what_has_not_started() -> None:
    pool = FunctionThreadPool(1)
    release = threading.Event()
    started = threading.Event()

    def blocker() -> str:
        started.set()
        release.wait(WAIT)
        return "finished"

    running = pool.run(blocker)
    assert await asyncio.to_thread(started.wait, WAIT)
    queued_async = pool.run(lambda: "never")
    queued_concurrent = pool.submit(lambda: "never")
    pool.shutdown(wait=False, cancel_futures=True)
    release.set()
    assert await running == "finished"
    with pytest.raises(asyncio.CancelledError):
        await queued_async
    assert queued_concurrent.cancelled()
    await asyncio.to_thread(lambda: [t.join(WAIT) for t in pool.threads])


def test_max_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1, got 0"):
        FunctionThreadPool(0)


def test_cancelling_at_shutdown_lets_callbacks_use_the_pool() -> None:
    """A cancelled future's callbacks run outside the pool's lock: no deadlock."""
    pool = FunctionThreadPool(1)
    release = threading.Event()
    started = threading.Event()

    def blocker() -> None:
        started.set()
        release.wait(WAIT)

    running = pool.submit(blocker)
    assert started.wait(WAIT)
    queued = pool.submit(print, "never")
    answers: list[str] = []

    def resubmit(future: concurrent.futures.Future[Any]) -> None:
        try:
            pool.submit(print, "after shutdown")
        except RuntimeError as exc:
            answers.append(str(exc))

    queued.add_done_callback(resubmit)
    stopper = threading.Thread(target=pool.shutdown, kwargs={"wait": False, "cancel_futures": True})
    stopper.start()
    stopper.join(WAIT)
    assert not stopper.is_alive()  # it did not deadlock on its own lock
    release.set()
    running.result(WAIT)
    assert queued.cancelled()
    assert answers == ["cannot run new work: the function thread pool is shut down"]


async def test_cheap_calls_keep_to_the_threads_that_keep_up() -> None:
    """No call waits the backlog delay (here: a minute), so no second thread starts."""
    pool = FunctionThreadPool(8, backlog_delay=60)
    try:
        results = await asyncio.gather(*(pool.run(lambda n=n: n) for n in range(200)))
        assert results == list(range(200))
        assert len(pool.threads) == 1
    finally:
        pool.shutdown()


async def test_a_call_stuck_behind_a_blocked_thread_gets_another() -> None:
    """The first call blocks until the second one runs: only a second thread frees it."""
    pool = FunctionThreadPool(4, backlog_delay=0.001)
    second_ran = threading.Event()

    def first() -> str:
        assert second_ran.wait(WAIT), "no thread was started for the waiting call"
        return "first"

    def second() -> str:
        second_ran.set()
        return "second"

    try:
        assert await asyncio.gather(pool.run(first), pool.run(second)) == ["first", "second"]
        # Two at least; a third may start when the second thread is slow to take its call
        # (a loaded machine), which the policy allows: a call waited the whole delay.
        assert len(pool.threads) >= 2
    finally:
        pool.shutdown()


def test_a_check_whose_loop_stopped_does_not_stall_the_pool() -> None:
    """A backlog check armed on a loop that closed before it ran is replaced."""
    pool = FunctionThreadPool(4, backlog_delay=0.001)
    release = threading.Event()
    started = threading.Event()

    def blocker() -> None:
        started.set()
        release.wait(WAIT)

    async def arm_and_leave() -> None:
        pool.run(blocker)
        await asyncio.to_thread(started.wait, WAIT)
        pool.run(release.set)  # waits behind the blocker; arms a check on this loop

    async def later() -> str:
        await asyncio.sleep(0.2)  # past the point where an armed check counts as stale
        return await pool.run(lambda: "served")

    try:
        first = asyncio.new_event_loop()
        first.run_until_complete(arm_and_leave())
        first.close()  # the check never runs there
        assert asyncio.run(later()) == "served"
        assert release.is_set()
    finally:
        release.set()
        pool.shutdown()


class _RacingQueue:
    """The pool's job queue, with a call queued at the moment the first worker finds
    nothing to do -- when a look at the queue comes back empty, or when it starts to
    wait, whichever comes first: the race the idle count must survive.  The call comes
    from an event loop (``run``), as a host's do, so it arms a backlog check rather than
    starting a thread at once."""

    def __init__(self, pool: FunctionThreadPool) -> None:
        import queue

        self._inner: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pool = pool
        self.raced: threading.Thread | None = None
        self.queued = threading.Event()
        self.done = threading.Event()

    def _race(self) -> None:
        if self.raced is not None:
            return

        async def call() -> None:
            future = self._pool.run(self.done.set)
            self.queued.set()
            await future

        self.raced = threading.Thread(target=asyncio.run, args=(call(),))
        self.raced.start()
        self.queued.wait(0.05)  # it may wait for the pool's lock, which this worker holds

    def put(self, item: Any) -> None:
        self._inner.put(item)

    def get(self) -> Any:
        self._race()
        return self._inner.get()

    def get_nowait(self) -> Any:
        try:
            return self._inner.get_nowait()
        except Exception:
            self._race()
            raise


def test_the_idle_count_survives_a_call_arriving_as_a_worker_goes_idle() -> None:
    """A stale "a worker is free" count would leave a job queued behind a busy worker
    while the pool may still start threads: here the second of two jobs that wait for
    each other would never start, and the barrier would break."""
    pool = FunctionThreadPool(8)
    racing = _RacingQueue(pool)
    pool._jobs = racing  # type: ignore[assignment]
    try:
        pool.submit(lambda: None).result(WAIT)
        assert racing.done.wait(WAIT)
        assert racing.raced is not None
        racing.raced.join(WAIT)
        barrier = threading.Barrier(2, timeout=WAIT)
        waiting = [pool.submit(barrier.wait) for _ in range(2)]
        assert sorted(f.result(WAIT) for f in waiting) == [0, 1]
    finally:
        pool.shutdown()


def test_after_a_storm_every_idle_worker_is_counted_once() -> None:
    pool = FunctionThreadPool(6)
    try:

        def storm() -> None:
            for future in [pool.submit(int, "1") for _ in range(2000)]:
                future.result(WAIT)

        storms = [threading.Thread(target=storm) for _ in range(3)]
        for thread in storms:
            thread.start()
        for thread in storms:
            thread.join(WAIT)
        # As many jobs as threads, each waiting for all the others: every thread must
        # take one, which only happens if no job was promised to a worker that is busy.
        barrier = threading.Barrier(len(pool.threads), timeout=WAIT)
        waiting = [pool.submit(barrier.wait) for _ in range(len(pool.threads))]
        assert sorted(f.result(WAIT) for f in waiting) == list(range(len(pool.threads)))
    finally:
        pool.shutdown()
