"""The JSON row families: Cosmos DB (cosmosdb.py), SQL (sql.py), MySQL (mysql.py).

One lazy list model and one converter serve the three (``bindings/_rows.py``); the
tests run through each family's own registration, as an app would.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import azure.functions as func
import pytest
from azure.functions.meta import Datum

import funcbind
from funcbind import DecodeError
from funcbind.bindings import cosmosdb, generic, mysql, sql
from funcbind.errors import AnnotationError, UnsupportedDatumError, UnsupportedValueError
from funcbind.registry import BindingSpec, Registry

FAMILIES = [
    # binding, trigger (or None), list class, row class, our model
    ("cosmosDB", "cosmosDBTrigger", func.DocumentList, func.Document, cosmosdb.DocumentList),
    ("sql", None, func.SqlRowList, func.SqlRow, sql.SqlRowList),
    ("mysql", "mysqlTrigger", func.MySqlRowList, func.MySqlRow, mysql.MySqlRowList),
]
EACH_FAMILY = pytest.mark.parametrize(
    ("binding", "trigger", "list_class", "row_class", "model"),
    FAMILIES,
    ids=[family[0] for family in FAMILIES],
)


@pytest.fixture(scope="module")
def registry() -> Registry:
    registry = Registry()
    for module in (generic, cosmosdb, sql, mysql):
        module.register(registry)
    return registry


def _decode(registry: Registry, binding: str, datum: Any, annotation: Any = None) -> Any:
    spec = BindingSpec(type=binding, name="rows")
    decoder = registry.decoder(binding, annotation or func.DocumentList, spec)
    return decoder(datum, None)


def _decoder(registry: Registry, binding: str, annotation: Any) -> Any:
    return registry.decoder(binding, annotation, BindingSpec(type=binding, name="rows"))


@EACH_FAMILY
def test_decoding_reads_nothing_until_the_list_is_read(
    registry: Registry, binding: str, trigger: Any, list_class: type, row_class: type, model: type
) -> None:
    rows = _decoder(registry, binding, list_class)(Datum('[{"id": "1"}, null]', "json"), None)
    assert isinstance(rows, list_class) and isinstance(rows, model)
    assert "data" not in vars(rows)  # nothing parsed yet
    assert len(rows) == 2
    parsed = vars(rows)["data"]
    assert rows.data is parsed  # parsed once: later reads use the same list
    assert type(rows[0]) is row_class and rows[0]["id"] == "1" and rows[1] is None


@EACH_FAMILY
def test_rows_wrap_the_parsed_objects_without_a_copy(
    registry: Registry, binding: str, trigger: Any, list_class: type, row_class: type, model: type
) -> None:
    rows = model.from_wire('[{"a": {"b": 1}}]', "here")
    row = rows[0]
    assert type(row.data) is dict and row.data == {"a": {"b": 1}}
    row["c"] = 2  # a row is the stock UserDict: mutable, as in azure.functions
    assert rows[0]["c"] == 2 and row.to_json() == '{"a": {"b": 1}, "c": 2}'


@EACH_FAMILY
def test_the_stock_fallbacks_are_kept(
    registry: Registry, binding: str, trigger: Any, list_class: type, row_class: type, model: type
) -> None:
    decode = _decoder(registry, binding, list_class)
    one = decode(Datum('{"id": "x"}', "string"), None)
    assert [dict(row) for row in one] == [{"id": "x"}]  # one object: a list of one
    assert list(decode(Datum("null", "json"), None)) == [None]
    assert decode(Datum(None, None), None) is None
    assert decode(Datum(b'[{"n": "\xc3\xa9"}]', "bytes"), None)[0]["n"] == "é"
    assert list(decode(Datum(memoryview(b"[]"), "bytes"), None)) == []


@EACH_FAMILY
def test_bad_rows_fail_on_first_read_naming_binding_parameter_and_index(
    registry: Registry, binding: str, trigger: Any, list_class: type, row_class: type, model: type
) -> None:
    decode = _decoder(registry, binding, list_class)
    rows = decode(Datum('[{"id": "1"}, {"id": "2"}, 7]', "json"), None)
    with pytest.raises(DecodeError) as caught:
        len(rows)
    message = str(caught.value)
    assert f"binding {binding!r}" in message and "parameter 'rows'" in message
    assert " 2: expected a JSON object or null, got int 7" in message
    assert "unreadable" in repr(rows)  # repr never raises
    not_json = decode(Datum("[{", "string"), None)
    with pytest.raises(DecodeError, match="expected a JSON array"):
        list(not_json)
    not_utf8 = decode(Datum(b"\xff", "bytes"), None)
    with pytest.raises(DecodeError, match="not UTF-8"):
        not_utf8[0]


@EACH_FAMILY
def test_unsupported_wire_kinds_are_not_implemented(
    registry: Registry, binding: str, trigger: Any, list_class: type, row_class: type, model: type
) -> None:
    decode = _decoder(registry, binding, list_class)
    for datum in (Datum(3, "int"), Datum(b"[]", "stream"), Datum(["[]"], "collection_string")):
        with pytest.raises(UnsupportedDatumError) as caught:
            decode(datum, None)
        assert isinstance(caught.value, NotImplementedError)
        assert binding in str(caught.value)


@EACH_FAMILY
def test_copies_and_slices_are_ordinary_stock_lists(
    registry: Registry, binding: str, trigger: Any, list_class: type, row_class: type, model: type
) -> None:
    rows = model.from_wire('[{"a": 1}, {"a": 2}, {"a": 3}]', "here")
    for derived in (rows.copy(), rows[1:], rows.__add__([None])):
        assert isinstance(derived, list_class)
        assert "data" in vars(derived)  # built from a list: nothing left to parse
    assert [row["a"] for row in rows[1:]] == [2, 3]
    built = model([row_class({"a": 1})])  # the stock constructor still works
    assert built[0]["a"] == 1


@EACH_FAMILY
def test_plain_annotations_get_the_payload(
    registry: Registry, binding: str, trigger: Any, list_class: type, row_class: type, model: type
) -> None:
    datum = Datum('[{"a": 1}]', "json")
    assert _decoder(registry, binding, str)(datum, None) == '[{"a": 1}]'
    assert _decoder(registry, binding, list[dict[str, Any]])(datum, None) == [{"a": 1}]
    optional = _decoder(registry, binding, Optional[list_class])
    assert optional(Datum(None, None), None) is None


@EACH_FAMILY
def test_outputs(
    registry: Registry, binding: str, trigger: Any, list_class: type, row_class: type, model: type
) -> None:
    encode = registry.encoder(binding, func.Out[list_class], BindingSpec(type=binding, name="out"))
    one = row_class({"id": "1", "n": 1.5})
    assert encode(one).value == '[{"id": "1", "n": 1.5}]'
    assert encode(list_class([one, {"id": "2"}])).value == '[{"id": "1", "n": 1.5}, {"id": "2"}]'
    assert encode(row for row in [one]).value == '[{"id": "1", "n": 1.5}]'
    assert encode({"id": "d"}).value == '[{"id": "d"}]'
    assert encode([{"id": "d"}, one]).type == "json"
    assert encode([]).value == "[]"
    assert encode(None) is None
    decoded = model.from_wire('[{"id": "w"}]', "here")
    assert json.loads(encode(decoded).value) == [{"id": "w"}]


@EACH_FAMILY
def test_output_errors_name_the_item(
    registry: Registry, binding: str, trigger: Any, list_class: type, row_class: type, model: type
) -> None:
    encode = registry.encoder(binding, func.Out[list_class], BindingSpec(type=binding, name="out"))
    with pytest.raises(UnsupportedValueError, match=r"parameter 'out', item 1: expected"):
        encode([row_class({"a": 1}), "text"])
    with pytest.raises(UnsupportedValueError, match=r"item 0: expected a JSON-serialisable"):
        encode([row_class({"when": object()})])
    with pytest.raises(UnsupportedValueError) as caught:
        encode(3)
    assert isinstance(caught.value, NotImplementedError)


@EACH_FAMILY
def test_output_annotations(
    registry: Registry, binding: str, trigger: Any, list_class: type, row_class: type, model: type
) -> None:
    for annotation in (list_class, row_class, dict, list[dict[str, Any]], list[row_class]):
        registry.encoder(binding, func.Out[annotation])
    with pytest.raises(AnnotationError):
        registry.encoder(binding, func.Out[int])


def test_the_trigger_names_follow_the_installed_azure_functions() -> None:
    """azure-functions 1.26 and 2.x register mysqlTrigger but not sqlTrigger; funcbind
    serves a trigger name exactly when the stock registry does."""
    ours = funcbind.get_binding_registry()
    for name in ("cosmosDBTrigger", "mysqlTrigger", "sqlTrigger"):
        stock = func.get_binding_registry().get(name)
        assert (ours.get(name) is not None) == (stock is not None), name
        if stock is not None:
            assert ours.get(name).has_trigger_support()  # type: ignore[union-attr]
