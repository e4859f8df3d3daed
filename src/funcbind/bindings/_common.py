"""What every binding family shares: the metadata type, memo helpers, binding labels."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, overload

from ..datum import DatumLike
from ..errors import DecodeError, FuncbindError, UnsupportedDatumError
from ..registry import BindingSpec

__all__ = ["UNSET", "Metadata", "binding_label", "memo_slot", "not_utf8", "wrong_wire_kind"]

# What a Decoder receives as trigger metadata: a mapping for a trigger, else None.
Metadata = Mapping[str, DatumLike] | None


class _Unset:
    """Marks a memo slot that has not been computed yet (None is a real value)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"

    def __reduce__(self) -> str:
        # The one UNSET by name: a pickled or deep-copied model must find its empty
        # memo slots still ``is UNSET``, not a copy of it that reads as a value.
        return "UNSET"


UNSET: Any = _Unset()


def binding_label(binding: BindingSpec) -> str:
    """How messages name a binding: "binding 'blob' ('photo')", its name when it has one."""
    return f"binding {binding.type!r}" + (f" ({binding.name!r})" if binding.name else "")


def wrong_wire_kind(where: str, expected: str, kind: str | None) -> UnsupportedDatumError:
    """The error for a Datum whose wire type the binding cannot read (also a
    NotImplementedError, as the workers expect of a converter)."""
    return UnsupportedDatumError(f"{where}: expected {expected}, got wire type {kind!r}")


def not_utf8(
    exc: UnicodeDecodeError,
    where: str,
    expected: str,
    error: type[FuncbindError] = DecodeError,
) -> FuncbindError:
    """The error for bytes that had to be UTF-8 and are not, saying where they fail."""
    return error(
        f"{where}: expected {expected}, got bytes that are not UTF-8 "
        f"({exc.reason} at byte {exc.start})"
    )


_T = TypeVar("_T")


class memo_slot(Generic[_T]):
    """A read-only property computed on first access and kept in the slot ``_<name>``.

    Lazy models declare ``__slots__`` for their memo fields.  "Not computed yet" is a
    slot holding :data:`UNSET`, or an empty slot.  A model read field by field should
    fill its slots with UNSET in its constructor: an empty slot answers with an
    AttributeError, and raising and catching one costs about ten times the read itself
    (a whole invocation through the worker reads each field once, so always this path).
    """

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self._compute = compute
        self.__doc__ = compute.__doc__
        self._name = compute.__name__
        self._slot: Any = None

    def __set_name__(self, owner: type, name: str) -> None:
        slot = owner.__dict__.get(f"_{name}")
        if slot is None:
            raise TypeError(f"{owner.__qualname__}.{name}: expected a slot named '_{name}'")
        self._slot = slot
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> memo_slot[_T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        slot = self._slot
        try:
            value = slot.__get__(obj, owner)
        except AttributeError:  # a slot its constructor left empty
            value = UNSET
        if value is UNSET:
            value = self._compute(obj)
            slot.__set__(obj, value)
        return value

    def __set__(self, obj: object, value: object) -> None:
        # Read-only, as the azure.functions properties it stands in for.
        raise AttributeError(f"property {self._name!r} of {type(obj).__name__!r} has no setter")
