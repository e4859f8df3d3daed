"""The deliberate differences between funcbind and azure.functions, as checkable rules.

Each :class:`Difference` has the id of its entry in docs/compatibility.md and a
predicate saying whether it explains one observed :class:`Mismatch` (a member whose
outcomes differ, or a decode/encode that succeeds on one side only).  The conformance
tests fail on any mismatch no rule explains; ``test_compat_differences.py`` has one
test per id, and checks that this table and the document list the same ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from conformance_support import ABSENT, DECODE, Case, Outcome, is_clear_error


@dataclass(frozen=True)
class Mismatch:
    binding: str
    member: str
    stock: Outcome | None  # None: not observed (that side failed to decode or encode)
    funcbind: Outcome | None
    case: Case
    ours: dict[str, Outcome] = field(default_factory=dict, compare=False)  # all observations

    def __str__(self) -> str:
        return (
            f"{self.binding} {self.case.id!r}, {self.member}:\n"
            f"    azure.functions: {self.stock!r}\n    funcbind:        {self.funcbind!r}"
        )

    @property
    def stock_error(self) -> BaseException | None:
        return None if self.stock is None else self.stock.error

    @property
    def funcbind_error(self) -> BaseException | None:
        return None if self.funcbind is None else self.funcbind.error

    def stock_ok(self) -> bool:
        return self.stock is not None and self.stock.ok

    def funcbind_ok(self) -> bool:
        return self.funcbind is not None and self.funcbind.ok


@dataclass(frozen=True)
class Difference:
    id: str
    bindings: frozenset[str]
    summary: str
    explains: Callable[[Mismatch], bool]


def _stock_error_mentions(m: Mismatch, *texts: str) -> bool:
    return m.stock_error is not None and any(t in str(m.stock_error) for t in texts)


def _funcbind_clear(m: Mismatch) -> bool:
    return is_clear_error(m.funcbind_error, m.binding)


def _metadata_spec(m: Mismatch, name: str) -> Any:
    return (m.case.metadata or {}).get(name)


# -- HTTP ---------------------------------------------------------------------------------


def _get_json_error(m: Mismatch) -> bool:
    return (
        m.member == "get_json()"
        and isinstance(m.stock_error, json.JSONDecodeError)
        and isinstance(m.funcbind_error, ValueError)
        and _funcbind_clear(m)
    )


def _wire_http(outcome: Outcome | None) -> dict[str, Any] | None:
    if outcome is None or not outcome.ok or outcome.value[0] != "http":
        return None
    http: dict[str, Any] = outcome.value[1]
    return http


def _without(http: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in http.items() if key not in keys}


def _headers_joined(m: Mismatch) -> bool:
    """Same response except headers: ours has one entry per name (case-blind), values
    joined with ", "; the stock one keeps only the last value of each spelling."""
    stock, ours = _wire_http(m.stock), _wire_http(m.funcbind)
    if stock is None or ours is None:
        return False
    if _without(stock, "headers", "cookies") != _without(ours, "headers", "cookies"):
        return False
    if _cookies_without_unset(stock["cookies"]) != _cookies_without_unset(ours["cookies"]):
        return False
    lowered: dict[str, list[str]] = {}
    for name, value in ours["headers"].items():
        lowered.setdefault(name.lower(), []).append(value)
    if any(len(values) > 1 for values in lowered.values()):
        return False  # ours must have one entry per name, whatever the case
    stock_lowered = {name.lower() for name in stock["headers"]}
    return stock_lowered == set(lowered) and stock["headers"] != ours["headers"]


def _cookies_without_unset(cookies: Any) -> Any:
    """Cookie fields with the stock worker's empty attributes taken as unset."""
    if cookies is None:
        return None
    return [
        [{key: (ABSENT if value == "" else value) for key, value in entry.items()} for entry in jar]
        for jar in cookies
    ]


def _cookie_unset_attributes(m: Mismatch) -> bool:
    stock, ours = _wire_http(m.stock), _wire_http(m.funcbind)
    if stock is None or ours is None or stock["cookies"] is None:
        return False
    if _without(stock, "cookies", "headers") != _without(ours, "cookies", "headers"):
        return False
    return _cookies_without_unset(stock["cookies"]) == _cookies_without_unset(ours["cookies"])


def _http_plain_values(m: Mismatch) -> bool:
    return (
        m.member == "<encode>"
        and isinstance(m.stock_error, NotImplementedError)
        and _wire_http(m.funcbind) is not None
    )


