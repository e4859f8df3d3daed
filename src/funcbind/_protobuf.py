"""Making and reading the Functions protobuf messages funcbind is handed.

funcbind never imports protobuf: callers pass the generated classes as a namespace
``pb`` (see :mod:`funcbind.wire`).  These helpers are shared by the wire adapter and
its cookie mapping (:mod:`funcbind._wire_cookies`).
"""

from __future__ import annotations

from typing import Any

from .errors import EncodeError, describe

__all__ = ["new_message", "nullable_string"]


def new_message(pb: Any, name: str, /, **fields: Any) -> Any:
    """A new ``pb.<name>`` message; an EncodeError when ``pb`` has no such class."""
    try:
        message_class = getattr(pb, name)
    except AttributeError:
        raise EncodeError(
            f"expected a namespace of Functions protobuf classes with {name}, got {describe(pb)}"
        ) from None
    return message_class(**fields)


def nullable_string(message: Any) -> str | None:
    """The text of a NullableString, or None when its value is unset."""
    if message.WhichOneof("string") is None:
        return None
    text: str = message.value
    return text
