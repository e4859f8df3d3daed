"""Hypothesis strategies for Event Hubs and Service Bus wire inputs (fixture notation).

They follow the shapes the host sends (the worker's and the library's unit tests: one
event with ``SystemProperties``, a batch with ``SystemPropertiesArray``; one Service
Bus message with ``UserProperties`` and its properties as string/json/int Datums, a
batch with ``...Array`` fields as collections or JSON arrays) and their edges:
datetimes and time spans in every shape, bodies of every wire kind, missing and short
arrays, malformed metadata, and wire kinds neither side accepts.
"""

from __future__ import annotations

import json
from typing import Any

from conformance_strategies import (
    JSON_SCALARS,
    JSON_VALUES,
    PLAIN_JSON,
    QUEUE_MESSAGES,
    SIMPLE_VALUES,
    TEXT,
    TOKEN,
    _bytes_spec,
    datetime_texts,
)
from conformance_support import Case
from hypothesis import strategies as st

BINDINGS = frozenset({"eventHubTrigger", "eventHub", "serviceBusTrigger", "serviceBus"})


def _string(text: str) -> dict[str, Any]:
    return {"type": "string", "value": text}


def _json(value: Any) -> dict[str, Any]:
    return {"type": "json", "json": value}


_NULL = {"type": None}

TEXT_FIELD = st.one_of(TOKEN.map(_string), TOKEN.map(_json), st.just(_NULL))
INT_FIELD = st.one_of(
    st.integers(0, 2**40).map(lambda n: {"type": "int", "value": n}),
    st.integers(0, 10**6).map(lambda n: {"type": "json", "value": str(n)}),
    st.integers(0, 10**6).map(lambda n: _string(str(n))),
)
BAD_INT_FIELD = st.sampled_from([_string("many"), {"type": "json", "value": '"x"'}])
DATETIME_FIELD = datetime_texts().map(_json) | datetime_texts().map(_string)
# .NET TimeSpans as the host prints them, and the shapes around them.
TIMESPAN_TEXTS = st.one_of(
    st.builds(
        lambda h, m, s: f"{h:02d}:{m:02d}:{s:02d}",
        st.integers(0, 23),
        st.integers(0, 59),
        st.integers(0, 59),
    ),
    st.sampled_from(
        [
            "10675199.02:48:05.4775807",  # TimeSpan.MaxValue: the default time to live
            "1.02:03:04",
            "25:00:00",
            "00:05:00.5",
            "-00:05:00",
            "05:30",
            "120",
            "",
            "forever",
        ]
    ),
)
TIMESPAN_FIELD = TIMESPAN_TEXTS.map(_string) | TIMESPAN_TEXTS.map(_json)
PROPERTIES = st.dictionaries(TOKEN, JSON_SCALARS, max_size=3)
PROPERTIES_FIELD = st.one_of(
    PROPERTIES.map(_json),
    PROPERTIES.map(_json),
    st.just(_NULL),
    st.sampled_from([_string("not json"), _json([1, 2]), _json("text")]),
)


def _payload(draw: st.DrawFn) -> Any:
    """One message's payload: text, JSON or bytes; rarely none or a kind nobody reads."""
    body = draw(st.one_of(TEXT, JSON_VALUES.map(json.dumps)))
    kind = draw(st.sampled_from(["string", "json", "bytes", "bytes", "odd"]))
    if kind == "bytes":
        return _bytes_spec(draw(st.binary(max_size=20)) if draw(st.booleans()) else body.encode())
    if kind == "odd":
        return draw(
            st.sampled_from(
                [
                    {"type": "int", "value": 3},
                    {"type": "collection_sint64", "items": [1]},
                    {"type": "double", "value": 1.5},
                ]
            )
        )
    return {"type": kind, "value": body}


