"""Validation at load time and the compiled FunctionPlan (funcbind.function).

Built against the registry API only: the generic converter plus small custom
binding types defined here, so every rule is tested without the built-in families.
"""

from __future__ import annotations

import functools
import re
import typing
from collections.abc import Callable, Mapping
from typing import Any, Optional

import azure.functions as func
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcbind import AnnotationError, BindingSpec, Datum, FunctionLoadError, Registry, TypeSpec
from funcbind.bindings import generic
from funcbind.datum import DatumLike
from funcbind.errors import UnsupportedValueError
from funcbind.function import FunctionPlan, compile_function, parse_bindings
from funcbind.registry import Decoder, Encoder

# -- custom binding types ----------------------------------------------------------


class Ticket:
    """The model of the custom trigger below."""

    def __init__(self, body: Any, metadata: Mapping[str, DatumLike] | None) -> None:
        self.body = body
        self.metadata = metadata


class TicketTrigger:
    """A custom trigger: Ticket (or no annotation) or str; records each compilation."""

    directions = frozenset({"in"})
    accepted_inputs = "Ticket or str"

    def __init__(self) -> None:
        self.compiled: list[tuple[TypeSpec, BindingSpec]] = []

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        self.compiled.append((spec, binding))
        if spec.kind == "any" or spec.subclass_of(Ticket):
            return lambda datum, metadata: Ticket(datum.value, metadata)
        if spec.is_class(str):
            return lambda datum, metadata: str(datum.value)
        return None


class SinkOutput:
    """A custom output: str values only, with a clear refusal for anything else."""

    directions = frozenset({"out"})
    accepted_outputs = "str"

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        if spec.kind == "any" or spec.is_class(str):
            return encode_sink
        return None


def encode_sink(value: Any) -> Datum | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnsupportedValueError(f"binding 'sink': expected str, got {type(value).__name__}")
    return Datum(value, "string")


class ImplicitTrigger:
    """A trigger that takes the return value itself (as durable orchestrations do)."""

    directions = frozenset({"in", "out"})

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        return lambda datum, metadata: datum.value

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        return generic.encode_value if spec.kind != "list" else None


def make_registry() -> Registry:
    registry = Registry()
    generic.register(registry)
    registry.register("ticket", converter=TicketTrigger(), trigger=True)
    registry.register("sink", converter=SinkOutput())
    registry.register(
        "orchestration", converter=ImplicitTrigger(), trigger=True, implicit_output=True
    )
    return registry


def bindings(*raw: dict[str, Any]) -> tuple[BindingSpec, ...]:
    return parse_bindings(list(raw), function="f")


TRIGGER = {"name": "t", "type": "ticket", "direction": "in"}
RETURN = {"name": "$return", "type": "sink", "direction": "out"}


def compile_(
    function: Callable[..., Any], *raw: dict[str, Any], registry: Registry | None = None
) -> FunctionPlan:
    return compile_function(
        function, bindings(*raw), name="f", registry=registry or make_registry()
    )


def load_error(function: Callable[..., Any], *raw: dict[str, Any]) -> str:
    with pytest.raises(FunctionLoadError) as info:
        compile_(function, *raw)
    message = str(info.value)
    assert message.startswith("function 'f'"), message
    return message


# -- parse_bindings ------------------------------------------------------------------


def test_bindings_keep_their_own_properties_and_normalise_direction_and_data_type() -> None:
    (spec,) = parse_bindings(
        [
            {
                "name": "b",
                "type": "blob",
                "direction": "IN",
                "dataType": "Binary",
                "path": "c/{x}",
                "connection": "C",
            }
        ],
        function="f",
    )
    assert (spec.name, spec.type, spec.direction, spec.data_type) == ("b", "blob", "in", "binary")
    assert spec.properties == {"path": "c/{x}", "connection": "C"}


