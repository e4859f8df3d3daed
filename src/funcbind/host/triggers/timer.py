"""Timer triggers: NCRONTAB or TimeSpan schedules in UTC, with a monitor in storage.

A schedule is six NCRONTAB fields ``{second} {minute} {hour} {day} {month}
{day-of-week}`` (five fields mean second 0; a day of the month and a day of the week
must both match, as in NCrontab), or a TimeSpan ``hh:mm:ss`` (``d.hh:mm:ss``) between
runs; ``%Setting%`` names an app setting holding it.  ``runOnStartup`` runs the
function once when the host starts.  With ``useMonitor`` the schedule status
(``Last``, ``Next``, ``LastUpdated``) is kept in blob
``azure-webjobs-hosts/timers/{hostId}/{functionId}/status`` of ``AzureWebJobsStorage``;
a host that starts after a ``Next`` that passed runs the function at once with
``IsPastDue`` true.  ``useMonitor`` defaults to true, except for schedules that run more
often than once a minute (as in the host); set it explicitly to keep it for those.
Runs never overlap: the next occurrence is computed after a run ends.

With ``AzureWebJobsStorage`` set, a schedule fires on one instance of the app only: the
one holding the lease on lock blob ``azure-webjobs-hosts/locks/{hostId}/{functionId}.Listener``
(the WebJobs singleton's name).  It renews the lease at half of
``singleton.listenerLockPeriod``; the others try to take it every
``singleton.listenerLockRecoveryPollingInterval``, so when the holder dies another
instance fires within about two periods, a missed occurrence arriving as ``IsPastDue``
when the schedule is monitored.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Protocol

from ...datetimes import parse_datetime, parse_timespan
from ...datum import Datum
from ...errors import DecodeError
from ...storage.connections import DEFAULT_CONNECTION, ConnectionSettingError, StorageConnection
from .. import storage_io
from ..expressions import TemplateError, substitute_app_settings
from ..leases import HOSTS_CONTAINER, BlobLease, lock_path
from ..model import function_id, new_invocation_id
from ..retry import run_with_retries
from ..storage_bindings import StorageConfigError
from .polling import StorageTrouble, pause

if TYPE_CHECKING:
    from ...function import FunctionPlan
    from ...registry import BindingSpec
    from ..console import Console
    from ..model import HostedApp, HostedFunction, Outcome
    from ..runner import Runner

__all__ = [
    "KIND",
    "CronSchedule",
    "IntervalSchedule",
    "Schedule",
    "TimerConfig",
    "TimerListener",
    "admin_payload",
    "compile_timer_trigger",
    "parse_schedule",
    "timer_payload",
]

_UTC = timezone.utc
MONITOR_MINIMUM = timedelta(minutes=1)


class Schedule(Protocol):
    text: str

    def next_after(self, moment: datetime) -> datetime: ...


class CronSchedule:
    """Six-field NCRONTAB (seconds first), evaluated in UTC with croniter."""

    def __init__(self, text: str, where: str) -> None:
        fields = text.split()
        if len(fields) == 5:
            fields.insert(0, "0")
        if len(fields) != 6:
            raise StorageConfigError(
                f"{where}: expected a schedule of six NCRONTAB fields '{{second}} {{minute}} "
                f"{{hour}} {{day}} {{month}} {{day-of-week}}' (such as '0 */5 * * * *') or a "
                f"time span 'hh:mm:ss', got {text!r}"
            )
        self.text = text
        self._expression = " ".join(fields)
        try:
            self.next_after(datetime(2000, 1, 1, tzinfo=_UTC))
        except Exception as exc:  # croniter raises several error types
            raise StorageConfigError(f"{where}: schedule {text!r} is not valid: {exc}") from None

    def next_after(self, moment: datetime) -> datetime:
        from croniter import croniter

        found: datetime = croniter(
            self._expression, moment, second_at_beginning=True, day_or=False
        ).get_next(datetime)
        return found


class IntervalSchedule:
    """A TimeSpan between runs."""

    def __init__(self, text: str, interval: timedelta) -> None:
        self.text = text
        self.interval = interval

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.interval


def parse_schedule(text: str, where: str) -> Schedule:
    stripped = text.strip()
    if ":" in stripped and " " not in stripped:
        try:
            interval = parse_timespan(stripped)
        except DecodeError as exc:
            raise StorageConfigError(f"{where}: schedule: {exc.message}") from None
        if interval <= timedelta(0):
            raise StorageConfigError(f"{where}: expected a positive time span, got {text!r}")
        return IntervalSchedule(stripped, interval)
    return CronSchedule(stripped, where)


@dataclass(frozen=True)
class TimerConfig:
    schedule: Schedule
    run_on_startup: bool
    use_monitor: bool
    storage: StorageConnection | None  # AzureWebJobsStorage (None: not set): lock, monitor

    @property
    def monitor(self) -> StorageConnection | None:
        """Where the schedule status is kept; None: not kept."""
        return self.storage if self.use_monitor else None


def compile_timer_trigger(binding: BindingSpec, settings: Mapping[str, str]) -> TimerConfig:
    where = f"binding {binding.name!r} (timerTrigger)"
    raw = binding.properties.get("schedule")
    if not isinstance(raw, str) or not raw.strip():
        raise StorageConfigError(
            f"{where}: expected 'schedule' such as '0 */5 * * * *' or '00:05:00', got {raw!r}"
        )
    try:
        text = substitute_app_settings(raw, settings, where)
    except TemplateError as exc:
        raise StorageConfigError(exc.message) from None
    schedule = parse_schedule(text, where)
    explicit = binding.properties.get("useMonitor")
    if explicit is None:
        use_monitor = _interval(schedule) >= MONITOR_MINIMUM
    else:
        use_monitor = _flag(explicit, "useMonitor", where)
    from ...storage.connections import resolve_connection

    try:
        storage: StorageConnection | None = resolve_connection(DEFAULT_CONNECTION, "blob", settings)
    except ConnectionSettingError:
        storage = None  # reported by the listener at start when monitored
    run_on_startup = _flag(binding.properties.get("runOnStartup", False), "runOnStartup", where)
    return TimerConfig(schedule, run_on_startup, use_monitor, storage)


def _flag(value: Any, name: str, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise StorageConfigError(f"{where}: expected {name} true or false, got {value!r}")


def _interval(schedule: Schedule) -> timedelta:
    start = datetime(2024, 1, 1, tzinfo=_UTC)
    first = schedule.next_after(start)
    return schedule.next_after(first) - first


def timer_payload(status: Mapping[str, Any] | None, past_due: bool) -> Datum:
    """The TimerInfo JSON the host sends (WIRE.md §5)."""
    info = {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": status, "IsPastDue": past_due}
    return Datum(json.dumps(info), "json")


def admin_payload(given: Any) -> Datum:
    """What an admin call delivers: the host ignores the input for timers and reports a
    run that is not past due."""
    return timer_payload(None, past_due=False)


def _now() -> datetime:
    return datetime.now(_UTC)


class TimerListener:
    """Runs one function on its schedule; keeps the schedule status when monitored."""

    def __init__(
        self, app: HostedApp, function: HostedFunction, runner: Runner, console: Console
    ) -> None:
        self.function = function
        self.config: TimerConfig = function.trigger_config
        self.runner = runner
        self.console = console
        self.status_path = f"timers/{app.host_id}/{function_id(function.name)}/status"
        self.lock_path = lock_path(app.host_id, function_id(function.name))
        self.singleton = app.host_settings.singleton
        self.who = f"{function.name} (timer {self.config.schedule.text!r})"
        self.trouble = StorageTrouble(console, self.who)
        self._last_status: dict[str, Any] | None = None
        self._said_no_monitor = False

    async def run(self, stopping: asyncio.Event) -> None:
        storage = self.config.storage
        if storage is None:
            await self._follow_schedule(stopping, first=True)  # one host: no lock to share
            return
        period = self.singleton.listener_lock_period.total_seconds()
        lock = BlobLease(self.runner.clients, storage, self.lock_path, period)
        recovery = self.singleton.listener_lock_recovery_polling_interval.total_seconds()
        first, waiting = True, False
        while not stopping.is_set():
            try:
                held = await lock.acquire()
            except Exception as exc:
                await pause(stopping, self.trouble.failed(self._error(exc, "taking the lock")))
                continue
            self.trouble.recovered()
            if not held:
                if not waiting:
                    self.console.line(
                        f"{self.who}: another instance holds the lock ({HOSTS_CONTAINER}/"
                        f"{self.lock_path}) and fires it; this one takes over if it goes"
                    )
                    waiting = True
                if await pause(stopping, recovery):
                    return
                continue
            if waiting:
                self.console.line(f"{self.who}: took over the lock; this instance fires it now")
                waiting = False
            await self._hold(lock, stopping, first)
            first = False
            if not stopping.is_set():
                self.console.line(
                    f"{self.who}: lost the lock; this instance stops firing it", "warning"
                )

    async def _hold(self, lock: BlobLease, stopping: asyncio.Event, first: bool) -> None:
        """Follow the schedule while the lock is ours; give it back when the host stops."""
        halt = asyncio.Event()
        keeper = asyncio.create_task(lock.keep(halt))
        relay = asyncio.create_task(_relay(stopping, halt))
        try:
            await self._follow_schedule(halt, first)
        finally:
            keeper.cancel()
            relay.cancel()
            await asyncio.gather(keeper, relay, return_exceptions=True)
            if stopping.is_set() or lock.held:
                await lock.release()

    async def _follow_schedule(self, halt: asyncio.Event, first: bool) -> None:
        schedule = self.config.schedule
        status = await self._read_status() if self._monitored() else None
        now = _now()
        due = _past_due(schedule, status, now)
        if due is not None:
            await self._fire(status, past_due=True, scheduled=due)
        elif self.config.run_on_startup and first:
            await self._fire(status, past_due=False, scheduled=now)
        elif status is None and self._monitored():
            await self._write_status(None, schedule.next_after(now))
        while not halt.is_set():
            upcoming = schedule.next_after(_now())
            while (wait := (upcoming - _now()).total_seconds()) > 0:
                if await pause(halt, wait):
                    return
            await self._fire(self._last_status, past_due=False, scheduled=upcoming)

    def _monitored(self) -> bool:
        if not self.config.use_monitor:
            return False
        if self.config.monitor is None:
            if not self._said_no_monitor:
                self._said_no_monitor = True
                self.console.line(
                    f"{self.who}: useMonitor needs app setting {DEFAULT_CONNECTION}; the "
                    "schedule status is not kept",
                    "warning",
                )
            return False
        return True

    async def _fire(
        self, status: dict[str, Any] | None, *, past_due: bool, scheduled: datetime
    ) -> None:
        function = self.function
        payload = timer_payload(status, past_due)
        await run_with_retries(
            self.runner,
            function,
            {function.trigger_name: payload},
            None,
            reason=f"Timer fired at {_now().isoformat()}",
            new_id=new_invocation_id,
        )
        if self._monitored():
            await self._write_status(scheduled, self.config.schedule.next_after(_now()))
        else:
            self._last_status = _status(scheduled, self.config.schedule.next_after(_now()))

    def _blob(self) -> Any:
        assert self.config.monitor is not None
        return self.runner.clients.blob_client(
            self.config.monitor, HOSTS_CONTAINER, self.status_path, asynchronous=True
        )

    def _error(self, exc: BaseException, doing: str) -> BaseException:
        assert self.config.storage is not None
        endpoint = storage_io.endpoint_of(self.runner.clients, self.config.storage)
        return storage_io.storage_error(exc, doing, self.config.storage, endpoint)

    async def _read_status(self) -> dict[str, Any] | None:
        try:
            found = await storage_io.download_into_buffer(self._blob())
        except Exception as exc:
            self.trouble.failed(self._error(exc, "reading the schedule status"))
            return None
        self.trouble.recovered()
        if found is None:
            return None
        try:
            status = json.loads(bytes(found[0]))
        except ValueError:
            return None
        self._last_status = status if isinstance(status, dict) else None
        return self._last_status

    async def _write_status(self, last: datetime | None, upcoming: datetime) -> None:
        status = _status(last, upcoming)
        self._last_status = status
        client = self._blob()
        assert self.config.monitor is not None
        container = self.runner.clients.container_client(
            self.config.monitor, HOSTS_CONTAINER, asynchronous=True
        )
        try:
            await storage_io.upload_blob(client, container, json.dumps(status).encode())
        except Exception as exc:
            self.trouble.failed(self._error(exc, "writing the schedule status"))
            return
        self.trouble.recovered()


async def _relay(stopping: asyncio.Event, halt: asyncio.Event) -> None:
    await stopping.wait()
    halt.set()


def _status(last: datetime | None, upcoming: datetime) -> dict[str, Any]:
    return {
        "Last": last.isoformat() if last is not None else "0001-01-01T00:00:00+00:00",
        "Next": upcoming.isoformat(),
        "LastUpdated": _now().isoformat(),
    }


def _past_due(
    schedule: Schedule, status: Mapping[str, Any] | None, now: datetime
) -> datetime | None:
    """The missed occurrence when the stored status says a run was due before now."""
    if not status:
        return None
    recorded = _moment(status.get("Next"))
    last = _moment(status.get("Last"))
    updated = _moment(status.get("LastUpdated"))
    reference = last if last is not None and last.year > 1 else updated
    if reference is not None:
        expected = schedule.next_after(reference)
        if recorded is None or expected != recorded:
            recorded = expected  # the schedule changed since the status was written
    if recorded is None or recorded >= now:
        return None
    return recorded


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except DecodeError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_UTC)


class TimerKind:
    """Timer triggers, as :mod:`funcbind.host.triggers.kinds` sees them."""

    binding_type = "timerTrigger"
    admin_reads_storage = False

    def compile(self, plan: FunctionPlan, settings: Mapping[str, str]) -> TimerConfig:
        return compile_timer_trigger(plan.trigger, settings)

    def describe(self, config: TimerConfig) -> str:
        startup = ", run on startup" if config.run_on_startup else ""
        return f"schedule {config.schedule.text}{startup}"

    def listener(
        self, app: HostedApp, function: HostedFunction, runner: Runner, console: Console
    ) -> TimerListener:
        return TimerListener(app, function, runner, console)

    def admin_call(
        self, runner: Runner, function: HostedFunction, given: Any, invocation_id: str
    ) -> Awaitable[Outcome]:
        inputs = {function.trigger_name: admin_payload(given)}
        return runner.run(function, inputs, None, invocation_id)


KIND = TimerKind()
