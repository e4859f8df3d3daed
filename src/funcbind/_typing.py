"""Annotation normalisation: the one place funcbind looks inside typing constructs.

``normalize(annotation)`` turns whatever a function author wrote into a
:class:`TypeSpec`: ``Optional[X]`` and ``X | None`` become ``optional=True``,
``Annotated[X, ...]`` becomes ``X``, ``Out[X]`` becomes ``X`` with ``out=True``,
``list[X]``/``typing.List[X]``/``Sequence[X]``/``Iterable[X]`` become ``kind="list"``
with an item spec.  Converters then answer simple questions (``spec.is_class(str)``)
instead of calling ``issubclass`` on generics, which raises.

String annotations must be resolved by the caller (``typing.get_type_hints``); a
string that arrives here is reported as an error, not guessed at.
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

import typing_extensions

from .errors import AnnotationError

__all__ = ["ANY", "TypeSpec", "normalize"]

Kind = Literal["any", "none", "class", "list", "union"]

# Generic origins that mean "a sequence of items" to a binding.
_LIST_ORIGINS: frozenset[Any] = frozenset(
    {
        list,
        tuple,
        collections.abc.Sequence,
        collections.abc.MutableSequence,
        collections.abc.Iterable,
        collections.abc.Collection,
    }
)
_ANY_MARKERS: frozenset[Any] = frozenset({Any, typing_extensions.Any, inspect.Parameter.empty})
_UNION_ORIGINS: frozenset[Any] = frozenset({typing.Union, types.UnionType})
_ANNOTATED_ORIGINS: frozenset[Any] = frozenset({typing.Annotated, typing_extensions.Annotated})


@dataclass(frozen=True)
class TypeSpec:
    """A normalised annotation.

    ``kind`` is one of: ``"any"`` (no annotation, ``Any``), ``"none"`` (``None``),
    ``"class"`` (a plain class, or a generic such as ``dict[str, int]`` whose
    origin is ``cls`` and whose arguments are ``args``), ``"list"`` (a sequence
    whose element spec is ``item``), ``"union"`` (several non-None options).
    """

    annotation: Any
    kind: Kind
    cls: type | None = None
    args: tuple[Any, ...] = ()
    item: TypeSpec | None = None
    options: tuple[TypeSpec, ...] = ()
    optional: bool = False
    out: bool = False

    def is_class(self, *classes: type) -> bool:
        """True when this is exactly one of ``classes`` (no subclasses)."""
        return self.kind == "class" and self.cls in classes

    def subclass_of(self, *classes: type) -> bool:
        """True when this is a class deriving from one of ``classes``; never raises."""
        if self.kind != "class" or self.cls is None:
            return False
        try:
            return issubclass(self.cls, classes)
        except TypeError:
            return False

    def satisfied_by(self, model: type, *, within: type | None = None) -> bool:
        """True when an instance of ``model`` satisfies this annotation; never raises.

        That is, the annotation names a (non-generic) class ``model`` derives from,
        other than ``object``; with ``within``, that class must also derive from
        ``within`` (so ``InputStream`` qualifies for a stream model but ``io.IOBase``
        does not).
        """
        cls = self.cls
        if self.kind != "class" or cls is None or cls is object or self.args:
            return False
        try:
            return issubclass(model, cls) and (within is None or issubclass(cls, within))
        except TypeError:  # a class whose metaclass refuses the check
            return False

    def items_subclass_of(self, *classes: type) -> bool:
        """True for a list spec whose (non-optional) items derive from ``classes``."""
        return self.kind == "list" and self.item is not None and self.item.subclass_of(*classes)

    def describe(self) -> str:
        """A readable spelling of the annotation for error messages."""
        if self.kind == "any":
            text = "no annotation"
        elif self.kind == "none":
            text = "None"
        elif self.kind == "list":
            has_item = self.item is not None and self.item.kind != "any"
            text = f"list[{self.item.describe()}]" if has_item and self.item else "list"
        elif self.kind == "union":
            text = " | ".join(option.describe() for option in self.options)
        else:
            text = _type_name(self.annotation if self.args else self.cls)
        if self.optional and self.kind not in ("any", "none"):
            text = f"{text} | None"
        if self.out:
            text = f"Out[{text}]"
        return text


ANY = TypeSpec(annotation=inspect.Parameter.empty, kind="any")


def normalize(annotation: object) -> TypeSpec:
    """Normalise an annotation; raise :class:`AnnotationError` if it is not a type."""
    return _normalize(annotation, annotation)


def _normalize(annotation: object, original: object) -> TypeSpec:
    # Identity checks: an annotation need not be hashable.
    if any(annotation is marker for marker in _ANY_MARKERS):
        return TypeSpec(annotation=original, kind="any")
    if annotation is None or annotation is type(None):
        return TypeSpec(annotation=original, kind="none")
    if isinstance(annotation, str | typing.ForwardRef):
        raise AnnotationError(
            f"expected a type, got the unresolved string annotation {annotation!r}; "
            "resolve it first (typing.get_type_hints) or import the name it refers to"
        )

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)

    if origin in _ANNOTATED_ORIGINS:
        return _with(_normalize(args[0], args[0]), annotation=original)
    if origin in _UNION_ORIGINS:
        return _normalize_union(args, original)
    if _is_out(origin):
        if len(args) != 1:
            raise AnnotationError(f"expected Out[T] with one type argument, got {original!r}")
        inner = _normalize(args[0], args[0])
        if inner.out:
            raise AnnotationError(f"expected Out[T] with T not itself an Out, got {original!r}")
        return _with(inner, annotation=original, out=True)
    if origin in _LIST_ORIGINS:
        item_args = args[:1] if origin is not tuple else _homogeneous_tuple_item(args, original)
        item = _normalize(item_args[0], item_args[0]) if item_args else ANY
        return TypeSpec(annotation=original, kind="list", cls=list, item=item)
    if origin is not None:
        if isinstance(origin, type):
            return TypeSpec(annotation=original, kind="class", cls=origin, args=args)
        raise AnnotationError(f"expected a type, got {original!r}")
    if any(annotation is origin for origin in _LIST_ORIGINS):  # a bare list, Sequence, ...
        return TypeSpec(annotation=original, kind="list", cls=list, item=ANY)
    if isinstance(annotation, type):
        return TypeSpec(annotation=original, kind="class", cls=annotation)
    raise AnnotationError(
        f"expected a type, got {type(annotation).__name__} {annotation!r} as an annotation"
    )


def _normalize_union(args: tuple[Any, ...], original: object) -> TypeSpec:
    options = [_normalize(arg, arg) for arg in args if arg is not type(None) and arg is not None]
    optional = len(options) < len(args)
    flat: list[TypeSpec] = []
    for option in options:
        if option.out:
            raise AnnotationError(f"expected Out[...] outside a union, got {original!r}")
        optional = optional or option.optional
        flat.extend(option.options if option.kind == "union" else [option])
    if not flat:
        return TypeSpec(annotation=original, kind="none")
    if len(flat) == 1:
        return _with(flat[0], annotation=original, optional=optional)
    return TypeSpec(annotation=original, kind="union", options=tuple(flat), optional=optional)


def _homogeneous_tuple_item(args: tuple[Any, ...], original: object) -> tuple[Any, ...]:
    if len(args) == 2 and args[1] is Ellipsis:
        return args[:1]
    raise AnnotationError(f"expected tuple[T, ...] for a sequence of items, got {original!r}")


def _is_out(origin: object) -> bool:
    # Workers recognise Out parameters by the class name alone; so do we, which
    # keeps azure.functions out of this module's imports.
    return isinstance(origin, type) and origin.__name__ == "Out"


def _with(spec: TypeSpec, **changes: Any) -> TypeSpec:
    fields = {
        "annotation": spec.annotation,
        "kind": spec.kind,
        "cls": spec.cls,
        "args": spec.args,
        "item": spec.item,
        "options": spec.options,
        "optional": spec.optional,
        "out": spec.out,
    }
    fields.update(changes)
    return TypeSpec(**fields)


def _type_name(annotation: object) -> str:
    if isinstance(annotation, type) and not typing.get_args(annotation):
        module = annotation.__module__
        if module == "builtins":
            return annotation.__qualname__
        if module.startswith("azure.functions."):
            module = "azure.functions"  # the public spelling, not the private module
        return f"{module}.{annotation.__qualname__}"
    return repr(annotation).replace("typing.", "")
