"""What storage-backed bindings share at load: their error, properties and connection.

A blob, queue or table binding names a path (or a queue or table name) with
``{expressions}`` and ``%Setting%`` references, and a ``connection`` setting.  These
helpers read both from a binding, once, at load; a binding that cannot work is a
:class:`StorageConfigError` naming it, printed as its function's load problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import FuncbindError
from ..storage.connections import (
    ConnectionSettingError,
    Service,
    StorageConnection,
    connection_setting_name,
    resolve_connection,
)
from .expressions import PathTemplate, TemplateError, substitute_app_settings

if TYPE_CHECKING:
    from ..registry import BindingSpec

__all__ = [
    "StorageConfigError",
    "binding_connection",
    "binding_property",
    "binding_template",
]


class StorageConfigError(FuncbindError):
    """A storage binding cannot work as declared (a load problem of its function)."""


def binding_template(
    binding: BindingSpec, key: str, settings: Mapping[str, str], what: str
) -> PathTemplate:
    """The compiled ``path``/``queueName`` of a binding (with %Setting% replaced)."""
    where = f"binding {binding.name!r} ({binding.type})"
    raw = binding_property(binding, key)
    if not isinstance(raw, str) or not raw.strip():
        raise StorageConfigError(f"{where}: expected {key!r} with the {what}, got {raw!r}")
    try:
        return PathTemplate(substitute_app_settings(raw.strip(), settings, where), where)
    except TemplateError as exc:
        raise StorageConfigError(exc.message) from None


def binding_property(binding: BindingSpec, key: str) -> Any:
    properties = binding.properties
    if key in properties:
        return properties[key]
    folded = key.casefold()
    for name, value in properties.items():
        if name.casefold() == folded:
            return value
    return None


def binding_connection(
    binding: BindingSpec, service: Service, settings: Mapping[str, str]
) -> tuple[str, StorageConnection]:
    """The connection setting a binding names, resolved (StorageConfigError if it cannot be)."""
    name = connection_setting_name(binding.properties)
    try:
        return name, resolve_connection(name, service, settings)
    except ConnectionSettingError as exc:
        raise StorageConfigError(
            f"binding {binding.name!r} ({binding.type}): {exc.message}"
        ) from None
