"""Deferred bindings: which inputs of a function want a reference instead of content.

A parameter annotated with a Storage SDK type (``BlobClient``, ``ContainerClient``,
``StorageStreamDownloader``, ``QueueClient``, their aio twins, lists of them) wants the
host to send ``model_binding_data``, a reference, rather than download the blob.  The
host does so for bindings whose raw JSON carries ``"properties":
{"SupportsDeferredBinding": true}``.  A worker passes :func:`raw_bindings` on in its
function metadata; funcbind's local host asks :func:`deferred_bindings` the same
question to decide what to send.

The decision is the compiled decoder's own: a decoder with a true
``supports_deferred_binding`` attribute decodes references (plugins can opt in the same
way; the attributes are listed in :mod:`funcbind.converter`), so the answer always
matches what an invocation will do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .converter import decoder_attribute
from .function import FunctionPlan, ParamPlan
from .registry import BindingSpec

__all__ = [
    "SUPPORTS_DEFERRED_BINDING",
    "DeferredBinding",
    "deferred_bindings",
    "raw_binding_json",
    "raw_bindings",
]

SUPPORTS_DEFERRED_BINDING = "SupportsDeferredBinding"


@dataclass(frozen=True)
class DeferredBinding:
    """An input binding whose parameter takes a reference (``model_binding_data``).

    ``source`` is the ModelBindingData source to send (``AzureStorageBlobs``,
    ``AzureStorageQueues``); ``collection`` says the parameter is a list, so the host
    sends ``collection_model_binding_data``; ``asynchronous`` that it is an aio client.
    ``is_trigger`` is the function plan's own answer (a plugin trigger's type need not
    end in "Trigger").
    """

    binding: BindingSpec
    parameter: str
    source: str | None
    collection: bool
    asynchronous: bool
    is_trigger: bool

    @property
    def name(self) -> str:
        return self.binding.name


def deferred_bindings(plan: FunctionPlan) -> dict[str, DeferredBinding]:
    """The input bindings of ``plan`` to send as references, by binding name."""
    found = {}
    for param in plan.input_params:
        deferred = _deferred(param)
        if deferred is not None:
            found[deferred.name] = deferred
    return found


def _deferred(param: ParamPlan) -> DeferredBinding | None:
    decoder = param.decoder
    binding = param.binding
    if binding is None or decoder is None or binding.direction != "in":
        return None
    if decoder_attribute(decoder, "supports_deferred_binding") is not True:
        return None
    return DeferredBinding(
        binding=binding,
        parameter=param.name,
        source=decoder_attribute(decoder, "source"),
        collection=bool(decoder_attribute(decoder, "collection")),
        asynchronous=bool(decoder_attribute(decoder, "asynchronous")),
        is_trigger=param.is_trigger,
    )


def raw_bindings(plan: FunctionPlan) -> list[dict[str, Any]]:
    """Each binding of ``plan`` as function.json spells it, marked for the host.

    Every binding gets ``properties.SupportsDeferredBinding``: true for the deferred
    inputs, false for the others (as the stock worker sends it).  Other keys already
    under ``properties`` are kept.
    """
    deferred = deferred_bindings(plan)
    return [_raw(binding, binding.name in deferred) for binding in plan.bindings]


def raw_binding_json(plan: FunctionPlan) -> list[str]:
    """:func:`raw_bindings` as the JSON strings of ``RpcFunctionMetadata.raw_bindings``."""
    return [json.dumps(raw, separators=(",", ":")) for raw in raw_bindings(plan)]


def _raw(binding: BindingSpec, deferred: bool) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": binding.name,
        "type": binding.type,
        "direction": binding.direction,
    }
    if binding.data_type is not None:
        raw["dataType"] = binding.data_type
    raw.update(binding.properties)
    existing = raw.get("properties")
    properties = dict(existing) if isinstance(existing, Mapping) else {}
    properties[SUPPORTS_DEFERRED_BINDING] = deferred
    raw["properties"] = properties
    return raw
