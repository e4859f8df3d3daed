"""warmupTrigger: a WarmUpContext, whatever the payload."""

from __future__ import annotations

import pytest
from azure.functions.meta import Datum as AzureDatum
from azure.functions.warmup import WarmUpContext

import funcbind


@pytest.mark.parametrize(
    "datum", [AzureDatum("{}", "json"), AzureDatum(None, None), AzureDatum(b"\xff", "bytes")]
)
def test_every_payload_gives_a_warmup_context(datum: AzureDatum) -> None:
    binding = funcbind.get_binding_registry().get("warmupTrigger")
    assert binding is not None
    assert type(binding.decode(datum, trigger_metadata={})) is WarmUpContext
    assert binding.has_trigger_support() and not binding.has_implicit_output()


def test_only_the_context_annotation_is_accepted() -> None:
    binding = funcbind.get_binding_registry().get("warmupTrigger")
    assert binding is not None
    assert binding.check_input_type_annotation(WarmUpContext)
    assert not binding.check_input_type_annotation(str)
    assert not binding.check_output_type_annotation(str)  # no output at all
