"""The binding registry: binding type name -> converter, and cached resolution.

A converter is any object that, for each direction it declares, has a factory
method that compiles an annotation into a callable once:

* ``"in"``: ``decoder(spec, binding) -> Decoder | None``
* ``"out"``: ``encoder(spec, binding) -> Encoder | None``

``None`` means "this annotation is not accepted"; a factory may also raise
:class:`AnnotationError` with a more precise sentence.  Every attribute read from a
converter is listed, with its default, in :mod:`funcbind.converter`.  Resolution is
cached per registry and the cache is cleared on every registration, so an invocation
never pays for a lookup twice.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ._typing import TypeSpec, normalize
from .converter import (
    BindingSpec,
    Decoder,
    Direction,
    Encoder,
    InputConverter,
    OutputConverter,
    converter_attribute,
)
from .errors import AnnotationError, FuncbindError, RegistrationError

__all__ = [
    "PLUGIN_GROUP",
    "BindingSpec",
    "Decoder",
    "Encoder",
    "InputConverter",
    "OutputConverter",
    "Registration",
    "Registry",
    "default_registry",
]

PLUGIN_GROUP = "funcbind.bindings"
GENERIC = "generic"

Plugin = Callable[["Registry"], object]
_C = TypeVar("_C")

_FACTORY = {"in": "decoder", "out": "encoder"}

# The modules that hold the built-in binding families, each with register(registry).
BUILTIN_MODULES: tuple[str, ...] = (
    "funcbind.bindings.generic",
    "funcbind.bindings.http",
    "funcbind.bindings.blob",
    "funcbind.bindings.queue",
    "funcbind.bindings.timer",
    # table: TableClient parameters, else the generic converter (issue 19).
    "funcbind.bindings.table",
    # the JSON row families
    "funcbind.bindings.cosmosdb",
    "funcbind.bindings.sql",
    "funcbind.bindings.mysql",
    # Durable Functions, warmup, MCP and connector triggers (issue 16).
    "funcbind.bindings.durable",
    "funcbind.bindings.warmup",
    "funcbind.bindings.mcp",
    "funcbind.bindings.connectors",
    "funcbind.bindings.eventgrid",
    "funcbind.bindings.kafka",
    # messaging families
    "funcbind.bindings.eventhub",
    "funcbind.bindings.servicebus",
)


@dataclass(frozen=True)
class Registration:
    """One binding type name and the converter that serves it."""

    name: str
    converter: Any
    trigger: bool
    implicit_output: bool
    directions: frozenset[str]

    def describe(self) -> str:
        cls = type(self.converter)
        return f"{cls.__module__}.{cls.__qualname__}"

    @property
    def model(self) -> type | None:
        """The class a worker's decode() without an annotation gives (the converter's)."""
        model: type | None = converter_attribute(self.converter, "model")
        return model

    def accepted(self, direction: Direction) -> str | None:
        """The converter's text naming the annotations it accepts in ``direction``."""
        text: str | None = converter_attribute(
            self.converter, "accepted_inputs" if direction == "in" else "accepted_outputs"
        )
        return text


