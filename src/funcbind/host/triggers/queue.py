"""Queue triggers: poll a queue, invoke per message, delete only after success.

As in the Functions host (host.json ``extensions.queues``): messages are fetched
``batchSize`` at a time and another batch when no more than ``newBatchThreshold`` are
in flight; an empty queue is polled again after an exponential back-off up to
``maxPollingInterval``.  A message stays invisible while its function runs (a lease,
renewed at half time); success deletes it; a failure makes it visible again after
``visibilityTimeout``; after ``maxDequeueCount`` failed attempts it moves to
``<queue>-poison``.  If the host dies mid-invocation the lease runs out and the
message is delivered again: at least once, never lost.

The lease lasts 10 minutes, as in the host; the app setting
``FUNCBIND_QUEUE_MESSAGE_LEASE`` (a time span) shortens it.
"""

from __future__ import annotations

import asyncio
import json
import traceback
import uuid
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ...datetimes import parse_timespan
from ...datum import Datum
from ...errors import DecodeError
from ...storage.connections import StorageConnection
from .. import storage_io
from ..expressions import BindingData
from ..model import Succeeded, new_invocation_id, plain_payload
from ..storage_bindings import (
    StorageConfigError,
    binding_connection,
    binding_template,
    create_queue,
)
from ..wakeups import sleep_unless_woken
from .polling import Backoff, StorageTrouble, pause, storage_call

if TYPE_CHECKING:
    from ...function import FunctionPlan
    from ...registry import BindingSpec
    from ..console import Console
    from ..model import HostedApp, HostedFunction, Outcome
    from ..runner import Runner

__all__ = [
    "KIND",
    "LEASE_SETTING",
    "QueueListener",
    "QueueTriggerConfig",
    "admin_payload",
    "compile_queue_trigger",
    "message_metadata",
    "queue_binding_data",
]

LEASE_SETTING = "FUNCBIND_QUEUE_MESSAGE_LEASE"
DEFAULT_LEASE = timedelta(minutes=10)
MIN_POLL = 0.1


@dataclass(frozen=True)
class QueueTriggerConfig:
    queue: str
    setting: str
    connection: StorageConnection
    lease: timedelta = DEFAULT_LEASE

    @property
    def poison_queue(self) -> str:
        return f"{self.queue}-poison"


def compile_queue_trigger(binding: BindingSpec, settings: Mapping[str, str]) -> QueueTriggerConfig:
    template = binding_template(binding, "queueName", settings, "queue name")
    if not template.is_static:
        raise StorageConfigError(
            f"binding {binding.name!r} (queueTrigger): expected a fixed queue name, got "
            f"{template.text!r}; a trigger's queue cannot depend on an invocation"
        )
    queue = template.text.lower()
    if not storage_io.valid_queue_name(queue) or len(queue) > 63 - len("-poison"):
        raise StorageConfigError(
            f"binding {binding.name!r} (queueTrigger): expected a queue name of 3-56 lowercase "
            f"letters, digits and single dashes (its poison queue adds '-poison'), got "
            f"{template.text!r}"
        )
    setting, connection = binding_connection(binding, "queue", settings)
    return QueueTriggerConfig(queue, setting, connection, _lease(settings))


def _lease(settings: Mapping[str, str]) -> timedelta:
    text = settings.get(LEASE_SETTING)
    if not text:
        return DEFAULT_LEASE
    try:
        lease = parse_timespan(text.strip())
    except DecodeError as exc:
        raise StorageConfigError(f"app setting {LEASE_SETTING}: {exc.message}") from None
    if lease < timedelta(seconds=1):
        raise StorageConfigError(
            f"app setting {LEASE_SETTING}: expected at least 1 second, got {text!r}"
        )
    return lease


def _iso(moment: datetime | None) -> Datum:
    return Datum(json.dumps(moment.isoformat() if moment is not None else None), "json")


def message_metadata(
    message_id: str,
    pop_receipt: str,
    dequeue_count: int,
    inserted: datetime | None,
    expires: datetime | None,
    next_visible: datetime | None,
    text: str | None,
    function_name: str,
) -> dict[str, Datum]:
    """The trigger metadata of a message, in the host's wire shapes (WIRE.md §5)."""
    metadata = {
        "Id": Datum(message_id, "string"),
        "PopReceipt": Datum(pop_receipt, "string"),
        "DequeueCount": Datum(str(dequeue_count), "json"),
        "InsertionTime": _iso(inserted),
        "ExpirationTime": _iso(expires),
        "NextVisibleTime": _iso(next_visible),
        "sys": Datum(json.dumps({"MethodName": function_name}), "json"),
    }
    if text is not None:
        metadata["QueueTrigger"] = Datum(text, "string")
    return metadata


