"""connectorTrigger: the payload as sent, a dict result as JSON text."""

from __future__ import annotations

import pytest
from azure.functions.meta import Datum as AzureDatum

import funcbind
from funcbind import UnsupportedValueError
from funcbind.bindings.connectors import encode_connector_result


def test_the_payload_passes_through_and_the_result_is_text() -> None:
    binding = funcbind.get_binding_registry().get("connectorTrigger")
    assert binding is not None
    assert binding.decode(AzureDatum('{"a": 1}', "json"), trigger_metadata={}) == '{"a": 1}'
    assert binding.encode({"ok": True}).value == '{"ok": true}'
    assert binding.encode(None).value == ""
    assert binding.has_implicit_output()


def test_a_dict_json_cannot_hold_is_refused_naming_the_binding() -> None:
    with pytest.raises(UnsupportedValueError, match="connectorTrigger"):
        encode_connector_result({"a": object()})
