"""The generic converter (funcbind.bindings.generic) on good and bad input."""

from __future__ import annotations

import json
import typing
from functools import partial
from types import SimpleNamespace
from typing import Any

import pytest
import wire_junk
from hypothesis import given
from hypothesis import strategies as st
from wire_junk import DEEP_ARRAY, DEEP_OBJECT

from funcbind import BindingSpec, Datum, DecodeError, EncodeError, default_registry
from funcbind.bindings.generic import encode_value
from funcbind.worker import WorkerRegistry

REGISTRY = default_registry()
WORKER = WorkerRegistry(REGISTRY)
SPEC = BindingSpec(type="custom", name="data")


def decode(datum: Any, annotation: Any = typing.Any) -> Any:
    return REGISTRY.decoder("custom", annotation, SPEC)(datum, None)


# -- decoding ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("datum", "annotation", "expected"),
    [
        (Datum("text", "string"), str, "text"),
        (Datum('{"a": 1}', "json"), str, '{"a": 1}'),
        (Datum("héllo".encode(), "bytes"), str, "héllo"),
        (Datum(5, "int"), str, "5"),
        (Datum(b"\x00", "bytes"), bytes, b"\x00"),
        (Datum("é", "string"), bytes, "é".encode()),
        (Datum('{"a": [1]}', "json"), dict, {"a": [1]}),
        (Datum('{"a": 1}', "string"), dict[str, int], {"a": 1}),
        (Datum(b"[1, 2]", "bytes"), list, [1, 2]),
        (Datum(7, "int"), int, 7),
        (Datum("7", "string"), int, 7),
        (Datum(2.0, "double"), int, 2),
        (Datum(2.5, "double"), float, 2.5),
        (Datum(3, "int"), float, 3.0),
        (Datum("true", "json"), bool, True),
        (Datum("False", "string"), bool, False),
        (Datum(1, "int"), bool, True),
        (Datum(SimpleNamespace(string=["a", "b"]), "collection_string"), list[str], ["a", "b"]),
        (Datum(SimpleNamespace(bytes=[b"a"]), "collection_bytes"), list[bytes], [b"a"]),
        (Datum(SimpleNamespace(bytes=[b"a"]), "collection_bytes"), list[str], ["a"]),
        (Datum(SimpleNamespace(double=[1.5]), "collection_double"), list[float], [1.5]),
        (Datum(SimpleNamespace(sint64=[1, 2]), "collection_sint64"), list[int], [1, 2]),
        (
            Datum(SimpleNamespace(sint64=[1, 3]), "collection_sint64"),
            typing.List[float],
            [1.0, 3.0],
        ),
        (Datum('["x", "y"]', "json"), list[str], ["x", "y"]),
        (Datum('[{"a": 1}]', "json"), list[dict], [{"a": 1}]),
        (Datum("[1, 2]", "json"), typing.Sequence[int], [1, 2]),
        (Datum(None, None), typing.Optional[str], None),
        (Datum(None, None), typing.Any, None),
    ],
)
def test_decodes_into_the_annotation(datum: Datum, annotation: Any, expected: Any) -> None:
    result = decode(datum, annotation)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("datum", "expected"),
    [
        (Datum("text", "string"), "text"),
        (Datum(b"raw", "bytes"), b"raw"),
        (Datum('{"a": 1}', "json"), '{"a": 1}'),  # JSON stays text, as the workers' generic does
        (Datum(5, "int"), 5),
        (Datum(0.5, "double"), 0.5),
        (Datum(memoryview(b"st"), "stream"), b"st"),
        (Datum(SimpleNamespace(string=["a"]), "collection_string"), ["a"]),
    ],
)
def test_without_annotation_returns_the_raw_value(datum: Datum, expected: Any) -> None:
    assert decode(datum) == expected


def test_bytes_are_returned_without_a_copy() -> None:
    payload = b"x" * 1024
    assert decode(Datum(payload, "bytes"), bytes) is payload


@given(st.recursive(st.none() | st.integers() | st.text(), st.lists, max_leaves=8))
def test_json_lists_round_trip(value: Any) -> None:
    wrapped = [value]
    encoded = encode_value(wrapped)
    assert encoded is not None
    assert decode(encoded, list) == wrapped


@pytest.mark.parametrize(
    ("datum", "annotation", "fragment"),
    [
        (Datum(b"\xff\xfe", "bytes"), str, "not UTF-8"),
        (Datum("{not json", "json"), dict, "invalid JSON"),
        (Datum("[1]", "json"), dict, "expected a JSON object, got list"),
        (Datum('{"a": 1}', "json"), list, "expected a JSON array or a collection, got dict"),
        (Datum("seven", "string"), int, "expected int, got string 'seven'"),
        (Datum(2.5, "double"), int, "fractional part"),
        (Datum("maybe", "string"), bool, "expected a boolean"),
        (Datum('["a", 1]', "json"), list[str], "item 1: expected str, got int 1"),
        (Datum('{"a": 1}', "json"), list[str], "expected a JSON array or a collection"),
        (Datum(SimpleNamespace(bytes=[b"\xff"]), "collection_bytes"), list[str], "item 0"),
        (Datum(None, None), str, "got no value (null); annotate the parameter as Optional"),
    ],
)
def test_bad_content_is_a_decode_error_naming_the_binding(
    datum: Datum, annotation: Any, fragment: str
) -> None:
    with pytest.raises(DecodeError) as info:
        decode(datum, annotation)
    assert fragment in str(info.value)
    assert "binding 'custom' ('data')" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("annotation", [dict, list, list[int], typing.Optional[dict]])