def queue_binding_data(
    function: HostedFunction, metadata: Mapping[str, Any], text: str | None
) -> BindingData:
    """Binding data of a message: its JSON properties, then its metadata (as in the host,
    a property named like a metadata field wins)."""

    def payload() -> Any:
        if text is None or not text.lstrip().startswith("{"):
            return None
        return json.loads(text)

    return BindingData(metadata, payload=payload, payload_first=True, function_name=function.name)


class QueueListener:
    """Polls one function's queue and runs the function for each message."""

    def __init__(
        self, app: HostedApp, function: HostedFunction, runner: Runner, console: Console
    ) -> None:
        self.function = function
        self.config: QueueTriggerConfig = function.trigger_config
        self.runner = runner
        self.console = console
        self.settings = app.host_settings.queues
        self.who = f"{function.name} (queue {self.config.queue!r})"
        self._queue: Any = None
        self._endpoint = ""

    async def run(self, stopping: asyncio.Event) -> None:
        config, settings = self.config, self.settings
        clients = self.runner.clients
        self._queue = clients.queue_client(config.connection, config.queue, asynchronous=True)
        self._endpoint = storage_io.endpoint_of(clients, config.connection)
        most = settings.max_polling_interval.total_seconds()
        polls = Backoff(min(MIN_POLL, most), max(most, 0.001))
        trouble = StorageTrouble(self.console, self.who)
        woken = self.runner.wakeups.listen(self._endpoint, config.queue)
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while not stopping.is_set():
                if len(in_flight) > settings.batch_threshold:
                    await _first_done(in_flight, stopping)
                    continue
                ok, messages = await storage_call(
                    self._receive, trouble, stopping, self._wrap("polling")
                )
                if not ok:
                    continue
                if not messages:
                    # This host's own writes to the queue end the back-off at once.
                    if await sleep_unless_woken(stopping, woken, polls.next()):
                        break
                    continue
                polls.reset()
                for message in messages:
                    task = asyncio.ensure_future(self._process_safely(message))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
        finally:
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)

    def _wrap(self, doing: str) -> Any:
        def wrap(exc: BaseException) -> BaseException:
            return storage_io.storage_error(
                exc, f"{doing} queue {self.config.queue!r}", self.config.connection, self._endpoint
            )

        return wrap

    async def _receive(self) -> list[Any]:
        size = self.settings.batch_size
        lease = max(1, int(self.config.lease.total_seconds()))
        try:
            pages = self._queue.receive_messages(
                messages_per_page=size,
                max_messages=size,
                visibility_timeout=lease,
                **storage_io.CALL_OPTIONS,
            )
            return [message async for message in pages]
        except Exception as exc:
            if not storage_io.is_not_found(exc, "QueueNotFound"):
                raise
            # Create the trigger's queue, so that messages can be put on it.
            await create_queue(self._queue)
            return []

    async def _process_safely(self, message: Any) -> None:
        try:
            await self._process(message)
        except Exception:
            # A bug here must not stop the listener; the message comes back after its lease.
            trace = traceback.format_exc().rstrip()
            self.console.line(
                f"{self.who}: processing message {message.id} failed:\n{trace}", "error"
            )

    async def _process(self, message: Any) -> None:
        function, settings = self.function, self.settings
        count = message.dequeue_count or 1
        if count > settings.max_dequeue_count:
            await self._poison(message, f"it was dequeued {count} times already")
            return
        try:
            body = storage_io.decode_message(message.content or "", settings.message_encoding)
        except ValueError as exc:
            await self._poison(message, str(exc))
            return
        payload, text = _payload(body)
        lease = _Lease(self._queue, message, self.config.lease)
        metadata = message_metadata(
            message.id,
            message.pop_receipt,
            count,
            message.inserted_on,
            message.expires_on,
            message.next_visible_on,
            text,
            function.name,
        )
        data = queue_binding_data(function, metadata, text)
        lease.start()
        try:
            outcome = await self.runner.run(
                function,
                {function.trigger_name: payload},
                metadata,
                new_invocation_id(),
                data=data,
                reason=f"New queue message detected on '{self.config.queue}'.",
            )
            await self.runner.thread_ended(outcome)  # kept invisible while a thread runs on
        finally:
            await lease.stop()
        succeeded = isinstance(outcome, Succeeded)
        try:
            if succeeded:
                await self._queue.delete_message(
                    message.id, lease.pop_receipt, **storage_io.CALL_OPTIONS
                )
            elif count >= settings.max_dequeue_count:
                await self._poison(message, f"it failed {count} times", lease.pop_receipt)
            else:
                await self._queue.update_message(
                    message.id,
                    lease.pop_receipt,
                    visibility_timeout=int(settings.visibility_timeout.total_seconds()),
                    **storage_io.CALL_OPTIONS,
                )
        except Exception as exc:
            error = storage_io.storage_error(
                exc,
                f"settling message {message.id} of queue {self.config.queue!r}",
                self.config.connection,
                self._endpoint,
            )
            self.console.line(
                f"{self.who}: {error.message}; the message will be delivered again", "warning"
            )

    async def _poison(self, message: Any, why: str, pop_receipt: str | None = None) -> None:
        """Copy the message, as stored, to ``<queue>-poison``; then delete the original."""
        clients = self.runner.clients
        poison = clients.queue_client(
            self.config.connection, self.config.poison_queue, asynchronous=True
        )
        try:
            try:
                await poison.send_message(message.content, **storage_io.CALL_OPTIONS)
            except Exception as exc:
                if not storage_io.is_not_found(exc, "QueueNotFound"):
                    raise
                await create_queue(poison)
                await poison.send_message(message.content, **storage_io.CALL_OPTIONS)
            await self._queue.delete_message(
                message.id, pop_receipt or message.pop_receipt, **storage_io.CALL_OPTIONS
            )
        except Exception as exc:
            error = storage_io.storage_error(
                exc, "moving a message to the poison queue", self.config.connection, self._endpoint
            )
            self.console.line(
                f"{self.who}: {error.message}; the message stays in its queue", "warning"
            )
            return
        self.console.line(
            f"{self.who}: message {message.id} moved to queue {self.config.poison_queue!r}: {why}",
            "error",
        )


