"""Blob triggers: new and changed blobs under a path pattern, each version run once.

The listener lists the container (from the pattern's fixed prefix) and invokes the
function for every matching blob whose ETag it has not completed.  A receipt per
(function, blob, ETag) in container ``azure-webjobs-hosts``
(``blobreceipts/{hostId}/{functionId}/{etag}/BlockBlob/{container}/{blob}``, as the
host names them) remembers completed versions across restarts, and counts failures:
a failed version is retried after ``extensions.queues.visibilityTimeout``, and after
``extensions.blobs.poisonBlobThreshold`` (5) failures a note ``{FunctionId,
BlobType, ContainerName, BlobName, ETag}`` goes to queue
``webjobs-blobtrigger-poison`` and the version is not tried again.  Scans back off
like queue polls, up to ``maxPollingInterval`` but never more than 10 seconds.

With ``source: EventGrid`` nothing is scanned: ``Microsoft.Storage.BlobCreated`` events
POSTed to ``/runtime/webhooks/blobs?functionName=Host.Functions.NAME`` (system key
``blobs_extension``) run the function for the blob each one names.
Several instances of one app on one storage account share the receipts, claimed under
a lease (:mod:`funcbind.host.blob_receipts`), so each version runs once across them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...datum import Datum
from ...storage.connections import StorageConnection
from ...storage.references import blob_reference
from .. import storage_io
from ..blob_receipts import Receipts, bare_etag
from ..console import HOST_API_REASON
from ..eventgrid_http import (
    Reply,
    dispatch,
    parse_events,
    reply,
)
from ..expressions import BindingData, BlobPathPattern, TemplateError, substitute_app_settings
from ..model import Succeeded, function_id, new_invocation_id
from ..storage_bindings import StorageConfigError, binding_connection, create_queue
from .polling import Backoff, StorageTrouble, pause, storage_call

if TYPE_CHECKING:
    from ...function import FunctionPlan
    from ...registry import BindingSpec
    from ..console import Console
    from ..model import HostedApp, HostedFunction, Outcome
    from ..runner import Runner

__all__ = [
    "KIND",
    "POISON_QUEUE",
    "BlobListener",
    "BlobTriggerConfig",
    "blob_metadata",
    "compile_blob_trigger",
    "run_for_blob",
]

POISON_QUEUE = "webjobs-blobtrigger-poison"
MAX_SCAN_INTERVAL = 10.0
MIN_SCAN_INTERVAL = 0.1
# The host's reason for a blob found by a container scan.
_BLOB_REASON = "New blob detected(LogsAndContainerScan): {}/{}"


@dataclass(frozen=True)
class BlobTriggerConfig:
    pattern: BlobPathPattern
    setting: str
    connection: StorageConnection
    as_string: bool = False
    reference: bool = False
    event_grid: bool = False  # source: EventGrid: run from blob events, never scan


def compile_blob_trigger(
    binding: BindingSpec, settings: Mapping[str, str], reference: bool
) -> BlobTriggerConfig:
    where = f"binding {binding.name!r} (blobTrigger)"
    raw = binding.properties.get("path")
    if not isinstance(raw, str) or not raw.strip():
        raise StorageConfigError(
            f"{where}: expected 'path' such as 'container/{{name}}', got {raw!r}"
        )
    try:
        pattern = BlobPathPattern(substitute_app_settings(raw.strip(), settings, where), where)
    except TemplateError as exc:
        raise StorageConfigError(exc.message) from None
    if not storage_io.valid_container_name(pattern.container):
        raise StorageConfigError(
            f"{where}: expected a container name of 3-63 lowercase letters, digits and dashes, "
            f"got {pattern.container!r}"
        )
    setting, connection = binding_connection(binding, "blob", settings)
    source = binding.properties.get("source")
    if source is not None and (
        not isinstance(source, str)
        or source.casefold() not in ("eventgrid", "logsandcontainerscan")
    ):
        raise StorageConfigError(
            f"{where}: expected source 'LogsAndContainerScan' or 'EventGrid', got {source!r}"
        )
    return BlobTriggerConfig(
        pattern,
        setting,
        connection,
        binding.data_type == "string",
        reference,
        event_grid=isinstance(source, str) and source.casefold() == "eventgrid",
    )


def quotedbare_etag(value: str) -> str:
    """An ETag as storage sends it in headers (quoted); listings give it bare."""
    return f'"{bare_etag(value)}"'


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def blob_metadata(
    config: BlobTriggerConfig, name: str, properties: Any, uri: str, captures: Mapping[str, str]
) -> dict[str, Datum]:
    """The trigger metadata of a blob, in the host's wire shapes (WIRE.md §5)."""
    content = properties.content_settings
    described = {
        "BlobType": "BlockBlob",
        "ContentLength": properties.size,
        "Length": properties.size,
        "ContentType": content.content_type if content is not None else None,
        "ContentEncoding": content.content_encoding if content is not None else None,
        "ContentLanguage": content.content_language if content is not None else None,
        "ContentDisposition": content.content_disposition if content is not None else None,
        "CacheControl": content.cache_control if content is not None else None,
        "ETag": quotedbare_etag(properties.etag),
        "LastModified": _iso(properties.last_modified),
        "CreatedOn": _iso(properties.creation_time),
        "Created": _iso(properties.creation_time),
        "Metadata": dict(properties.metadata or {}),
    }
    metadata = {
        "BlobTrigger": Datum(f"{config.pattern.container}/{name}", "string"),
        "Uri": Datum(uri, "string"),
        "Properties": Datum(json.dumps(described), "json"),
        "Metadata": Datum(json.dumps(dict(properties.metadata or {})), "json"),
    }
    for key, value in captures.items():
        metadata[key] = Datum(value, "string")
    return metadata


