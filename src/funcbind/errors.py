"""The one error tree of funcbind.

Every error says what was expected, what arrived and where (function, parameter,
binding, field).  Converters raise errors that know only the binding-level part
of "where"; the function layer adds the function and parameter through
:meth:`FuncbindError.at`.
"""

from __future__ import annotations

from typing import TypeVar

_E = TypeVar("_E", bound="FuncbindError")

_REPR_LIMIT = 60


class FuncbindError(Exception):
    """Base class of every error funcbind raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def at(self: _E, **where: str | None) -> _E:
        """Return a copy whose message starts with the given location.

        ``err.at(function="hello", parameter="req")`` turns "expected str, got int"
        into "function 'hello', parameter 'req': expected str, got int".  Keys with a
        None value are skipped.
        """
        parts = [f"{key.replace('_', ' ')} {value!r}" for key, value in where.items() if value]
        if not parts:
            return self
        located = type(self).__new__(type(self))
        FuncbindError.__init__(located, f"{', '.join(parts)}: {self.message}")
        located.__dict__.update({k: v for k, v in self.__dict__.items() if k != "message"})
        located.__cause__ = self.__cause__
        return located


class RegistrationError(FuncbindError):
    """A converter or plugin could not be registered."""


class AnnotationError(FuncbindError, TypeError):
    """An annotation is not a type funcbind understands, or no converter accepts it."""


class FunctionLoadError(FuncbindError):
    """A function cannot be loaded: bad function.json, script, entry point or signature."""


class DecodeError(FuncbindError, ValueError):
    """Wire data could not be turned into the Python value a function asked for."""


class EncodeError(FuncbindError, ValueError):
    """A value returned or set by a function could not be turned into wire data."""


class UnsupportedDatumError(DecodeError, NotImplementedError):
    """A converter does not handle this kind of wire data at all.

    Also a ``NotImplementedError``: that is how language workers expect a binding to
    say "unsupported" (they report it to the user as a type error).
    """


class UnsupportedValueError(EncodeError, NotImplementedError):
    """A converter cannot encode a value of this type at all (see UnsupportedDatumError)."""


def describe(value: object) -> str:
    """A short description of a value for error messages: its type and a clipped repr."""
    text = repr(value)
    if len(text) > _REPR_LIMIT:
        text = text[: _REPR_LIMIT - 3] + "..."
    return f"{type(value).__name__} {text}"