@pytest.mark.parametrize("kind", ["json", "string", "bytes", "stream"])
def test_deeply_nested_json_is_a_decode_error(annotation: Any, kind: str) -> None:
    text = DEEP_ARRAY if annotation is not dict else DEEP_OBJECT
    datum = Datum(text.encode() if kind in ("bytes", "stream") else text, kind)
    with pytest.raises(DecodeError, match=r"binding 'custom' .*got invalid JSON") as info:
        decode(datum, annotation)
    assert isinstance(info.value.__cause__, RecursionError)


@pytest.mark.parametrize(
    ("datum", "annotation"),
    [
        (Datum({"method": Datum("GET", "string")}, "http"), typing.Any),
        (Datum(b"x", "bytes"), int),
        (Datum(SimpleNamespace(), "model_binding_data"), str),
        (Datum("x", "no_such_kind"), typing.Any),
    ],
)
def test_unsupported_wire_kinds_are_not_implemented(datum: Datum, annotation: Any) -> None:
    with pytest.raises(NotImplementedError, match="got wire type"):
        decode(datum, annotation)


@pytest.mark.parametrize("annotation", [set[int], typing.Union[int, str], list[set[int]], object])
def test_annotations_it_cannot_decode_are_refused(annotation: Any) -> None:
    assert REGISTRY.get("generic") is not None
    binding = REGISTRY.get("generic")
    assert binding is not None
    assert binding.converter.decoder(__import__("funcbind").normalize(annotation), SPEC) is None


# -- encoding ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", Datum("text", "string")),
        (b"raw", Datum(b"raw", "bytes")),
        (7, Datum(7, "int")),
        (True, Datum(1, "int")),
        (False, Datum(0, "int")),
        (2.5, Datum(2.5, "double")),
        ({"a": [1]}, Datum('{"a": [1]}', "json")),
        ([1, "x"], Datum('[1, "x"]', "json")),
        (None, None),
    ],
)
def test_encodes_plain_values(value: Any, expected: Datum | None) -> None:
    assert encode_value(value) == expected
    encoder = REGISTRY.encoder("custom", typing.Any, SPEC)
    assert encoder(value) == expected


@pytest.mark.parametrize("value", [bytearray(b"abc"), memoryview(b"abc")])
def test_binary_buffers_pass_through_without_a_copy(value: Any) -> None:
    datum = encode_value(value)
    assert datum is not None
    assert datum.value is value


def test_subclasses_take_the_slow_path() -> None:
    import enum
    from collections import OrderedDict

    class Colour(str, enum.Enum):
        RED = "red"

    assert encode_value(Colour.RED) == Datum(Colour.RED, "string")
    assert encode_value(OrderedDict(a=1)) == Datum('{"a": 1}', "json")
    assert encode_value((1, 2)) == Datum("[1, 2]", "json")


@pytest.mark.parametrize("value", [object(), {1, 2}, {"a": object()}])
def test_unencodable_values_are_clear_errors(value: Any) -> None:
    with pytest.raises(EncodeError, match="expected") as info:
        encode_value(value)
    assert isinstance(info.value, NotImplementedError)
    assert type(value).__name__ in str(info.value)


@pytest.mark.parametrize(
    ("annotation", "accepted"),
    [
        (str, True),
        (typing.Optional[bytes], True),
        (typing.Union[str, bytes], True),
        (list[str], True),
        (None, True),
        (set[int], False),
        (object, False),
    ],
)
def test_output_annotations(annotation: Any, accepted: bool) -> None:
    from funcbind import AnnotationError

    if accepted:
        REGISTRY.encoder("custom", annotation, SPEC)
    else:
        with pytest.raises(AnnotationError, match="does not accept"):
            REGISTRY.encoder("custom", annotation, SPEC)


def test_json_encoding_is_plain_json() -> None:
    datum = encode_value({"ü": 1})
    assert datum is not None
    assert json.loads(datum.value) == {"ü": 1}


# -- hypothesis: junk ----------------------------------------------------------------

_ANNOTATIONS = [
    None,
    str,
    bytes,
    int,
    float,
    bool,
    dict,
    list,
    list[int],
    list[str],
    list[dict],
    typing.Optional[dict],
    typing.Optional[list[float]],
]


@given(datum=wire_junk.wire_datums(), pytype=st.sampled_from(_ANNOTATIONS))
def test_junk_through_the_worker_facade_is_only_ever_a_funcbind_error(
    datum: Datum, pytype: Any
) -> None:
    binding = WORKER.get("generic")
    assert binding is not None
    wire_junk.read_every_member(
        {"decode": partial(binding.decode, datum, trigger_metadata=None, pytype=pytype)}
    )