# -- blob -----------------------------------------------------------------------------------

_SEEKING = ("seekable()", "tell() after read(2)", "seek(0) after read(2)")


def _stream_seekable(m: Mismatch) -> bool:
    if m.member == "seekable()":
        return m.stock_ok() and m.stock.value is False and m.funcbind_ok() and m.funcbind.value
    return (
        m.member in _SEEKING
        and type(m.stock_error).__name__ == "UnsupportedOperation"
        and m.funcbind_ok()
    )


def _stream_closed(m: Mismatch) -> bool:
    return (
        m.member == "read() after close()"
        and m.stock_ok()
        and isinstance(m.funcbind_error, ValueError)
        and "closed" in str(m.funcbind_error)
    )


def _properties_lazy(m: Mismatch) -> bool:
    """azure.functions parses Properties while decoding; a bad one fails the decode.
    funcbind parses it when blob_properties or length is read."""
    if m.member == DECODE:
        return m.stock_error is not None and m.funcbind_ok() and _metadata_spec(m, "Properties")
    return m.stock is None and (m.funcbind_ok() or _funcbind_clear(m))


def _metadata_malformed(m: Mismatch) -> bool:
    return (
        m.member in ("metadata", "to_dict()", "to_json()")
        and m.stock_ok()
        and _funcbind_clear(m)
        and "Metadata" in str(m.funcbind_error)
    )


def _properties_kept(m: Mismatch) -> bool:
    """Empty Properties are {} (stock: None), a zero length is 0 (stock: None)."""
    if not (m.stock_ok() and m.funcbind_ok()):
        return False
    if m.member in ("blob_properties", "length"):
        return m.stock.value is None and m.funcbind.value in ({}, 0)
    if m.member == "to_dict()":
        return _dict_differs_only_in(m.stock.value, m.funcbind.value, ("blob_properties", "length"))
    if m.member == "to_json()":
        return _dict_differs_only_in(
            json.loads(m.stock.value), json.loads(m.funcbind.value), ("blob_properties", "length")
        )
    return False


def _dict_differs_only_in(stock: Any, ours: Any, keys: tuple[str, ...]) -> bool:
    if not isinstance(stock, dict) or not isinstance(ours, dict) or stock.keys() != ours.keys():
        return False
    return all(stock[k] == ours[k] or (k in keys and stock[k] is None) for k in stock)


def _input_not_a_trigger(m: Mismatch) -> bool:
    """On ``blob`` (an input binding), funcbind ignores trigger metadata: the stock
    converter fills name, uri, length and properties of an input blob from the
    *trigger's* metadata."""
    if m.binding != "blob" or not m.case.metadata:
        return False
    if m.member == DECODE:
        return m.stock_error is not None and m.funcbind_ok()
    return m.funcbind_ok() and (m.stock is None or m.stock_ok())


def _blob_buffers(m: Mismatch) -> bool:
    return (
        m.member == "<encode>"
        and isinstance(m.stock_error, NotImplementedError)
        and m.funcbind_ok()
        and m.funcbind.value[0] == "bytes"
    )


# -- queue ----------------------------------------------------------------------------------

_QUEUE_FIELDS = {
    "id": "Id",
    "pop_receipt": "PopReceipt",
    "dequeue_count": "DequeueCount",
    "expiration_time": "ExpirationTime",
    "insertion_time": "InsertionTime",
    "time_next_visible": "NextVisibleTime",
}
_QUEUE_DATETIMES = ("ExpirationTime", "InsertionTime", "NextVisibleTime")


def _queue_lazy(m: Mismatch) -> bool:
    """azure.functions converts every field while decoding; funcbind on access, so a
    bad field fails only when it is read, with an error naming it."""
    return (
        m.member == DECODE
        and m.stock_error is not None
        and m.funcbind_ok()
        and any(
            is_clear_error(outcome.error, m.binding) and "field" in str(outcome.error)
            for outcome in m.ours.values()
        )
    )


def _queue_datetime_shapes(m: Mismatch) -> bool:
    """Datetimes azure.functions cannot parse (offsets other than UTC, US dates, more
    shapes) parse here; the ones it parses give the same value."""
    return (
        m.member == DECODE
        and _stock_error_mentions(m, "does not match format", "unconverted data")
        and m.funcbind_ok()
        and any(_metadata_spec(m, name) for name in _QUEUE_DATETIMES)
        and all(m.ours[name].ok for name in _QUEUE_FIELDS if name in m.ours)
    )


