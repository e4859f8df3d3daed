"""``table`` bindings on Azure Tables (Azurite's table service locally), for the host.

An input reads one entity (``partitionKey`` and ``rowKey``) or a query (``filter``,
``take``, optionally ``partitionKey``) and hands the function what the Tables extension
hands a Python function: the entity as a JSON object, or the query's entities as a JSON
array, each with ``odata.etag``, ``PartitionKey``, ``RowKey`` and ``Timestamp`` before
its own properties.  A missing entity is ``None``; a missing table gives ``None`` or ``[]``.

An output takes an entity (a JSON object) or a list of them and writes them in one
transaction per partition (100 at most), creating the table on first use: an entity is
inserted, or replaced when its ``odata.etag`` is ``"*"``, or replaced only at that
version for another ETag.  The entity's ``PartitionKey`` / ``RowKey`` (any case) win
over the binding's ``partitionKey`` / ``rowKey``; with neither it is an error naming the
function, output, entity and key, and nothing is written.

Every property of the binding may hold ``{expressions}``.  A filter formats them as the
extension does: a filter that is one expression is used as it is, a value in single
quotes has its quotes doubled, and any other value must be a number or a boolean.
"""

from __future__ import annotations

import base64
import contextlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..datum import Datum
from ..storage.clients import StorageClients
from ..storage.connections import StorageConnection
from ..storage.references import table_reference
from . import storage_io
from .binding_config import (
    StorageConfigError,
    binding_connection,
    binding_property,
    binding_template,
)
from .expressions import BindingData, BindingExpressionError, PathTemplate, TemplateError

if TYPE_CHECKING:
    from ..registry import BindingSpec

__all__ = [
    "TableInput",
    "TableOutput",
    "TableQuery",
    "compile_table",
    "entity_json",
]

_MAX_TAKE = 1000
_BATCH = 100  # entities in one transaction, the service's limit
_ETAG = "odata.etag"


@dataclass(frozen=True)
class TableQuery:
    """One invocation's rendered table binding."""

    table: str
    partition_key: str | None
    row_key: str | None
    filter: str | None
    take: int | None


@dataclass(frozen=True)
class _Templates:
    table: PathTemplate
    partition_key: PathTemplate | None
    row_key: PathTemplate | None
    filter: PathTemplate | None
    take: PathTemplate | None

    @property
    def all(self) -> tuple[PathTemplate, ...]:
        found = (self.table, self.partition_key, self.row_key, self.filter, self.take)
        return tuple(t for t in found if t is not None)

    def render(self, data: BindingData | None, binding: str) -> TableQuery:
        try:
            table = self.table.render(data)
            partition_key = None if self.partition_key is None else self.partition_key.render(data)
            row_key = None if self.row_key is None else self.row_key.render(data)
            query = None if self.filter is None else self.filter.render(data, _odata(self.filter))
            take = None if self.take is None else self.take.render(data)
        except BindingExpressionError as exc:
            raise exc.at(binding=binding) from None
        return TableQuery(
            _table_name(table, binding), partition_key, row_key, query, _take(take, binding)
        )


@dataclass(frozen=True)
class TableInput:
    name: str
    templates: _Templates
    setting: str
    connection: StorageConnection
    reference: bool = False  # a TableClient parameter: send a reference to the table

    @property
    def template(self) -> PathTemplate:
        return self.templates.table

    def render(self, data: BindingData | None) -> TableQuery:
        return self.templates.render(data, self.name)

    async def fetch(self, clients: StorageClients, query: TableQuery) -> Datum:
        """The entity (a JSON object), the entities (a JSON array) or None."""
        client = clients.table_client(self.connection, query.table, asynchronous=True)
        endpoint = storage_io.endpoint_of(clients, self.connection)
        if self.reference:
            # As the Tables extension does for a TableClient: the table exists first.
            doing = f"creating table {query.table!r} for binding {self.name!r}"
            await storage_io.guarded(lambda: _create_table(client), doing, *_at(self, endpoint))
            return table_reference(self.setting, query.table)
        if query.partition_key is not None and query.row_key is not None:
            doing = (
                f"reading entity ({query.partition_key!r}, {query.row_key!r}) of table "
                f"{query.table!r} for binding {self.name!r}"
            )
            entity = await storage_io.guarded(
                lambda: _get(client, query), doing, *_at(self, endpoint)
            )
            return Datum(None, None) if entity is None else Datum(json.dumps(entity), "json")
        text = _combined_filter(query)
        doing = f"querying table {query.table!r} for binding {self.name!r}" + (
            f" with filter {text!r}" if text else ""
        )
        rows = await storage_io.guarded(
            lambda: _query(client, text, query.take), doing, *_at(self, endpoint)
        )
        return Datum(json.dumps(rows), "json")


