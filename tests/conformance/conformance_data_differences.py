"""The deliberate differences of the JSON row families (Cosmos DB, SQL, MySQL) as rules.

Appended to ``conformance_differences.DIFFERENCES``; each id is a row of
docs/compatibility.md ("Cosmos DB, SQL and MySQL").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import conformance_data
from conformance_compare import Difference, Mismatch
from conformance_support import DECODE, ENCODE, is_clear_error

from funcbind import DecodeError

_COSMOS = frozenset(conformance_data.COSMOS)
_SQL = frozenset({*conformance_data.SQL, *conformance_data.MYSQL})


def _parsed_on_first_read(m: Mismatch) -> bool:
    """azure.functions parses every row while decoding, and fails the invocation on text
    that is not JSON or an element that is not an object; funcbind decodes, and the
    first read of the list raises a DecodeError naming the binding (and the index)."""
    read = m.ours.get("__len__()")
    return (
        m.member == DECODE
        and m.stock_error is not None
        and m.funcbind_ok()
        and read is not None
        and isinstance(read.error, DecodeError)
        and is_clear_error(read.error, m.binding)
    )


def _expected_rows(value: Any) -> list[Any] | None:
    """The rows a value stands for when mappings count as rows (None: not that case)."""
    if isinstance(value, Mapping):
        return [dict(value)]
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | bytearray):
        items = list(value)
        if all(isinstance(item, Mapping) for item in items):
            return [dict(item) for item in items]
    return None


def _mappings_are_rows(m: Mismatch) -> bool:
    """A dict (any mapping) is one row, and iterables may hold mappings: azure.functions
    iterates a dict's keys (and fails, or sends no row for an empty one) and refuses
    any item that is not its own row class."""
    if m.member != ENCODE or m.case.direction != "out" or not m.funcbind_ok():
        return False
    value = m.case.value()
    expected = _expected_rows(value)
    if expected is None or m.funcbind.value[0] != "json":  # type: ignore[union-attr]
        return False
    empty_mapping = isinstance(value, Mapping) and not value
    stock_refused = isinstance(m.stock_error, NotImplementedError)
    stock_sent_nothing = m.stock_ok() and m.stock.value == ("json", "[]") and empty_mapping  # type: ignore[union-attr]
    return (stock_refused or stock_sent_nothing) and json.loads(
        m.funcbind.value[1]  # type: ignore[union-attr]
    ) == expected


def _none_sends_nothing(m: Mismatch) -> bool:
    return (
        m.case.direction == "out"
        and m.case.value() is None
        and isinstance(m.stock_error, NotImplementedError)
        and m.funcbind_ok()
        and m.funcbind.value == ("nothing",)  # type: ignore[union-attr]
    )


DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "cosmosdb-parsed-on-first-read",
        _COSMOS,
        "documents are parsed when the list is first read: text that is not JSON, or an "
        "element that is not an object, raises a DecodeError there (naming the index); "
        "azure.functions fails the invocation",
        _parsed_on_first_read,
    ),
    Difference(
        "cosmosdb-output-mappings",
        _COSMOS,
        "a dict is one document and iterables may hold dicts; azure.functions iterates a "
        "dict's keys and refuses dicts in lists",
        _mappings_are_rows,
    ),
    Difference(
        "sql-parsed-on-first-read",
        _SQL,
        "rows are parsed when the list is first read: text that is not JSON, or an element "
        "that is not an object, raises a DecodeError there (naming the index); "
        "azure.functions fails the invocation",
        _parsed_on_first_read,
    ),
    Difference(
        "sql-output-mappings",
        _SQL,
        "a dict is one row and iterables may hold dicts; azure.functions iterates a dict's "
        "keys and refuses dicts in lists",
        _mappings_are_rows,
    ),
    Difference(
        "rows-output-none-sends-nothing",
        frozenset(conformance_data.ENCODE_BINDINGS),
        "None on a Cosmos DB, SQL or MySQL output sends nothing; azure.functions raises "
        "NotImplementedError",
        _none_sends_nothing,
    ),
)
