"""funcbind.registry: registration, isolation, caching, plugins."""

from __future__ import annotations

from typing import Any

import pytest

from funcbind import (
    AnnotationError,
    BindingSpec,
    Datum,
    DecodeError,
    RegistrationError,
    Registry,
    TypeSpec,
    default_registry,
)
from funcbind.registry import Decoder, Encoder


class TextConverter:
    """A converter that accepts str only, and counts its compilations."""

    directions = frozenset({"in", "out"})

    def __init__(self) -> None:
        self.compiled = 0

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        self.compiled += 1
        if not spec.is_class(str):
            return None
        return lambda datum, metadata: f"{binding.data_type}:{datum.value}"

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        self.compiled += 1
        return lambda value: Datum(str(value), "string")


class OtherConverter(TextConverter):
    pass


def test_registries_are_isolated() -> None:
    first, second = Registry(), Registry()
    first.register("text", converter=TextConverter())
    assert "text" in first
    assert "text" not in second
    assert second.get("text") is None


def test_default_registry_is_new_each_time() -> None:
    first = default_registry()
    first.register("custom", converter=TextConverter())
    assert "custom" not in default_registry()
    assert "generic" in default_registry()


def test_register_as_decorator_instantiates_classes() -> None:
    registry = Registry()

    @registry.register("text", "textTrigger", trigger=True)
    class Decorated(TextConverter):
        pass

    assert isinstance(Decorated, type)
    registration = registry.get("textTrigger")
    assert registration is not None
    assert isinstance(registration.converter, Decorated)
    assert registration.trigger is True
    assert registration.implicit_output is False
    assert list(registry) == ["text", "textTrigger"]
    assert len(registry) == 2


def test_duplicate_names_both_converters() -> None:
    registry = Registry()
    registry.register("text", converter=TextConverter())
    with pytest.raises(RegistrationError) as info:
        registry.register("text", converter=OtherConverter())
    message = str(info.value)
    assert "test_registry.TextConverter" in message
    assert "test_registry.OtherConverter" in message
    assert "replace=True" in message


def test_replace_overrides_and_clears_cache() -> None:
    registry = Registry()
    registry.register("text", converter=TextConverter())
    before = registry.decoder("text", str)
    registry.register("text", converter=OtherConverter(), replace=True)
    after = registry.decoder("text", str)
    assert before is not after
    assert isinstance(registry.get("text").converter, OtherConverter)  # type: ignore[union-attr]


def test_lookups_are_cached_until_the_next_registration() -> None:
    registry = Registry()
    converter = TextConverter()
    registry.register("text", converter=converter)
    first = registry.decoder("text", str)
    assert registry.decoder("text", str) is first
    assert converter.compiled == 1
    registry.register("unrelated", converter=TextConverter())
    assert registry.decoder("text", str) is not first
    assert converter.compiled == 2


def test_cache_key_includes_data_type() -> None:
    registry = Registry()
    registry.register("text", converter=TextConverter())
    binary = registry.decoder("text", str, BindingSpec("text", data_type="binary"))
    string = registry.decoder("text", str, BindingSpec("text", data_type="string"))
    assert binary(Datum("x", "string"), None) == "binary:x"
    assert string(Datum("x", "string"), None) == "string:x"


def test_unhashable_annotation_still_compiles() -> None:
    registry = default_registry()

    class Unhashable(type):
        __hash__ = None  # type: ignore[assignment]

    strange = Unhashable("Strange", (str,), {})
    with pytest.raises(AnnotationError, match="does not accept"):
        registry.decoder("generic", strange)


def test_rejected_annotation_names_binding_annotation_and_accepted_types() -> None:
    registry = default_registry()
    with pytest.raises(AnnotationError) as info:
        registry.decoder("generic", set[int])
    message = str(info.value)
    assert "'generic'" in message
    assert "set[int]" in message
    assert "it accepts str, bytes" in message


def test_direction_not_served_is_an_annotation_error() -> None:
    registry = Registry()

    class InputOnly:
        directions = frozenset({"in"})

        def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder:
            return lambda datum, metadata: datum.value

    registry.register("inonly", converter=InputOnly())
    with pytest.raises(AnnotationError, match="cannot be used as an output"):
        registry.encoder("inonly", str)


@pytest.mark.parametrize(
    ("converter", "kwargs", "fragment"),
    [
        (object(), {}, "expected directions"),
        (object(), {"directions": ["in"]}, "has no decoder(spec, binding) method"),
        (object(), {"directions": ["sideways"]}, "expected directions"),
        (
            type("OutOnly", (), {"encoder": lambda *a: None})(),
            {"directions": ["out"], "trigger": True},
            "trigger",
        ),
    ],
)
def test_incomplete_converters_are_refused(
    converter: Any, kwargs: dict[str, Any], fragment: str
) -> None:
    registry = Registry()
    with pytest.raises(RegistrationError, match=r"expected|has no|trigger") as info:
        registry.register("broken", converter=converter, **kwargs)
    assert fragment in str(info.value)
    assert "broken" in str(info.value)
    assert "broken" not in registry


@pytest.mark.parametrize("names", [(), ("",), (3,)])
def test_bad_names_are_refused(names: tuple[Any, ...]) -> None:
    with pytest.raises(RegistrationError, match="expected"):
        Registry().register(*names, converter=TextConverter())