@dataclass(frozen=True)
class TableOutput:
    name: str
    templates: _Templates
    setting: str
    connection: StorageConnection

    @property
    def template(self) -> PathTemplate:
        return self.templates.table

    def render(self, data: BindingData | None) -> TableQuery:
        return self.templates.render(data, self.name)

    async def write(
        self, clients: StorageClients, query: TableQuery, datum: Any, function: str
    ) -> None:
        """Upsert every entity the output holds; all are checked before the first write."""
        entities = _entities(datum, query, f"function {function!r}, output {self.name!r}")
        client = clients.table_client(self.connection, query.table, asynchronous=True)

        async def write_all() -> None:
            for batch in _transactions(entities):
                try:
                    await client.submit_transaction(batch, **storage_io.CALL_OPTIONS)
                except Exception as exc:
                    if getattr(exc, "status_code", None) != 404:
                        raise
                    await _create_table(client)
                    await client.submit_transaction(batch, **storage_io.CALL_OPTIONS)

        await storage_io.guarded(
            write_all,
            f"writing {len(entities)} entit{'y' if len(entities) == 1 else 'ies'} to table "
            f"{query.table!r} for output {self.name!r}",
            *_at(self, storage_io.endpoint_of(clients, self.connection)),
        )


def _transactions(actions: list[tuple[str, Any, dict[str, Any]]]) -> list[list[Any]]:
    """The actions grouped by partition into transactions of at most 100, in order; a
    row key seen again in its partition starts a new transaction (as the extension
    flushes then), so that the later write wins."""
    done: list[list[Any]] = []
    open_batches: dict[str, list[Any]] = {}
    for action in actions:
        entity = action[1]
        partition = open_batches.setdefault(entity["PartitionKey"], [])
        if len(partition) >= _BATCH or any(a[1]["RowKey"] == entity["RowKey"] for a in partition):
            done.append(partition)
            partition = open_batches[entity["PartitionKey"]] = []
        partition.append(action)
    return done + [batch for batch in open_batches.values() if batch]


def _at(binding: TableInput | TableOutput, endpoint: str) -> tuple[StorageConnection, str]:
    return binding.connection, endpoint


async def _create_table(client: Any) -> None:
    from azure.core.exceptions import ResourceExistsError

    with contextlib.suppress(ResourceExistsError):  # created meanwhile by another call
        await client.create_table(**storage_io.CALL_OPTIONS)


async def _get(client: Any, query: TableQuery) -> dict[str, Any] | None:
    try:
        entity = await client.get_entity(
            query.partition_key, query.row_key, **storage_io.CALL_OPTIONS
        )
    except Exception as exc:
        if storage_io.is_not_found(exc):
            return None  # no such entity, or no such table
        raise
    return entity_json(entity)


async def _query(client: Any, text: str | None, take: int | None) -> list[dict[str, Any]]:
    limit = take if take is not None else None
    rows: list[dict[str, Any]] = []
    page_size = min(limit, _MAX_TAKE) if limit else None
    try:
        if text:
            pages = client.query_entities(
                text, results_per_page=page_size, **storage_io.CALL_OPTIONS
            )
        else:
            pages = client.list_entities(results_per_page=page_size, **storage_io.CALL_OPTIONS)
        async for entity in pages:
            rows.append(entity_json(entity))
            if limit is not None and len(rows) >= limit:
                break
    except Exception as exc:
        if storage_io.is_not_found(exc, "TableNotFound"):
            return []
        raise
    return rows


