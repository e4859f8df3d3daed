"""A background console (``funcbind run``'s): lines queued, written in order by one thread."""

from __future__ import annotations

import io
import itertools
import threading
import time

from funcbind.host.console import _WRITE_INTERVAL, Console


def test_a_background_console_writes_every_line_in_order_once_drained() -> None:
    out = io.StringIO()
    console = Console(out, background=True)
    for number in range(500):
        console.write(f"line {number}")
    console.drain()
    assert out.getvalue().splitlines() == [f"line {number}" for number in range(500)]


def test_lines_from_several_threads_are_all_written_whole() -> None:
    out = io.StringIO()
    console = Console(out, background=True, log_format="host")

    def log(thread: int) -> None:
        for number in range(200):
            console.executing(f"f{thread}", f"id-{number}", "because")

    threads = [threading.Thread(target=log, args=(index,)) for index in range(4)]
    for started in threads:
        started.start()
    for started in threads:
        started.join()
    console.drain()
    lines = out.getvalue().splitlines()
    assert len(lines) == 800
    for thread in range(4):
        # Each thread's lines keep their order.
        own = [line for line in lines if f"'Functions.f{thread}'" in line]
        assert [line.rsplit("Id=", 1)[1] for line in own] == [f"id-{n})" for n in range(200)]


def test_a_console_without_background_writes_at_once() -> None:
    out = io.StringIO()
    Console(out).write("now")
    assert out.getvalue() == "now\n"


def test_timestamps_are_those_of_the_moment_a_line_was_queued() -> None:
    out = io.StringIO()
    console = Console(out, background=True, color=True)
    console.line("at a moment", moment=0.25)
    console.line("in red", "error", moment=1.5)
    console.drain()
    assert out.getvalue().splitlines() == [
        "[1970-01-01T00:00:00.250Z] at a moment",
        "\x1b[31m[1970-01-01T00:00:01.500Z] in red\x1b[0m",
    ]


def test_a_steady_stream_of_lines_is_written_in_batches_an_interval_apart() -> None:
    # Each write wakes the writer thread, which then takes the GIL from the event loop:
    # under load the lines go out a few times a second, not once every few requests.
    writes: list[tuple[float, int]] = []

    class Sink:
        def write(self, text: str) -> None:
            writes.append((time.monotonic(), text.count("\n")))

        def flush(self) -> None:
            pass

    console = Console(Sink(), background=True)
    count = 0
    until = time.monotonic() + 0.3
    while time.monotonic() < until:
        console.line(f"line {count}")
        count += 1
        time.sleep(0.001)
    console.drain()
    assert sum(lines for _, lines in writes) == count
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(writes)]
    assert gaps, "expected the stream to take more than one write"
    assert min(gaps) >= _WRITE_INTERVAL
