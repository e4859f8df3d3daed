"""Triggers that hand a function the payload as sent and send its result back as text.

The MCP triggers (``mcpToolTrigger``, ``mcpResourceTrigger``, ``mcpPromptTrigger``) and
``connectorTrigger`` share this wire behaviour with azure.functions: the payload is
not parsed (``json`` arrives as its JSON text), and the function's return value, which
the trigger takes without a ``$return`` binding, goes back as ``string``: None as
``""``, bytes as ``bytes``, anything else as ``str(value)`` (a memoryview as its
bytes, where azure.functions sends its repr).
"""

from __future__ import annotations

from typing import Any

from .._typing import TypeSpec
from ..datum import Datum, DatumLike
from ._common import Metadata

__all__ = ["accepts", "decode_payload", "encode_text_result"]

_RAW_TYPES = frozenset({"json", "string", "bytes"})


def accepts(spec: TypeSpec, classes: tuple[type, ...]) -> bool:
    """Whether an input annotation is one azure.functions loads for such a trigger.

    No annotation, or a subclass of one of ``classes`` (Optional included); the value
    delivered is the same whatever the annotation says, as in azure.functions.
    """
    return spec.kind == "any" or spec.subclass_of(*classes)


def decode_payload(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
    """The payload untouched: text, JSON text or bytes; other kinds as plain Python."""
    if datum.type in _RAW_TYPES:
        return datum.value
    # The Datum's own reading when it has one (the workers' Datums do), so that a
    # collection or a null arrives exactly as azure.functions delivers it.
    try:
        return datum.python_value  # type: ignore[attr-defined]
    except AttributeError:
        return datum.value


def encode_text_result(value: Any) -> Datum:
    """A return value as the ``string`` (or ``bytes``) the host reads."""
    if value is None:
        return Datum("", "string")
    if isinstance(value, str):
        return Datum(value, "string")
    if isinstance(value, bytes | bytearray | memoryview):
        return Datum(bytes(value), "bytes")
    return Datum(str(value), "string")
