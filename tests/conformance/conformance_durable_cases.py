"""Generated cases and difference rules for the bindings of ``conformance_durable.py``.

Payloads follow what the Durable extension sends: an orchestration's state (``history``
of events, ``input``, ``instanceId``, ``isReplaying``...), an entity's batch (``self``,
``state``, ``exists``, ``batch`` of operations), activity inputs as the JSON text
``azure-functions-durable`` writes (custom objects in their ``__class__``/``__module__``
/``__data__`` envelope), and the client's configuration; the MCP and connector triggers
get whatever the host may send.  Around them: bytes that are not UTF-8, envelopes
naming modules and classes that do not exist, escapes, and payloads of every wire kind.
"""

from __future__ import annotations

import json
from typing import Any

from conformance_compare import Difference, Mismatch, funcbind_clear
from conformance_strategies import GENERIC_DATA, JSON_VALUES, SIMPLE_VALUES, TEXT, TOKEN
from conformance_support import DECODE, ENCODE, Case
from hypothesis import strategies as st

_TIMESTAMP = "2024-06-18T09:15:27.4610507Z"
_MODULE = "conformance_durable"


def _kinds(text: str) -> st.SearchStrategy[dict[str, Any]]:
    """JSON text as the host may carry it: json, string, or UTF-8 bytes."""
    return st.sampled_from(
        [
            {"type": "json", "value": text},
            {"type": "string", "value": text},
            {"type": "bytes", "text": text},
        ]
    )


# -- orchestrations and entities --------------------------------------------------------------

_EVENTS = st.fixed_dictionaries(
    {
        "EventType": st.sampled_from([0, 4, 5, 12, 13]),
        "EventId": st.integers(-1, 20),
        "IsPlayed": st.booleans(),
        "Timestamp": st.just(_TIMESTAMP),
    },
    optional={
        "Name": TOKEN,
        "Result": JSON_VALUES.map(json.dumps),
        "TaskScheduledId": st.integers(0, 9),
    },
)


@st.composite
def orchestration_states(draw: st.DrawFn) -> str:
    state = {
        "history": draw(st.lists(_EVENTS, max_size=3)),
        "input": draw(st.none() | JSON_VALUES.map(json.dumps)),
        "instanceId": draw(TOKEN),
        "isReplaying": draw(st.booleans()),
        "parentInstanceId": draw(st.none() | TOKEN),
        "upperSchemaVersion": draw(st.sampled_from([0, 2, 4])),
    }
    return json.dumps(state, ensure_ascii=draw(st.booleans()))


@st.composite
def entity_batches(draw: st.DrawFn) -> str:
    operations = st.fixed_dictionaries(
        {
            "name": TOKEN,
            "input": st.none() | JSON_VALUES.map(json.dumps),
            "isSignal": st.booleans(),
        }
    )
    batch = {
        "self": {"name": draw(TOKEN), "key": draw(TOKEN)},
        "state": draw(st.none() | JSON_VALUES.map(json.dumps)),
        "exists": draw(st.booleans()),
        "batch": draw(st.lists(operations, max_size=3)),
    }
    return json.dumps(batch)


_ODD_PAYLOADS = st.one_of(
    st.binary(max_size=12).map(lambda raw: {"type": "bytes", "base64": _b64(raw)}),
    GENERIC_DATA,
)


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode("ascii")


