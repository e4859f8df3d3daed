"""THE JSON parser (funcbind.datum.json_loads): msgspec first, the standard library's results.

Every text is parsed three ways: ``json.loads`` (the reference), ``json_loads`` with
msgspec (when installed) and ``json_loads`` with the standard library alone.  Values must
be equal in type and value (floats by bit pattern, so -0.0 and NaN count), and errors
must be the same exception with the same message.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funcbind import datum
from funcbind.datum import json_loads, json_loads_utf8, json_parser_name, parse_json
from funcbind.errors import DecodeError

msgspec = pytest.importorskip("msgspec", reason="the fast parser; installed with funcbind")


def _stdlib_only() -> Callable[[Any], Any]:
    def loads(text: Any) -> Any:
        previous = datum._fast_decode
        datum._fast_decode = None
        try:
            return json_loads(text)
        finally:
            datum._fast_decode = previous

    return loads


PARSERS = {"msgspec": json_loads, "stdlib": _stdlib_only()}


def _canonical(value: Any) -> Any:
    """A comparable form that tells 0 from 0.0 from -0.0 and keeps key order."""
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value.hex())
    if isinstance(value, bool) or value is None:
        return (type(value).__name__, value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, list):
        return ("list", [_canonical(item) for item in value])
    if isinstance(value, dict):
        return ("dict", [(key, _canonical(item)) for key, item in value.items()])
    raise AssertionError(f"not a JSON value: {value!r}")


def _outcome(loads: Callable[[Any], Any], text: Any) -> tuple[str, Any]:
    try:
        value = loads(text)
    except RecursionError:
        return "RecursionError", ""
    except Exception as exc:
        return type(exc).__name__, str(exc)
    return "value", _canonical(value)


def _reference(text: Any) -> tuple[str, Any]:
    return _outcome(json.loads, bytes(text) if isinstance(text, memoryview) else text)


def assert_same_as_stdlib(text: Any) -> None:
    expected = _reference(text)
    for name, loads in PARSERS.items():
        assert _outcome(loads, text) == expected, (name, text)


EDGE_TEXTS = [
    # What JSON refuses and Python's json accepts.
    "NaN",
    "[Infinity, -Infinity]",
    '{"x": NaN}',
    "1e400",
    "-1e400",
    # Integers past 64 bits (orjson turns these into floats; msgspec must not).
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "123456789012345678901234567890",
    '{"id": 99999999999999999999999}',
    "1" * 4300,
    "1" * 4301,  # over Python's int conversion limit: ValueError in both
    # Duplicate keys: the last value wins, at the first key's position.
    '{"a": 1, "b": 2, "a": 3}',
    # Surrogates, escaped and raw.
    '"\\ud800"',
    '"\\udc00x"',
    '"\\ud83d\\ude00"',
    '"\ud800"',
    # Byte order mark.
    "\ufeff{}",
    b"\xef\xbb\xbf{}",
    # Encodings other than UTF-8 (json detects them from bytes).
    '{"a": "\u00e9"}'.encode("utf-16"),
    '{"a": "\u00e9"}'.encode("utf-16-le"),
    '["x"]'.encode("utf-32"),
    b'"\xff"',
    b'"\xed\xa0\x80"',  # an encoded surrogate: json decodes with surrogatepass
    # Numbers.
    "-0",
    "-0.0",
    "0.1",
    "1E2",
    "1e-400",
    "4.9e-324",
    "2.2250738585072011e-308",
    "1.7976931348623157e308",
    "1.7976931348623159e308",
    "0e999999999",
    "1.0000000000000000000000001",
    "00",
    "01",
    "1.",
    ".5",
    "+1",
    "-",
    # Whitespace and structure.
    " \t\r\n[1] \n",
    "\x0c1",
    "[1,]",
    '{"a" 1}',
    "[1 2]",
    "tru",
    "",
    "   ",
    "[] x",
    '"\x01"',
    '"\x7f"',
    '"\\u0000"',
    '"\\/"',
    '"\\x"',
    # Inputs that are not text.
    bytearray(b'{"a": [1, 2.5, null, true]}'),
    memoryview(b'{"a": [1, 2.5, null, true]}'),
    memoryview(b"NaN"),
]


@pytest.mark.parametrize("text", EDGE_TEXTS, ids=[repr(t)[:40] for t in EDGE_TEXTS])
def test_edge_cases_match_the_standard_library(text: Any) -> None:
    assert_same_as_stdlib(text)


def _utf8_reference(data: bytes) -> tuple[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "UnicodeDecodeError", str(exc)
    return _reference(text)


@pytest.mark.parametrize(
    "data",
    [t for t in EDGE_TEXTS if isinstance(t, bytes)]
    + [t.encode("utf-8", "surrogatepass") for t in EDGE_TEXTS if isinstance(t, str)],
    ids=repr,
)
def test_utf8_bytes_parse_as_their_decoded_text(data: bytes) -> None:
    expected = _utf8_reference(data)
    assert _outcome(json_loads_utf8, data) == expected
    with pytest.MonkeyPatch.context() as patch:
        json_loads("0")
        patch.setattr(datum, "_fast_decode", None)
        assert _outcome(json_loads_utf8, data) == expected


def test_values_that_are_not_text_raise_the_standard_librarys_type_error() -> None:
    for value in (None, 42, 1.5, ["[]"]):
        expected = _reference(value)
        assert expected[0] == "TypeError"
        for loads in PARSERS.values():
            assert _outcome(loads, value) == expected


def test_nesting_well_within_the_recursion_limit_parses_and_far_beyond_fails() -> None:
    shallow = "[" * 200 + "]" * 200
    deep = "[" * 100_000 + "]" * 100_000
    assert_same_as_stdlib(shallow)
    for loads in PARSERS.values():
        assert _outcome(loads, deep)[0] == "RecursionError"


def test_parse_json_wraps_every_refusal_in_a_decode_error() -> None:
    with pytest.raises(DecodeError, match=r"^field 'x': expected JSON text, got invalid JSON"):
        parse_json("[1,", "field 'x'")
    with pytest.raises(DecodeError, match="Exceeds the limit"):
        parse_json("1" * 5000, "field 'x'")
    with pytest.raises(DecodeError):
        parse_json("[" * 100_000, "field 'x'")
    assert math.isnan(parse_json(memoryview(b"NaN"), "field 'x'"))


# -- generated texts: well-formed JSON and near misses -------------------------------------

_NUMBER = st.one_of(
    st.integers(),
    st.integers(min_value=2**62, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
).map(json.dumps)
_DIGITS = st.from_regex(
    r"-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,25})?([eE][+-]?[0-9]{1,4})?", fullmatch=True
)
_STRING = st.text().map(lambda s: json.dumps(s, ensure_ascii=False)) | st.text().map(json.dumps)
_ESCAPE = st.sampled_from(["\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u0000", "\\n", "\\x", "\\"])
_ODD_STRING = st.lists(st.text(max_size=3) | _ESCAPE, max_size=4).map(
    lambda p: '"' + "".join(p) + '"'
)
_SCALAR = (
    _NUMBER
    | _DIGITS
    | _STRING
    | _ODD_STRING
    | st.sampled_from(["true", "false", "null", "NaN", "Infinity", "-Infinity"])
)


@st.composite
def _documents(draw: st.DrawFn, depth: int = 0) -> str:
    if depth >= 3 or draw(st.booleans()):
        return draw(_SCALAR)
    items = draw(st.lists(_documents(depth + 1), max_size=4))
    if draw(st.booleans()):
        return "[" + ",".join(items) + "]"
    keys = draw(
        st.lists(
            st.sampled_from(['"a"', '"b"', '"\\u00e9"', '"a"']),
            min_size=len(items),
            max_size=len(items),
        )
    )
    return "{" + ",".join(f"{k}:{v}" for k, v in zip(keys, items, strict=True)) + "}"


_SPACE = st.text(" \t\r\n\x0c\ufeff", max_size=2)


@settings(max_examples=400, deadline=None)
@given(
    text=st.tuples(_SPACE, _documents(), _SPACE).map("".join) | st.text(max_size=20),
    as_bytes=st.sampled_from([None, "utf-8", "utf-16"]),
)
def test_generated_texts_match_the_standard_library(text: str, as_bytes: str | None) -> None:
    if as_bytes is None:
        assert_same_as_stdlib(text)
    else:
        assert_same_as_stdlib(text.encode(as_bytes, "surrogatepass"))


# -- the switch -------------------------------------------------------------------------------


def test_the_parser_in_use_is_named() -> None:
    assert json_parser_name() == f"msgspec {msgspec.__version__}"


def test_funcbind_json_parser_stdlib_turns_msgspec_off() -> None:
    code = (
        "from funcbind.datum import json_loads, json_parser_name; "
        "print(json_parser_name(), json_loads('[NaN]'), json_loads(b'[1]'))"
    )
    for setting, name in (("stdlib", "stdlib"), ("", "msgspec")):
        run = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"FUNCBIND_JSON_PARSER": setting, "PATH": ""},
        )
        assert run.stdout.split()[0] == name
        assert run.stdout.split()[-2:] == ["[nan]", "[1]"]
