"""funcbind: fast, correct binding converters for Azure Functions in Python.

Importing funcbind registers nothing and imports no storage SDK or server.
"""

from __future__ import annotations

from ._typing import TypeSpec, normalize
from .datum import Datum, DatumLike
from .errors import (
    AnnotationError,
    DecodeError,
    EncodeError,
    FuncbindError,
    FunctionLoadError,
    RegistrationError,
    UnsupportedDatumError,
    UnsupportedValueError,
)
from .registry import BindingSpec, Registration, Registry, default_registry
from .worker import get_binding_registry

__version__ = "0.1.0"

__all__ = [
    "AnnotationError",
    "BindingSpec",
    "Datum",
    "DatumLike",
    "DecodeError",
    "EncodeError",
    "FuncbindError",
    "FunctionLoadError",
    "Registration",
    "RegistrationError",
    "Registry",
    "TypeSpec",
    "UnsupportedDatumError",
    "UnsupportedValueError",
    "default_registry",
    "get_binding_registry",
    "normalize",
]