def _payload(body: bytes | str) -> tuple[Datum, str | None]:
    """The trigger Datum of a message body, and its text (None for binary content)."""
    if isinstance(body, str):
        return Datum(body, "string"), body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Datum(body, "bytes"), None
    return Datum(text, "string"), text


async def _first_done(tasks: set[asyncio.Task[None]], stopping: asyncio.Event) -> None:
    stop = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({*tasks, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()


class _Lease:
    """Keeps a message invisible while its function runs, renewing at half the lease.

    Stopping waits for a renewal in flight rather than cancelling it: a cancelled
    renewal could leave a pop receipt the queue no longer accepts.
    """

    def __init__(self, queue: Any, message: Any, lease: timedelta) -> None:
        self.queue = queue
        self.message_id = message.id
        self.pop_receipt: str = message.pop_receipt
        self.seconds = max(1, int(lease.total_seconds()))
        self._done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._renew())

    async def stop(self) -> None:
        self._done.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _renew(self) -> None:
        while not await pause(self._done, self.seconds / 2):
            try:
                updated = await self.queue.update_message(
                    self.message_id,
                    self.pop_receipt,
                    visibility_timeout=self.seconds,
                    **storage_io.CALL_OPTIONS,
                )
            except Exception:  # the next renewal, or the settlement, will tell
                continue
            self.pop_receipt = updated.pop_receipt


def admin_payload(given: Any) -> tuple[Datum, dict[str, Datum]]:
    """The message (and metadata) an admin call with input ``given`` delivers: a fresh
    message, dequeued once."""
    payload = plain_payload("" if given is None else given)
    now = datetime.now(timezone.utc)
    text = payload.value if payload.type == "string" else str(payload.value)
    metadata = {
        "Id": Datum(str(uuid.uuid4()), "string"),
        "PopReceipt": Datum(str(uuid.uuid4()), "string"),
        "DequeueCount": Datum("1", "json"),
        "InsertionTime": _iso(now),
        "NextVisibleTime": _iso(now + timedelta(minutes=10)),
        "ExpirationTime": _iso(now + timedelta(days=7)),
        "QueueTrigger": Datum(text, "string"),
    }
    return payload, metadata


class QueueKind:
    """Queue triggers, as :mod:`funcbind.host.triggers.kinds` sees them."""

    binding_type = "queueTrigger"
    admin_reads_storage = False

    def compile(self, plan: FunctionPlan, settings: Mapping[str, str]) -> QueueTriggerConfig:
        return compile_queue_trigger(plan.trigger, settings)

    def describe(self, config: QueueTriggerConfig) -> str:
        return f"queue {config.queue}"

    def listener(
        self, app: HostedApp, function: HostedFunction, runner: Runner, console: Console
    ) -> QueueListener:
        return QueueListener(app, function, runner, console)

    def admin_call(
        self, runner: Runner, function: HostedFunction, given: Any, invocation_id: str
    ) -> Awaitable[Outcome]:
        payload, metadata = admin_payload(given)
        data = queue_binding_data(function, metadata, metadata["QueueTrigger"].value)
        inputs = {function.trigger_name: payload}
        return runner.run(function, inputs, metadata, invocation_id, data=data)


KIND = QueueKind()
