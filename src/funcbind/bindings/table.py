"""``table``: plain values (a JSON entity or array in, entities out), or a TableClient.

A ``table`` input parameter annotated ``azure.data.tables.TableClient`` (or its
``azure.data.tables.aio`` twin) receives a client for the table the host's reference
(``model_binding_data`` from :mod:`funcbind.storage.references`, source
``AzureStorageTables``) names, built from the shared client cache
(:func:`funcbind.storage.default_clients`).  Every other annotation is the generic
converter's: the entity or the query's entities as JSON, entities out as JSON.
The SDK is imported only when such an annotation is compiled.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from .._typing import TypeSpec
from ..datum import DatumLike
from ..errors import AnnotationError, DecodeError, UnsupportedDatumError, describe
from ..registry import BindingSpec, Decoder, Encoder, Registry
from ..storage.clients import default_clients
from ..storage.connections import ConnectionSettingError
from ..storage.references import TABLE_SOURCE, parse_table_reference
from ._common import Metadata, binding_label
from .generic import GenericConverter

__all__ = ["TableClientDecoder", "TableConverter", "register"]

_SDK_MODULE = "azure.data.tables"


def register(registry: Registry) -> None:
    registry.register("table", converter=TableConverter())


class TableConverter:
    """The generic converter, plus TableClient parameters on ``table`` inputs."""

    directions = frozenset({"in", "out"})
    accepted_inputs = (
        "azure.data.tables.TableClient (or .aio.TableClient), or "
        + GenericConverter.accepted_inputs
    )
    accepted_outputs = GenericConverter.accepted_outputs

    def __init__(self) -> None:
        self._generic = GenericConverter()

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        asynchronous = _table_client_kind(spec)
        if asynchronous is None:
            return self._generic.decoder(spec, binding)
        where = binding_label(binding)
        if binding.direction != "in":
            raise AnnotationError(f"{where}: a TableClient is given to a table input only")
        if asynchronous and importlib.util.find_spec("aiohttp") is None:
            raise AnnotationError(
                f"{where}: azure.data.tables.aio.TableClient needs aiohttp; install it or "
                "annotate azure.data.tables.TableClient"
            )
        return TableClientDecoder(where, asynchronous, spec.optional)

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        return self._generic.encoder(spec, binding)


def _table_client_kind(spec: TypeSpec) -> bool | None:
    """True for the aio TableClient, False for the sync one, None for anything else
    (without importing the SDK for other annotations)."""
    cls = spec.cls if spec.kind == "class" else None
    module = getattr(cls, "__module__", None)
    if not isinstance(module, str) or not module.startswith(_SDK_MODULE):
        return None
    if module.startswith(_SDK_MODULE + ".aio"):
        from azure.data.tables.aio import TableClient as AsyncTableClient

        return True if cls is AsyncTableClient else None
    from azure.data.tables import TableClient

    return False if cls is TableClient else None


class TableClientDecoder:
    """Builds a TableClient from the host's reference.

    ``supports_deferred_binding`` tells the function layer (and the host) that this
    binding takes a reference rather than the entities (:mod:`funcbind.deferred`).
    """

    supports_deferred_binding = True
    source = TABLE_SOURCE
    collection = False
    __slots__ = ("asynchronous", "optional", "where")

    def __init__(self, where: str, asynchronous: bool, optional: bool) -> None:
        self.where = where
        self.asynchronous = asynchronous
        self.optional = optional

    def __call__(self, datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
        if datum.value is None or datum.type is None:
            if self.optional:
                return None
            raise DecodeError(
                f"{self.where}: expected a reference (model_binding_data) for a TableClient, "
                "got nothing (null)"
            )
        if datum.type != "model_binding_data":
            raise UnsupportedDatumError(
                f"{self.where}: expected a reference (wire type model_binding_data) for a "
                f"TableClient, got wire type {datum.type!r} ({describe(datum.value)})"
            )
        reference = parse_table_reference(datum.value, self.where)
        clients = default_clients()
        try:
            connection = clients.connection(reference.connection, "table")
            return clients.table_client(connection, reference.table, asynchronous=self.asynchronous)
        except ConnectionSettingError as exc:
            raise DecodeError(f"{self.where}: {exc.message}") from exc
