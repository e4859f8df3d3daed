"""The conformance corpus again with funcbind's JSON parser set to the standard library alone.

test_conformance.py runs funcbind as installed (msgspec first, see funcbind.datum); here
every fixture case runs with msgspec turned off, and must give the same comparison.  The
``*.json-edges.in.json`` fixtures hold the texts where the two parsers disagree on their
own (NaN, Infinity, integers past 64 bits, lone surrogates, duplicate keys, a BOM).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conformance_compare import compare_case
from conformance_support import FIXTURE_CASES, Case

from funcbind import datum


@pytest.fixture
def stdlib_json_only() -> Iterator[None]:
    datum.json_loads("0")  # resolve the parser first, so the patch below is not undone
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datum, "_fast_decode", None)
        yield


@pytest.mark.usefixtures("stdlib_json_only")
@pytest.mark.parametrize(
    "case", FIXTURE_CASES, ids=[f"{c.binding}.{c.direction}:{c.id}" for c in FIXTURE_CASES]
)
def test_fixture_case_with_the_stdlib_parser(case: Case) -> None:
    assert datum.json_parser_name() == "stdlib"
    found = compare_case(case)
    assert all(reason is not None for _, reason in found), found
    explained = {difference for _, reason in found for difference in reason or ()}
    assert explained == set(case.differences), found


def test_the_edge_fixtures_are_in_the_corpus() -> None:
    edges = {case.id for case in FIXTURE_CASES if case.id.startswith("json-")}
    assert {"json-nan", "json-big-int", "json-lone-surrogate", "json-bom-bytes"} <= edges