async def run_for_blob(
    runner: Runner,
    function: HostedFunction,
    name: str,
    invocation_id: str,
    *,
    etag: str | None = None,
    reason: str = HOST_API_REASON,
) -> Outcome | None:
    """Read one blob (that version, with ``etag``) and run the function on it.

    Returns how the invocation ended, or None when it did not run: the blob no longer
    exists (or has changed since it was listed).  Storage failures raise
    StorageUnavailable/OperationError.
    """
    from azure.core.exceptions import ResourceModifiedError

    config: BlobTriggerConfig = function.trigger_config
    captures = config.pattern.match(name)
    if captures is None:
        raise StorageConfigError(
            f"blob {config.pattern.container}/{name} does not match the trigger path "
            f"{config.pattern.text!r}"
        )
    clients = runner.clients
    container = config.pattern.container
    client = clients.blob_client(config.connection, container, name, asynchronous=True)
    endpoint = storage_io.endpoint_of(clients, config.connection)
    doing = f"reading blob {config.pattern.container}/{name}"
    if config.reference:
        properties = await storage_io.guarded(
            lambda: client.get_blob_properties(**storage_io.CALL_OPTIONS),
            doing,
            config.connection,
            endpoint,
        )
        payload = blob_reference(config.setting, config.pattern.container, name)
    else:
        try:
            found = await storage_io.download_into_buffer(client, etag=etag)
        except ResourceModifiedError:
            return None
        except Exception as exc:
            raise storage_io.storage_error(exc, doing, config.connection, endpoint) from exc
        if found is None:
            return None
        buffer, properties = found
        payload = Datum(buffer, "bytes")
        # Not UTF-8 under dataType string: sent as bytes, the converter says what is wrong,
        # and the failure counts towards the poison threshold.
        if config.as_string:
            with contextlib.suppress(UnicodeDecodeError):
                payload = Datum(buffer.decode("utf-8"), "string")
    metadata = blob_metadata(config, name, properties, client.url, captures)
    metadata["sys"] = Datum(json.dumps({"MethodName": function.name}), "json")
    data = BindingData(metadata, trusted=captures, function_name=function.name)
    return await runner.run(
        function,
        {function.trigger_name: payload},
        metadata,
        invocation_id,
        data=data,
        reason=reason,
    )


