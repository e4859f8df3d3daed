"""The JSON row families in the conformance suite: Cosmos DB, SQL and MySQL.

What the shared harness needs to run them, kept out of the shared modules, which only
append these tables to their own (``conformance_support``, ``conformance_strategies``):
the binding names, the plans that observe a decoded row list (every public member of
the stock list class, and of its row class through ``ROW_PLAN``), the value kinds of
the fixtures' notation for rows and row lists, and the hypothesis strategies.

This module imports no other conformance module, so any of them may import it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import azure.functions as func
from hypothesis import strategies as st

COSMOS = ("cosmosDBTrigger", "cosmosDB")
SQL = ("sql",)
MYSQL = ("mysql", "mysqlTrigger")

DECODE_BINDINGS = (*COSMOS, *SQL, *MYSQL)
ENCODE_BINDINGS = ("cosmosDB", "sql", "mysql")
TRIGGERS = frozenset({"cosmosDBTrigger", "mysqlTrigger"})

LIST_CLASSES: dict[str, type] = {
    **dict.fromkeys(COSMOS, func.DocumentList),
    **dict.fromkeys(SQL, func.SqlRowList),
    **dict.fromkeys(MYSQL, func.MySqlRowList),
}
ROW_CLASSES: dict[str, type] = {
    **dict.fromkeys(COSMOS, func.Document),
    **dict.fromkeys(SQL, func.SqlRow),
    **dict.fromkeys(MYSQL, func.MySqlRow),
}

# -- observing a row list -------------------------------------------------------------------


def _row(row: Any) -> Any:
    """A row as comparable data: its class name and contents (None stays None)."""
    if row is None:
        return None
    data = getattr(row, "data", row)
    return (type(row).__qualname__, data)


def _rows(rows: Any) -> Any:
    return [_row(row) for row in rows]


def _listed(binding: str, value: Any) -> Any:
    """A list-valued result: whether it is the stock list class, and its rows."""
    return (isinstance(value, LIST_CLASSES[binding]), _rows(value))


def _after(mutate: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    """A probe that mutates the list, then shows what it returned and what is left."""

    def probe(rows: Any, case: Any) -> Any:
        returned = mutate(rows)
        return (_row(returned) if not isinstance(returned, int) else returned, _rows(rows.data))

    return probe


def _new_row(rows: Any) -> Any:
    return ROW_CLASSES_BY_LIST[_stock_list_of(rows)]({"added": 1})


def _stock_list_of(rows: Any) -> type:
    for stock in (func.DocumentList, func.SqlRowList, func.MySqlRowList):
        if isinstance(rows, stock):
            return stock
    raise TypeError(f"not a row list: {type(rows).__name__}")


ROW_CLASSES_BY_LIST: dict[type, type] = {
    func.DocumentList: func.Document,
    func.SqlRowList: func.SqlRow,
    func.MySqlRowList: func.MySqlRow,
}

# Members of the stock row class, applied to every row of the list.  Each row's
# outcome is kept ("ok", value) or ("raises", exception class name): a None row
# raises AttributeError on both sides.
ROW_PLAN: dict[str, Callable[[Any], Any]] = {
    "data": lambda r: r.data,
    "get": lambda r: r.get("id"),
    "keys": lambda r: list(r.keys()),
    "items": lambda r: list(r.items()),
    "values": lambda r: list(r.values()),
    "to_json": lambda r: r.to_json(),
    "to_dict": lambda r: r.to_dict(),
    "copy": lambda r: _row(r.copy()),
    "pop": lambda r: (r.pop("id", "<none>"), r.data),
    "popitem": lambda r: (r.popitem(), r.data),
    "setdefault": lambda r: (r.setdefault("x", 1), r.data),
    "update": lambda r: (r.update({"x": 2}), r.data),
    "clear": lambda r: (r.clear(), r.data),
    "fromkeys": lambda r: _row(r.fromkeys(["a", "b"])),
    "from_dict": lambda r: _row(r.from_dict({"a": 1})),
    "from_json": lambda r: _row(r.from_json('{"a": [1, null]}')),
    "__getitem__": lambda r: r["id"],
    "__setitem__": lambda r: (r.__setitem__("id", "changed"), r.data),
    "__contains__": lambda r: "id" in r,
    "__len__": len,
}
MUTATING_ROW_MEMBERS = frozenset({"pop", "popitem", "setdefault", "update", "clear", "__setitem__"})


def _each_row(member: str) -> Callable[[Any, Any], Any]:
    apply = ROW_PLAN[member]

    def probe(rows: Any, case: Any) -> Any:
        if member != "data" and not hasattr(ROW_CLASSES[case.binding], member):
            return "<absent>"  # to_dict() on SqlRow exists on azure-functions 2.x only
        outcomes = []
        for row in rows:
            try:
                outcomes.append(("ok", apply(row)))
            except Exception as exc:  # the outcome of interest, whatever it is
                outcomes.append(("raises", type(exc).__name__))
        return outcomes

    return probe


# Plan names start with a member of the stock list class (the harness skips a probe
# whose first word the class lacks): the row probes go through __getitem__.
ROW_LIST_PLAN: dict[str, Callable[[Any, Any], Any]] = {
    "__getitem__ .data": lambda r, c: _rows(r.data),
    "__len__()": lambda r, c: len(r),
    "__len__ bool()": lambda r, c: bool(r),
    "__iter__ list()": lambda r, c: _rows(list(r)),
    "__getitem__ [0]": lambda r, c: _row(r[0]),
    "__getitem__ [-1]": lambda r, c: _row(r[-1]),
    "__getitem__ [1:]": lambda r, c: _listed(c.binding, r[1:]),
    "__contains__ None": lambda r, c: None in r,
    "__add__ + [None]": lambda r, c: _listed(c.binding, r.__add__([None])),
    "__eq__ own rows": lambda r, c: r == list(r),
    "copy()": lambda r, c: _listed(c.binding, r.copy()),
    "count(None)": lambda r, c: r.count(None),
    "index(None)": lambda r, c: r.index(None),
    "to_dict()": lambda r, c: r.to_dict(),
    "to_json()": lambda r, c: r.to_json(),
    "append(row)": _after(lambda r: r.append(_new_row(r))),
    "extend([None])": _after(lambda r: r.extend([None])),
    "insert(0, row)": _after(lambda r: r.insert(0, _new_row(r))),
    "pop()": _after(lambda r: r.pop()),
    "remove(None)": _after(lambda r: r.remove(None)),
    "reverse()": _after(lambda r: r.reverse()),
    "sort()": _after(lambda r: r.sort()),
    "clear()": _after(lambda r: r.clear()),
    **{f"__getitem__ row.{member}": _each_row(member) for member in ROW_PLAN},
}

FRESH_PROBES = frozenset(
    {
        "append(row)",
        "extend([None])",
        "insert(0, row)",
        "pop()",
        "remove(None)",
        "reverse()",
        "sort()",
        "clear()",
        *(f"__getitem__ row.{member}" for member in MUTATING_ROW_MEMBERS),
    }
)
PLANS = dict.fromkeys(DECODE_BINDINGS, ROW_LIST_PLAN)
MODEL_CLASSES = {binding: LIST_CLASSES[binding] for binding in DECODE_BINDINGS}


# -- the fixtures' notation for rows ---------------------------------------------------------


def _row_kind(row_class: type) -> Callable[[Any, Callable[[Any], Any]], Any]:
    return lambda content, value_from_spec: row_class(content)


def _list_kind(list_class: type) -> Callable[[Any, Callable[[Any], Any]], Any]:
    return lambda content, value_from_spec: list_class(value_from_spec(i) for i in content)


# {"Document": {...}} is a func.Document of that JSON object; {"DocumentList": [<spec>,
# ...]} a func.DocumentList of those values (rows, dicts, None...); the same for SqlRow,
# SqlRowList, MySqlRow and MySqlRowList.
VALUE_KINDS: dict[str, Callable[[Any, Callable[[Any], Any]], Any]] = {
    "Document": _row_kind(func.Document),
    "DocumentList": _list_kind(func.DocumentList),
    "SqlRow": _row_kind(func.SqlRow),
    "SqlRowList": _list_kind(func.SqlRowList),
    "MySqlRow": _row_kind(func.MySqlRow),
    "MySqlRowList": _list_kind(func.MySqlRowList),
    "tuple": lambda content, value_from_spec: tuple(value_from_spec(i) for i in content),
}
ROW_KIND = {"cosmosDB": "Document", "sql": "SqlRow", "mysql": "MySqlRow"}


# -- generated wire inputs -------------------------------------------------------------------

_SCALARS = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10)
_VALUES = st.recursive(
    _SCALARS | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_NAMES = st.sampled_from(["id", "name", "price", "tags", "Id", "ProductId", "_ts", "nested"])


@st.composite
def _cosmos_document(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {}
    if draw(st.integers(0, 5)):
        document["id"] = draw(st.text(min_size=1, max_size=12))
    document.update(draw(st.dictionaries(_NAMES | st.text(max_size=6), _VALUES, max_size=4)))
    if draw(st.booleans()):  # the system properties the change feed adds
        rid = draw(st.text("ABCDEFabcdef0123456789=", min_size=8, max_size=12))
        document.update(
            {
                "_rid": rid,
                "_self": f"dbs/{rid}/colls/{rid}/docs/{rid}/",
                "_etag": f'"{draw(st.uuids())}"',
                "_attachments": "attachments/",
                "_ts": draw(st.integers(1_500_000_000, 1_900_000_000)),
                "_lsn": draw(st.integers(1, 10_000)),
            }
        )
    return document


_COLUMN = st.one_of(
    st.none(),
    st.integers(-(2**31), 2**31),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.booleans(),
    st.sampled_from(["2024-06-18T09:15:27.4610507", "2024-06-18T09:15:27"]),
)
_SQL_ROW = st.dictionaries(
    st.sampled_from(["ProductId", "Name", "Cost", "Id", "Title", "Url", "Completed"]),
    _COLUMN,
    max_size=5,
)


@st.composite
def _change(draw: st.DrawFn) -> dict[str, Any]:
    return {"Operation": draw(st.sampled_from([0, 1, 2])), "Item": draw(_SQL_ROW)}


def _good_element(binding: str) -> st.SearchStrategy[Any]:
    if binding in COSMOS:
        return _cosmos_document()
    if binding == "mysqlTrigger":
        return _change()
    return _SQL_ROW


_BAD_ELEMENTS = st.sampled_from([3, "text", [], [{"id": "1"}], True, 2.5])
_NOT_JSON = st.sampled_from(["", "[", "{'id': 1}", "[1,]", "NaN?", "\ufeff[]", "[{}] x"])


@st.composite
def row_payloads(draw: st.DrawFn, binding: str) -> dict[str, Any]:
    """A payload for a row binding: mostly JSON arrays of rows, and their edges."""
    good = _good_element(binding)
    shape = draw(
        st.sampled_from(
            ["array"] * 6 + ["one", "null", "with null", "bad element", "not json", "odd kind"]
        )
    )
    if shape == "odd kind":
        return draw(
            st.sampled_from(
                [
                    {"type": None},
                    {"type": "int", "value": 3},
                    {"type": "double", "value": 1.5},
                    {"type": "collection_string", "items": ["[]"]},
                    {"type": "bytes", "base64": base64.b64encode(b"\xff[]").decode()},
                ]
            )
        )
    if shape == "not json":
        text = draw(_NOT_JSON)
    else:
        payload: Any
        if shape == "one":
            payload = draw(good)
        elif shape == "null":
            payload = None
        else:
            payload = draw(st.lists(good, max_size=5))
            if shape == "with null":
                payload.insert(draw(st.integers(0, len(payload))), None)
            elif shape == "bad element":
                payload.insert(draw(st.integers(0, len(payload))), draw(_BAD_ELEMENTS))
        indent = draw(st.sampled_from([None, None, 2]))
        text = json.dumps(payload, indent=indent, ensure_ascii=draw(st.booleans()))
    kind = draw(st.sampled_from(["json", "json", "string", "bytes"]))
    if kind == "bytes":
        return {"type": "bytes", "base64": base64.b64encode(text.encode("utf-8")).decode()}
    return {"type": kind, "value": text}


# -- generated values to encode --------------------------------------------------------------


def row_values(binding: str, simple_values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Values a function may return for a row output, in the fixtures' notation."""
    row_kind = ROW_KIND[binding]
    list_kind = row_kind + "List"
    element = _cosmos_document() if binding == "cosmosDB" else _SQL_ROW
    rows = element.map(lambda content: {row_kind: content})
    dicts = element.map(lambda content: {"dict": content})
    others = st.sampled_from(
        [{"none": None}, {"str": "x"}, {"int": 1}, {"Document": {"id": "d"}}, {"SqlRow": {"a": 1}}]
    )
    items = st.one_of(rows, rows, dicts, others)
    return st.one_of(
        rows,
        dicts,
        st.lists(items, max_size=4).map(lambda content: {"list": content}),
        st.lists(rows, max_size=4).map(lambda content: {"list": content}),
        st.lists(st.one_of(rows, rows, dicts, st.just({"none": None})), max_size=4).map(
            lambda content: {list_kind: content}
        ),
        st.lists(rows, max_size=3).map(lambda content: {"tuple": content}),
        simple_values,
    )