def _combined_filter(query: TableQuery) -> str | None:
    parts = []
    if query.partition_key is not None:
        parts.append(f"PartitionKey eq '{_quoted(query.partition_key)}'")
    if query.row_key is not None:
        parts.append(f"RowKey eq '{_quoted(query.row_key)}'")
    if query.filter:
        parts.append(f"({query.filter})" if parts else query.filter)
    return " and ".join(parts) or None


def _quoted(value: str) -> str:
    return value.replace("'", "''")


def _odata(template: PathTemplate) -> Callable[[str, str], str] | None:
    """How expression values go into a filter, as the Tables extension formats them: a
    filter that is one expression as it is; a value between single quotes everywhere it
    appears with its quotes doubled; any other value only when it is a number or a
    boolean."""
    expressions = [part.text for part in template.parts if not isinstance(part, str)]
    if len(expressions) == 1 and template.text == "{" + expressions[0] + "}":
        return None
    folded = template.text.casefold()
    literal = {
        name
        for name in expressions
        if folded.count(f"'{{{name.casefold()}}}'") == folded.count(f"{{{name.casefold()}}}")
    }

    def format_value(value: str, expression: str) -> str:
        if expression in literal:
            return _quoted(value)
        if _is_number_or_boolean(value):
            return value
        raise BindingExpressionError(
            f"filter parameter {{{expression}}}: expected a number or true/false (a value "
            f"outside single quotes), got {value[:80]!r}; write '{{{expression}}}' for text"
        )

    return format_value


def _is_number_or_boolean(value: str) -> bool:
    if value.strip().casefold() in ("true", "false"):
        return True
    try:
        float(value)
    except ValueError:
        return False
    return True


# -- entities ------------------------------------------------------------------------


def entity_json(entity: Any) -> dict[str, Any]:
    """An SDK entity as the host gives it to a Python function: a JSON object with
    ``odata.etag``, ``PartitionKey``, ``RowKey`` and ``Timestamp`` before the entity's
    own properties (dates as ISO 8601 with an offset, binary as base64)."""
    metadata = getattr(entity, "metadata", None) or {}
    result: dict[str, Any] = {}
    if metadata.get("etag") is not None:
        result[_ETAG] = metadata["etag"]
    for key in ("PartitionKey", "RowKey"):
        if key in entity:
            result[key] = entity[key]
    if metadata.get("timestamp") is not None:
        result["Timestamp"] = _plain(metadata["timestamp"])
    for key, value in entity.items():
        if key not in result:
            result[key] = _plain(value)
    return result


def _plain(value: Any) -> Any:
    inner = getattr(value, "value", value) if type(value).__name__ == "EntityProperty" else value
    if isinstance(inner, datetime | date):
        return inner.isoformat()
    if isinstance(inner, bytes | bytearray):
        return base64.b64encode(bytes(inner)).decode("ascii")
    if isinstance(inner, uuid.UUID):
        return str(inner)
    return inner


def _entities(datum: Any, query: TableQuery, where: str) -> list[tuple[str, Any, dict[str, Any]]]:
    value = datum.value
    if datum.type in ("json", "string", "bytes") and isinstance(value, str | bytes | bytearray):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise StorageConfigError(
                f"{where}: expected an entity (a JSON object) or a list of them, got text "
                f"that is not JSON ({exc})"
            ) from None
    items = value if isinstance(value, list) else [value]
    entities = []
    for index, item in enumerate(items):
        label = f"entity {index}" if isinstance(value, list) else "the entity"
        if not isinstance(item, Mapping):
            raise StorageConfigError(
                f"{where}: expected {label} to be a JSON object, got {type(item).__name__}"
            )
        entities.append(_entity(item, query, f"{where}, {label}"))
    return entities


