"""Annotation normalisation (funcbind._typing)."""

from __future__ import annotations

import collections.abc
import inspect
import typing
from typing import Any, Optional, Union

import azure.functions as func
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcbind import AnnotationError, normalize

BASES: list[Any] = [str, bytes, int, float, dict, func.HttpRequest, func.InputStream]


def wrap_optional(annotation: Any, style: int) -> Any:
    return [Optional[annotation], annotation | None, Union[None, annotation]][style]


@st.composite
def annotations(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    """An annotation built from layers, and what its normalised spec must say."""
    base = draw(st.sampled_from(BASES))
    expected: dict[str, Any] = {"kind": "class", "cls": base, "optional": False, "out": False}
    annotation: Any = base
    if draw(st.booleans()):
        annotation = draw(st.sampled_from([list, typing.List, collections.abc.Sequence]))[
            annotation
        ]
        expected = {"kind": "list", "item_cls": base, "optional": False, "out": False}
    if draw(st.booleans()):
        annotation = wrap_optional(annotation, draw(st.integers(0, 2)))
        expected["optional"] = True
    if draw(st.booleans()):
        annotation = typing.Annotated[annotation, "metadata"]
    if draw(st.booleans()):
        annotation = func.Out[annotation]
        expected["out"] = True
    return annotation, expected


@given(annotations())
def test_layers_normalise_to_the_base(case: tuple[Any, dict[str, Any]]) -> None:
    annotation, expected = case
    spec = normalize(annotation)
    assert spec.kind == expected["kind"]
    assert spec.optional is expected["optional"]
    assert spec.out is expected["out"]
    assert spec.annotation == annotation
    if spec.kind == "class":
        assert spec.cls is expected["cls"]
        assert spec.is_class(expected["cls"])
    else:
        assert spec.item is not None
        assert spec.item.cls is expected["item_cls"]
        assert spec.items_subclass_of(expected["item_cls"])
    assert isinstance(spec.describe(), str)


@given(annotations())
def test_normalising_is_deterministic_and_hashable(case: tuple[Any, dict[str, Any]]) -> None:
    annotation, _ = case
    assert normalize(annotation) == normalize(annotation)
    assert hash(normalize(annotation)) == hash(normalize(annotation))


@pytest.mark.parametrize("annotation", [inspect.Parameter.empty, Any])
def test_missing_annotation_is_any(annotation: Any) -> None:
    assert normalize(annotation).kind == "any"


@pytest.mark.parametrize("annotation", [None, type(None)])
def test_none_annotation(annotation: Any) -> None:
    assert normalize(annotation).kind == "none"


def test_union_of_several_types_keeps_its_options() -> None:
    spec = normalize(Union[str, bytes, None])
    assert spec.kind == "union"
    assert spec.optional
    assert [option.cls for option in spec.options] == [str, bytes]


def test_nested_optional_unions_flatten() -> None:
    spec = normalize(Optional[Union[str, Optional[bytes]]])
    assert spec.kind == "union"
    assert spec.optional
    assert [option.cls for option in spec.options] == [str, bytes]


def test_generic_class_keeps_origin_and_args() -> None:
    spec = normalize(dict[str, int])
    assert spec.kind == "class"
    assert spec.cls is dict
    assert spec.args == (str, int)
    assert spec.subclass_of(dict)


def test_homogeneous_tuple_is_a_list() -> None:
    spec = normalize(tuple[str, ...])
    assert spec.kind == "list"
    assert spec.item is not None and spec.item.cls is str


def test_subclass_of_never_raises_on_generics() -> None:
    assert normalize(list[str]).subclass_of(str) is False
    assert normalize(dict[str, int]).subclass_of(func.HttpRequest) is False


def test_describe_reads_well() -> None:
    assert normalize(func.Out[Optional[list[str]]]).describe() == "Out[list[str] | None]"
    assert normalize(func.HttpRequest).describe() == "azure.functions.HttpRequest"


@pytest.mark.parametrize(
    ("annotation", "fragment"),
    [
        (3, "got int 3"),
        ("str", "unresolved string annotation 'str'"),
        (typing.ForwardRef("Foo"), "unresolved string annotation"),
        (typing.TypeVar("T"), "got TypeVar"),
        (tuple[str, int], "tuple[T, ...]"),
        (func.Out[func.Out[str]], "not itself an Out"),
        (Union[func.Out[str], None], "outside a union"),
        (typing.Literal["a"], "expected a type"),
    ],
)
def test_non_types_raise_a_clear_error(annotation: Any, fragment: str) -> None:
    with pytest.raises(AnnotationError, match="expected") as info:
        normalize(annotation)
    assert fragment in str(info.value)
    assert isinstance(info.value, TypeError)


def test_satisfied_by_names_the_classes_a_model_instance_satisfies() -> None:
    class Model(func.QueueMessage):
        pass

    assert normalize(func.QueueMessage).satisfied_by(Model)
    assert normalize(Optional[func.QueueMessage]).satisfied_by(Model)
    assert normalize(func._abc.QueueMessage).satisfied_by(Model)
    assert normalize(Model).satisfied_by(Model)
    assert not normalize(object).satisfied_by(Model)  # says nothing about the value
    assert not normalize(dict).satisfied_by(Model)
    assert not normalize(list[func.QueueMessage]).satisfied_by(Model)
    assert not normalize(typing.Any).satisfied_by(Model)
    # ``within`` keeps out bases that are too general for the binding
    assert not normalize(func._abc.QueueMessage).satisfied_by(Model, within=func.QueueMessage)
