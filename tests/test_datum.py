"""funcbind.Datum and python_value."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcbind import Datum, DecodeError
from funcbind.datum import parse_json, python_value

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)


def test_attributes_and_slots() -> None:
    datum = Datum(b"abc", "bytes")
    assert (datum.value, datum.type) == (b"abc", "bytes")
    with pytest.raises(AttributeError):
        datum.extra = 1  # type: ignore[attr-defined]


def test_equality_compares_type_and_value() -> None:
    assert Datum("1", "string") == Datum("1", "string")
    assert Datum("1", "string") != Datum("1", "json")
    assert Datum("1", "string") != Datum("2", "string")
    assert Datum("1", "string") != "1"


def test_repr_is_short() -> None:
    text = repr(Datum("x" * 1000, "string"))
    assert text.startswith("<Datum string 'xxx")
    assert len(text) < 40


@given(json_values)
def test_json_python_value_is_parsed(value: object) -> None:
    assert Datum(json.dumps(value), "json").python_value == value


@pytest.mark.parametrize(
    ("datum", "expected"),
    [
        (Datum("text", "string"), "text"),
        (Datum(b"\x00\x01", "bytes"), b"\x00\x01"),
        (Datum(b"\x02", "stream"), b"\x02"),
        (Datum(7, "int"), 7),
        (Datum(1.5, "double"), 1.5),
        (Datum(None, None), None),
        (Datum("x", None), None),
        (Datum(SimpleNamespace(string=["a", "b"]), "collection_string"), ["a", "b"]),
        (Datum(SimpleNamespace(bytes=[b"a"]), "collection_bytes"), [b"a"]),
        (Datum(SimpleNamespace(double=[1.0, 2.5]), "collection_double"), [1.0, 2.5]),
        (Datum(SimpleNamespace(sint64=[1, -2]), "collection_sint64"), [1, -2]),
        (Datum(["a"], "collection_string"), ["a"]),
    ],
)
def test_python_value_per_kind(datum: Datum, expected: object) -> None:
    assert datum.python_value == expected


def test_python_value_accepts_other_datum_classes() -> None:
    theirs = func.meta.Datum('{"a": [1]}', "json")
    assert python_value(theirs) == {"a": [1]} == theirs.python_value


# -- parse_json ----------------------------------------------------------------------


@given(json_values, st.sampled_from([str, str.encode, lambda t: memoryview(t.encode())]))
def test_parse_json_reads_text_bytes_and_views(value: object, wrap: Any) -> None:
    assert parse_json(wrap(json.dumps(value)), "here") == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "Expecting property name"),
        ("", "Expecting value"),
        (b"\xff", "codec can't decode"),
        (5, "must be str, bytes or bytearray, not int"),
        ("[" * 100_000, "recursion"),
        ('{"a":' * 100_000, "recursion"),
    ],
)
def test_parse_json_turns_every_failure_into_a_decode_error(text: Any, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        parse_json(text, "binding 'b', field 'f'")
    message = str(info.value)
    assert message.startswith("binding 'b', field 'f': expected JSON text, got invalid JSON (")
    assert reason in message
    assert isinstance(info.value, ValueError)
    assert info.value.__cause__ is not None


def test_parse_json_wording_and_parser_can_be_chosen() -> None:
    calls = []

    def loads(text: str) -> object:
        calls.append(text)
        return json.loads(text)

    assert parse_json("[1]", "w", loads=loads) == [1]
    assert calls == ["[1]"]
    with pytest.raises(DecodeError, match=r"^w: expected TimerInfo, got a bad body \(Expecting"):
        parse_json("nope", "w", expected="TimerInfo", got="a bad body", loads=loads)
