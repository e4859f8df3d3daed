"""Timer triggers: schedules (NCRONTAB with seconds, TimeSpans), past-due detection, and
the real host on Azurite: a one-second schedule, runOnStartup, IsPastDue after a gap."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hostrunner import RunningHost
from storagekit import STORAGE_APP, azurite_env, records, storage_env, unique, wait_until

from funcbind.host.azurite import Azurite
from funcbind.host.storage_bindings import StorageConfigError
from funcbind.host.triggers.timer import (
    CronSchedule,
    IntervalSchedule,
    _past_due,
    compile_timer_trigger,
    parse_schedule,
    timer_payload,
)
from funcbind.registry import BindingSpec

UTC = timezone.utc
START = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)  # a Monday


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# -- schedules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("* * * * * *", [at(2024, 1, 1, 0, 0, 1), at(2024, 1, 1, 0, 0, 2)]),
        ("*/15 * * * * *", [at(2024, 1, 1, 0, 0, 15), at(2024, 1, 1, 0, 0, 30)]),
        ("0 */5 * * * *", [at(2024, 1, 1, 0, 5), at(2024, 1, 1, 0, 10)]),
        ("0 30 9 * * 1-5", [at(2024, 1, 1, 9, 30), at(2024, 1, 2, 9, 30)]),
        ("0 0 12 * * Sat", [at(2024, 1, 6, 12), at(2024, 1, 13, 12)]),
        ("*/5 * * * *", [at(2024, 1, 1, 0, 5), at(2024, 1, 1, 0, 10)]),  # five fields: second 0
        # A day of the month AND a day of the week, as NCrontab reads both.
        ("0 0 0 13 * Fri", [at(2024, 9, 13), at(2024, 12, 13)]),
    ],
)
def test_ncrontab_schedules_with_seconds_in_utc(text: str, expected: list[datetime]) -> None:
    schedule = parse_schedule(text, "here")
    assert isinstance(schedule, CronSchedule)
    first = schedule.next_after(START)
    assert [first, schedule.next_after(first)] == expected


def test_time_span_schedules() -> None:
    schedule = parse_schedule("00:00:30", "here")
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.next_after(START) == START + timedelta(seconds=30)
    daily = parse_schedule("1.00:00:00", "here")
    assert daily.next_after(START) == START + timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("every minute", "six NCRONTAB fields"),
        ("0 0 * * *  * *", "six NCRONTAB fields"),
        ("61 * * * * *", "is not valid"),
        ("00:00:00", "positive time span"),
        ("ab:cd:ef", "time span"),
    ],
)
def test_bad_schedules_name_the_binding(text: str, message: str) -> None:
    with pytest.raises(StorageConfigError, match=message) as info:
        parse_schedule(text, "binding 'timer' (timerTrigger)")
    assert info.value.message.startswith("binding 'timer' (timerTrigger)")


def timer_binding(**properties: Any) -> BindingSpec:
    return BindingSpec("timerTrigger", "timer", "in", None, properties)


def test_use_monitor_defaults_by_frequency_and_schedules_come_from_settings() -> None:
    settings = {"AzureWebJobsStorage": "UseDevelopmentStorage=true", "EVERY": "0 0 * * * *"}
    hourly = compile_timer_trigger(timer_binding(schedule="%EVERY%"), settings)
    assert (hourly.schedule.text, hourly.use_monitor) == ("0 0 * * * *", True)
    assert hourly.monitor is not None and hourly.monitor.setting == "AzureWebJobsStorage"
    # More often than once a minute: no monitor unless asked for, as in the host.
    assert not compile_timer_trigger(timer_binding(schedule="*/10 * * * * *"), settings).use_monitor
    asked = compile_timer_trigger(timer_binding(schedule="* * * * * *", useMonitor=True), settings)
    assert asked.use_monitor
    # No AzureWebJobsStorage: monitoring cannot be kept (the listener says so).
    assert compile_timer_trigger(timer_binding(schedule="0 0 * * * *"), {}).monitor is None
    startup = compile_timer_trigger(timer_binding(schedule="00:01:00", runOnStartup=True), {})
    assert startup.run_on_startup


def test_past_due_from_the_stored_status() -> None:
    schedule = parse_schedule("0 * * * * *", "here")  # every minute
    status = {
        "Last": "2024-01-01T10:00:00+00:00",
        "Next": "2024-01-01T10:01:00+00:00",
        "LastUpdated": "2024-01-01T10:00:00.0123+00:00",
    }
    assert _past_due(schedule, status, at(2024, 1, 1, 10, 0, 30)) is None
    assert _past_due(schedule, status, at(2024, 1, 1, 10, 5)) == at(2024, 1, 1, 10, 1)
    assert _past_due(schedule, None, at(2024, 1, 1, 10, 5)) is None
    # The schedule changed since: the next occurrence after Last under the new one counts.
    hourly = parse_schedule("0 0 * * * *", "here")
    assert _past_due(hourly, status, at(2024, 1, 1, 10, 30)) is None
    assert _past_due(hourly, status, at(2024, 1, 1, 11, 0, 1)) == at(2024, 1, 1, 11)


def test_the_timer_payload_is_the_hosts_timer_info() -> None:
    status = {"Last": "a", "Next": "b", "LastUpdated": "c"}
    assert json.loads(timer_payload(status, True).value) == {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": status,
        "IsPastDue": True,
    }


# -- in the host -------------------------------------------------------------------------


@pytest.mark.azurite
def test_a_one_second_schedule_then_is_past_due_after_a_gap(
    azurite: Azurite, tmp_path: Path
) -> None:
    host_id = unique("timers")
    env = storage_env(
        azurite_env(azurite),
        tmp_path,
        ("tick", "on_startup"),
        AzureFunctionsWebHost__hostid=host_id,
    )
    first = RunningHost(STORAGE_APP, "--no-auth", env=env)
    try:
        wait_until(lambda: len(records(tmp_path, "tick")) >= 2, what="two ticks")
        wait_until(lambda: records(tmp_path, "startup"), what="the startup run")
    finally:
        assert first.stop() == 0
    before = records(tmp_path, "tick")
    assert not any(tick["past_due"] for tick in before)
    status = json.loads(status_blob(azurite, f"timers/{host_id}/Host.Functions.tick/status"))
    assert set(status) == {"Last", "Next", "LastUpdated"}

    time.sleep(2.5)  # the host is down while the schedule fires: those runs are missed
    second = RunningHost(STORAGE_APP, "--no-auth", env=env)
    try:
        wait_until(lambda: len(records(tmp_path, "tick")) >= len(before) + 2, what="new ticks")
    finally:
        assert second.stop() == 0
    after = records(tmp_path, "tick")[len(before) :]
    assert after[0]["past_due"] is True  # the first run after the gap
    assert after[1]["past_due"] is False
    startups = records(tmp_path, "startup")
    assert [s["past_due"] for s in startups] == [False, False]  # runOnStartup, each start


def status_blob(azurite: Azurite, path: str) -> bytes:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    return bytes(service.get_blob_client("azure-webjobs-hosts", path).download_blob().readall())
