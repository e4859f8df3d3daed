"""MCP (Model Context Protocol) triggers: ``mcpToolTrigger``, ``mcpResourceTrigger``
and ``mcpPromptTrigger``.

The host's MCP extension turns a tool call, a resource read or a prompt request into
an invocation.  A tool or resource function receives the payload as sent (the
``azure.functions`` ``mcp_tool`` decorator parses a tool's JSON itself and builds the
``MCPToolContext``); a prompt function receives an
``azure.functions.PromptInvocationContext``.  Each takes the function's return value
without a ``$return`` binding and sends it back as text (passthrough.py); a tool may
also return objects of the official ``mcp`` SDK, which are serialised exactly as the
installed azure.functions serialises them (its rules changed between 1.x and 2.x).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from typing import Any

from azure.functions.mcp import MCPToolContext, PromptInvocationContext

from .._typing import TypeSpec
from ..datum import Datum, DatumLike, parse_json
from ..registry import BindingSpec, Decoder, Encoder, Registry
from ._common import Metadata, not_utf8
from .passthrough import accepts, decode_payload, encode_text_result

__all__ = [
    "McpPromptTriggerConverter",
    "McpResourceTriggerConverter",
    "McpToolTriggerConverter",
    "decode_prompt",
    "encode_tool_result",
    "register",
]

TOOL = "mcpToolTrigger"
RESOURCE = "mcpResourceTrigger"
PROMPT = "mcpPromptTrigger"


def register(registry: Registry) -> None:
    registry.register(TOOL, converter=McpToolTriggerConverter(), trigger=True, implicit_output=True)
    registry.register(
        RESOURCE, converter=McpResourceTriggerConverter(), trigger=True, implicit_output=True
    )
    registry.register(
        PROMPT, converter=McpPromptTriggerConverter(), trigger=True, implicit_output=True
    )


# -- tools ---------------------------------------------------------------------------------


@cache
def _sdk_installed() -> bool:
    """Whether the official ``mcp`` package can be imported (looked up once)."""
    try:
        return importlib.util.find_spec("mcp") is not None
    except (ImportError, ValueError):
        return False


def encode_tool_result(value: Any) -> Datum:
    """A tool's result: text, bytes, or an ``mcp`` SDK object serialised to JSON text."""
    if value is None or isinstance(value, str | bytes | bytearray | memoryview):
        return encode_text_result(value)
    if _sdk_installed():
        # CallToolResult, content blocks and lists of them: azure.functions' own
        # serialisation, whose details follow the installed version.
        return _stock_tool_encode(value)
    return Datum(str(value), "string")


def _stock_tool_encode(value: Any) -> Datum:
    from azure.functions import meta

    registry: Any = meta.get_binding_registry()  # type: ignore[no-untyped-call]
    stock = registry.get(TOOL)
    encoded = stock.encode(value, expected_type=None)
    return Datum(encoded.value, encoded.type)


class McpToolTriggerConverter:
    """``mcpToolTrigger``: the tool call's payload as sent; the result as text."""

    directions = frozenset({"in", "out"})
    accepted_inputs = "str, dict, bytes or MCPToolContext (the payload as sent)"
    _inputs = (str, dict, bytes, MCPToolContext)

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        return decode_payload if accepts(spec, self._inputs) else None

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        return encode_tool_result


# -- resources -------------------------------------------------------------------------------


class McpResourceTriggerConverter:
    """``mcpResourceTrigger``: the resource request as sent; the content as text."""

    directions = frozenset({"in", "out"})
    accepted_inputs = "str, dict or bytes (the payload as sent)"
    _inputs = (str, dict, bytes)

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        return decode_payload if accepts(spec, self._inputs) else None

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        return encode_text_result


# -- prompts ---------------------------------------------------------------------------------


def decode_prompt(datum: DatumLike, trigger_metadata: Metadata = None) -> PromptInvocationContext:
    """The request as a PromptInvocationContext; a JSON value other than an object gives
    an empty context, as in azure.functions."""
    kind = datum.type
    value = datum.value
    if kind == "bytes":
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise not_utf8(exc, f"binding {PROMPT!r}", "the prompt request as UTF-8 JSON") from None
    elif kind not in {"json", "string"}:
        value = decode_payload(datum, trigger_metadata)
    if isinstance(value, str):
        value = parse_json(value, f"binding {PROMPT!r}", expected="the prompt request as JSON text")
    return PromptInvocationContext(value if isinstance(value, dict) else {})


class McpPromptTriggerConverter:
    """``mcpPromptTrigger``: a PromptInvocationContext; the prompt text out."""

    directions = frozenset({"in", "out"})
    accepted_inputs = "PromptInvocationContext (also accepted: str, dict, bytes)"
    _inputs = (str, dict, bytes, PromptInvocationContext)

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        return decode_prompt if accepts(spec, self._inputs) else None

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        return encode_text_result
