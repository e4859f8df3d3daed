"""The oracle for the ``generic`` binding: the language worker's own generic binding.

azure.functions has no ``generic`` converter; a worker uses its built-in one whenever
the registry has none for a binding type, and for parameters annotated exactly ``str``
or ``bytes``.  On Python 3.13 that binding ships in ``azure-functions-runtime``
(``azure_functions_runtime.bindings.generic.GenericBinding``); the older worker, which
runs 3.10-3.12, is not a package one can install.  :class:`DocumentedGenericBinding` is
our statement of its documented behaviour (written from the worker's source and
tests, not copied), used where the real one is not installed; where it is,
``test_conformance.py`` checks that both agree on the whole corpus.
"""

from __future__ import annotations

from typing import Any

from azure.functions import meta


class DocumentedGenericBinding:
    """What the workers' generic binding does, as a class with the worker protocol."""

    @classmethod
    def has_trigger_support(cls) -> bool:
        return False

    @classmethod
    def has_implicit_output(cls, bind_name: str | None = None) -> bool:
        # Every binding type the registry does not know takes the return value, except
        # Durable Functions' client.
        return bind_name != "durableClient"

    @classmethod
    def check_input_type_annotation(cls, pytype: Any) -> bool:
        return issubclass(pytype, (str, bytes))  # raises on generics, as the worker does

    @classmethod
    def check_output_type_annotation(cls, pytype: Any) -> bool:
        return issubclass(pytype, (str, bytes, bytearray))

    @classmethod
    def decode(cls, data: Any, *, trigger_metadata: Any) -> Any:
        """Text, bytes and JSON text pass through; null is None; anything else fails."""
        if data is None or data.type is None:
            return None
        if data.type in ("string", "bytes", "json"):
            return data.value
        raise ValueError(f"unexpected type of data for the generic binding: {data.type!r}")

    @classmethod
    def encode(cls, obj: Any, *, expected_type: Any) -> Any:
        """By the value's type, in this order (a bool is an int here)."""
        if isinstance(obj, str):
            return meta.Datum(value=obj, type="string")
        if isinstance(obj, bytes | bytearray):
            return meta.Datum(value=bytes(obj), type="bytes")
        if obj is None:
            return meta.Datum(value=None, type=None)
        for kind, name in ((dict, "dict"), (list, "list"), (int, "int"), (float, "double")):
            if isinstance(obj, kind):
                return meta.Datum(value=obj, type=name)
        raise NotImplementedError(f"the generic binding cannot encode {type(obj).__name__}")


def real_generic_binding() -> Any | None:
    """The worker's own generic binding when ``azure-functions-runtime`` is installed."""
    try:
        from azure_functions_runtime.bindings.generic import GenericBinding
    except ImportError:
        return None
    return GenericBinding


def oracle() -> Any:
    real = real_generic_binding()
    return real if real is not None else DocumentedGenericBinding