def _queue_no_metadata(m: Mismatch) -> bool:
    if m.case.metadata is not None:
        return False
    if m.member == DECODE:
        return isinstance(m.stock_error, NotImplementedError) and m.funcbind_ok()
    return m.stock is None and (m.funcbind_ok() or _funcbind_clear(m))


def _queue_json_payload(m: Mismatch) -> bool:
    if m.case.data is None or m.case.data.get("type") != "json":
        return False
    if m.member == DECODE:
        return isinstance(m.stock_error, NotImplementedError) and m.funcbind_ok()
    return m.stock is None and (m.funcbind_ok() or _funcbind_clear(m))


def _queue_null_id(m: Mismatch) -> bool:
    spec = _metadata_spec(m, "Id") or _metadata_spec(m, "PopReceipt")
    if not m.stock_ok() or not m.funcbind_ok():
        return False
    if m.member in ("id", "pop_receipt"):
        return m.stock.value == "None" and m.funcbind.value is None and spec is not None
    if m.member in ("to_dict()", "to_json()"):
        return spec is not None  # the same fields, as they read above
    return False


def _queue_whole_dequeue_count(m: Mismatch) -> bool:
    if m.member == "dequeue_count":
        return m.stock_ok() and _funcbind_clear(m) and "DequeueCount" in str(m.funcbind_error)
    if m.member in ("to_dict()", "to_json()"):
        return m.stock_ok() and _funcbind_clear(m)
    return False


def _queue_dict_message(m: Mismatch) -> bool:
    value = m.case.value() if m.case.direction == "out" else None
    if not isinstance(value, dict) or not m.funcbind_ok():
        return False
    return m.funcbind.value == ("json", json.dumps(value))


def _queue_json_lists(m: Mismatch) -> bool:
    value = m.case.value() if m.case.direction == "out" else None
    return (
        isinstance(value, list | tuple)
        and any(isinstance(item, dict | list) for item in value)
        and m.member == "<encode>"
        and isinstance(m.stock_error, NotImplementedError)
        and m.funcbind_ok()
        and m.funcbind.value[0] == "json"
    )


def _queue_bytes_like(m: Mismatch) -> bool:
    value = m.case.value() if m.case.direction == "out" else None
    return (
        isinstance(value, bytearray | memoryview)
        and m.member == "<encode>"
        and m.stock_error is not None
        and m.funcbind_ok()
        and m.funcbind.value[0] == "bytes"
    )


# -- timer ----------------------------------------------------------------------------------


def _timer_payload(m: Mismatch) -> Any:
    data = m.case.data or {}
    if "json" in data:
        return data["json"]
    try:
        raw = data.get("value", data.get("text"))
        return json.loads(raw)
    except (TypeError, ValueError):
        return None


def _timer_field_types(m: Mismatch) -> bool:
    return m.member == DECODE and m.stock_ok() and _funcbind_clear(m) and "field" in str(
        m.funcbind_error
    )


def _timer_null_past_due(m: Mismatch) -> bool:
    payload = _timer_payload(m)
    if not isinstance(payload, dict) or payload.get("IsPastDue", 0) is not None:
        return False
    if m.member == "past_due":
        return m.stock_ok() and m.stock.value is None and m.funcbind_ok() and not m.funcbind.value
    return m.member in ("to_dict()", "to_json()") and m.stock_ok() and m.funcbind_ok()


def _timer_text_payloads(m: Mismatch) -> bool:
    kind = (m.case.data or {}).get("type")
    if kind not in ("string", "bytes"):
        return False
    if m.member == DECODE:
        return isinstance(m.stock_error, NotImplementedError) and m.funcbind_ok()
    return m.stock is None and m.funcbind_ok()


# -- generic --------------------------------------------------------------------------------


def _generic_wire_kinds(m: Mismatch) -> bool:
    kind = (m.case.data or {}).get("type") or ""
    wider = kind in ("int", "double", "stream") or kind.startswith("collection_")
    return m.member == DECODE and wider and m.funcbind_ok() and m.stock_error is not None


def _generic_bool(m: Mismatch) -> bool:
    return (
        m.stock_ok()
        and m.funcbind_ok()
        and m.stock.value[0] == "int"
        and isinstance(m.stock.value[1], bool)
        and m.funcbind.value == ("int", int(m.stock.value[1]))
    )


