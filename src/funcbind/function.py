"""Functions: a signature checked against its bindings, compiled once into a FunctionPlan.

:func:`compile_function` is the only place where the registry is asked for converters
and where annotations are read.  Everything an invocation needs -- which decoder
each parameter uses, which encoder each output uses, whether trigger metadata goes
to a parameter, whether the function is a coroutine -- is resolved here, so that
:func:`funcbind.invoke.invoke` only walks pre-bound callables.

Every rule failure is a :class:`~funcbind.errors.FunctionLoadError` that names the
function, the parameter or binding, what was expected and, where there is one, the
fix.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions

from ._typing import ANY, TypeSpec, normalize
from .errors import EncodeError, FuncbindError, FunctionLoadError, describe
from .registry import BindingSpec, Decoder, Encoder, Registration, Registry

__all__ = [
    "CONTEXT_PARAMETER",
    "RETURN_BINDING",
    "FunctionPlan",
    "ParamPlan",
    "compile_function",
    "parse_bindings",
]

RETURN_BINDING = "$return"
CONTEXT_PARAMETER = "context"
DIRECTIONS = ("in", "out")
DATA_TYPES = ("binary", "string", "stream")
_STRUCTURED_KEYS = frozenset({"name", "type", "direction", "dataType"})


@dataclass(frozen=True)
class ParamPlan:
    """One parameter of a function and how an invocation fills it.

    ``binding`` is None only for the ``context`` parameter.  An input parameter has
    a ``decoder``; an ``Out`` parameter (``is_out``) has an ``encoder`` for the value
    the function sets.
    """

    name: str
    binding: BindingSpec | None
    annotation: TypeSpec
    decoder: Decoder | None = None
    encoder: Encoder | None = None
    is_trigger: bool = False
    is_out: bool = False

    @property
    def is_context(self) -> bool:
        return self.binding is None


@dataclass(frozen=True, eq=False)
class FunctionPlan:
    """A function checked against its bindings, with every converter resolved.

    ``outputs`` maps each ``Out`` binding name to its encoder; ``return_encoder``
    encodes the return value for ``return_binding`` (``$return``, or the trigger
    when it has an implicit output), or is None when a return value goes nowhere.
    """

    name: str
    directory: Path
    script_file: str
    entry_point: str
    function: Callable[..., Any]
    is_async: bool
    bindings: tuple[BindingSpec, ...]
    trigger: BindingSpec
    params: tuple[ParamPlan, ...]
    outputs: Mapping[str, Encoder]
    return_encoder: Encoder | None
    return_binding: BindingSpec | None
    disabled: bool = False
    # The function's retry policy as declared ("retry" in function.json, @app.retry in a
    # decorator app); the host reads and checks it.
    retry: Mapping[str, Any] | None = None
    # Derived for the invocation loop: plain tuples, nothing to look up per call.
    input_params: tuple[ParamPlan, ...] = field(init=False, repr=False)
    out_params: tuple[ParamPlan, ...] = field(init=False, repr=False)
    context_parameter: str | None = field(init=False, repr=False)
    # (parameter name, decoder, whether it gets the trigger metadata) per input.
    decode_steps: tuple[tuple[str, Decoder, bool], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        set_field = object.__setattr__
        set_field(self, "input_params", tuple(p for p in self.params if p.decoder is not None))
        set_field(
            self,
            "decode_steps",
            tuple((p.name, p.decoder, p.is_trigger) for p in self.input_params if p.decoder),
        )
        set_field(self, "out_params", tuple(p for p in self.params if p.is_out))
        context = [p.name for p in self.params if p.is_context]
        set_field(self, "context_parameter", context[0] if context else None)

    def binding(self, name: str) -> BindingSpec | None:
        """The binding named ``name`` (``$return`` included), or None."""
        for binding in self.bindings:
            if binding.name == name:
                return binding
        return None

    def __repr__(self) -> str:
        shape = ", ".join(f"{b.name}: {b.type} {b.direction}" for b in self.bindings)
        kind = "async " if self.is_async else ""
        return f"<FunctionPlan {self.name!r} {kind}{self.entry_point}({shape})>"


# -- bindings as declared ---------------------------------------------------


def parse_bindings(raw: object, *, function: str) -> tuple[BindingSpec, ...]:
    """Check the ``bindings`` list of a function.json (or a decorator app) and convert it.

    Each entry needs a string ``name``, ``type`` and ``direction`` (``in``/``out``);
    ``dataType`` is optional (``binary``, ``string``, ``stream``).  The other keys are
    kept untouched as the binding's ``properties``.
    """
    if not isinstance(raw, list | tuple):
        raise FunctionLoadError(
            f'expected "bindings" to be a list of binding objects, got {type(raw).__name__}'
        ).at(function=function)
    specs = [_parse_binding(entry, index, function) for index, entry in enumerate(raw)]
    counts = Counter(spec.name for spec in specs)
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        raise FunctionLoadError(
            f"binding names must be unique, got {_names(repeated)} more than once; "
            "rename one of each pair"
        ).at(function=function)
    return tuple(specs)


def _parse_binding(entry: object, index: int, function: str) -> BindingSpec:
    where = f"binding #{index + 1}"
    if not isinstance(entry, Mapping):
        raise FunctionLoadError(
            f'{where}: expected an object with "name", "type" and "direction", '
            f"got {type(entry).__name__}"
        ).at(function=function)
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise FunctionLoadError(
            f'{where}: expected "name" to be a non-empty string, got {name!r}'
        ).at(function=function)
    where = f"binding {name!r}"
    binding_type = entry.get("type")
    if not isinstance(binding_type, str) or not binding_type:
        raise FunctionLoadError(
            f'{where}: expected "type" to be a non-empty string such as "httpTrigger" '
            f'or "queue", got {binding_type!r}'
        ).at(function=function)
    direction = entry.get("direction")
    if isinstance(direction, str):
        direction = direction.lower()
    if direction == "inout":
        raise FunctionLoadError(
            f"{where} ({binding_type}): direction 'inout' is not supported; declare an 'in' "
            "binding and an 'out' binding with different names instead"
        ).at(function=function)
    if direction not in DIRECTIONS:
        raise FunctionLoadError(
            f"{where} ({binding_type}): expected \"direction\" 'in' or 'out', got {direction!r}"
        ).at(function=function)
    data_type = entry.get("dataType")
    if isinstance(data_type, str):
        data_type = data_type.lower()
    if data_type in (None, "", "undefined"):
        data_type = None
    elif data_type not in DATA_TYPES:
        raise FunctionLoadError(
            f"{where} ({binding_type}): expected \"dataType\" 'binary', 'string' or 'stream' "
            f"(or none), got {entry.get('dataType')!r}"
        ).at(function=function)
    properties = {key: value for key, value in entry.items() if key not in _STRUCTURED_KEYS}
    return BindingSpec(
        type=binding_type,
        name=name,
        direction=direction,
        data_type=data_type,
        properties=properties,
    )


# -- compiling ---------------------------------------------------------------


def compile_function(
    function: Callable[..., Any],
    bindings: Iterable[BindingSpec],
    *,
    name: str,
    registry: Registry,
    directory: str | Path = "",
    script_file: str = "",
    entry_point: str = "",
    disabled: bool = False,
    trigger_name: str | None = None,
    retry: Mapping[str, Any] | None = None,
) -> FunctionPlan:
    """Validate ``function`` against ``bindings`` and resolve every converter once.

    ``trigger_name`` names the trigger binding when the caller knows it (decorator
    apps do); otherwise a binding is a trigger when its converter is registered as
    one or its type ends in ``Trigger``.
    """
    compiler = _Compiler(function, tuple(bindings), name, registry, trigger_name)
    params, outputs, return_binding, return_encoder = compiler.compile()
    return FunctionPlan(
        name=name,
        directory=Path(directory),
        script_file=script_file,
        entry_point=entry_point or getattr(function, "__name__", ""),
        function=function,
        is_async=_is_coroutine_function(function),
        bindings=compiler.bindings,
        trigger=compiler.trigger,
        params=params,
        outputs=outputs,
        return_encoder=return_encoder,
        return_binding=return_binding,
        disabled=disabled,
        retry=retry,
    )


class _Compiler:
    """The rules, in the order whose first failure is the most useful to read."""

    def __init__(
        self,
        function: Callable[..., Any],
        bindings: tuple[BindingSpec, ...],
        name: str,
        registry: Registry,
        trigger_name: str | None,
    ) -> None:
        self.function = function
        self.bindings = bindings
        self.name = name
        self.registry = registry
        self.registrations = {b.name: self._registration(b) for b in bindings}
        self.trigger = self._find_trigger(trigger_name)

    def error(self, message: str, **where: str | None) -> FunctionLoadError:
        return FunctionLoadError(message).at(function=self.name, **where)

    # -- bindings on their own

    def _registration(self, binding: BindingSpec) -> Registration:
        try:
            return self.registry.resolve(binding.type)
        except FuncbindError as exc:
            raise self.error(exc.message, binding=binding.name) from exc

    def _find_trigger(self, trigger_name: str | None) -> BindingSpec:
        if trigger_name is not None:
            candidates = [b for b in self.bindings if b.name == trigger_name]
        else:
            candidates = [b for b in self.bindings if self._looks_like_trigger(b)]
        # A trigger type used as an output is an output (its converter decides whether
        # it can be one), unless there is no trigger at all: then it is a misdirected one.
        triggers = [b for b in candidates if b.direction == "in"] or candidates
        if not triggers:
            raise self.error(
                "expected exactly one trigger binding (direction 'in', a type such as "
                "httpTrigger, queueTrigger, blobTrigger or timerTrigger), got none; add the "
                "binding that starts this function"
            )
        if len(triggers) > 1:
            listed = ", ".join(f"{b.name!r} ({b.type})" for b in triggers)
            raise self.error(
                f"expected exactly one trigger binding, got {len(triggers)}: {listed}; "
                "a function is started by one trigger, the others must be plain inputs"
            )
        trigger = triggers[0]
        if trigger.direction != "in":
            raise self.error(
                f"a trigger binding must have direction 'in', got {trigger.direction!r}",
                binding=trigger.name,
            )
        return trigger

    def _looks_like_trigger(self, binding: BindingSpec) -> bool:
        # Extension triggers that no converter claims still follow the host's naming.
        return self.registrations[binding.name].trigger or binding.type.lower().endswith("trigger")

    # -- the signature against the bindings

    def compile(
        self,
    ) -> tuple[tuple[ParamPlan, ...], dict[str, Encoder], BindingSpec | None, Encoder | None]:
        signature = self._signature()
        hints = self._annotations(signature)
        by_name = {b.name: b for b in self.bindings}
        self._check_parameter_kinds(signature)
        self._check_names_match(signature, by_name)

        params = []
        outputs: dict[str, Encoder] = {}
        for parameter in signature.parameters.values():
            spec = self._normalize(hints.get(parameter.name, ANY), parameter=parameter.name)
            binding = by_name.get(parameter.name)
            if binding is None:
                params.append(self._context_param(parameter.name, spec))
            elif binding.direction == "out":
                plan = self._out_param(parameter.name, spec, binding)
                assert plan.encoder is not None
                outputs[binding.name] = plan.encoder
                params.append(plan)
            else:
                params.append(self._in_param(parameter.name, spec, binding))
        return_binding, return_encoder = self._return(hints.get("return", ANY), by_name)
        return tuple(params), outputs, return_binding, return_encoder

    def _signature(self) -> inspect.Signature:
        try:
            return inspect.signature(self.function)
        except (TypeError, ValueError) as exc:
            raise self.error(
                f"expected a function whose signature can be read, got "
                f"{type(self.function).__name__} ({exc})"
            ) from exc

    def _annotations(self, signature: inspect.Signature) -> dict[str, Any]:
        """Annotations with strings resolved in the function's module."""
        raw = {p.name: p.annotation for p in signature.parameters.values()}
        raw["return"] = signature.return_annotation
        if not any(isinstance(value, str | typing.ForwardRef) for value in raw.values()):
            return raw
        try:
            resolved = typing.get_type_hints(_annotated_object(self.function), include_extras=True)
        except Exception:  # NameError, SyntaxError, TypeError from user code
            return self._resolve_one_by_one(raw)
        return {key: resolved.get(key, value) for key, value in raw.items()}

    def _resolve_one_by_one(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Evaluate each string annotation alone, to name the one that fails.

        What evaluates but is no type (``"3"``) is left to normalisation, which says so
        for its parameter.
        """
        namespace = dict(
            getattr(inspect.unwrap(_annotated_object(self.function)), "__globals__", {})
        )
        resolved = dict(raw)
        for key, value in raw.items():
            if not isinstance(value, str):
                continue
            try:
                resolved[key] = eval(value, namespace)  # how typing itself resolves annotations
            except Exception as culprit:
                where = "the return annotation" if key == "return" else f"parameter {key!r}"
                raise self.error(
                    f"{where}: cannot resolve the annotation {value!r} "
                    f"({type(culprit).__name__}: {culprit}); import the name it uses at "
                    "module level (not only under TYPE_CHECKING)"
                ) from culprit
        return resolved

    def _check_parameter_kinds(self, signature: inspect.Signature) -> None:
        for parameter in signature.parameters.values():
            if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                raise self.error(
                    f"*{parameter.name} cannot receive bindings; declare one parameter per "
                    "binding instead"
                )
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                raise self.error(
                    f"**{parameter.name} cannot receive bindings; declare one parameter per "
                    "binding instead"
                )
            if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
                raise self.error(
                    "bindings are passed by name, so a parameter cannot be positional-only; "
                    "remove the '/' from the signature",
                    parameter=parameter.name,
                )

    def _check_names_match(
        self, signature: inspect.Signature, by_name: Mapping[str, BindingSpec]
    ) -> None:
        parameters = signature.parameters
        unbound = [p for p in parameters if p not in by_name and p != CONTEXT_PARAMETER]
        if unbound:
            raise self.error(
                f"parameter{_s(unbound)} {_names(unbound)} {_has(unbound)} no binding; add "
                f"a binding named {_names(unbound)} or remove the parameter{_s(unbound)} "
                f"(only {CONTEXT_PARAMETER!r} needs no binding)"
            )
        missing = [
            b.name for b in self.bindings if b.name != RETURN_BINDING and b.name not in parameters
        ]
        if missing:
            described = ", ".join(
                f"{n!r} ({by_name[n].type} {by_name[n].direction})" for n in missing
            )
            raise self.error(
                f"binding{_s(missing)} {described} {_has(missing)} no parameter; add "
                f"parameter{_s(missing)} named {_names(missing)} to "
                f"{getattr(self.function, '__name__', 'the function')}(...)"
            )

    def _normalize(self, annotation: object, **where: str | None) -> TypeSpec:
        try:
            spec = normalize(annotation)
        except FuncbindError as exc:
            raise self.error(exc.message, **where) from exc
        if spec.kind == "class" and spec.cls is not None and _is_bare_out(spec.cls):
            spec = dataclasses.replace(spec, kind="any", cls=None, out=True)
        return spec

    def _context_param(self, name: str, spec: TypeSpec) -> ParamPlan:
        if spec.kind != "any" and not spec.subclass_of(azure.functions.Context):
            raise self.error(
                f"a parameter named {CONTEXT_PARAMETER!r} without a binding receives the "
                f"invocation context: expected azure.functions.Context or no annotation, got "
                f"{spec.describe()}",
                parameter=name,
            )
        return ParamPlan(name=name, binding=None, annotation=spec)

    def _out_param(self, name: str, spec: TypeSpec, binding: BindingSpec) -> ParamPlan:
        if not spec.out:
            raise self.error(
                f"binding {name!r} ({binding.type}) is an output: expected the annotation "
                f"azure.functions.Out[T] and a call to {name}.set(value), got "
                f"{spec.describe()}",
                parameter=name,
            )
        value_spec = dataclasses.replace(spec, out=False)
        encoder = self._compile("out", value_spec, binding, parameter=name)
        return ParamPlan(name=name, binding=binding, annotation=spec, encoder=encoder, is_out=True)

    def _in_param(self, name: str, spec: TypeSpec, binding: BindingSpec) -> ParamPlan:
        if spec.out:
            raise self.error(
                f"annotated {spec.describe()} but binding {name!r} ({binding.type}) has "
                "direction 'in'; Out[...] is only for output bindings (set \"direction\": "
                '"out", or drop the Out)',
                parameter=name,
            )
        decoder = self._compile("in", spec, binding, parameter=name)
        return ParamPlan(
            name=name,
            binding=binding,
            annotation=spec,
            decoder=decoder,
            is_trigger=binding is self.trigger,
        )

    def _compile(
        self, direction: str, spec: TypeSpec, binding: BindingSpec, **where: str | None
    ) -> Any:
        try:
            if direction == "in":
                return self.registry.decoder(binding.type, spec, binding)
            return self.registry.encoder(binding.type, spec, binding)
        except FuncbindError as exc:
            raise self.error(exc.message, **where, binding=binding.type) from exc

    # -- the return value

    def _return(
        self, annotation: object, by_name: Mapping[str, BindingSpec]
    ) -> tuple[BindingSpec | None, Encoder | None]:
        spec = self._normalize(annotation, output=RETURN_BINDING)
        if spec.out:
            raise self.error(
                f"expected a return annotation that is not Out[...], got {spec.describe()}; "
                "Out is for parameters",
                output=RETURN_BINDING,
            )
        binding = by_name.get(RETURN_BINDING)
        if binding is None and self.registrations[self.trigger.name].implicit_output:
            binding = self.trigger  # the trigger takes the return value (e.g. durable)
        if binding is None:
            if spec.kind not in ("any", "none"):
                raise self.error(
                    f"annotated to return {spec.describe()} but there is no "
                    f"{RETURN_BINDING!r} output binding to take the value; add an output "
                    f"binding named {RETURN_BINDING!r} or annotate the function '-> None'"
                )
            return None, None
        if binding.name == RETURN_BINDING and binding.direction != "out":
            raise self.error(
                f"binding {RETURN_BINDING!r} must have direction 'out', got {binding.direction!r}"
            )
        if spec.kind == "none":
            return binding, _encode_nothing
        encoder = self._compile("out", spec, binding, output=RETURN_BINDING)
        return binding, encoder


def _encode_nothing(value: object) -> None:
    """The return encoder of ``-> None`` functions: nothing is sent."""
    if value is not None:
        raise EncodeError(
            f"expected None (the function is annotated '-> None'), got {describe(value)}"
        )


def _annotated_object(function: Callable[..., Any]) -> Any:
    """What carries the annotations of a callable: itself, a partial's function, __call__."""
    while isinstance(function, functools.partial):
        function = function.func
    if inspect.isroutine(function) or isinstance(function, type):
        return function
    return getattr(type(function), "__call__", function)  # noqa: B004 - a callable instance


def _is_bare_out(cls: type) -> bool:
    return cls is azure.functions.Out or cls.__name__ == "Out"


def _is_coroutine_function(function: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        inspect.unwrap(function)
    ):
        return True
    call = getattr(type(function), "__call__", None)  # noqa: B004 - callable instances
    return call is not None and inspect.iscoroutinefunction(call)


def _names(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _s(items: Sequence[object]) -> str:
    return "s" if len(items) > 1 else ""


def _has(items: Sequence[object]) -> str:
    return "have" if len(items) > 1 else "has"