class Registry:
    """Binding type names mapped to converters; create as many as you like.

    ``default_registry()`` builds one holding the built-in bindings.  Importing
    funcbind registers nothing anywhere.
    """

    def __init__(self) -> None:
        self._registrations: dict[str, Registration] = {}
        self._cache: dict[tuple[Any, ...], Callable[..., Any]] = {}

    # -- registration -------------------------------------------------------

    def register(
        self,
        *names: str,
        converter: Any = None,
        trigger: bool = False,
        implicit_output: bool = False,
        directions: Iterable[Direction] | None = None,
        replace: bool = False,
    ) -> Any:
        """Register ``converter`` under each binding type name in ``names``.

        Without ``converter`` this returns a decorator for a converter class
        (instantiated with no arguments; the class is returned unchanged) or a
        converter instance.  ``directions`` defaults to the converter's own
        ``directions`` attribute.  ``trigger`` marks trigger bindings (they receive
        trigger metadata); ``implicit_output`` lets the binding take a function's
        return value without a ``$return`` binding.
        """
        if not names:
            raise RegistrationError("expected at least one binding type name, got none")
        for name in names:
            if not isinstance(name, str) or not name:
                raise RegistrationError(
                    f"expected binding type names as non-empty strings, got {name!r}"
                )

        def apply(target: _C) -> _C:
            instance = target() if isinstance(target, type) else target
            self._add(names, instance, trigger, implicit_output, directions, replace)
            return target

        if converter is None:
            return apply
        apply(converter)
        return converter

    def _add(
        self,
        names: tuple[str, ...],
        converter: Any,
        trigger: bool,
        implicit_output: bool,
        directions: Iterable[Direction] | None,
        replace: bool,
    ) -> None:
        declared = frozenset(
            directions if directions is not None else converter_attribute(converter, "directions")
        )
        label = f"{type(converter).__module__}.{type(converter).__qualname__}"
        if not declared or not declared <= {"in", "out"}:
            raise RegistrationError(
                f"converter {label} for {', '.join(names)}: expected directions to be a "
                f"non-empty set of 'in'/'out' (argument or class attribute), got "
                f"{sorted(declared) if declared else 'nothing'}"
            )
        if trigger and "in" not in declared:
            raise RegistrationError(
                f"converter {label} for {', '.join(names)}: a trigger binding needs "
                "the 'in' direction"
            )
        if implicit_output and "out" not in declared:
            raise RegistrationError(
                f"converter {label} for {', '.join(names)}: an implicit output needs "
                "the 'out' direction"
            )
        for direction in sorted(declared):
            method = _FACTORY[direction]
            if not callable(converter_attribute(converter, method)):
                raise RegistrationError(
                    f"converter {label} for {', '.join(names)} declares direction "
                    f"{direction!r} but has no {method}(spec, binding) method"
                )
        model = converter_attribute(converter, "model")
        if model is not None and not isinstance(model, type):
            raise RegistrationError(
                f"converter {label} for {', '.join(names)}: expected model to be a class "
                f"(what decode() gives without an annotation) or None, got {model!r}"
            )
        for attribute in ("accepted_inputs", "accepted_outputs"):
            text = converter_attribute(converter, attribute)
            if text is not None and not isinstance(text, str):
                raise RegistrationError(
                    f"converter {label} for {', '.join(names)}: expected {attribute} to be "
                    f"text for error messages or None, got {text!r}"
                )
        if not replace:
            for name in names:
                existing = self._registrations.get(name)
                if existing is not None:
                    raise RegistrationError(
                        f"binding type {name!r} is already served by {existing.describe()}; "
                        f"cannot register {label} as well (pass replace=True to override)"
                    )
        for name in names:
            self._registrations[name] = Registration(
                name, converter, trigger, implicit_output, declared
            )
        self._cache.clear()

    def unregister(self, name: str) -> None:
        """Remove a binding type name (an error if it is not registered)."""
        if self._registrations.pop(name, None) is None:
            raise RegistrationError(f"binding type {name!r} is not registered")
        self._cache.clear()

    def use(self, plugin: Plugin, *, label: str | None = None) -> None:
        """Run a plugin function ``plugin(registry)``; its failure names the plugin."""
        try:
            plugin(self)
        except Exception as exc:
            name = label or getattr(plugin, "__qualname__", repr(plugin))
            raise RegistrationError(
                f"plugin {name} failed while registering: {type(exc).__name__}: {exc}"
            ) from exc

    def load_plugins(self, group: str = PLUGIN_GROUP) -> list[str]:
        """Load every entry point of ``group`` and run it as a plugin; return their names."""
        import importlib.metadata  # costs tens of milliseconds; only plugin loading needs it

        loaded = []
        for entry in importlib.metadata.entry_points(group=group):
            dist = entry.dist.name if entry.dist is not None else "an unknown distribution"
            label = f"{entry.name!r} ({entry.value}) from {dist}"
            try:
                plugin = entry.load()
            except Exception as exc:
                raise RegistrationError(
                    f"plugin {label} could not be imported: {type(exc).__name__}: {exc}"
                ) from exc
            if not callable(plugin):
                raise RegistrationError(
                    f"plugin {label}: expected a function register(registry), "
                    f"got {type(plugin).__name__}"
                )
            self.use(plugin, label=label)
            loaded.append(entry.name)
        return loaded

    def copy(self) -> Registry:
        """An independent registry with the same registrations (handy in tests)."""
        clone = Registry()
        clone._registrations = dict(self._registrations)
        return clone

    # -- lookup -------------------------------------------------------------

    def get(self, name: str) -> Registration | None:
        """The registration for a binding type name, or None."""
        return self._registrations.get(name)

    def resolve(self, name: str) -> Registration:
        """The registration for ``name``, falling back to the generic converter.

        The fallback never has trigger support or an implicit output: an unknown
        input binding must not silently swallow the return value.
        """
        found = self._registrations.get(name)
        if found is not None:
            return found
        generic = self._registrations.get(GENERIC)
        if generic is None:
            raise RegistrationError(
                f"binding type {name!r} is not registered and no {GENERIC!r} "
                f"fallback is; registered: {', '.join(sorted(self._registrations)) or 'none'}"
            )
        return Registration(name, generic.converter, False, False, generic.directions)

    def __contains__(self, name: object) -> bool:
        return name in self._registrations

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._registrations))

    def __len__(self) -> int:
        return len(self._registrations)

    def decoder(
        self, binding_type: str, annotation: object, binding: BindingSpec | None = None
    ) -> Decoder:
        """The compiled decoder for an annotation on a binding; cached."""
        return self._compile("in", binding_type, annotation, binding)

    def encoder(
        self, binding_type: str, annotation: object, binding: BindingSpec | None = None
    ) -> Encoder:
        """The compiled encoder for an annotation on an output binding; cached."""
        return self._compile("out", binding_type, annotation, binding)

    def _compile(
        self,
        direction: Direction,
        binding_type: str,
        annotation: object,
        binding: BindingSpec | None,
    ) -> Callable[..., Any]:
        # The whole binding is part of the key, its raw properties included: converters
        # name the binding in their messages and may read any property.
        key: tuple[Any, ...] | None = (
            direction,
            binding_type,
            annotation,
            binding,
            None if binding is None else _frozen(binding.properties),
        )
        try:
            return self._cache[key]  # type: ignore[index]
        except KeyError:
            pass
        except TypeError:  # an unhashable annotation or property: compile without caching
            key = None
        compiled = self._build(direction, binding_type, annotation, binding)
        if key is not None:
            self._cache[key] = compiled
        return compiled

    def _build(
        self,
        direction: Direction,
        binding_type: str,
        annotation: object,
        binding: BindingSpec | None,
    ) -> Callable[..., Any]:
        registration = self.resolve(binding_type)
        spec = annotation if isinstance(annotation, TypeSpec) else normalize(annotation)
        where = "input" if direction == "in" else "output"
        if direction not in registration.directions:
            raise AnnotationError(
                f"binding type {binding_type!r} ({registration.describe()}) cannot be "
                f"used as an {where}"
            )
        if binding is None:
            binding = BindingSpec(type=binding_type, direction=direction)
        factory = converter_attribute(registration.converter, _FACTORY[direction])
        try:
            compiled = factory(spec, binding)
        except FuncbindError:
            raise
        except Exception as exc:
            # A faulty converter must not take the caller down with a nameless error
            # (a host loading an app would lose every healthy function with it).
            raise AnnotationError(
                f"converter {registration.describe()} failed to compile {spec.describe()} "
                f"for binding type {binding_type!r}"
                f"{f' ({binding.name!r})' if binding.name else ''}: {type(exc).__name__}: {exc}"
            ) from exc
        if compiled is None:
            accepted = registration.accepted(direction)
            hint = f"; it accepts {accepted}" if accepted else ""
            raise AnnotationError(
                f"binding type {binding_type!r} does not accept {spec.describe()} as an "
                f"{where} annotation{hint}"
            )
        return compiled  # type: ignore[no-any-return]


def _frozen(value: Any) -> Any:
    """A hashable stand-in for raw binding properties (JSON-like values)."""
    if isinstance(value, Mapping):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value


def register_builtins(registry: Registry) -> None:
    """Register every built-in binding family into ``registry``."""
    for module_name in BUILTIN_MODULES:
        module = importlib.import_module(module_name)
        module.register(registry)


def default_registry(*, plugins: bool = False) -> Registry:
    """A new registry with the built-in bindings (and installed plugins if asked)."""
    registry = Registry()
    register_builtins(registry)
    if plugins:
        registry.load_plugins()
    return registry
