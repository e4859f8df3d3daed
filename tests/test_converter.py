"""The converter protocol (funcbind.converter): one list of what funcbind reads, with defaults."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import funcbind
from funcbind import AnnotationError, Datum, RegistrationError, Registry
from funcbind.converter import (
    CONVERTER_ATTRIBUTES,
    DECODER_ATTRIBUTES,
    converter_attribute,
    decoder_attribute,
)

SRC = Path(funcbind.__file__).resolve().parent
DOC = SRC.parents[1] / "docs" / "registry.md"
PROTOCOL_NAMES = set(CONVERTER_ATTRIBUTES) | set(DECODER_ATTRIBUTES)


class Minimal:
    """Only what is required: a direction and its factory."""

    directions = frozenset({"in"})

    def decoder(self, spec: Any, binding: Any) -> Any:
        return (lambda datum, metadata: datum.value) if spec.is_class(str) else None


def test_every_attribute_has_a_default_and_a_meaning() -> None:
    for attribute in [*CONVERTER_ATTRIBUTES.values(), *DECODER_ATTRIBUTES.values()]:
        assert attribute.meaning
    assert converter_attribute(Minimal(), "model") is None
    assert converter_attribute(Minimal(), "accepted_inputs") is None
    assert converter_attribute(object(), "directions") == frozenset()
    assert decoder_attribute(lambda datum, metadata: None, "supports_deferred_binding") is False
    assert decoder_attribute(lambda datum, metadata: None, "collection") is False


def test_only_documented_names_can_be_read() -> None:
    with pytest.raises(KeyError):
        converter_attribute(Minimal(), "undocumented")
    with pytest.raises(KeyError):
        decoder_attribute(Minimal(), "undocumented")


def _attribute_reads(path: Path) -> list[tuple[int, str, str]]:
    """(line, object, attribute) of each getattr/hasattr with a constant attribute name."""
    reads = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
        ):
            reads.append((node.lineno, ast.unparse(node.args[0]), str(node.args[1].value)))
    return reads


def test_nothing_outside_the_protocol_module_reads_a_converter_attribute() -> None:
    """No getattr/hasattr of a protocol name, nor of anything on a converter or a decoder,
    outside funcbind.converter: it would skip the documented defaults, or read an
    attribute nobody documented (add it to the tables and read it through them)."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "converter.py" and path.parent == SRC:
            continue
        for line, target, name in _attribute_reads(path):
            on_converter = target.endswith(("converter", "decoder"))
            if name in PROTOCOL_NAMES or on_converter:
                found.append(f"{path.relative_to(SRC)}:{line} getattr({target}, {name!r})")
    assert not found, f"read these through funcbind.converter instead: {found}"


def test_the_registry_page_documents_every_attribute() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in [*PROTOCOL_NAMES, "trigger", "implicit_output"]:
        assert f"`{name}`" in text, name


def test_a_minimal_converter_gets_the_defaults() -> None:
    registry = Registry()
    registry.register("minimal", converter=Minimal())
    registration = registry.get("minimal")
    assert registration is not None
    assert (registration.model, registration.accepted("in"), registration.accepted("out")) == (
        None,
        None,
        None,
    )
    assert registration.trigger is False and registration.implicit_output is False
    assert registry.decoder("minimal", str)(Datum("x", "string"), None) == "x"
    with pytest.raises(AnnotationError) as caught:
        registry.decoder("minimal", int)
    assert "it accepts" not in str(caught.value)  # no accepted_inputs: no hint


def test_accepted_text_is_the_hint_of_a_refusal() -> None:
    class Hinted(Minimal):
        accepted_inputs = "str only"

    registry = Registry()
    registry.register("hinted", converter=Hinted())
    with pytest.raises(AnnotationError, match=r"does not accept int .* it accepts str only"):
        registry.decoder("hinted", int)


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("model", "HttpRequest", "expected model to be a class"),
        ("model", list[str], "expected model to be a class"),
        ("accepted_inputs", ["str"], "expected accepted_inputs to be text"),
        ("accepted_outputs", 3, "expected accepted_outputs to be text"),
    ],
)
def test_registration_checks_the_protocol_attributes(
    attribute: str, value: object, message: str
) -> None:
    converter = Minimal()
    setattr(converter, attribute, value)
    with pytest.raises(RegistrationError, match=message) as caught:
        Registry().register("bad", converter=converter)
    assert "test_converter.Minimal" in str(caught.value)
