"""Conformance tables for Durable Functions, warmup, MCP and connector triggers.

What the shared harness (``conformance_support.py``) needs to know of these bindings:
their names, which have trigger support, the observation plans of their models, the
custom classes the Durable JSON conventions are checked with, and value kinds for the
fixtures' notation.  Nothing here imports the harness, which imports this module while
it builds its own tables; strategies and difference rules live in
``conformance_durable_cases.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import azure.functions as func
from azure.functions import _durable_functions
from azure.functions.mcp import PromptInvocationContext
from azure.functions.warmup import WarmUpContext

# azure.functions' Durable codec warns once per process (a DeprecationWarning, which this
# suite's warning filter turns into an error) the first time it parses without an
# expected type or rebuilds an object: only the first case would fail, in whichever
# test ran first.  funcbind does not warn (docs/compatibility.md, durable-codec-no-notices);
# the stock side is compared as it behaves after its one notice.
_durable_functions._no_expected_type_notice_emitted = True
_durable_functions._loose_codec_notice_emitted = True

DURABLE_TRIGGERS = frozenset(
    {
        "orchestrationTrigger",
        "entityTrigger",
        "activityTrigger",
        "warmupTrigger",
        "mcpToolTrigger",
        "mcpResourceTrigger",
        "mcpPromptTrigger",
        "connectorTrigger",
    }
)
DECODE_BINDINGS = (
    "orchestrationTrigger",
    "entityTrigger",
    "activityTrigger",
    "durableClient",
    "warmupTrigger",
    "mcpToolTrigger",
    "mcpResourceTrigger",
    "mcpPromptTrigger",
    "connectorTrigger",
)
ENCODE_BINDINGS = (
    "orchestrationTrigger",
    "entityTrigger",
    "activityTrigger",
    "durableClient",
    "mcpToolTrigger",
    "mcpResourceTrigger",
    "mcpPromptTrigger",
    "connectorTrigger",
)
# Outputs where azure.functions itself encodes None as a value ("" or JSON null), and
# where it does not send every buffer as bytes (JSON text; durableClient refuses a
# memoryview): the general checks "None sends nothing" and "buffers go as bytes" do not
# apply, and the corpus compares these with the stock instead.
NONE_IS_A_VALUE = frozenset(ENCODE_BINDINGS) - {"durableClient"}
BUFFERS_NOT_BYTES = frozenset(
    {"orchestrationTrigger", "entityTrigger", "activityTrigger", "durableClient"}
)


# -- custom classes for the Durable JSON conventions ---------------------------------------


class DurablePoint:
    """A class with ``to_json``/``from_json``, as Durable users write them."""

    def __init__(self, x: Any, y: Any) -> None:
        self.x = x
        self.y = y

    @classmethod
    def to_json(cls, point: DurablePoint) -> dict[str, Any]:
        return {"x": point.x, "y": point.y}

    @classmethod
    def from_json(cls, data: Any) -> DurablePoint:
        return cls(data["x"], data["y"])

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and (self.x, self.y) == (other.x, other.y)  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DurablePoint({self.x!r}, {self.y!r})"


class DurableBox:
    """A custom class whose JSON holds another custom object (nested envelopes)."""

    def __init__(self, content: Any) -> None:
        self.content = content

    @classmethod
    def to_json(cls, box: DurableBox) -> dict[str, Any]:
        return {"content": box.content}

    @classmethod
    def from_json(cls, data: Any) -> DurableBox:
        return cls(data["content"])

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.content == other.content  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DurableBox({self.content!r})"


class NotSerialisable:
    """An object without ``to_json``: neither side can send it."""

    def __repr__(self) -> str:
        return "NotSerialisable()"


def _point(content: Any) -> DurablePoint:
    return DurablePoint(content["x"], content["y"])


def _box(content: Any) -> DurableBox:
    from conformance_support import value_from_spec

    return DurableBox(value_from_spec(content))


# Value kinds for the fixtures' notation (conformance_support.value_from_spec):
# {"DurablePoint": {"x": 1, "y": 2}}, {"DurableBox": <value spec>}, {"NotSerialisable": null}.
VALUE_KINDS: dict[str, Callable[[Any], Any]] = {
    "DurablePoint": _point,
    "DurableBox": _box,
    "NotSerialisable": lambda content: NotSerialisable(),
}


# -- observation plans --------------------------------------------------------------------

Probe = Callable[[Any, Any], Any]

CONTEXT_PLAN: dict[str, Probe] = {
    "body": lambda c, case: c.body,
    "str()": lambda c, case: str(c),
    "repr()": lambda c, case: repr(c),
}
WARMUP_PLAN: dict[str, Probe] = {
    "type()": lambda c, case: type(c).__name__,
}
PROMPT_PLAN: dict[str, Probe] = {
    "name": lambda p, case: p.name,
    "arguments": lambda p, case: p.arguments,
    "sessionid": lambda p, case: p.sessionid,
    "transport": lambda p, case: p.transport,
    "repr()": lambda p, case: repr(p),
}

PLANS: dict[str, dict[str, Probe]] = {
    "orchestrationTrigger": CONTEXT_PLAN,
    "entityTrigger": CONTEXT_PLAN,
    "warmupTrigger": WARMUP_PLAN,
    "mcpPromptTrigger": PROMPT_PLAN,
}
MODEL_CLASSES: dict[str, type] = {
    "orchestrationTrigger": func.OrchestrationContext,
    "entityTrigger": func.EntityContext,
    "warmupTrigger": WarmUpContext,
    "mcpPromptTrigger": PromptInvocationContext,
}