def _context_data(states: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(states.flatmap(_kinds), states.flatmap(_kinds), _ODD_PAYLOADS)


# -- activities ---------------------------------------------------------------------------------


def _envelope(class_name: str, data: Any, module: str = _MODULE) -> dict[str, Any]:
    return {"__class__": class_name, "__module__": module, "__data__": data}


_POINT_DATA = st.fixed_dictionaries({"x": JSON_VALUES, "y": JSON_VALUES})
_ENVELOPES = st.one_of(
    _POINT_DATA.map(lambda d: _envelope("DurablePoint", d)),
    _POINT_DATA.map(lambda d: _envelope("DurableBox", {"content": _envelope("DurablePoint", d)})),
    _POINT_DATA.map(lambda d: [_envelope("DurablePoint", d), d]),
    _POINT_DATA.map(lambda d: {"wrapped": _envelope("DurablePoint", d)}),
    st.sampled_from(
        [
            _envelope("DurablePoint", {"x": 1, "y": 2}, module="not_a_loaded_module"),
            _envelope("NoSuchClass", {"x": 1}),
            _envelope("NotSerialisable", {}),  # no from_json
            _envelope("DurablePoint", {"x": 1}),  # from_json fails (KeyError)
            {"__class__": "DurablePoint", "__data__": {"x": 1, "y": 2}},  # no module: data
        ]
    ),
)


def _escaped_keys(text: str) -> str:
    # "\u005f" is "_": the keys read the same once parsed, written with escapes.
    return text.replace('"__data__"', '"\\u005f_data__"').replace(
        '"__class__"', '"_\\u005fclass__"'
    )


ACTIVITY_TEXTS = st.one_of(
    JSON_VALUES.map(json.dumps),
    JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)),
    _ENVELOPES.map(json.dumps),
    _ENVELOPES.map(lambda v: _escaped_keys(json.dumps(v))),
    TEXT,  # mostly not JSON: the text itself
    st.sampled_from(["", "NaN", "-Infinity", "1e400", '{"a": 1', "[1, 2,]", "tru", "9" * 5000]),
)
ACTIVITY_DATA = st.one_of(
    ACTIVITY_TEXTS.map(lambda t: {"type": "json", "value": t}),
    ACTIVITY_TEXTS.map(lambda t: {"type": "string", "value": t}),
    st.just({"type": "json", "value": "[" * 60_000}),  # deeper than any recursion limit
    GENERIC_DATA,
)


# -- prompts --------------------------------------------------------------------------------------

_PROMPTS = st.fixed_dictionaries(
    {},
    optional={
        "name": TOKEN,
        "arguments": st.dictionaries(TOKEN, st.text(max_size=8), max_size=3) | JSON_VALUES,
        "sessionid": st.none() | TOKEN,
        "transport": st.none() | st.dictionaries(TOKEN, JSON_VALUES, max_size=2),
    },
)
PROMPT_DATA = st.one_of(
    _PROMPTS.map(json.dumps).flatmap(_kinds),
    _PROMPTS.map(json.dumps).flatmap(_kinds),
    JSON_VALUES.map(json.dumps).flatmap(_kinds),
    TEXT.map(lambda t: {"type": "string", "value": t}),
    _ODD_PAYLOADS,
)


# -- values to encode ---------------------------------------------------------------------------

_POINTS = st.builds(lambda x, y: {"DurablePoint": {"x": x, "y": y}}, JSON_VALUES, JSON_VALUES)
CUSTOM_VALUES = st.one_of(
    _POINTS,
    _POINTS.map(lambda p: {"DurableBox": p}),
    st.lists(_POINTS | SIMPLE_VALUES, max_size=3).map(lambda items: {"list": items}),
    st.just({"NotSerialisable": None}),
)


def _state_values(states: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        states.map(lambda t: {"str": t}), st.just({"none": None}), SIMPLE_VALUES, CUSTOM_VALUES
    )


TEXT_RESULT_VALUES = st.one_of(
    SIMPLE_VALUES, st.lists(SIMPLE_VALUES, max_size=3).map(lambda items: {"list": items})
)