def test_undefined_data_type_means_none() -> None:
    (spec,) = bindings({**TRIGGER, "dataType": "undefined"})
    assert spec.data_type is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"name": "x"}, 'expected "bindings" to be a list of binding objects, got dict'),
        ([3], 'binding #1: expected an object with "name", "type" and "direction", got int'),
        ([{"type": "ticket", "direction": "in"}], 'binding #1: expected "name" to be a non-empty'),
        ([{"name": "t", "direction": "in"}], "binding 't': expected \"type\" to be a non-empty"),
        (
            [{"name": "t", "type": "ticket", "direction": "sideways"}],
            "binding 't' (ticket): expected \"direction\" 'in' or 'out', got 'sideways'",
        ),
        (
            [{"name": "t", "type": "ticket"}],
            "binding 't' (ticket): expected \"direction\" 'in' or 'out', got None",
        ),
        (
            [{"name": "t", "type": "ticket", "direction": "in", "dataType": "blob"}],
            "expected \"dataType\" 'binary', 'string' or 'stream' (or none), got 'blob'",
        ),
        (
            [TRIGGER, {"name": "t", "type": "sink", "direction": "out"}],
            "binding names must be unique, got 't' more than once",
        ),
    ],
)
def test_malformed_bindings_are_named(raw: Any, expected: str) -> None:
    with pytest.raises(FunctionLoadError, match=re.escape(expected)) as info:
        parse_bindings(raw, function="f")
    assert str(info.value).startswith("function 'f': ")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
BINDING_KEYS = st.sampled_from(["name", "type", "direction", "dataType", "path"])
BINDING_VALUES = st.sampled_from(["in", "out", "inout", "t", "binary", "STRING", "", "$return"])


@given(
    st.lists(
        st.dictionaries(BINDING_KEYS, BINDING_VALUES | JSON, max_size=5) | JSON,
        max_size=4,
    )
    | JSON
)
def test_any_bindings_value_parses_or_raises_a_load_error(raw: Any) -> None:
    try:
        specs = parse_bindings(raw, function="f")
    except FunctionLoadError as exc:
        assert str(exc).startswith("function 'f': ")
    else:
        assert all(spec.direction in ("in", "out") for spec in specs)
        assert len({spec.name for spec in specs}) == len(specs)


def test_inout_is_rejected_with_the_fix() -> None:
    with pytest.raises(FunctionLoadError) as info:
        bindings(TRIGGER, {"name": "doc", "type": "sink", "direction": "inout"})
    assert str(info.value) == (
        "function 'f': binding 'doc' (sink): direction 'inout' is not supported; declare an "
        "'in' binding and an 'out' binding with different names instead"
    )


# -- the trigger ------------------------------------------------------------------------


def test_no_trigger() -> None:
    def main(x: str) -> None: ...

    message = load_error(main, {"name": "x", "type": "generic", "direction": "in"})
    assert "expected exactly one trigger binding" in message
    assert "got none" in message


def test_two_triggers_are_both_named() -> None:
    def main(t: Ticket, u: Ticket) -> None: ...

    message = load_error(main, TRIGGER, {"name": "u", "type": "ticket", "direction": "in"})
    assert "expected exactly one trigger binding, got 2: 't' (ticket), 'u' (ticket)" in message


def test_a_trigger_must_be_an_input() -> None:
    def main() -> None: ...

    message = load_error(main, {"name": "t", "type": "eventTrigger", "direction": "out"})
    assert "binding 't': a trigger binding must have direction 'in', got 'out'" in message


def test_an_unregistered_trigger_type_is_served_by_the_generic_converter() -> None:
    def main(event: str) -> None: ...

    plan = compile_(main, {"name": "event", "type": "eventGridTrigger", "direction": "in"})
    assert plan.trigger.type == "eventGridTrigger"
    assert plan.params[0].is_trigger


def test_the_caller_may_name_the_trigger() -> None:
    def main(t: Ticket, u: Ticket) -> None: ...

    plan = compile_function(
        main,
        bindings(TRIGGER, {"name": "u", "type": "ticket", "direction": "in"}),
        name="f",
        registry=make_registry(),
        trigger_name="u",
    )
    assert plan.trigger.name == "u"
    assert [p.is_trigger for p in plan.params] == [False, True]


def test_an_unregistered_type_without_a_generic_fallback() -> None:
    def main(t: Ticket) -> None: ...

    registry = Registry()
    registry.register("ticket", converter=TicketTrigger(), trigger=True)
    with pytest.raises(FunctionLoadError) as info:
        compile_function(
            main,
            bindings(TRIGGER, {"name": "x", "type": "mystery", "direction": "in"}),
            name="f",
            registry=registry,
        )
    assert "binding 'x'" in str(info.value)
    assert "'mystery' is not registered" in str(info.value)


# -- parameters against bindings ------------------------------------------------------------


def test_a_parameter_without_a_binding() -> None:
    def main(t: Ticket, extra: str, more: int) -> None: ...

    message = load_error(main, TRIGGER)
    assert "parameters 'extra', 'more' have no binding; add a binding named" in message
    assert "(only 'context' needs no binding)" in message


