"""Configuration JSON as the host reads it: comments and trailing commas, nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcbind.lenient_json import loads_lenient, strip_comments_and_trailing_commas

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(JSON_VALUES, st.booleans())
def test_strict_json_reads_as_the_standard_parser_reads_it(value: Any, indent: bool) -> None:
    text = json.dumps(value, indent=2 if indent else None)
    assert loads_lenient(text) == json.loads(text)


@given(st.text(alphabet='/*,"]}\\ \n', max_size=12))
def test_comment_and_comma_lookalikes_inside_strings_are_kept(inside: str) -> None:
    text = json.dumps({"key": inside, "list": [inside]})
    assert loads_lenient(text) == {"key": inside, "list": [inside]}


def test_comments_of_both_kinds_and_trailing_commas() -> None:
    text = """{
        // a line comment, with a "quote" and a comma,
        "version": "2.0", /* a block
        comment */ "functions": ["a", "b",],
        "extensions": {"http": {"routePrefix": "x",},},  // trailing
    }"""
    assert loads_lenient(text) == {
        "version": "2.0",
        "functions": ["a", "b"],
        "extensions": {"http": {"routePrefix": "x"}},
    }


def test_a_comma_then_a_comment_then_a_bracket_is_trailing() -> None:
    assert loads_lenient("[1, /* gone */ // and this\n ]") == [1]


def test_positions_survive_so_errors_point_into_the_file() -> None:
    text = '{\n  // note\n  "a": 1,\n  "b": oops\n}'
    assert len(strip_comments_and_trailing_commas(text)) == len(text)
    with pytest.raises(json.JSONDecodeError) as info:
        loads_lenient(text)
    assert (info.value.lineno, info.value.colno) == (4, 8)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1,, }',  # two commas: not a trailing comma
        "[,]",  # nothing before the comma
        "{'a': 1}",  # single quotes stay refused
        '{"a": 1 /* never closed',
    ],
)
def test_what_is_still_not_json(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        loads_lenient(text)


def test_an_unterminated_block_comment_says_so() -> None:
    with pytest.raises(json.JSONDecodeError, match="Unterminated comment") as info:
        loads_lenient('{\n "a": /* open')
    assert (info.value.lineno, info.value.colno) == (2, 7)
