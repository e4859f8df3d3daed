"""funcbind's worker facade against azure.functions' converters, on the same wire inputs.

For every binding the suite runs the JSON corpus in ``fixtures/`` and thousands of
generated cases (``conformance_strategies.py``; how many: ``conformance_profile.py``)
through both implementations and compares what can be observed
(``conformance_support.py``).  A difference passes only when a documented rule
explains it (``conformance_differences.py``, docs/compatibility.md); where
azure.functions fails, funcbind must fail with a clear error or give a documented
better result.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import conformance_data
import conformance_durable
import conformance_strategies
import generic_oracle
import pytest
from conformance_compare import Mismatch, compare_case
from conformance_differences import BY_ID
from conformance_profile import BATCH, CASES, PROFILE, conformance_settings
from conformance_support import (
    DECODE_BINDINGS,
    ENCODE_BINDINGS,
    FIXTURE_CASES,
    MODEL_CLASSES,
    PLANS,
    PROBED_AS,
    Case,
    funcbind_binding,
    stock_binding,
)
from hypothesis import given
from hypothesis import strategies as st


def _report(found: list[tuple[Mismatch, frozenset[str] | None]]) -> str:
    return "\n".join(
        f"[{'+'.join(sorted(reason)) if reason else 'UNEXPLAINED'}] {mismatch}"
        for mismatch, reason in found
    )


# -- the corpus ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case", FIXTURE_CASES, ids=[f"{c.binding}.{c.direction}:{c.id}" for c in FIXTURE_CASES]
)
def test_fixture_case(case: Case) -> None:
    """Equal, or different exactly in the documented ways the fixture names."""
    found = compare_case(case)
    assert all(reason is not None for _, reason in found), _report(found)
    explained = {difference for _, reason in found for difference in reason or ()}
    assert explained == set(case.differences), _report(found)


def test_the_corpus_covers_every_binding_and_direction() -> None:
    covered = Counter((case.binding, case.direction) for case in FIXTURE_CASES)
    expected = {(b, "in") for b in DECODE_BINDINGS} | {(b, "out") for b in ENCODE_BINDINGS}
    assert set(covered) == expected
    assert min(covered.values()) >= 5


def test_fixtures_name_only_documented_differences() -> None:
    named = {d for case in FIXTURE_CASES for d in case.differences}
    assert named <= set(BY_ID), named - set(BY_ID)


# -- generated cases -------------------------------------------------------------------------------


def _run_generated(binding: str, direction: str) -> int:
    """Run the profile's number of generated cases; returns how many ran."""
    ran = 0

    @conformance_settings
    @given(
        batch=st.lists(
            conformance_strategies.cases(binding, direction), min_size=BATCH, max_size=BATCH
        )
    )
    def check(batch: list[Case]) -> None:
        nonlocal ran
        for case in batch:
            ran += 1
            found = compare_case(case)
            unexplained = [(m, r) for m, r in found if r is None]
            assert not unexplained, _report(unexplained)

    check()
    return ran


@pytest.mark.parametrize("binding", DECODE_BINDINGS)
def test_generated_decodes(binding: str) -> None:
    # Hypothesis may stop early once it has seen every distinct input (tiny strategies).
    assert _run_generated(binding, "in") >= CASES[PROFILE] // 2


@pytest.mark.parametrize("binding", ENCODE_BINDINGS)
def test_generated_encodes(binding: str) -> None:
    assert _run_generated(binding, "out") >= CASES[PROFILE] // 2


# -- the observation plans cover the stock classes -------------------------------------------------


@pytest.mark.parametrize("binding", sorted(PLANS))
def test_every_public_member_of_the_stock_model_is_observed(binding: str) -> None:
    """If azure.functions adds a public attribute or method, this suite must look at it."""
    stock_class = MODEL_CLASSES[binding]
    probed = {name.split("(")[0].split(" ")[0] for name in PLANS[binding]}
    probed |= {name for name, plan_name in PROBED_AS.items() if plan_name in PLANS[binding]}
    classes = stock_class if isinstance(stock_class, tuple) else (stock_class,)
    public = {name for cls in classes for name in dir(cls) if not name.startswith("_")}
    assert public <= probed, f"not observed: {sorted(public - probed)}"