def _entity(
    item: Mapping[str, Any], query: TableQuery, where: str
) -> tuple[str, Any, dict[str, Any]]:
    """The transaction action of one output entity: insert, or with ``odata.etag``
    ``"*"`` upsert (replace), or with another ETag replace that version only."""
    keys = {"partitionkey": query.partition_key, "rowkey": query.row_key}
    entity: dict[str, Any] = {}
    etag = None
    for key, value in item.items():
        folded = key.casefold()
        if folded in keys:  # the entity's keys win over the binding's
            if not isinstance(value, str):
                raise StorageConfigError(
                    f"{where}: expected {key!r} to be a string, got {type(value).__name__}"
                )
            keys[folded] = value
        elif key == _ETAG:
            etag = value
        elif key == "Timestamp" or value is None:
            continue  # the service sets Timestamp
        elif isinstance(value, Mapping | list):
            shape = "object" if isinstance(value, Mapping) else "array"
            raise StorageConfigError(
                f"{where}: property {key!r} is a JSON {shape}; "
                "expected a string, number or boolean (serialise it to a string first)"
            )
        else:
            entity[key] = value
    for folded, key, binding_key in (
        ("partitionkey", "PartitionKey", "partitionKey"),
        ("rowkey", "RowKey", "rowKey"),
    ):
        value = keys[folded]
        if value is None:
            raise StorageConfigError(
                f"{where}: expected a {key!r} property (or the binding's {binding_key!r}), "
                "got neither"
            )
        entity[key] = value
    if etag is None:
        return "create", entity, {}
    if etag == "*":
        return "upsert", entity, {"mode": "replace"}
    from azure.core import MatchConditions

    options = {"mode": "replace", "etag": etag, "match_condition": MatchConditions.IfNotModified}
    return "update", entity, options


# -- compiling -----------------------------------------------------------------------


def _table_name(text: str, binding: str) -> str:
    if not (3 <= len(text) <= 63 and text[:1].isalpha() and text.isalnum() and text.isascii()):
        raise StorageConfigError(
            f"binding {binding!r} (table): expected a table name of 3-63 letters and digits "
            f"starting with a letter, got {text!r}"
        )
    return text


def _take(text: str | None, binding: str) -> int | None:
    if text is None:
        return None
    try:
        take = int(text)
    except ValueError:
        take = 0
    if take <= 0:
        raise StorageConfigError(
            f"binding {binding!r} (table): expected 'take' to be a positive whole number, "
            f"got {text!r}"
        )
    return take


def _optional(binding: BindingSpec, key: str, settings: Mapping[str, str]) -> PathTemplate | None:
    raw = binding_property(binding, key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return PathTemplate(str(raw), f"binding {binding.name!r} (table)")  # take=2 (v2 apps)
    if not isinstance(raw, str):
        raise StorageConfigError(
            f"binding {binding.name!r} (table): expected {key!r} to be text, got {raw!r}"
        )
    return binding_template(binding, key, settings, key)


def compile_table(
    binding: BindingSpec, settings: Mapping[str, str], reference: bool = False
) -> TableInput | TableOutput:
    """A ``table`` binding compiled; StorageConfigError naming it when it cannot work."""
    try:
        templates = _Templates(
            binding_template(binding, "tableName", settings, "table name"),
            _optional(binding, "partitionKey", settings),
            _optional(binding, "rowKey", settings),
            _optional(binding, "filter", settings),
            _optional(binding, "take", settings),
        )
    except TemplateError as exc:
        raise StorageConfigError(exc.message) from None
    if templates.table.is_static:
        _table_name(templates.table.text, binding.name)
    if templates.take is not None and templates.take.is_static:
        _take(templates.take.text, binding.name)
    setting, connection = binding_connection(binding, "table", settings)
    if binding.direction == "out":
        return TableOutput(binding.name, templates, setting, connection)
    if templates.row_key is not None and templates.partition_key is None:
        raise StorageConfigError(
            f"binding {binding.name!r} (table): 'rowKey' needs 'partitionKey' as well"
        )
    return TableInput(binding.name, templates, setting, connection, reference)
