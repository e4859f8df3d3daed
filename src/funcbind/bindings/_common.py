"""What every binding family shares: the metadata type, a memo sentinel, binding labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..datum import DatumLike
from ..registry import BindingSpec

__all__ = ["UNSET", "Metadata", "binding_label"]

# What a Decoder receives as trigger metadata: a mapping for a trigger, else None.
Metadata = Mapping[str, DatumLike] | None


class _Unset:
    """Marks a memo slot that has not been computed yet (None is a real value)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"


UNSET: Any = _Unset()


def binding_label(binding: BindingSpec) -> str:
    """How messages name a binding: "binding 'blob' ('photo')", its name when it has one."""
    return f"binding {binding.type!r}" + (f" ({binding.name!r})" if binding.name else "")