def _generic_more_values(m: Mismatch) -> bool:
    return m.member == "<encode>" and isinstance(m.stock_error, NotImplementedError) and m.funcbind_ok()


def _none_sends_nothing(m: Mismatch) -> bool:
    return (
        m.case.direction == "out"
        and m.case.value() is None
        and isinstance(m.stock_error, NotImplementedError)
        and m.funcbind_ok()
        and m.funcbind.value == ("nothing",)
    )


# -- the table -----------------------------------------------------------------------------

DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "http-get-json-decode-error",
        frozenset({"httpTrigger"}),
        "get_json() on a body that is not JSON raises funcbind.DecodeError (a ValueError "
        "naming the binding) instead of json.JSONDecodeError",
        _get_json_error,
    ),
    Difference(
        "http-repeated-headers",
        frozenset({"http"}),
        "repeated response headers are joined with ', ' into one entry per name; "
        "azure.functions keeps the last value of each spelling",
        _headers_joined,
    ),
    Difference(
        "http-cookie-unset-attributes",
        frozenset({"http"}),
        "cookie attributes that Set-Cookie did not set (domain, path) are left out of the "
        "RpcHttpCookie; the stock path sends them as empty strings",
        _cookie_unset_attributes,
    ),
    Difference(
        "http-output-plain-values",
        frozenset({"http"}),
        "bytes, bytearray, memoryview, dict and list are HTTP responses (octet-stream or "
        "JSON); azure.functions raises NotImplementedError",
        _http_plain_values,
    ),
    Difference(
        "output-none-sends-nothing",
        frozenset({"http", "blob", "queue"}),
        "None on an output sends nothing; azure.functions' converters raise "
        "NotImplementedError",
        _none_sends_nothing,
    ),
    Difference(
        "blob-stream-seekable",
        frozenset({"blob", "blobTrigger"}),
        "the input stream is seekable (seek, tell); azure.functions' is not",
        _stream_seekable,
    ),
    Difference(
        "blob-stream-closed",
        frozenset({"blob", "blobTrigger"}),
        "reading a closed stream raises ValueError, as io does; azure.functions' keeps reading",
        _stream_closed,
    ),
    Difference(
        "blob-properties-lazy",
        frozenset({"blobTrigger"}),
        "Properties are parsed when read: a malformed value fails blob_properties/length, "
        "not the decode",
        _properties_lazy,
    ),
    Difference(
        "blob-metadata-malformed",
        frozenset({"blobTrigger"}),
        "Metadata that is not a JSON object raises a DecodeError when read; "
        "azure.functions gives None",
        _metadata_malformed,
    ),
    Difference(
        "blob-properties-kept",
        frozenset({"blobTrigger"}),
        "empty Properties are {} and a zero ContentLength is 0; azure.functions gives None",
        _properties_kept,
    ),
    Difference(
        "blob-input-not-a-trigger",
        frozenset({"blob"}),
        "the input binding 'blob' has no trigger support: trigger metadata of the "
        "function's trigger never fills an input blob's name, uri or properties",
        _input_not_a_trigger,
    ),
    Difference(
        "blob-output-buffers",
        frozenset({"blob"}),
        "memoryview and other buffers are blob outputs; azure.functions raises",
        _blob_buffers,
    ),
    Difference(
        "queue-datetime-shapes",
        frozenset({"queueTrigger"}),
        "datetimes with any offset, US dates and naive times parse; azure.functions raises",
        _queue_datetime_shapes,
    ),
    Difference(
        "queue-lazy-metadata",
        frozenset({"queueTrigger"}),
        "trigger metadata is read on access: a bad field fails when read, naming it, "
        "instead of failing the decode",
        _queue_lazy,
    ),
    Difference(
        "queue-no-metadata",
        frozenset({"queueTrigger"}),
        "no trigger metadata at all gives None fields; azure.functions raises",
        _queue_no_metadata,
    ),
    Difference(
        "queue-json-payload",
        frozenset({"queueTrigger"}),
        "a json payload is read as text; azure.functions raises NotImplementedError",
        _queue_json_payload,
    ),
    Difference(
        "queue-json-null-id",
        frozenset({"queueTrigger"}),
        'a JSON null Id or PopReceipt is None; azure.functions gives the text "None"',
        _queue_null_id,
    ),
    Difference(
        "queue-dequeue-count-whole",
        frozenset({"queueTrigger"}),
        "DequeueCount must be a whole number; azure.functions passes true through and "
        "truncates 2.5",
        _queue_whole_dequeue_count,
    ),
    Difference(
        "queue-dict-one-message",
        frozenset({"queue"}),
        "a dict is one JSON message; azure.functions sends its keys as messages",
        _queue_dict_message,
    ),
    Difference(
        "queue-list-of-json",
        frozenset({"queue"}),
        "lists may hold dicts and lists, one JSON message each; azure.functions raises",
        _queue_json_lists,
    ),
    Difference(
        "queue-bytes-like",
        frozenset({"queue"}),
        "bytearray and memoryview are one bytes message; azure.functions fails",
        _queue_bytes_like,
    ),
    Difference(
        "timer-field-types-checked",
        frozenset({"timerTrigger"}),
        "IsPastDue, Schedule and ScheduleStatus of the wrong JSON type fail the decode "
        "with an error naming the field; azure.functions passes them on",
        _timer_field_types,
    ),
    Difference(
        "timer-null-past-due",
        frozenset({"timerTrigger"}),
        '"IsPastDue": null is False; azure.functions gives None',
        _timer_null_past_due,
    ),
    Difference(
        "timer-text-payloads",
        frozenset({"timerTrigger"}),
        "TimerInfo JSON in a string or bytes payload is read; azure.functions accepts json only",
        _timer_text_payloads,
    ),
    Difference(
        "generic-more-wire-kinds",
        frozenset({"generic"}),
        "int, double, stream and collection payloads decode (the value, or a list); "
        "the worker's generic binding raises ValueError",
        _generic_wire_kinds,
    ),
    Difference(
        "generic-bool-as-int",
        frozenset({"generic"}),
        "True/False are sent as the int 1/0; the worker's binding hands the bool to the "
        "int field, which newer protobuf releases refuse",
        _generic_bool,
    ),
    Difference(
        "generic-more-values",
        frozenset({"generic"}),
        "memoryview, tuples and other JSON-able sequences encode; the worker's binding raises",
        _generic_more_values,
    ),
)

