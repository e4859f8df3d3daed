"""The row families' share of the worker protocol beyond decoded values.

The decode/encode comparison of Cosmos DB, SQL and MySQL runs in ``test_conformance.py``
(their tables are appended to the shared ones); here: the stock row classes are probed
member by member, and the annotation checks accept what azure.functions' accept.
"""

from __future__ import annotations

import typing
from typing import Any, Optional

import azure.functions as func
import pytest
from azure.functions import _mysql, _sql, meta
from conformance_data import (
    DECODE_BINDINGS,
    ENCODE_BINDINGS,
    LIST_CLASSES,
    ROW_CLASSES,
    ROW_PLAN,
)
from conformance_support import funcbind_binding, stock_binding

BINDINGS = sorted({*DECODE_BINDINGS, *ENCODE_BINDINGS})

PLAIN_ANNOTATIONS: list[Any] = [
    str,
    bytes,
    dict,
    list,
    int,
    func.DocumentList,
    func.Document,
    func.SqlRowList,
    func.SqlRow,
    func.MySqlRowList,
    func.MySqlRow,
    _sql.BaseSqlRowList,
    _mysql.BaseMySqlRow,
]
AWKWARD_ANNOTATIONS: list[Any] = [
    Optional[func.DocumentList],
    list[func.Document],
    typing.List[func.SqlRow],
    dict[str, Any],
    typing.Any,
    func.Out[func.SqlRow],
    "func.DocumentList",
]


@pytest.mark.parametrize("binding", sorted(DECODE_BINDINGS))
def test_every_public_member_of_the_stock_row_class_is_observed(binding: str) -> None:
    row_class = ROW_CLASSES[binding]
    public = {name for name in dir(row_class) if not name.startswith("_")}
    assert public <= set(ROW_PLAN), f"not observed: {sorted(public - set(ROW_PLAN))}"


def _stock_check(binding: str, method: str, annotation: Any) -> Any:
    try:
        return getattr(stock_binding(binding), method)(annotation)
    except Exception as exc:
        return exc


@pytest.mark.parametrize("binding", BINDINGS)
def test_annotation_checks_accept_what_azure_functions_accepts(binding: str) -> None:
    ours = funcbind_binding(binding)
    accepted = 0
    for annotation in PLAIN_ANNOTATIONS:
        for method in ("check_input_type_annotation", "check_output_type_annotation"):
            if method == "check_input_type_annotation" and annotation in (str, bytes):
                continue  # the worker sends exactly str and bytes to its generic binding
            if _stock_check(binding, method, annotation) is True:
                accepted += 1
                assert getattr(ours, method)(annotation), (binding, method, annotation)
    assert accepted >= 2  # the list class in, the list and row classes out


@pytest.mark.parametrize("binding", BINDINGS)
def test_annotation_checks_never_raise(binding: str) -> None:
    ours = funcbind_binding(binding)
    for annotation in AWKWARD_ANNOTATIONS:
        for method in ("check_input_type_annotation", "check_output_type_annotation"):
            assert isinstance(getattr(ours, method)(annotation), bool)


@pytest.mark.parametrize("binding", sorted(DECODE_BINDINGS))
@pytest.mark.parametrize("annotation", PLAIN_ANNOTATIONS)
def test_an_accepted_input_annotation_is_delivered_without_pytype(
    binding: str, annotation: Any
) -> None:
    """Workers decode without the annotation: what the check accepts, decode delivers.

    Exact ``str`` and ``bytes`` are the exception the facade documents: workers hand
    those parameters to their own generic binding and never decode them here, so other
    callers that ask about them pass ``pytype`` and get what they asked for.
    """
    ours = funcbind_binding(binding)
    if not ours.check_input_type_annotation(annotation):
        return
    datum = meta.Datum(value='[{"id": "1"}]', type="json")
    if annotation in (str, bytes):
        delivered = ours.decode(datum, trigger_metadata={}, pytype=annotation)
        assert isinstance(delivered, annotation)
        assert isinstance(ours.decode(datum, trigger_metadata={}), LIST_CLASSES[binding])
        return
    decoded = ours.decode(datum, trigger_metadata={})
    assert isinstance(decoded, annotation)
    assert isinstance(decoded, LIST_CLASSES[binding])
