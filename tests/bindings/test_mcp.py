"""MCP triggers: payloads as sent, PromptInvocationContext, results as text."""

from __future__ import annotations

from typing import Any

import azure.functions as func
import pytest
from azure.functions.meta import Datum as AzureDatum

import funcbind
from funcbind import DecodeError
from funcbind.bindings import mcp

NAMES = ("mcpToolTrigger", "mcpResourceTrigger", "mcpPromptTrigger")


def _binding(name: str) -> Any:
    found = funcbind.get_binding_registry().get(name)
    assert found is not None
    return found


@pytest.mark.parametrize("name", NAMES)
def test_triggers_with_implicit_outputs(name: str) -> None:
    binding = _binding(name)
    assert binding.has_trigger_support() and binding.has_implicit_output()
    registration = funcbind.default_registry().get(name)
    assert registration is not None
    assert type(registration.converter).__module__ == mcp.__name__


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("annotation", [str, dict, bytes])
def test_annotations_azure_functions_loads(name: str, annotation: type) -> None:
    assert _binding(name).check_input_type_annotation(annotation)
    assert not _binding(name).check_input_type_annotation(int)


def test_context_annotations() -> None:
    assert _binding("mcpToolTrigger").check_input_type_annotation(func.MCPToolContext)
    assert _binding("mcpPromptTrigger").check_input_type_annotation(func.PromptInvocationContext)
    # MCPToolContext is a dict: azure.functions loads it on a resource trigger too.
    assert _binding("mcpResourceTrigger").check_input_type_annotation(func.MCPToolContext)
    assert not _binding("mcpResourceTrigger").check_input_type_annotation(
        func.PromptInvocationContext
    )


def test_a_tool_call_arrives_as_the_text_the_mcp_tool_decorator_parses() -> None:
    text = '{"name": "weather", "arguments": {"city": "Oslo"}}'
    assert _binding("mcpToolTrigger").decode(AzureDatum(text, "json"), trigger_metadata={}) == text


def test_a_prompt_is_a_prompt_invocation_context() -> None:
    text = '{"name": "review", "arguments": {"code": "x"}, "sessionid": "s"}'
    for datum in (AzureDatum(text, "string"), AzureDatum(text.encode(), "bytes")):
        context = _binding("mcpPromptTrigger").decode(datum, trigger_metadata={})
        assert type(context) is func.PromptInvocationContext
        assert (context.name, context.arguments, context.sessionid) == (
            "review",
            {"code": "x"},
            "s",
        )


@pytest.mark.parametrize(
    ("datum", "reason"),
    [(AzureDatum("hello", "string"), "invalid JSON"), (AzureDatum(b"\xff", "bytes"), "UTF-8")],
)
def test_a_prompt_that_cannot_be_read_names_the_binding(datum: Any, reason: str) -> None:
    with pytest.raises(DecodeError, match=f"mcpPromptTrigger.*{reason}"):
        _binding("mcpPromptTrigger").decode(datum, trigger_metadata={})


@pytest.mark.parametrize("name", NAMES)
def test_results_go_back_as_text_like_azure_functions(name: str) -> None:
    stock = func.get_binding_registry().get(name)
    for value in (None, "text", b"raw", bytearray(b"raw"), 3, 2.5, {"a": [1]}, [1, "a"]):
        ours = _binding(name).encode(value, expected_type=None)
        theirs = stock.encode(value, expected_type=None)
        assert (ours.type, ours.value) == (theirs.type, theirs.value), value


def test_sdk_objects_are_serialised_by_the_installed_azure_functions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the official mcp package installed, azure.functions' own serialisation
    (which changed between 1.x and 2.x) encodes SDK objects; here it is pretended."""
    monkeypatch.setattr(mcp, "_sdk_installed", lambda: True)
    stock = func.get_binding_registry().get("mcpToolTrigger")
    value = {"content": [{"type": "text", "text": "hi"}]}
    expected = stock.encode(value, expected_type=None)
    assert mcp.encode_tool_result(value) == funcbind.Datum(expected.value, expected.type)