BY_ID = {difference.id: difference for difference in DIFFERENCES}


def explain(mismatch: Mismatch) -> str | None:
    """The id of the documented difference that explains a mismatch, or None."""
    for difference in DIFFERENCES:
        if mismatch.binding in difference.bindings and difference.explains(mismatch):
            return difference.id
    return None


# -- running one case -------------------------------------------------------------------------


def compare_case(case: Case) -> list[tuple[Mismatch, str | None]]:
    """Run a case through both implementations; each mismatch with its explanation."""
    from conformance_support import ENCODE, INSTANCE, funcbind_binding, observe, same, stock_binding

    stock = observe(stock_binding(case.binding), case)
    ours = observe(funcbind_binding(case.binding), case)
    found: list[Mismatch] = []
    key = DECODE if case.direction == "in" else ENCODE
    stock_top, our_top = stock[key], ours[key]
    if not stock_top.ok and not our_top.ok:
        # Both refuse: funcbind must say why, clearly.
        if not is_clear_error(our_top.error, case.binding):
            found.append(Mismatch(case.binding, key, stock_top, our_top, case, ours))
    elif not same(stock_top, our_top):
        found.append(Mismatch(case.binding, key, stock_top, our_top, case, ours))
    for member in [m for m in ours if m != key]:
        outcome = ours[member]
        if member == INSTANCE:
            if outcome.value is not True:
                found.append(Mismatch(case.binding, member, None, outcome, case, ours))
        elif member in stock:
            if not same(stock[member], outcome):
                found.append(Mismatch(case.binding, member, stock[member], outcome, case, ours))
        elif not outcome.ok and not _acceptable_error(member, outcome.error, case.binding):
            # azure.functions did not get this far; a failure here must still be clear.
            found.append(Mismatch(case.binding, member, None, outcome, case, ours))
    return [(mismatch, explain(mismatch)) for mismatch in found]


def _acceptable_error(member: str, error: BaseException | None, binding: str) -> bool:
    """A clear funcbind error, or the JSONDecodeError get_json() raises in both libraries."""
    if member == "get_json()" and isinstance(error, json.JSONDecodeError):
        return True
    return is_clear_error(error, binding)


def unexplained(case: Case) -> list[Mismatch]:
    return [mismatch for mismatch, reason in compare_case(case) if reason is None]