def test_unknown_types_fall_back_to_generic_without_implicit_output() -> None:
    registry = default_registry()
    registration = registry.resolve("someCustomBinding")
    assert registration.name == "someCustomBinding"
    assert registration.trigger is False
    assert registration.implicit_output is False
    decode = registry.decoder("someCustomBinding", dict)
    assert decode(Datum('{"a": 1}', "json"), None) == {"a": 1}


def test_unknown_type_without_generic_is_a_clear_error() -> None:
    registry = Registry()
    registry.register("text", converter=TextConverter())
    with pytest.raises(RegistrationError, match=r"'nope' is not registered.*registered: text"):
        registry.resolve("nope")


def test_unregister_and_copy() -> None:
    registry = default_registry()
    clone = registry.copy()
    clone.unregister("generic")
    assert "generic" in registry
    assert "generic" not in clone
    with pytest.raises(RegistrationError, match="not registered"):
        clone.unregister("generic")


def test_use_runs_a_plugin_and_names_it_when_it_fails() -> None:
    registry = Registry()

    def good(target: Registry) -> None:
        target.register("text", converter=TextConverter())

    def bad(target: Registry) -> None:
        raise KeyError("oops")

    registry.use(good)
    assert "text" in registry
    with pytest.raises(RegistrationError, match=r"plugin .*bad failed while registering: KeyError"):
        registry.use(bad)


# -- plugins through the real entry points of tests/plugin_dist ---------------


def test_plugins_are_not_loaded_unless_asked() -> None:
    assert "echo" not in default_registry()


def test_installed_plugin_is_loaded_through_its_entry_point() -> None:
    registry = default_registry(plugins=True)
    registration = registry.get("echo")
    assert registration is not None
    assert registration.trigger is True
    decode = registry.decoder("echo", str)
    assert decode(Datum("hi", "string"), None) == ("echo", "hi")


def test_load_plugins_returns_the_names() -> None:
    assert Registry().load_plugins() == ["echo"]


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        (
            "raises",
            "'raises' (funcbind_testplugin:register_raising) from funcbind-testplugin "
            "failed while registering: RuntimeError: this plugin always fails",
        ),
        (
            "missing",
            "'missing' (funcbind_testplugin.does_not_exist:register) from "
            "funcbind-testplugin could not be imported: ModuleNotFoundError",
        ),
        ("not_callable", "expected a function register(registry), got int"),
    ],
)
def test_failing_plugins_are_named(
    entry: str, fragment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.metadata

    points = importlib.metadata.entry_points(group="funcbind_tests.broken")
    wanted = [point for point in points if point.name == entry]
    assert wanted, f"the test distribution should define {entry!r}"

    registry = Registry()
    original = importlib.metadata.entry_points

    def only(group: str) -> Any:
        return wanted if group == "funcbind_tests.broken" else original(group=group)

    monkeypatch.setattr(importlib.metadata, "entry_points", only)
    with pytest.raises(RegistrationError) as info:
        registry.load_plugins("funcbind_tests.broken")
    assert fragment in str(info.value)


def test_cache_keeps_bindings_of_other_names_apart() -> None:
    # Converters name their binding in error messages, so two bindings must not share one
    # compiled decoder even when type and annotation agree.
    registry = default_registry()
    first = registry.decoder("custom", str, BindingSpec("custom", name="first"))
    second = registry.decoder("custom", str, BindingSpec("custom", name="second"))
    assert first is not second
    with pytest.raises(DecodeError, match="'second'"):
        second(Datum(None, None), None)


def test_bindings_that_differ_only_in_properties_get_their_own_decoder() -> None:
    class PropertyReader:
        directions = frozenset({"in"})

        def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder:
            prefix = binding.properties["prefix"]
            return lambda datum, metadata: f"{prefix}:{datum.value}"

    registry = Registry()
    registry.register("prefixed", converter=PropertyReader())
    first = BindingSpec("prefixed", name="x", properties={"prefix": "A", "tags": ["t"]})
    second = BindingSpec("prefixed", name="x", properties={"prefix": "B", "tags": ["t"]})
    assert registry.decoder("prefixed", str, first)(Datum("v", "string"), None) == "A:v"
    assert registry.decoder("prefixed", str, second)(Datum("v", "string"), None) == "B:v"
    assert registry.decoder("prefixed", str, first) is registry.decoder("prefixed", str, first)


def test_a_converter_that_crashes_while_compiling_is_named() -> None:
    class Faulty:
        directions = frozenset({"in"})

        def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder:
            return {"expected": 1}["databaseName"]  # type: ignore[no-any-return]

    registry = Registry()
    registry.register("faulty", converter=Faulty())
    with pytest.raises(AnnotationError) as info:
        registry.decoder("faulty", str, BindingSpec("faulty", name="doc"))
    message = str(info.value)
    assert "<locals>.Faulty failed to compile str" in message
    assert "'faulty' ('doc')" in message
    assert "KeyError: 'databaseName'" in message
    assert isinstance(info.value.__cause__, KeyError)


def test_implicit_output_needs_the_out_direction() -> None:
    with pytest.raises(RegistrationError, match="implicit output needs the 'out' direction"):
        Registry().register(
            "inonly", converter=TextConverter(), directions=["in"], implicit_output=True
        )