# -- the worker protocol beyond decode and encode --------------------------------------------------


@pytest.mark.parametrize("binding", sorted({*DECODE_BINDINGS, *ENCODE_BINDINGS}))
def test_trigger_support_and_implicit_output(binding: str) -> None:
    stock, ours = stock_binding(binding), funcbind_binding(binding)
    stock_trigger = stock.has_trigger_support()
    if binding == "blob":
        # Difference blob-input-not-a-trigger: azure.functions registers one converter
        # under both names, so its input binding claims trigger support.
        assert (stock_trigger, ours.has_trigger_support()) == (True, False)
    else:
        assert ours.has_trigger_support() == stock_trigger
    stock_implicit = getattr(stock, "has_implicit_output", lambda *_: False)
    ours_implicit = ours.has_implicit_output(binding)
    if binding == "generic":
        # The worker's generic binding takes the return value of unknown binding types;
        # funcbind's generic never does (docs/registry.md): the worker asks only for
        # binding types the registry knows, so this never reaches a function.
        assert (stock_implicit(binding), ours_implicit) == (True, False)
    else:
        assert ours_implicit == stock_implicit()


@pytest.mark.parametrize(
    "binding", [b for b in ENCODE_BINDINGS if b not in conformance_durable.NONE_IS_A_VALUE]
)
def test_encode_of_none_is_a_datum_the_workers_accept(binding: str) -> None:
    """The workers call datum_as_proto on whatever encode returns (a None return value
    on a $return binding included): "nothing" must be a Datum of type None."""
    encoded = funcbind_binding(binding).encode(None, expected_type=None)
    assert encoded is not None
    assert (encoded.type, encoded.value) == (None, None)


@pytest.mark.parametrize(
    "binding", [b for b in ENCODE_BINDINGS if b not in conformance_durable.BUFFERS_NOT_BYTES]
)
@pytest.mark.parametrize("make", [bytearray, memoryview])
def test_encoded_buffers_are_bytes_for_the_workers(binding: str, make: Any) -> None:
    """TypedData(bytes=...) takes only bytes (upb refuses a bytearray or memoryview)."""
    if binding in conformance_data.ENCODE_BINDINGS:
        # A JSON row output (Cosmos DB, SQL, MySQL) refuses buffers, as the stock does.
        with pytest.raises(NotImplementedError):
            funcbind_binding(binding).encode(make(b"buffer"), expected_type=None)
        return
    encoded = funcbind_binding(binding).encode(make(b"buffer"), expected_type=None)
    payload = encoded.value["body"] if encoded.type == "http" else encoded
    assert (payload.type, type(payload.value), payload.value) == ("bytes", bytes, b"buffer")


# -- the generic oracle ----------------------------------------------------------------------------


def test_the_documented_generic_binding_is_the_workers() -> None:
    """Where the worker library is installed, our statement of it agrees with it."""
    real = generic_oracle.real_generic_binding()
    if real is None:
        pytest.skip("azure-functions-runtime is not installed (Python 3.13 worker session)")
    documented = generic_oracle.DocumentedGenericBinding
    from conformance_support import attempt, decode_with, encode_with, wire_form

    for case in [c for c in FIXTURE_CASES if c.binding == "generic"]:
        if case.direction == "in":
            left = attempt(lambda case=case: decode_with(real, case))
            right = attempt(lambda case=case: decode_with(documented, case))
        else:
            left = attempt(lambda case=case: wire_form(encode_with(real, case)))
            right = attempt(lambda case=case: wire_form(encode_with(documented, case)))
        assert (left.ok, left.value, type(left.error)) == (
            right.ok,
            right.value,
            type(right.error),
        ), case.id
    for pytype in (str, bytes, bytearray, int, dict):
        assert real.check_input_type_annotation(pytype) == documented.check_input_type_annotation(
            pytype
        )
        assert real.check_output_type_annotation(pytype) == documented.check_output_type_annotation(
            pytype
        )


def test_generic_oracle_is_used_on_this_python() -> None:
    oracle: Any = stock_binding("generic")
    expected = generic_oracle.real_generic_binding() or generic_oracle.DocumentedGenericBinding
    assert oracle is expected
