"""``--workers N`` / ``FUNCTIONS_WORKER_PROCESS_COUNT``: how many processes, and what
Ctrl-C does with several (the multi-host behaviour is in test_several_hosts.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import httpx
import pytest
from hostrunner import APPS, RunningHost

from funcbind.host.cli import build_parser
from funcbind.host.settings import SettingsError
from funcbind.host.workers import process_count

SCALE_APP = APPS / "scaleapp"
HTTP_ONLY = {f"AzureWebJobs.{name}.Disabled": "true" for name in ("beat", "arrived", "work")}


def test_the_option_wins_over_the_setting_and_one_is_the_default() -> None:
    assert process_count(None, {}) == 1
    assert process_count(None, {"FUNCTIONS_WORKER_PROCESS_COUNT": "3"}) == 3
    assert process_count(2, {"FUNCTIONS_WORKER_PROCESS_COUNT": "3"}) == 2


@pytest.mark.parametrize(
    ("given", "setting", "message"),
    [
        (None, "many", "app setting FUNCTIONS_WORKER_PROCESS_COUNT: expected a whole number"),
        (None, "0", "expected 1..10 processes, got 0"),
        (11, None, "--workers: expected 1..10 processes, got 11"),
    ],
)
def test_a_count_out_of_range_says_where_it_came_from(
    given: int | None, setting: str | None, message: str
) -> None:
    env = {} if setting is None else {"FUNCTIONS_WORKER_PROCESS_COUNT": setting}
    with pytest.raises(SettingsError, match=message):
        process_count(given, env)


def test_workers_must_be_a_number() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "app", "--workers", "two"])


def test_ctrl_c_waits_for_work_in_flight_and_a_second_one_stops_every_process_at_once() -> None:
    env = {**HTTP_ONLY, "FUNCTIONS_WORKER_PROCESS_COUNT": "2"}
    host = RunningHost(SCALE_APP, "--no-auth", "--no-azurite", env=env)
    answers: list[int] = []
    try:
        found = host.wait_for(r"processes serve this app \(pids (\d+), (\d+)\)")
        children = [int(pid) for pid in found.groups()]
        assert httpx.get(f"{host.url}/api/spin?n=10").status_code == 200

        def slow() -> None:
            with contextlib.suppress(httpx.HTTPError):
                answers.append(
                    httpx.get(f"{host.url}/api/spin?n=400000000", timeout=60).status_code
                )

        request = threading.Thread(target=slow)
        request.start()
        time.sleep(1)  # the request is in a process's hands
        host.process.send_signal(signal.SIGINT)
        host.wait_for(r"stopping: waiting for 1 invocation", timeout=10)
        host.process.send_signal(signal.SIGINT)
        assert host.process.wait(20) == 128 + signal.SIGINT
        request.join(20)
    finally:
        host.stop()
    assert answers == []  # abandoned: the connection closed without an answer
    host.wait_for("stopping now")
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