DECODE_DATA: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "orchestrationTrigger": _context_data(orchestration_states()),
    "entityTrigger": _context_data(entity_batches()),
    "activityTrigger": ACTIVITY_DATA,
    "durableClient": st.one_of(
        _kinds(json.dumps({"taskHubName": "hub", "rpcBaseUrl": "http://127.0.0.1:17071/"})),
        GENERIC_DATA,
    ),
    "warmupTrigger": GENERIC_DATA,
    "mcpToolTrigger": GENERIC_DATA | PROMPT_DATA,
    "mcpResourceTrigger": GENERIC_DATA,
    "mcpPromptTrigger": PROMPT_DATA,
    "connectorTrigger": GENERIC_DATA,
}
ENCODE_VALUES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "orchestrationTrigger": _state_values(orchestration_states()),
    "entityTrigger": _state_values(entity_batches()),
    "activityTrigger": st.one_of(
        SIMPLE_VALUES, CUSTOM_VALUES, JSON_VALUES.map(lambda v: {"str": json.dumps(v)})
    ),
    "durableClient": TEXT_RESULT_VALUES,
    "mcpToolTrigger": TEXT_RESULT_VALUES,
    "mcpResourceTrigger": TEXT_RESULT_VALUES,
    "mcpPromptTrigger": TEXT_RESULT_VALUES,
    "connectorTrigger": TEXT_RESULT_VALUES,
}


def decode_case(binding: str) -> st.SearchStrategy[Case]:
    return DECODE_DATA[binding].map(lambda data: Case(binding, "generated", data, {}))


def encode_case(binding: str) -> st.SearchStrategy[Case]:
    return ENCODE_VALUES[binding].map(
        lambda spec: Case(binding, "generated", spec, direction="out")
    )


# -- the documented differences ------------------------------------------------------------------

_TEXT_KINDS = ("string", "json", "bytes")


def _context_text_only(m: Mismatch) -> bool:
    """azure.functions builds a context without a body from a payload that is not text
    (its body then raises AttributeError); funcbind refuses it when decoding."""
    return (
        m.member == DECODE
        and (m.case.data or {}).get("type") not in _TEXT_KINDS
        and m.stock_ok()
        and funcbind_clear(m)
    )


def _state_as_json_text(m: Mismatch) -> bool:
    """A returned state that is not text: azure.functions puts the object itself in a
    json Datum, which the worker cannot send (or sends as UTF-8 bytes); funcbind sends its
    JSON text, or refuses clearly what JSON cannot hold."""
    if m.member != ENCODE or not m.stock_ok():
        return False
    kind, value = m.stock.value  # type: ignore[union-attr]
    if kind != "json" or value is None or isinstance(value, str):
        return False
    if not m.funcbind_ok():
        return funcbind_clear(m)
    ours = m.funcbind.value  # type: ignore[union-attr]
    if isinstance(value, bytes | bytearray | memoryview):
        return ours == ("json", bytes(value).decode("utf-8"))
    return ours == ("json", json.dumps(value))


def _memoryview_as_bytes(m: Mismatch) -> bool:
    """A memoryview goes as its bytes; azure.functions sends its repr as text."""
    value = m.case.value() if m.case.direction == "out" else None
    return (
        isinstance(value, memoryview)
        and m.member == ENCODE
        and m.funcbind_ok()
        and m.funcbind.value == ("bytes", bytes(value))  # type: ignore[union-attr]
        and m.stock_ok()
        and m.stock.value[0] == "string"  # type: ignore[union-attr]
        and m.stock.value[1].startswith("<memory at")  # type: ignore[union-attr]
    )


DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "durable-context-text-only",
        frozenset({"orchestrationTrigger", "entityTrigger"}),
        "an orchestration or entity payload that is not text (null, numbers, collections) "
        "fails the decode with a clear error; azure.functions gives a context whose body "
        "raises AttributeError",
        _context_text_only,
    ),
    Difference(
        "durable-state-as-json-text",
        frozenset({"orchestrationTrigger", "entityTrigger"}),
        "a returned state that is not text goes as its JSON text (bytes as their UTF-8 "
        "text); azure.functions hands the object to the json field, where the worker fails",
        _state_as_json_text,
    ),
    Difference(
        "text-result-memoryview",
        frozenset({"mcpToolTrigger", "mcpResourceTrigger", "mcpPromptTrigger", "connectorTrigger"}),
        "a memoryview result goes as its bytes; azure.functions sends its repr "
        "('<memory at 0x...>') as text",
        _memoryview_as_bytes,
    ),
)