class BlobListener:
    """Scans one function's container and runs the function for each new blob version."""

    def __init__(
        self, app: HostedApp, function: HostedFunction, runner: Runner, console: Console
    ) -> None:
        self.function = function
        self.config: BlobTriggerConfig = function.trigger_config
        self.runner = runner
        self.console = console
        self.host_id = app.host_id
        self.threshold = app.host_settings.blobs.poison_blob_threshold
        self.message_encoding = app.host_settings.queues.message_encoding
        self.retry_delay = app.host_settings.queues.visibility_timeout.total_seconds()
        self.parallel = asyncio.Semaphore(app.host_settings.blobs.max_degree_of_parallelism)
        most = app.host_settings.queues.max_polling_interval.total_seconds()
        self.scan_interval = max(0.001, min(most, MAX_SCAN_INTERVAL))
        self.who = f"{function.name} (blobs {self.config.pattern.text!r})"
        self._endpoint = ""

    async def run(self, stopping: asyncio.Event) -> None:
        config = self.config
        if config.event_grid:
            self.console.line(
                f"{self.function.name}: blob events are taken at /runtime/webhooks/blobs?"
                f"functionName={function_id(self.function.name)}",
                "dim",
            )
            await stopping.wait()
            return
        clients = self.runner.clients
        self._endpoint = storage_io.endpoint_of(clients, config.connection)
        receipts = Receipts(
            clients, config.connection, self.host_id, self.function.name, config.pattern.container
        )
        trouble = StorageTrouble(self.console, self.who)
        wrap = self._wrap("reading the blob receipts of")
        while not stopping.is_set():
            ok, _ = await storage_call(receipts.load, trouble, stopping, wrap)
            if ok:
                break
        scans = Backoff(min(MIN_SCAN_INTERVAL, self.scan_interval), self.scan_interval)
        container = clients.container_client(
            config.connection, config.pattern.container, asynchronous=True
        )
        while not stopping.is_set():
            ok, found = await storage_call(
                lambda: self._scan(container, receipts), trouble, stopping, self._wrap("listing")
            )
            if not ok:
                continue
            if not found:
                if await pause(stopping, scans.next()):
                    return
                continue
            scans.reset()
            await asyncio.gather(*(self._process(receipts, item) for item in found))

    def _wrap(self, doing: str) -> Any:
        def wrap(exc: BaseException) -> BaseException:
            return storage_io.storage_error(
                exc,
                f"{doing} container {self.config.pattern.container!r}",
                self.config.connection,
                self._endpoint,
            )

        return wrap

    async def _scan(self, container: Any, receipts: Receipts) -> list[Any]:
        pattern = self.config.pattern
        now = time.monotonic()
        found = []
        try:
            async for item in container.list_blobs(
                name_starts_with=pattern.prefix or None, **storage_io.CALL_OPTIONS
            ):
                if pattern.match(item.name) is None:
                    continue
                receipt = receipts.get(item.name, item.etag)
                if receipt.completed or receipt.retry_at > now:
                    continue
                found.append(item)
        except Exception as exc:
            if storage_io.is_not_found(exc, "ContainerNotFound"):
                return []  # nothing to trigger on until the container exists
            raise
        return found

    async def _process(self, receipts: Receipts, item: Any) -> None:
        async with self.parallel:
            receipt = receipts.get(item.name, item.etag)
            try:
                lease = await receipts.claim(item.name, item.etag)
            except Exception as exc:
                error = storage_io.storage_error(
                    exc, "claiming a blob receipt", self.config.connection, self._endpoint
                )
                self.console.line(f"{self.who}: {error.message}", "warning")
                receipt.retry_at = time.monotonic() + 1.0
                return
            if lease is None:
                return  # completed, or another instance is running it
            lost = asyncio.Event()
            keeper = asyncio.create_task(lease.keep(lost))
            try:
                outcome = await run_for_blob(
                    self.runner,
                    self.function,
                    item.name,
                    new_invocation_id(),
                    etag=item.etag,
                    reason=_BLOB_REASON.format(self.config.pattern.container, item.name),
                )
                if outcome is not None:
                    await self.runner.thread_ended(outcome)  # claimed while a thread runs on
            except Exception as exc:
                # Storage failed before the call: the next scan tries again.
                message = getattr(exc, "message", None) or repr(exc)
                self.console.line(f"{self.who}: {message}", "warning")
                receipt.retry_at = time.monotonic() + 1.0
                await lease.release()
                return
            finally:
                keeper.cancel()
                await asyncio.gather(keeper, return_exceptions=True)
            if outcome is None:
                await lease.release()
                return  # deleted or changed since listed: the next scan sees the new state
            if isinstance(outcome, Succeeded):
                receipt.completed = True
            else:
                receipt.failures += 1
                receipt.retry_at = time.monotonic() + self.retry_delay
                if receipt.failures >= self.threshold:
                    if not await self._poison(item):
                        receipt.failures -= 1
                        await lease.release()
                        return
                    receipt.completed = True
            try:
                await receipts.save(lease, receipt)
            except Exception as exc:
                error = storage_io.storage_error(
                    exc, "writing a blob receipt", self.config.connection, self._endpoint
                )
                self.console.line(
                    f"{self.who}: {error.message}; after a restart this blob version may run again",
                    "warning",
                )

    async def _poison(self, item: Any) -> bool:
        """Send the poison note; False (and a warning) when it cannot be sent."""
        note = {
            "FunctionId": function_id(self.function.name),
            "BlobType": "BlockBlob",
            "ContainerName": self.config.pattern.container,
            "BlobName": item.name,
            "ETag": quotedbare_etag(item.etag),
        }
        encoding = self.message_encoding
        clients = self.runner.clients
        try:
            connection = clients.connection(self.config.setting, "queue")
            queue = clients.queue_client(connection, POISON_QUEUE, asynchronous=True)
            await _send_note(queue, storage_io.encode_message(json.dumps(note), encoding))
        except Exception as exc:
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            self.console.line(
                f"{self.who}: cannot write the poison note for {item.name}: {message}; it "
                "will be tried again",
                "warning",
            )
            return False
        self.console.line(
            f"{self.who}: blob {self.config.pattern.container}/{item.name} failed "
            f"{self.threshold} times; poison note sent to queue {POISON_QUEUE!r}",
            "error",
        )
        return True