def test_an_input_binding_without_a_parameter() -> None:
    def main(t: Ticket) -> None: ...

    message = load_error(main, TRIGGER, {"name": "doc", "type": "generic", "direction": "in"})
    assert (
        "binding 'doc' (generic in) has no parameter; add parameter named 'doc' to main(...)"
        in (message)
    )


def test_an_output_binding_without_a_parameter() -> None:
    def main(t: Ticket) -> None: ...

    message = load_error(main, TRIGGER, {"name": "out", "type": "sink", "direction": "out"})
    assert "binding 'out' (sink out) has no parameter" in message


def test_the_trigger_needs_a_parameter_too() -> None:
    def main() -> None: ...

    assert "binding 't' (ticket in) has no parameter" in load_error(main, TRIGGER)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def main(t, *rest): pass", "*rest cannot receive bindings"),
        ("def main(t, **more): pass", "**more cannot receive bindings"),
        ("def main(t, /): pass", "parameter 't': bindings are passed by name"),
    ],
)
def test_parameter_kinds_that_cannot_receive_bindings(source: str, expected: str) -> None:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    assert expected in load_error(namespace["main"], TRIGGER)


def test_context_needs_no_binding() -> None:
    def main(t: Ticket, context: func.Context) -> None: ...

    plan = compile_(main, TRIGGER)
    context = plan.params[1]
    assert context.is_context and context.binding is None and context.decoder is None
    assert plan.context_parameter == "context"


def test_context_without_annotation() -> None:
    def main(context, t):  # type: ignore[no-untyped-def]
        pass

    assert compile_(main, TRIGGER).context_parameter == "context"


def test_context_with_a_wrong_annotation() -> None:
    def main(t: Ticket, context: str) -> None: ...

    message = load_error(main, TRIGGER)
    assert "parameter 'context': a parameter named 'context' without a binding receives" in message
    assert "expected azure.functions.Context or no annotation, got str" in message


def test_a_binding_named_context_is_an_ordinary_binding() -> None:
    def main(t: Ticket, context: str) -> None: ...

    plan = compile_(main, TRIGGER, {"name": "context", "type": "generic", "direction": "in"})
    assert plan.context_parameter is None
    assert plan.params[1].decoder is not None


# -- Out --------------------------------------------------------------------------------------

OUT = {"name": "out", "type": "sink", "direction": "out"}


def test_out_parameters_get_the_encoder_of_their_value_type() -> None:
    def main(t: Ticket, out: func.Out[str]) -> None: ...

    plan = compile_(main, TRIGGER, OUT)
    (param,) = plan.out_params
    assert param.is_out and param.decoder is None
    assert plan.outputs == {"out": encode_sink}
    assert param.annotation.describe() == "Out[str]"


def test_bare_out_means_any_value() -> None:
    def main(t: Ticket, out: func.Out) -> None: ...  # type: ignore[type-arg]

    assert compile_(main, TRIGGER, OUT).outputs["out"] is encode_sink


def test_out_on_an_input_binding() -> None:
    def main(t: Ticket, doc: func.Out[str]) -> None: ...

    message = load_error(main, TRIGGER, {"name": "doc", "type": "generic", "direction": "in"})
    assert "parameter 'doc': annotated Out[str] but binding 'doc' (generic) has direction 'in'" in (
        message
    )


def test_out_on_the_trigger() -> None:
    def main(t: func.Out[str]) -> None: ...

    assert "Out[...] is only for output bindings" in load_error(main, TRIGGER)


def test_an_output_binding_needs_out() -> None:
    def main(t: Ticket, out: str) -> None: ...

    message = load_error(main, TRIGGER, OUT)
    assert "parameter 'out': binding 'out' (sink) is an output: expected the annotation" in message
    assert "azure.functions.Out[T] and a call to out.set(value), got str" in message


def test_an_output_binding_needs_out_even_without_annotation() -> None:
    def main(t, out):  # type: ignore[no-untyped-def]
        pass

    assert "got no annotation" in load_error(main, TRIGGER, OUT)


def test_out_value_type_rejected_by_the_output_converter() -> None:
    def main(t: Ticket, out: func.Out[int]) -> None: ...

    message = load_error(main, TRIGGER, OUT)
    assert "parameter 'out', binding 'sink':" in message
    assert "does not accept int as an output annotation; it accepts str" in message


