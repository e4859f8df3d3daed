"""funcbind.bindings._common: the pieces every binding family shares."""

from __future__ import annotations

import copy
import pickle
from datetime import datetime, timezone
from typing import Any

import azure.functions as func
import pytest

from funcbind import BindingSpec, Datum, DecodeError, default_registry
from funcbind.bindings import _common, queue
from funcbind.bindings._common import UNSET, binding_label
from funcbind.bindings.blob import stream as blob_stream
from funcbind.bindings.eventgrid import EventGridEvent
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


@pytest.mark.parametrize(
    "copy_of", [copy.copy, copy.deepcopy, lambda value: pickle.loads(pickle.dumps(value))]
)
def test_unset_survives_copies_so_copied_models_still_compute(copy_of: Any) -> None:
    assert copy_of(UNSET) is UNSET
    # An Event Grid event keeps its time UNSET until read: a copy must still parse it.
    event = EventGridEvent({"id": "1", "eventTime": "2024-01-01T00:00:00Z"})
    assert copy_of(event).event_time == datetime(2024, 1, 1, tzinfo=timezone.utc)