async def _send_note(queue: Any, text: str) -> None:
    try:
        await queue.send_message(text, **storage_io.CALL_OPTIONS)
    except Exception as exc:
        if not storage_io.is_not_found(exc, "QueueNotFound"):
            raise
        await create_queue(queue)
        await queue.send_message(text, **storage_io.CALL_OPTIONS)


def _admin_input_problem(config: BlobTriggerConfig, given: Any) -> str | None:
    """Why an admin input cannot name a blob for this blob trigger, or None."""
    example = f'{{"input": "{config.pattern.container}/<blob name>"}}'
    if not isinstance(given, str):
        return f"expected the path of a blob as the input, such as {example}"
    container, _, name = given.partition("/")
    if container != config.pattern.container or config.pattern.match(name) is None:
        return (
            f"expected a blob path matching the trigger path {config.pattern.text!r}, got {given!r}"
        )
    return None


async def _run_admin_input(
    runner: Runner, function: HostedFunction, name: str, invocation_id: str
) -> Outcome | None:
    outcome = await run_for_blob(runner, function, name, invocation_id)
    if outcome is None:
        config: BlobTriggerConfig = function.trigger_config
        runner.console.invocation(
            function.name,
            invocation_id,
            f"could not be run: blob {config.pattern.container}/{name} does not exist",
            "error",
        )
    return outcome


BLOB_CREATED = "Microsoft.Storage.BlobCreated"


def _blob_name(event: Mapping[str, Any], container: str) -> str | None:
    """The blob an event's ``data.url`` names in ``container`` (Azure or Azurite URLs)."""
    from urllib.parse import unquote, urlsplit

    data = event.get("data")
    url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(url, str):
        return None
    parts = urlsplit(url).path.lstrip("/").split("/")
    for start in (0, 1):  # Azurite puts the account before the container
        if len(parts) > start + 1 and parts[start] == container:
            return unquote("/".join(parts[start + 1 :]))
    return None


async def _blob_events(runner: Runner, function: HostedFunction, body: bytes) -> Reply:
    where = f"function {function.name!r}, binding {function.trigger_name!r}"
    events = parse_events(where, body)
    if isinstance(events, str):
        return reply(400, events)
    config: BlobTriggerConfig = function.trigger_config
    names = []
    for event in events:
        kind = event.get("eventType") or event.get("type")
        name = _blob_name(event, config.pattern.container) if kind == BLOB_CREATED else None
        if name is not None and config.pattern.match(name) is not None:
            names.append(name)
    await asyncio.gather(
        *(_run_admin_input(runner, function, name, new_invocation_id()) for name in names)
    )
    return reply(202)


class BlobKind:
    """Blob triggers, as :mod:`funcbind.host.triggers.kinds` sees them."""

    binding_type = "blobTrigger"
    webhook = "blobs"
    system_key = "blobs_extension"
    # An admin call names a blob, which is read from storage with the trigger's settings.
    admin_reads_storage = True

    def compile(self, plan: FunctionPlan, settings: Mapping[str, str]) -> BlobTriggerConfig:
        from ...deferred import deferred_bindings

        reference = plan.trigger.name in deferred_bindings(plan)
        return compile_blob_trigger(plan.trigger, settings, reference)

    def describe(self, config: BlobTriggerConfig) -> str:
        return f"blobs {config.pattern.text}"

    def listener(
        self, app: HostedApp, function: HostedFunction, runner: Runner, console: Console
    ) -> BlobListener:
        return BlobListener(app, function, runner, console)

    def admin_call(
        self, runner: Runner, function: HostedFunction, given: Any, invocation_id: str
    ) -> Awaitable[Outcome | None] | str:
        problem = _admin_input_problem(function.trigger_config, given)
        if problem is not None:
            return problem
        return _run_admin_input(runner, function, given.partition("/")[2], invocation_id)

    def webhook_function(self, app: HostedApp, name: str) -> HostedFunction | None:
        prefix = function_id("")
        function = app.find(name[len(prefix) :] if name.startswith(prefix) else name)
        config = getattr(function, "trigger_config", None)
        if function is None or not isinstance(config, BlobTriggerConfig) or not config.event_grid:
            return None
        return function

    async def deliver(
        self,
        runner: Runner,
        function: HostedFunction,
        method: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Reply:
        return await dispatch(
            method,
            headers,
            body,
            function=function.name,
            where=f"function {function.name!r}",
            notification=lambda: _blob_events(runner, function, body),
        )


KIND = BlobKind()