# -- annotations -------------------------------------------------------------------------------


def test_an_annotation_no_converter_accepts() -> None:
    def main(t: bytes) -> None: ...

    message = load_error(main, TRIGGER)
    assert message == (
        "function 'f', parameter 't', binding 'ticket': binding type 'ticket' does not accept "
        "bytes as an input annotation; it accepts Ticket or str"
    )


def test_an_annotation_that_is_not_a_type() -> None:
    def main(t: 3) -> None: ...  # type: ignore[valid-type]

    assert "parameter 't': expected a type, got int 3" in load_error(main, TRIGGER)


@pytest.mark.parametrize(
    ("annotation", "wire", "expected"),
    [
        (Optional[str], Datum("a", "string"), "a"),
        (Optional[str], Datum(None, None), None),
        (str | None, Datum(None, None), None),
        (list[str], Datum('["a", "b"]', "json"), ["a", "b"]),
        (typing.List[int], Datum("[1, 2]", "json"), [1, 2]),
        ("str", Datum("a", "string"), "a"),
        ("Optional[str]", Datum(None, None), None),
        ("list[str] | None", Datum('["a"]', "json"), ["a"]),
    ],
)
def test_optional_union_list_and_string_annotations(
    annotation: Any, wire: Datum, expected: Any
) -> None:
    def main(t: Ticket, doc: Any) -> None: ...

    main.__annotations__["doc"] = annotation
    plan = compile_(main, TRIGGER, {"name": "doc", "type": "generic", "direction": "in"})
    decoder = plan.params[1].decoder
    assert decoder is not None
    assert decoder(wire, None) == expected


def test_string_annotations_resolve_in_the_functions_module() -> None:
    def main(t: Ticket, doc: str) -> str: ...  # this module has postponed annotations

    assert main.__annotations__["t"] == "Ticket"
    plan = compile_(main, TRIGGER, {"name": "doc", "type": "generic", "direction": "in"}, RETURN)
    assert plan.params[0].annotation.cls is Ticket
    assert plan.return_encoder is encode_sink


def test_an_unresolvable_string_annotation_names_the_parameter() -> None:
    def main(t: Ticket, doc: str) -> None: ...

    main.__annotations__["doc"] = "Missing | None"
    message = load_error(main, TRIGGER, {"name": "doc", "type": "generic", "direction": "in"})
    assert "parameter 'doc': cannot resolve the annotation 'Missing | None'" in message
    assert "NameError" in message


def test_data_type_reaches_the_converter() -> None:
    registry = make_registry()
    trigger = registry.get("ticket")
    assert trigger is not None

    def main(t: Ticket) -> None: ...

    compile_(main, {**TRIGGER, "dataType": "string"}, registry=registry)
    _, binding = trigger.converter.compiled[-1]
    assert binding.data_type == "string"
    assert binding.name == "t"


# -- the return value ------------------------------------------------------------------------


def test_return_annotation_checked_against_return_binding() -> None:
    def main(t: Ticket) -> int: ...

    message = load_error(main, TRIGGER, RETURN)
    assert message.startswith("function 'f', output '$return', binding 'sink': ")
    assert "does not accept int as an output annotation" in message


def test_no_return_annotation_compiles_the_binding_default() -> None:
    def main(t):  # type: ignore[no-untyped-def]
        pass

    plan = compile_(main, TRIGGER, RETURN)
    assert plan.return_encoder is encode_sink
    assert plan.return_binding is not None and plan.return_binding.name == "$return"


def test_a_declared_return_value_needs_a_return_binding() -> None:
    def main(t: Ticket) -> str: ...

    message = load_error(main, TRIGGER)
    assert "annotated to return str but there is no '$return' output binding" in message
    assert "annotate the function '-> None'" in message


def test_an_optional_return_needs_a_return_binding_too() -> None:
    def main(t: Ticket) -> str | None: ...

    assert "annotated to return str | None" in load_error(main, TRIGGER)


def test_returning_none_without_a_return_binding() -> None:
    def main(t: Ticket) -> None: ...

    plan = compile_(main, TRIGGER)
    assert plan.return_encoder is None and plan.return_binding is None


def test_none_return_annotation_with_a_return_binding_sends_nothing() -> None:
    def main(t: Ticket) -> None: ...

    plan = compile_(main, TRIGGER, RETURN)
    assert plan.return_encoder is not None
    assert plan.return_encoder(None) is None