def _batch_payload(draw: st.DrawFn, count: int) -> Any:
    kind = draw(st.sampled_from(["collection_bytes", "collection_string", "json", "odd"]))
    if kind == "json":
        return _json(draw(st.lists(JSON_VALUES, min_size=count, max_size=count)))
    if kind == "odd":
        return draw(st.sampled_from([_string("[]"), {"type": "collection_sint64", "items": [1]}]))
    return {"type": kind, "items": draw(st.lists(TEXT, min_size=count, max_size=count))}


def _count_and_entries(draw: st.DrawFn) -> tuple[int, int]:
    """How many bodies, and how many metadata entries (now and then one more or less)."""
    count = draw(st.integers(0, 4))
    skew = draw(st.sampled_from([0] * 12 + [-1, 1]))
    return count, max(count + skew, 0)


# -- Event Hubs -------------------------------------------------------------------------

_IOTHUB_KEYS = st.sampled_from(
    ["iothub-connection-device-id", "iothub-enqueuedtime", "iothub-message-source"]
)


def _system_entry(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if draw(st.integers(0, 5)):
        entry["EnqueuedTimeUtc"] = draw(datetime_texts())
    if draw(st.booleans()):
        entry["SequenceNumber"] = draw(st.integers(0, 2**40))
    if draw(st.booleans()):
        entry["Offset"] = draw(st.integers(0, 10**9).map(str) | st.integers(0, 10**9))
    if draw(st.booleans()):
        entry["PartitionKey"] = draw(st.none() | TOKEN)
    for key in draw(st.sets(_IOTHUB_KEYS, max_size=2)):
        entry[key] = draw(TOKEN)
    return entry


@st.composite
def event_hub_trigger_cases(draw: st.DrawFn) -> tuple[Any, Any]:
    shape = draw(st.sampled_from(["one", "one", "many", "many", "neither"]))
    metadata: dict[str, Any] = {}
    if draw(st.booleans()):
        metadata["PartitionContext"] = _json({"PartitionId": draw(TOKEN)})
    if shape == "many":
        count, entries = _count_and_entries(draw)
        data = _batch_payload(draw, count)
        system = [_system_entry(draw) for _ in range(entries)]
        metadata["SystemPropertiesArray"] = _json(system)
        return data, metadata
    data = _payload(draw)
    if shape == "one":
        system = _system_entry(draw)
        metadata["SystemProperties"] = draw(
            st.sampled_from([_json(system)] * 8 + [_string("not json")])
        )
    fields = {
        "EnqueuedTimeUtc": DATETIME_FIELD,
        "PartitionKey": TEXT_FIELD,
        "SequenceNumber": INT_FIELD if draw(st.integers(0, 9)) else BAD_INT_FIELD,
        "Offset": st.one_of(
            st.integers(0, 10**9).map(lambda n: _string(str(n))),
            st.integers(0, 10**9).map(lambda n: _json(str(n))),
            st.integers(0, 10**9).map(lambda n: {"type": "int", "value": n}),
        ),
        "iothub-connection-device-id": TOKEN.map(_string),
    }
    for name in sorted(draw(st.sets(st.sampled_from(sorted(fields))))):
        metadata[name] = draw(fields[name])
    return data, metadata


@st.composite
def event_hub_input_payloads(draw: st.DrawFn) -> Any:
    if draw(st.booleans()):
        return _payload(draw)
    return _batch_payload(draw, draw(st.integers(0, 4)))


# -- Service Bus ---------------------------------------------------------------------------

_TEXTS = (
    "ContentType",
    "CorrelationId",
    "DeadLetterErrorDescription",
    "DeadLetterReason",
    "DeadLetterSource",
    "Label",
    "LockToken",
    "MessageId",
    "PartitionKey",
    "ReplyTo",
    "ReplyToSessionId",
    "SessionId",
    "Subject",
    "To",
    "TransactionPartitionKey",
)
_INTS = ("DeliveryCount", "EnqueuedSequenceNumber", "SequenceNumber", "State")
_DATETIMES = ("EnqueuedTimeUtc", "ExpiresAtUtc", "LockedUntil", "ScheduledEnqueueTimeUtc")


def _single_field(name: str) -> st.SearchStrategy[Any]:
    if name in _INTS:
        return INT_FIELD | BAD_INT_FIELD if name == "DeliveryCount" else INT_FIELD
    if name in _DATETIMES:
        return DATETIME_FIELD
    if name == "TimeToLive":
        return TIMESPAN_FIELD
    if name == "ApplicationProperties":
        return PROPERTIES_FIELD
    return TEXT_FIELD


_ALL_FIELDS = sorted((*_TEXTS, *_INTS, *_DATETIMES, "TimeToLive", "ApplicationProperties"))


def _array(draw: st.DrawFn, name: str, count: int) -> Any:
    """The ``nameArray`` field of a batch: a collection or a JSON array, maybe short."""
    size = draw(st.sampled_from([count] * 6 + [max(count - 1, 0), 0]))
    if name in _INTS:
        values = draw(st.lists(st.integers(0, 2**40), min_size=size, max_size=size))
        if draw(st.booleans()):
            return {"type": "collection_sint64", "items": values}
        return _json(values)
    if name in _DATETIMES:
        return _json(draw(st.lists(datetime_texts(), min_size=size, max_size=size)))
    if name == "TimeToLive":
        return _json(draw(st.lists(TIMESPAN_TEXTS, min_size=size, max_size=size)))
    if name == "ApplicationProperties":
        return _json(draw(st.lists(PROPERTIES, min_size=size, max_size=size)))
    values = draw(st.lists(TOKEN, min_size=size, max_size=size))
    if draw(st.booleans()):
        return {"type": "collection_string", "items": values}
    return _json(values)


@st.composite
def service_bus_trigger_cases(draw: st.DrawFn) -> tuple[Any, Any]:
    shape = draw(st.sampled_from(["one", "one", "one", "many", "many", "neither"]))
    metadata: dict[str, Any] = {}
    chosen = sorted(draw(st.sets(st.sampled_from(_ALL_FIELDS))))
    if shape == "many":
        count, entries = _count_and_entries(draw)
        data = _batch_payload(draw, count)
        metadata["UserPropertiesArray"] = _json(
            draw(st.lists(PROPERTIES, min_size=entries, max_size=entries))
        )
        for name in chosen:
            metadata[name + "Array"] = _array(draw, name, count)
        return data, metadata
    data = None if draw(st.integers(0, 20)) == 0 else _payload(draw)
    if shape == "one":
        metadata["UserProperties"] = draw(PROPERTIES_FIELD)
    for name in chosen:
        metadata[name] = draw(_single_field(name))
    return data, metadata


# -- outputs --------------------------------------------------------------------------------

_LIST_ITEMS = st.one_of(
    TEXT.map(lambda t: {"str": t}),
    PLAIN_JSON.map(lambda d: {"dict": d}),
    st.integers(-9, 9).map(lambda n: {"int": n}),
    st.lists(JSON_SCALARS, max_size=2).map(lambda items: {"json_list": items}),
    TEXT.map(lambda t: {"bytes": t}),
)
OUTPUT_VALUES = st.one_of(
    SIMPLE_VALUES,
    SIMPLE_VALUES,
    st.lists(_LIST_ITEMS, max_size=4).map(lambda items: {"list": items}),
    QUEUE_MESSAGES,  # a value neither output can send
)


# -- cases ------------------------------------------------------------------------------------


def cases(binding: str, direction: str) -> st.SearchStrategy[Case]:
    if direction == "out":
        return OUTPUT_VALUES.map(lambda spec: Case(binding, "generated", spec, direction="out"))
    if binding == "eventHubTrigger":
        pairs = event_hub_trigger_cases()
    elif binding == "serviceBusTrigger":
        pairs = service_bus_trigger_cases()
    else:
        return event_hub_input_payloads().map(lambda data: Case(binding, "generated", data))
    return pairs.map(lambda pair: Case(binding, "generated", pair[0], pair[1]))
