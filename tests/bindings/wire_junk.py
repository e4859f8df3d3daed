"""Hypothesis strategies for bad wire data, and a check that reads every member of a model.

Shared by the binding tests' "junk never escapes" properties: wire-typed junk (text for
``string``/``json``, bytes for ``bytes``/``stream``, numbers for ``int``/``double``),
with JSON nested deeper than any recursion limit and integers longer than Python
converts among the texts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from funcbind import Datum, FuncbindError

DEEP_ARRAY = "[" * 60_000  # fits in one 64 KiB Storage queue message
DEEP_OBJECT = '{"a":' * 30_000
LONG_INTEGER = "9" * 5000  # over Python's 4300-digit int/str limit (3.11+)

JSON_TEXT = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
).map(json.dumps)

TEXT = st.one_of(
    st.text(max_size=20),
    JSON_TEXT,
    st.sampled_from(
        ["", DEEP_ARRAY, DEEP_OBJECT, LONG_INTEGER, f'"{LONG_INTEGER}"', f"-{LONG_INTEGER}"]
    ),
)

KINDS = ("string", "json", "bytes", "stream", "int", "double", None)


@st.composite
def wire_datums(draw: st.DrawFn, kinds: tuple[str | None, ...] = KINDS) -> Datum:
    """A Datum whose value has the Python type its wire kind carries, content anything."""
    kind = draw(st.sampled_from(kinds))
    value: Any
    if kind in ("string", "json"):
        value = draw(TEXT)
    elif kind in ("bytes", "stream"):
        value = draw(TEXT.map(str.encode) | st.binary(max_size=20))
    elif kind == "int":
        value = draw(st.integers())
    elif kind == "double":
        value = draw(st.floats())
    else:
        value = None
    return Datum(value, kind)


def trigger_metadata(fields: tuple[str, ...]) -> st.SearchStrategy[dict[str, Datum]]:
    """Any subset of ``fields``, each a junk Datum."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys(fields, wire_datums()))


def read_every_member(members: Mapping[str, Callable[[], object]]) -> None:
    """Read each member on its own: a FuncbindError is fine, anything else fails the test.

    Each read is independent, so one member that refuses the junk does not hide a
    crash in the members after it.
    """
    for name, read in members.items():
        try:
            read()
        except FuncbindError:
            pass
        except Exception as exc:
            raise AssertionError(f"{name} raised {type(exc).__name__}: {exc}") from exc