def test_return_binding_must_be_an_output() -> None:
    def main(t: Ticket) -> str: ...

    message = load_error(main, TRIGGER, {"name": "$return", "type": "sink", "direction": "in"})
    assert "binding '$return' must have direction 'out', got 'in'" in message


def test_out_as_a_return_annotation() -> None:
    def main(t: Ticket) -> func.Out[str]: ...

    assert "expected a return annotation that is not Out[...]" in load_error(main, TRIGGER, RETURN)


def test_an_implicit_output_trigger_takes_the_return_value() -> None:
    def main(context: str) -> dict[str, int]: ...

    plan = compile_(main, {"name": "context", "type": "orchestration", "direction": "in"})
    assert plan.return_binding is plan.trigger
    assert plan.return_encoder is generic.encode_value


def test_an_unregistered_output_never_takes_the_return_value_implicitly() -> None:
    def main(t: Ticket) -> str: ...

    with pytest.raises(FunctionLoadError):
        compile_(main, TRIGGER, {"name": "x", "type": "mystery", "direction": "out"})


# -- the plan ----------------------------------------------------------------------------------


def test_plan_shape() -> None:
    def main(t: Ticket, doc: dict[str, Any], out: func.Out[str], context: func.Context) -> str:
        return ""

    plan = compile_function(
        main,
        bindings(
            TRIGGER,
            {"name": "doc", "type": "generic", "direction": "in"},
            OUT,
            RETURN,
        ),
        name="f",
        registry=make_registry(),
        directory="/app/f",
        script_file="/app/f/__init__.py",
        entry_point="main",
        disabled=True,
    )
    assert plan.name == "f" and plan.function is main and not plan.is_async
    assert str(plan.directory) == "/app/f" and plan.script_file == "/app/f/__init__.py"
    assert plan.entry_point == "main" and plan.disabled
    assert [b.name for b in plan.bindings] == ["t", "doc", "out", "$return"]
    assert plan.trigger.name == "t"
    assert [p.name for p in plan.params] == ["t", "doc", "out", "context"]
    assert [p.name for p in plan.input_params] == ["t", "doc"]
    assert [(p.is_trigger, p.is_out, p.is_context) for p in plan.params] == [
        (True, False, False),
        (False, False, False),
        (False, True, False),
        (False, False, True),
    ]
    assert plan.binding("$return") is plan.return_binding
    assert plan.binding("nope") is None
    assert "FunctionPlan 'f'" in repr(plan)


def test_async_functions_are_detected() -> None:
    async def direct(t: Ticket) -> None: ...

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return function(*args, **kwargs)

        return wrapper

    class Callable_:
        async def __call__(self, t: Ticket) -> None: ...

    def sync(t: Ticket) -> None: ...

    assert compile_(direct, TRIGGER).is_async
    assert compile_(decorate(direct), TRIGGER).is_async
    assert compile_(Callable_(), TRIGGER).is_async
    assert not compile_(sync, TRIGGER).is_async


def test_compilation_goes_through_the_registry_cache() -> None:
    registry = make_registry()
    ticket = registry.get("ticket")
    assert ticket is not None

    def one(t: Ticket) -> None: ...

    def two(t: Ticket) -> None: ...

    compile_(one, TRIGGER, registry=registry)
    compile_(two, TRIGGER, registry=registry)
    assert len(ticket.converter.compiled) == 1


def test_annotation_errors_from_converters_keep_their_sentence() -> None:
    class Picky:
        directions = frozenset({"in"})

        def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
            raise AnnotationError("expected Ticket, got a plain dict; use Ticket.from_dict")

    registry = make_registry()
    registry.register("picky", converter=Picky())

    def main(t: Ticket, p: dict) -> None: ...  # type: ignore[type-arg]

    with pytest.raises(FunctionLoadError) as info:
        compile_(
            main, TRIGGER, {"name": "p", "type": "picky", "direction": "in"}, registry=registry
        )
    assert str(info.value) == (
        "function 'f', parameter 'p', binding 'picky': expected Ticket, got a plain dict; "
        "use Ticket.from_dict"
    )
    assert isinstance(info.value.__cause__, AnnotationError)


def test_an_input_only_converter_cannot_serve_an_output() -> None:
    def main(t: Ticket, out: func.Out[str]) -> None: ...

    message = load_error(main, TRIGGER, {"name": "out", "type": "ticket", "direction": "out"})
    assert "cannot be used as an output" in message
