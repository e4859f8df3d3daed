"""A function's blob and queue bindings, compiled at load and run around each invocation.

:func:`compile_storage` reads every ``blob`` and ``queue`` binding of a function once:
its path or queue name becomes a :class:`~funcbind.host.expressions.PathTemplate`
(``%Setting%`` already replaced), its ``connection`` is resolved through
:mod:`funcbind.storage.connections`, and a parameter annotated with a Storage SDK
type is marked to receive a reference (ModelBindingData) rather than content.  A
binding that cannot work (no path, an unknown setting, a bad name) is a load problem
of its function, printed at start.

At run time :meth:`StoragePlan.fetch_inputs` renders every input path first (an unsafe
value stops the invocation before any download), then downloads each blob into one
buffer; :meth:`StoragePlan.write_outputs` runs only after the function succeeded and
writes each output that was set.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..datum import Datum
from ..errors import EncodeError
from ..storage.clients import StorageClients
from ..storage.connections import StorageConnection
from ..storage.references import blob_reference, queue_reference
from . import storage_io, tables
from .binding_config import (
    StorageConfigError,
    binding_connection,
    binding_template,
)
from .expressions import BindingData, BindingExpressionError, PathTemplate

if TYPE_CHECKING:
    from ..function import FunctionPlan
    from ..invoke import InvocationResult

__all__ = [
    "BlobInput",
    "BlobOutput",
    "QueueInput",
    "QueueOutput",
    "StorageConfigError",
    "StoragePlan",
    "Targets",
    "binding_connection",
    "binding_template",
    "compile_storage",
    "split_blob_path",
]

RETURN = "$return"
_COMPACT = (",", ":")
# Binding types this host serves itself; others (cosmosDB, eventHub, ...) cannot run here.
HOST_TYPES = frozenset({"httpTrigger", "http", "queueTrigger", "blobTrigger", "timerTrigger"})


@dataclass(frozen=True)
class BlobInput:
    name: str
    template: PathTemplate
    setting: str
    connection: StorageConnection
    as_string: bool = False
    reference: bool = False  # an SDK-typed parameter: send ModelBindingData


@dataclass(frozen=True)
class QueueInput:
    """A ``queue`` input: only a QueueClient (a reference) can be bound to it."""

    name: str
    template: PathTemplate
    setting: str


@dataclass(frozen=True)
class BlobOutput:
    name: str
    template: PathTemplate
    setting: str
    connection: StorageConnection


@dataclass(frozen=True)
class QueueOutput:
    name: str
    template: PathTemplate
    setting: str
    connection: StorageConnection


Input = BlobInput | QueueInput | tables.TableInput
Output = BlobOutput | QueueOutput | tables.TableOutput


@dataclass(frozen=True)
class StoragePlan:
    """The storage bindings of one function, ready to run."""

    function_name: str
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    message_encoding: str = "base64"

    @property
    def needs_binding_data(self) -> bool:
        return any(
            not template.is_static
            for binding in (*self.inputs, *self.outputs)
            for template in _templates(binding)
        )

    def resolve(self, data: BindingData | None) -> Targets:
        """Every binding's path or queue name for one invocation, checked.

        Done before anything is read or called, as the host binds every parameter
        first: an unsafe or missing value stops the invocation before it starts.
        """
        return Targets(
            tuple((binding, _render(binding, data)) for binding in self.inputs),
            tuple((binding, _render(binding, data)) for binding in self.outputs),
        )

    async def fetch_inputs(self, clients: StorageClients, targets: Targets) -> dict[str, Datum]:
        """The Datum of every input binding: blob content, None for a missing blob, or a
        reference for SDK-typed parameters."""
        fetched: dict[str, Datum] = {}
        for binding, target in targets.inputs:
            if isinstance(binding, tables.TableInput):
                fetched[binding.name] = await binding.fetch(clients, target)
                continue
            if isinstance(binding, QueueInput):
                queue = _queue_name(target, binding.name)
                fetched[binding.name] = queue_reference(binding.setting, queue)
                continue
            container, blob = split_blob_path(target, binding.name)
            if binding.reference:
                fetched[binding.name] = blob_reference(binding.setting, container, blob)
                continue
            fetched[binding.name] = await _download(clients, binding, container, blob)
        return fetched

    async def write_outputs(
        self, clients: StorageClients, result: InvocationResult, targets: Targets
    ) -> None:
        """Write every output the function set; only call this after it succeeded."""
        for binding, target in targets.outputs:
            datum = (
                result.return_value if binding.name == RETURN else result.outputs.get(binding.name)
            )
            if datum is None or datum.type is None or datum.value is None:
                continue
            if isinstance(binding, tables.TableOutput):
                await binding.write(clients, target, datum, self.function_name)
            elif isinstance(binding, BlobOutput):
                await _write_blob(clients, binding, target, datum)
            else:
                await _send_messages(clients, binding, target, datum, self.message_encoding)

    def queues_written(
        self, clients: StorageClients, result: InvocationResult, targets: Targets
    ) -> list[tuple[str, str]]:
        """The (account endpoint, queue) pairs :meth:`write_outputs` sent messages to."""
        written = []
        for binding, target in targets.outputs:
            if not isinstance(binding, QueueOutput):
                continue
            datum = (
                result.return_value if binding.name == RETURN else result.outputs.get(binding.name)
            )
            if datum is None or datum.type is None or datum.value is None:
                continue
            endpoint = storage_io.endpoint_of(clients, binding.connection)
            written.append((endpoint, _queue_name(target, binding.name)))
        return written


@dataclass(frozen=True)
class Targets:
    """The rendered paths and queue names of one invocation."""

    inputs: tuple[tuple[Input, Any], ...]  # a path or name; a TableQuery for tables
    outputs: tuple[tuple[Output, Any], ...]


def _templates(binding: Input | Output) -> tuple[PathTemplate, ...]:
    if isinstance(binding, tables.TableInput | tables.TableOutput):
        return binding.templates.all
    return (binding.template,)


def _render(binding: Input | Output, data: BindingData | None) -> Any:
    if isinstance(binding, tables.TableInput | tables.TableOutput):
        return binding.render(data)
    try:
        return binding.template.render(data)
    except BindingExpressionError as exc:
        raise exc.at(binding=binding.name) from None


def split_blob_path(path: str, binding: str) -> tuple[str, str]:
    """``container/blob`` checked: a valid container name and a blob name without
    empty, ``.`` or ``..`` segments."""
    container, _, blob = path.partition("/")
    if not storage_io.valid_container_name(container):
        raise StorageConfigError(
            f"binding {binding!r}: expected a container name of 3-63 lowercase letters, "
            f"digits and dashes at the start of the path, got {container!r} (path {path!r})"
        )
    if not blob or any(part in (".", "..") for part in blob.split("/")):
        raise StorageConfigError(
            f"binding {binding!r}: expected a blob path 'container/name' without '.' or '..' "
            f"segments, got {path!r}"
        )
    return container, blob


def _queue_name(text: str, binding: str) -> str:
    name = text.lower()
    if not storage_io.valid_queue_name(name):
        raise StorageConfigError(
            f"binding {binding!r}: expected a queue name of 3-63 lowercase letters, digits "
            f"and single dashes, got {text!r}"
        )
    return name


async def _download(
    clients: StorageClients, binding: BlobInput, container: str, blob: str
) -> Datum:
    connection = binding.connection
    client = clients.blob_client(connection, container, blob, asynchronous=True)
    endpoint = storage_io.endpoint_of(clients, connection)
    found = await storage_io.guarded(
        lambda: storage_io.download_into_buffer(client),
        f"reading blob {container}/{blob} for binding {binding.name!r}",
        connection,
        endpoint,
    )
    if found is None:
        return Datum(None, None)  # a missing blob: None for an Optional parameter
    buffer, _ = found
    if binding.as_string:
        try:
            return Datum(buffer.decode("utf-8"), "string")
        except UnicodeDecodeError as exc:
            raise StorageConfigError(
                f"binding {binding.name!r} (dataType string): blob {container}/{blob} is not "
                f"UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from exc
    return Datum(buffer, "bytes")  # the download buffer itself: no copy on the way in


async def _write_blob(
    clients: StorageClients, binding: BlobOutput, target: str, datum: Any
) -> None:
    container, blob = split_blob_path(target, binding.name)
    connection = binding.connection
    value = datum.value
    if datum.type not in ("bytes", "string"):
        value = _as_text(datum)
    client = clients.blob_client(connection, container, blob, asynchronous=True)
    container_client = clients.container_client(connection, container, asynchronous=True)
    await storage_io.guarded(
        lambda: storage_io.upload_blob(client, container_client, value),
        f"writing blob {container}/{blob} for output {binding.name!r}",
        connection,
        storage_io.endpoint_of(clients, connection),
    )


def _as_text(datum: Any) -> str:
    import json

    value = datum.value
    if datum.type == "json" and isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value)


def queue_messages(datum: Any) -> list[str | bytes | bytearray | memoryview]:
    """The messages one output value stands for: a JSON array is one message per item.

    As the host reads an output value (``FunctionBinding.ReadAsEnumerable``), an array
    is an array whether the worker sent it typed ``json`` or as a string whose text,
    trimmed, starts with ``[`` and ends with ``]``.  ValueError when such a text is not
    JSON (the host's parse fails the invocation as well).
    """
    import json

    kind, value = datum.type, datum.value
    if kind == "bytes":
        return [value]
    if kind == "json":
        parsed = json.loads(value) if isinstance(value, str | bytes | bytearray) else value
    elif kind == "string":
        if not _reads_as_json_array(value):
            return [value]
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise ValueError(
                "a string that starts with '[' and ends with ']' is a JSON array of "
                f"messages to the host, and this one is not JSON ({exc}); set bytes to "
                "send it as one message"
            ) from None
    else:
        return [_as_text(datum)]
    items = parsed if isinstance(parsed, list) else [parsed]
    # The host re-serialises each JSON item compactly (Newtonsoft's defaults), so a
    # func.QueueMessage is stored as its {"id","body"} object, as the host stores it.
    return [
        item if isinstance(item, str) else json.dumps(item, separators=_COMPACT, ensure_ascii=False)
        for item in items
    ]


def _reads_as_json_array(text: str) -> bool:
    """The array half of the host's test for a string it parses (``Utility.IsJson``)."""
    stripped = text.strip()
    return stripped[:1] == "[" and stripped[-1:] == "]"


async def _send_messages(
    clients: StorageClients, binding: QueueOutput, target: str, datum: Any, encoding: str
) -> None:
    queue = _queue_name(target, binding.name)
    connection = binding.connection
    try:
        messages = queue_messages(datum)
    except ValueError as exc:
        raise EncodeError(f"binding {binding.name!r} (queue): {exc}") from None
    texts = [storage_io.encode_message(m, encoding) for m in messages]
    client = clients.queue_client(connection, queue, asynchronous=True)

    async def send_all() -> None:
        for index, text in enumerate(texts):
            try:
                await client.send_message(text, **storage_io.CALL_OPTIONS)
            except Exception as exc:
                if index or not storage_io.is_not_found(exc, "QueueNotFound"):
                    raise
                await create_queue(client)
                await client.send_message(text, **storage_io.CALL_OPTIONS)

    await storage_io.guarded(
        send_all,
        f"sending {len(texts)} message(s) to queue {queue!r} for output {binding.name!r}",
        connection,
        storage_io.endpoint_of(clients, connection),
    )


async def create_queue(client: Any) -> None:
    """Create a queue, ignoring a concurrent creation."""
    from azure.core.exceptions import ResourceExistsError

    with contextlib.suppress(ResourceExistsError):
        await client.create_queue(**storage_io.CALL_OPTIONS)


# -- compiling --------------------------------------------------------------------------


def compile_storage(
    plan: FunctionPlan, settings: Mapping[str, str], message_encoding: str = "base64"
) -> StoragePlan | None:
    """The storage plan of a function (None when it has no storage binding).

    Raises StorageConfigError when a binding cannot work here, naming it.
    """
    from ..deferred import deferred_bindings

    deferred = deferred_bindings(plan)
    inputs: list[Input] = []
    outputs: list[Output] = []
    for binding in plan.bindings:
        if binding is plan.trigger or binding.name == plan.trigger.name:
            continue
        kind = binding.type
        if kind in HOST_TYPES:
            continue
        if kind == "table":
            table = tables.compile_table(binding, settings, binding.name in deferred)
            if isinstance(table, tables.TableInput):
                inputs.append(table)
            else:
                outputs.append(table)
        elif kind == "blob" and binding.direction == "in":
            template = binding_template(binding, "path", settings, "blob path 'container/name'")
            _check_static_path(template, binding.name)
            setting, connection = binding_connection(binding, "blob", settings)
            inputs.append(
                BlobInput(
                    binding.name,
                    template,
                    setting,
                    connection,
                    as_string=binding.data_type == "string",
                    reference=binding.name in deferred,
                )
            )
        elif kind == "blob":
            template = binding_template(binding, "path", settings, "blob path 'container/name'")
            _check_static_path(template, binding.name)
            setting, connection = binding_connection(binding, "blob", settings)
            outputs.append(BlobOutput(binding.name, template, setting, connection))
        elif kind == "queue" and binding.direction == "out":
            template = binding_template(binding, "queueName", settings, "queue name")
            _check_static_queue(template, binding.name)
            setting, connection = binding_connection(binding, "queue", settings)
            outputs.append(QueueOutput(binding.name, template, setting, connection))
        elif kind == "queue":
            if binding.name not in deferred:
                raise StorageConfigError(
                    f"binding {binding.name!r} (queue): a queue input gives a QueueClient "
                    "only; annotate the parameter azure.storage.queue.QueueClient"
                )
            template = binding_template(binding, "queueName", settings, "queue name")
            _check_static_queue(template, binding.name)
            setting, _ = binding_connection(binding, "queue", settings)
            inputs.append(QueueInput(binding.name, template, setting))
        else:
            raise StorageConfigError(
                f"binding {binding.name!r} ({kind}) is not served by funcbind run, which "
                "binds HTTP, blobs, queues, tables and timers"
            )
    if not inputs and not outputs:
        return None
    return StoragePlan(plan.name, tuple(inputs), tuple(outputs), message_encoding)


def _check_static_queue(template: PathTemplate, binding: str) -> None:
    if template.is_static:
        _queue_name(template.text, binding)


def _check_static_path(template: PathTemplate, binding: str) -> None:
    if template.is_static:
        split_blob_path(template.text, binding)
