"""funcbind.bindings._common: the pieces every binding family shares."""

from __future__ import annotations

import azure.functions as func
import pytest

from funcbind import BindingSpec, Datum, DecodeError, default_registry
from funcbind.bindings import _common, queue
from funcbind.bindings._common import UNSET, binding_label
from funcbind.bindings.blob import stream as blob_stream
from funcbind.bindings.http import request as http_request


@pytest.mark.parametrize(
    ("binding", "label"),
    [
        (BindingSpec(type="blob", name="photo"), "binding 'blob' ('photo')"),
        (BindingSpec(type="blob"), "binding 'blob'"),
    ],
)
def test_binding_label(binding: BindingSpec, label: str) -> None:
    assert binding_label(binding) == label


@pytest.mark.parametrize(
    ("binding_type", "annotation"),
    [("custom", str), ("blob", bytes), ("httpTrigger", func.HttpRequest)],
)
def test_every_family_names_a_binding_the_same_way(binding_type: str, annotation: type) -> None:
    binding = BindingSpec(type=binding_type, name="data")
    decoder = default_registry().decoder(binding_type, annotation, binding)
    with pytest.raises(DecodeError) as caught:
        decoder(Datum(None, None), None)
    assert caught.value.message.startswith(f"{binding_label(binding)}: ")


def test_one_unset_sentinel() -> None:
    assert repr(UNSET) == "<unset>"
    for module in (http_request, queue, blob_stream):
        assert module.UNSET is _common.UNSET
