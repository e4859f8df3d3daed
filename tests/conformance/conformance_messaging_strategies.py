"""Hypothesis strategies for Event Hubs and Service Bus wire inputs (fixture notation).

They follow the shapes the host sends (the worker's and the library's unit tests: one
event with ``SystemProperties``, a batch with ``SystemPropertiesArray``; one Service
Bus message with ``UserProperties`` and its properties as string/json/int Datums, a
batch with ``...Array`` fields as collections or JSON arrays) and their edges:
datetimes and time spans in every shape, bodies of every wire kind, missing and short
arrays, malformed metadata, and wire kinds neither side accepts.

Hypothesis draws the shape of a case and its payload; the dozens of metadata values
around them come from a seeded ``random.Random`` (one draw), which keeps 2,500 cases
per binding within seconds: drawing each of them through hypothesis cost ten times as
much as running the comparisons.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from conformance_strategies import (
    JSON_SCALARS,
    JSON_VALUES,
    PLAIN_JSON,
    QUEUE_MESSAGES,
    SIMPLE_VALUES,
    TEXT,
    _bytes_spec,
)
from conformance_support import Case
from hypothesis import strategies as st

BINDINGS = frozenset({"eventHubTrigger", "eventHub", "serviceBusTrigger", "serviceBus"})


def _string(text: str) -> dict[str, Any]:
    return {"type": "string", "value": text}


def _json(value: Any) -> dict[str, Any]:
    return {"type": "json", "json": value}


_NULL = {"type": None}
SEEDS = st.integers(0, 2**32 - 1)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_"
_FRACTIONS = ("", ".1", ".123", ".123456", ".4610507")
_OFFSET_MINUTES = (0, 60, -300, 330, 14 * 60)
_EPOCH, _LAST = datetime(1970, 1, 1), datetime(9999, 12, 30)
# .NET TimeSpans as the host prints them, and the shapes around them.
_DATETIME_SHAPES = ("Z", "+00:00", "offset", "naive", "us", "garbage", "empty")
_SPAN_SHAPES = (
    "10675199.02:48:05.4775807",  # TimeSpan.MaxValue: the default time to live
    "1.02:03:04",
    "25:00:00",
    "00:05:00.5",
    "-00:05:00",
    "05:30",
    "120",
    "",
    "forever",
)


def _token(rng: random.Random) -> str:
    return "".join(rng.choices(_ALPHABET, k=rng.randint(1, 12)))


def datetime_text(rng: random.Random, clean: bool = False) -> str:
    """A datetime in one of the shapes of conformance_strategies.datetime_texts
    (``clean``: only the shapes the host sends, which azure.functions reads too)."""
    span = int((_LAST - _EPOCH).total_seconds())
    moment = _EPOCH + timedelta(seconds=rng.randint(0, span))
    base = moment.strftime("%Y-%m-%dT%H:%M:%S") + rng.choice(_FRACTIONS)
    shapes = ("Z", "+00:00", "naive", "empty") if clean else _DATETIME_SHAPES
    shape = rng.choice(shapes)
    if shape == "offset":
        minutes = rng.choice(_OFFSET_MINUTES)
        sign = "-" if minutes < 0 else "+"
        return f"{base}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    if shape == "naive":
        return base
    if shape == "us":
        return moment.strftime("%m/%d/%Y %H:%M:%S")
    if shape == "garbage":
        return rng.choice(("yesterday", "2024-13-01T00:00:00Z", "12:00", "-"))
    if shape == "empty":
        return ""
    return base + shape


def timespan_text(rng: random.Random, clean: bool = False) -> str:
    if clean or rng.random() < 0.6:
        return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    return rng.choice(_SPAN_SHAPES)


def _properties(rng: random.Random) -> dict[str, Any]:
    scalars = (None, True, 0, -3, 2**40, "", "value", "ünï")
    return {_token(rng): rng.choice(scalars) for _ in range(rng.randint(0, 3))}


def text_field(rng: random.Random) -> Any:
    kind = rng.randrange(3)
    return _NULL if kind == 2 else (_string if kind else _json)(_token(rng))


def int_field(rng: random.Random, *, bad: bool = False, clean: bool = False) -> Any:
    if bad and not clean and rng.random() < 0.1:
        return rng.choice((_string("many"), {"type": "json", "value": '"x"'}))
    number = rng.randint(0, 2**40)
    kind = rng.randrange(3)
    if kind == 0:
        return {"type": "int", "value": number}
    return {"type": "json", "value": str(number)} if kind == 1 else _string(str(number))


def datetime_field(rng: random.Random, clean: bool = False) -> Any:
    return (_json if rng.random() < 0.5 else _string)(datetime_text(rng, clean))


def timespan_field(rng: random.Random, clean: bool = False) -> Any:
    return (_json if rng.random() < 0.5 else _string)(timespan_text(rng, clean))


def properties_field(rng: random.Random, clean: bool = False) -> Any:
    roll = rng.random() * (0.85 if clean else 1)
    if roll < 0.75:
        return _json(_properties(rng))
    if roll < 0.85:
        return _NULL
    return rng.choice((_string("not json"), _json([1, 2]), _json("text")))


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


def _count_and_entries(draw: st.DrawFn, rng: random.Random) -> tuple[int, int]:
    """How many bodies, and how many metadata entries (now and then one more or less)."""
    count = draw(st.integers(0, 4))
    skew = rng.choice([0] * 12 + [-1, 1])
    return count, max(count + skew, 0)


# -- Event Hubs -------------------------------------------------------------------------

_IOTHUB_KEYS = ("iothub-connection-device-id", "iothub-enqueuedtime", "iothub-message-source")


def _system_entry(rng: random.Random, clean: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if rng.random() < 0.85:
        entry["EnqueuedTimeUtc"] = datetime_text(rng, clean)
    if rng.random() < 0.5:
        entry["SequenceNumber"] = rng.randint(0, 2**40)
    if rng.random() < 0.5:
        offset = rng.randint(0, 10**9)
        entry["Offset"] = str(offset) if rng.random() < 0.5 else offset
    if rng.random() < 0.5:
        entry["PartitionKey"] = None if rng.random() < 0.3 else _token(rng)
    for key in rng.sample(_IOTHUB_KEYS, rng.randint(0, 2)):
        entry[key] = _token(rng)
    return entry


def _offset_field(rng: random.Random) -> Any:
    offset = rng.randint(0, 10**9)
    return rng.choice((_string(str(offset)), _json(str(offset)), {"type": "int", "value": offset}))


_EVENT_FIELDS = {
    "EnqueuedTimeUtc": datetime_field,
    "PartitionKey": lambda rng, clean: text_field(rng),
    "SequenceNumber": lambda rng, clean: int_field(rng, bad=True, clean=clean),
    "Offset": lambda rng, clean: _offset_field(rng),
    "iothub-connection-device-id": lambda rng, clean: _string(_token(rng)),
}


@st.composite
def event_hub_trigger_cases(draw: st.DrawFn) -> tuple[Any, Any]:
    shape = draw(st.sampled_from(["one", "one", "many", "many", "neither"]))
    rng = random.Random(draw(SEEDS))
    clean = rng.random() < 0.5  # half the cases as the host sends them: all fields compared
    metadata: dict[str, Any] = {}
    if rng.random() < 0.5:
        metadata["PartitionContext"] = _json({"PartitionId": _token(rng)})
    if shape == "many":
        count, entries = _count_and_entries(draw, rng)
        data = _batch_payload(draw, count)
        system = [_system_entry(rng, clean) for _ in range(entries)]
        metadata["SystemPropertiesArray"] = _json(system)
        return data, metadata
    data = _payload(draw)
    if shape == "one":
        system = _system_entry(rng, clean)
        broken = not clean and rng.random() < 0.1
        metadata["SystemProperties"] = _string("not json") if broken else _json(system)
    for name, make in _EVENT_FIELDS.items():
        if rng.random() < 0.5:
            metadata[name] = make(rng, clean)
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
_ALL_FIELDS = sorted((*_TEXTS, *_INTS, *_DATETIMES, "TimeToLive", "ApplicationProperties"))


def _single_field(rng: random.Random, name: str, clean: bool) -> Any:
    if name in _INTS:
        return int_field(rng, bad=name == "DeliveryCount", clean=clean)
    if name in _DATETIMES:
        return datetime_field(rng, clean)
    if name == "TimeToLive":
        return timespan_field(rng, clean)
    if name == "ApplicationProperties":
        return properties_field(rng, clean)
    return text_field(rng)


def _array(rng: random.Random, name: str, count: int, clean: bool) -> Any:
    """The ``nameArray`` field of a batch: a collection or a JSON array, maybe short."""
    size = rng.choice([count] * 6 + [max(count - 1, 0), 0])
    if name in _INTS:
        numbers = [rng.randint(0, 2**40) for _ in range(size)]
        return (
            {"type": "collection_sint64", "items": numbers}
            if rng.random() < 0.5
            else (_json(numbers))
        )
    if name in _DATETIMES:
        return _json([datetime_text(rng, clean) for _ in range(size)])
    if name == "TimeToLive":
        return _json([timespan_text(rng, clean) for _ in range(size)])
    if name == "ApplicationProperties":
        return _json([_properties(rng) for _ in range(size)])
    texts = [_token(rng) for _ in range(size)]
    return {"type": "collection_string", "items": texts} if rng.random() < 0.5 else _json(texts)


@st.composite
def service_bus_trigger_cases(draw: st.DrawFn) -> tuple[Any, Any]:
    shape = draw(st.sampled_from(["one", "one", "one", "many", "many", "neither"]))
    rng = random.Random(draw(SEEDS))
    clean = rng.random() < 0.5  # half the cases as the host sends them: all fields compared
    metadata: dict[str, Any] = {}
    chosen = [name for name in _ALL_FIELDS if rng.random() < 0.5]
    if shape == "many":
        count, entries = _count_and_entries(draw, rng)
        data = _batch_payload(draw, count)
        metadata["UserPropertiesArray"] = _json([_properties(rng) for _ in range(entries)])
        for name in chosen:
            metadata[name + "Array"] = _array(rng, name, count, clean)
        return data, metadata
    data = None if rng.random() < 0.05 else _payload(draw)
    if shape == "one":
        metadata["UserProperties"] = properties_field(rng, clean)
    for name in chosen:
        metadata[name] = _single_field(rng, name, clean)
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
