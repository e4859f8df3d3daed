"""``warmupTrigger``: the call a scaled-out instance gets before it takes traffic.

The payload carries nothing a function can use; the function receives an
``azure.functions.WarmUpContext``, whatever was sent.  The trigger has no output.
"""

from __future__ import annotations

from typing import Any

from azure.functions.warmup import WarmUpContext

from .._typing import TypeSpec
from ..datum import DatumLike
from ..registry import BindingSpec, Decoder, Registry
from ._common import Metadata

__all__ = ["WarmupTriggerConverter", "register"]

TRIGGER = "warmupTrigger"


def register(registry: Registry) -> None:
    registry.register(TRIGGER, converter=WarmupTriggerConverter(), trigger=True)


def decode_warmup(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
    """A new WarmUpContext; the payload is not read (the host sends nothing of use)."""
    return WarmUpContext()


class WarmupTriggerConverter:
    """``warmupTrigger``: an ``azure.functions.WarmUpContext``."""

    directions = frozenset({"in"})
    model = WarmUpContext  # what decode() without an annotation gives (worker facade)
    accepted_inputs = "azure.functions.WarmUpContext"

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        if spec.kind == "any" or spec.satisfied_by(WarmUpContext):
            return decode_warmup
        return None
