"""Event Grid and Kafka in the conformance suite: generated cases and documented rules.

Hooked into the shared tables: ``conformance_strategies.cases`` asks :func:`cases`
for these bindings, ``conformance_differences.DIFFERENCES`` ends with
:data:`DIFFERENCES`; what is observed is in ``conformance_eventgrid_kafka_plans.py``.
The shapes follow what the host sends: one Event Grid or CloudEvents object per
invocation as json; a Kafka record as string/bytes with its metadata as json (Offset
and Partition numbers, Timestamp a quoted datetime, Headers an array of
``{"Key", "Value"}`` with base64 values), a batch as a collection with the
``...Array`` metadata (OffsetArray as collection_sint64, TopicArray as
collection_string, the others json arrays).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from conformance_compare import Difference, Mismatch, dicts_differ_only_where, funcbind_clear
from conformance_strategies import (
    JSON_VALUES,
    SIMPLE_VALUES,
    TEXT,
    TOKEN,
    _bytes_spec,
    datetime_texts,
)
from conformance_support import DECODE, ENCODE, Case, is_clear_error
from hypothesis import strategies as st

_ABSENT = object()

# -- Event Grid ------------------------------------------------------------------------

_MAYBE_TEXT = st.one_of(TOKEN, TOKEN, TOKEN, st.none(), st.integers(-5, 5), st.just(""))


def _time_value() -> st.SearchStrategy[Any]:
    return st.one_of(
        datetime_texts(), datetime_texts(), st.none(), st.sampled_from([12345, 0, [], ["x"]])
    )


@st.composite
def event_grid_payloads(draw: st.DrawFn) -> dict[str, Any]:
    shape = draw(st.sampled_from(["eventgrid", "eventgrid", "cloud", "cloud", "other"]))
    event: Any
    if shape == "eventgrid":
        fields = {
            "id": _MAYBE_TEXT,
            "topic": _MAYBE_TEXT,
            "subject": _MAYBE_TEXT,
            "eventType": _MAYBE_TEXT,
            "eventTime": _time_value(),
            "dataVersion": _MAYBE_TEXT,
            "metadataVersion": st.just("1"),
            "data": JSON_VALUES,
        }
        keys = draw(st.sets(st.sampled_from(sorted(fields)), min_size=3))
        event = {key: draw(fields[key]) for key in sorted(keys)}
    elif shape == "cloud":
        fields = {
            "id": _MAYBE_TEXT,
            "source": _MAYBE_TEXT,
            "type": _MAYBE_TEXT,
            "time": _time_value(),
            "subject": _MAYBE_TEXT,
            "datacontenttype": st.sampled_from(["application/json", "text/plain", None]),
            "dataschema": _MAYBE_TEXT,
            "data": JSON_VALUES,
        }
        keys = draw(st.sets(st.sampled_from(sorted(fields)), min_size=2))
        event = {key: draw(fields[key]) for key in sorted(keys)}
        event["specversion"] = draw(st.sampled_from(["1.0", "1.0", None]))
        event.update(draw(st.dictionaries(TOKEN, JSON_VALUES, max_size=3)))  # extensions
    else:
        event = draw(st.one_of(JSON_VALUES, st.just(["specversion"]), st.just("specversion")))
    text = json.dumps(event)
    kind = draw(st.sampled_from(["json", "json", "json", "json", "string", "bytes", "int"]))
    if kind == "bytes":
        return _bytes_spec(text.encode())
    if kind == "int":
        return {"type": "int", "value": 3}
    return {"type": kind, "value": text}


def _output_events() -> st.SearchStrategy[dict[str, Any]]:
    moment = st.none() | st.datetimes().map(lambda d: d.isoformat())
    return st.builds(
        lambda i, s, t, e, v, d: {
            "EventGridOutputEvent": {
                "id": i,
                "subject": s,
                "event_type": t,
                "event_time": e,
                "data_version": v,
                "data": d,
            }
        },
        _MAYBE_TEXT,
        _MAYBE_TEXT,
        _MAYBE_TEXT,
        moment,
        _MAYBE_TEXT,
        JSON_VALUES,
    )


def event_grid_values() -> st.SearchStrategy[dict[str, Any]]:
    items = st.one_of(
        TEXT.map(lambda t: {"str": t}),
        _output_events(),
        st.dictionaries(TOKEN, JSON_VALUES, max_size=3).map(lambda d: {"dict": d}),
        TEXT.map(lambda t: {"bytes": t}),
    )
    return st.one_of(
        SIMPLE_VALUES,
        _output_events(),
        _output_events(),
        st.lists(items, max_size=4).map(lambda items: {"list": items}),
    )


# -- Kafka -------------------------------------------------------------------------------

_HEADERS = st.lists(
    st.builds(
        lambda k, v: {"Key": k, "Value": base64.b64encode(v).decode("ascii")},
        TOKEN,
        st.binary(max_size=8),
    ),
    max_size=3,
)


def _json(value: Any) -> dict[str, Any]:
    return {"type": "json", "value": json.dumps(value)}


_SINGLE_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "Key": st.one_of(
        TOKEN.map(_json),
        TOKEN.map(lambda t: {"type": "string", "value": t}),
        st.just(_json(None)),
        st.integers(-9, 99).map(_json),
        st.just(_bytes_spec(b"key")),
    ),
    "Offset": st.one_of(
        st.integers(0, 2**40).map(_json),
        st.integers(0, 99).map(lambda n: {"type": "string", "value": str(n)}),
        st.integers(0, 99).map(lambda n: {"type": "int", "value": n}),
        st.sampled_from(
            [_json(2.5), _json(True), _json(None), _json("7"), {"type": "string", "value": "x"}]
        ),
    ),
    "Partition": st.one_of(
        st.integers(0, 64).map(_json),
        st.sampled_from([_json(1.0), _json(None), {"type": "double", "value": 2.5}]),
    ),
    "Topic": st.one_of(TOKEN.map(_json), TOKEN.map(lambda t: {"type": "string", "value": t})),
    "Timestamp": st.one_of(
        datetime_texts().map(_json), st.just(_json(None)), st.just(_json(1592628208998))
    ),
    "Headers": st.one_of(
        _HEADERS.map(_json),
        _HEADERS.map(lambda h: {"type": "string", "value": json.dumps(h)}),
        st.sampled_from([_json(None), _json({"Key": "a"}), _json(3)]),
    ),
}


@st.composite
def kafka_single(draw: st.DrawFn) -> tuple[Any, Any]:
    record = {"Offset": 1, "Partition": 0, "Topic": "users", "Value": draw(TEXT)}
    text = json.dumps(record) if draw(st.booleans()) else draw(TEXT)
    kind = draw(st.sampled_from(["string", "string", "bytes", "json"]))
    data = _bytes_spec(text.encode()) if kind == "bytes" else {"type": kind, "value": text}
    chosen = draw(st.sets(st.sampled_from(sorted(_SINGLE_FIELDS))))
    metadata = {name: draw(_SINGLE_FIELDS[name]) for name in sorted(chosen)}
    if draw(st.booleans()):
        metadata["sys"] = _json({"MethodName": "KafkaTrigger", "UtcNow": "2020-06-20T04:43:30Z"})
    return data, metadata


@st.composite
def kafka_batch(draw: st.DrawFn) -> tuple[Any, Any]:
    size = draw(st.integers(0, 4))
    bodies = draw(st.lists(TEXT, min_size=size, max_size=size))
    kind = draw(st.sampled_from(["collection_string", "collection_bytes"]))
    data = {"type": kind, "items": bodies}

    def sized(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
        # Mostly one per record; sometimes one short or one long (a host defect to survive).
        length = st.sampled_from([size] * 6 + [max(size - 1, 0), size + 1])
        return length.flatmap(lambda n: st.lists(values, min_size=n, max_size=n))

    arrays = {
        "KeyArray": sized(st.none() | TOKEN).map(_json),
        "PartitionArray": sized(st.integers(0, 9)).map(_json),
        "TimestampArray": sized(datetime_texts()).map(_json),
        "HeadersArray": sized(_HEADERS).map(_json),
        "OffsetArray": st.one_of(
            sized(st.integers(0, 2**40)).map(lambda v: {"type": "collection_sint64", "items": v}),
            sized(st.integers(0, 9)).map(_json),
        ),
        "TopicArray": sized(TOKEN).map(lambda v: {"type": "collection_string", "items": v}),
    }
    if draw(st.integers(0, 3)):  # usually everything the host sends
        chosen = sorted(arrays)
    else:
        chosen = sorted(draw(st.sets(st.sampled_from(sorted(arrays)))))
    metadata = {name: draw(arrays[name]) for name in chosen}
    metadata["sys"] = _json({"MethodName": "KafkaTriggerMany"})
    return data, metadata


def kafka_cases(binding: str) -> st.SearchStrategy[Case]:
    odd = st.sampled_from([{"type": "int", "value": 1}, {"type": None}]).map(lambda d: (d, {}))
    return st.one_of(kafka_single(), kafka_single(), kafka_batch(), kafka_batch(), odd).map(
        lambda pair: Case(binding, "generated", pair[0], pair[1])
    )


def kafka_values() -> st.SearchStrategy[dict[str, Any]]:
    items = st.one_of(TEXT.map(lambda t: {"str": t}), TEXT.map(lambda t: {"bytes": t}))
    return st.one_of(
        SIMPLE_VALUES,
        st.lists(TEXT.map(lambda t: {"str": t}), max_size=4).map(lambda i: {"list": i}),
        st.lists(items, max_size=3).map(lambda i: {"list": i}),
    )


def cases(binding: str, direction: str) -> st.SearchStrategy[Case] | None:
    """Generated cases for these families, or None for another binding."""
    if direction == "in":
        if binding == "eventGridTrigger":
            return event_grid_payloads().map(lambda data: Case(binding, "generated", data, {}))
        if binding in ("kafkaTrigger", "kafka"):
            return kafka_cases(binding)
        return None
    values = {"eventGrid": event_grid_values, "kafka": kafka_values}.get(binding)
    if values is None:
        return None
    return values().map(lambda spec: Case(binding, "generated", spec, direction="out"))


# -- documented differences -------------------------------------------------------------


def _payload_kind(m: Mismatch) -> Any:
    return (m.case.data or {}).get("type")


def _stock_failed_ours_decoded(m: Mismatch) -> bool:
    return m.member == DECODE and m.stock_error is not None and m.funcbind_ok()


def _field_error(m: Mismatch, *fields: str) -> bool:
    return any(
        is_clear_error(outcome.error, m.binding)
        and "field" in str(outcome.error)
        and any(field in str(outcome.error) for field in fields)
        for outcome in m.ours.values()
    )


def _eventgrid_text_payloads(m: Mismatch) -> bool:
    return (
        _payload_kind(m) in ("string", "bytes")
        and _stock_failed_ours_decoded(m)
        and isinstance(m.stock_error, NotImplementedError)
    )


def _eventgrid_datetime_shapes(m: Mismatch) -> bool:
    return (
        _stock_failed_ours_decoded(m)
        and isinstance(m.stock_error, ValueError)
        and all(outcome.ok for outcome in m.ours.values())
    )


def _eventgrid_lazy_time(m: Mismatch) -> bool:
    return _stock_failed_ours_decoded(m) and _field_error(m, "'eventTime'", "'time'")


def _encoded_value(m: Mismatch) -> Any:
    return m.case.value() if m.case.direction == "out" else None


def _eventgrid_bytes_like(m: Mismatch) -> bool:
    value = _encoded_value(m)
    return (
        isinstance(value, bytearray | memoryview)
        and m.member == ENCODE
        and m.funcbind_ok()
        and m.funcbind.value == ("bytes", bytes(value))  # type: ignore[union-attr]
    )


def _eventgrid_dict_events(m: Mismatch) -> bool:
    value = _encoded_value(m)
    has_dict = isinstance(value, dict) or (
        isinstance(value, list | tuple) and any(isinstance(item, dict) for item in value)
    )
    return (
        has_dict and m.member == ENCODE and m.funcbind_ok() and m.funcbind.value[0] == "json"  # type: ignore[union-attr]
    )


_NULL = {"type": "json", "value": "null"}
_TEXT_FIELDS = {"key": "Key", "topic": "Topic", "timestamp": "Timestamp"}


def _metadata(m: Mismatch) -> dict[str, Any]:
    return dict(m.case.metadata or {})


def _is_batch(m: Mismatch) -> bool:
    return str(_payload_kind(m)).startswith("collection_")


def _kafka_lazy(m: Mismatch) -> bool:
    return not _is_batch(m) and _stock_failed_ours_decoded(m) and _field_error(m, "'")


def _null_text(m: Mismatch, key: str, stock: Any, ours: Any) -> bool:
    field = _TEXT_FIELDS.get(key)
    null = field is not None and _metadata(m).get(field) == _NULL
    return null and stock == "None" and ours is None


def _kafka_null_fields(m: Mismatch) -> bool:
    if m.member in _TEXT_FIELDS:
        return (
            m.stock_ok()
            and m.funcbind_ok()
            and _null_text(m, m.member, m.stock.value, m.funcbind.value)  # type: ignore[union-attr]
        )
    if m.member in ("to_dict()", "to_json()"):
        return "kafka-null-fields" in (_dict_rules(m) or ())
    return (
        not _is_batch(m)
        and _stock_failed_ours_decoded(m)
        and any(_metadata(m).get(name) == _NULL for name in ("Offset", "Partition", "Headers"))
        and all(outcome.ok for outcome in m.ours.values())
    )


def _kafka_whole_numbers(m: Mismatch) -> bool:
    return (
        m.member in ("offset", "partition", "to_dict()", "to_json()")
        and m.stock_ok()
        and funcbind_clear(m)
        and any(name in str(m.funcbind_error) for name in ("'Offset'", "'Partition'"))
    )


def _headers_not_an_array(m: Mismatch) -> bool:
    spec = _metadata(m).get("Headers") or {}
    return not (spec.get("type") == "json" and isinstance(json.loads(spec["value"]), list))


def _kafka_headers_array(m: Mismatch) -> bool:
    if m.member not in ("headers", "to_dict()", "to_json()") or not m.stock_ok():
        return False
    if not _headers_not_an_array(m):
        return False
    if m.funcbind_ok():
        if m.member == "headers":
            return bool((_metadata(m).get("Headers") or {}).get("type") == "string")
        return "kafka-headers-array" in (_dict_rules(m) or ())
    return funcbind_clear(m) and "'Headers'" in str(m.funcbind_error)


def _dict_rules(m: Mismatch) -> set[str] | None:
    """For to_dict()/to_json(), which of the per-field rules explain the differing keys
    (both may show in one record), or None when some key is not explained."""
    found: set[str] = set()

    def allowed(key: str, stock: Any, ours: Any) -> bool:
        if _null_text(m, key, stock, ours):
            found.add("kafka-null-fields")
        elif key == "headers" and _headers_not_an_array(m):
            found.add("kafka-headers-array")
        else:
            return False
        return True

    return found if dicts_differ_only_where(m, allowed) else None


def _kafka_batch_metadata(m: Mismatch) -> bool:
    return _is_batch(m) and _stock_failed_ours_decoded(m)


def _kafka_output_values(m: Mismatch) -> bool:
    return (
        m.member == ENCODE
        and _encoded_value(m) is not None
        and isinstance(m.stock_error, NotImplementedError)
        and m.funcbind_ok()
    )


DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "eventgrid-text-payloads",
        frozenset({"eventGridTrigger"}),
        "an event in a string or bytes payload is read; azure.functions accepts json only",
        _eventgrid_text_payloads,
    ),
    Difference(
        "eventgrid-lazy-time",
        frozenset({"eventGridTrigger"}),
        "eventTime/time is parsed when read: one that cannot be parsed fails that read with "
        "a DecodeError naming the field, not the decode",
        _eventgrid_lazy_time,
    ),
    Difference(
        "eventgrid-datetime-shapes",
        frozenset({"eventGridTrigger"}),
        "event times with any offset, US dates and more shapes parse; azure.functions raises",
        _eventgrid_datetime_shapes,
    ),
    Difference(
        "eventgrid-bytes-like",
        frozenset({"eventGrid"}),
        "bytearray and memoryview are one bytes event; azure.functions iterates them",
        _eventgrid_bytes_like,
    ),
    Difference(
        "eventgrid-dict-events",
        frozenset({"eventGrid"}),
        "a dict is one JSON event and lists may hold dicts; azure.functions sends a dict's "
        "keys, and raises for dicts in a list",
        _eventgrid_dict_events,
    ),
    Difference(
        "kafka-null-fields",
        frozenset({"kafkaTrigger"}),
        'a JSON null metadata field is None; azure.functions gives "None" for Key, Topic and '
        "Timestamp, and fails the decode for Offset, Partition and Headers",
        _kafka_null_fields,
    ),
    Difference(
        "kafka-lazy-metadata",
        frozenset({"kafkaTrigger"}),
        "metadata is read on access: a field that cannot be read fails only when read, "
        "naming it, instead of failing the decode",
        _kafka_lazy,
    ),
    Difference(
        "kafka-whole-numbers",
        frozenset({"kafkaTrigger"}),
        "Offset and Partition must be whole numbers; azure.functions passes true through "
        "and truncates 2.5",
        _kafka_whole_numbers,
    ),
    Difference(
        "kafka-headers-array",
        frozenset({"kafkaTrigger"}),
        "Headers must be a JSON array (text is parsed as JSON); azure.functions applies "
        "list() to whatever arrives: the characters of a string, the keys of an object",
        _kafka_headers_array,
    ),
    Difference(
        "kafka-batch-metadata",
        frozenset({"kafkaTrigger"}),
        "a batch decodes whatever ...Array metadata arrives: a missing array gives None, "
        "one in another wire kind is read, one of the wrong length fails the field read "
        "(naming field and index); azure.functions fails the whole decode",
        _kafka_batch_metadata,
    ),
    Difference(
        "kafka-output-values",
        frozenset({"kafka"}),
        "str, bytes-like values and lists of str are sent (a list as one JSON array, one "
        "record per element); azure.functions' Kafka encoder always raises",
        _kafka_output_values,
    ),
)
