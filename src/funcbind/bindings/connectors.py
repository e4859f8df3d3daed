"""``connectorTrigger``: events from Logic Apps connectors.

The payload passes through as sent (``json`` as its text); the return value, taken
without a ``$return`` binding, goes back as ``string``, a dict as its JSON
(see passthrough.py for the rest).
"""

from __future__ import annotations

import json
from typing import Any

from .._typing import TypeSpec
from ..datum import Datum
from ..errors import UnsupportedValueError, describe
from ..registry import BindingSpec, Decoder, Encoder, Registry
from .passthrough import accepts, decode_payload, encode_text_result

__all__ = ["ConnectorTriggerConverter", "encode_connector_result", "register"]

TRIGGER = "connectorTrigger"
_INPUTS = (str, dict, bytes)


def register(registry: Registry) -> None:
    registry.register(
        TRIGGER, converter=ConnectorTriggerConverter(), trigger=True, implicit_output=True
    )


def encode_connector_result(value: Any) -> Datum:
    """The function's result: a dict as its JSON text, the rest as passthrough.py says."""
    if isinstance(value, dict):
        try:
            return Datum(json.dumps(value), "string")
        except (TypeError, ValueError, RecursionError) as exc:
            raise UnsupportedValueError(
                f"binding {TRIGGER!r}: expected a JSON-serialisable dict, got "
                f"{describe(value)} ({exc})"
            ) from None
    return encode_text_result(value)


class ConnectorTriggerConverter:
    """``connectorTrigger``: the payload as sent in; the result as text out."""

    directions = frozenset({"in", "out"})
    accepted_inputs = "str, dict or bytes (the payload as sent, whatever the annotation)"

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        return decode_payload if accepts(spec, _INPUTS) else None

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        return encode_connector_result
