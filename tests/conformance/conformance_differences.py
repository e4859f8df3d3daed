"""The deliberate differences between funcbind and azure.functions, as checkable rules.

Each :class:`~conformance_compare.Difference` has the id of its entry in
docs/compatibility.md and a predicate saying whether it explains one observed
:class:`~conformance_compare.Mismatch` (a member whose outcomes differ, or a
decode/encode that succeeds on one side only); wire-level HTTP differences, which
combine within one response, are normalisers instead.  The conformance tests fail on
any mismatch no rule explains; ``test_compat_differences.py`` has one test per id, and
checks that this table and the document list the same ids.
"""

from __future__ import annotations

import json
from typing import Any

import conformance_data_differences
import conformance_durable_cases
import conformance_eventgrid_kafka
from conformance_compare import (
    Difference,
    Mismatch,
    dicts_differ_only_where,
    funcbind_clear,
    metadata_spec,
    stock_error_mentions,
)
from conformance_support import ABSENT, DECODE, Outcome, is_clear_error, same

# -- HTTP ---------------------------------------------------------------------------------


def _get_json_error(m: Mismatch) -> bool:
    return (
        m.member == "get_json()"
        and isinstance(m.stock_error, json.JSONDecodeError)
        and isinstance(m.funcbind_error, ValueError)
        and funcbind_clear(m)
    )


def _malformed_form(m: Mismatch) -> bool:
    return (
        m.member in ("form", "files")
        and m.stock_ok()
        and m.stock.value == []
        and funcbind_clear(m)
        and "form" in str(m.funcbind_error)
    )


def _wire_http(outcome: Outcome | None) -> dict[str, Any] | None:
    if outcome is None or not outcome.ok or outcome.value[0] != "http":
        return None
    http: dict[str, Any] = outcome.value[1]
    return http


# Wire-level HTTP differences combine in one response (a repeated header and a cookie
# without a path), so each is a normaliser: given both wire forms, it rewrites the
# stock one as funcbind's documented behaviour would have it, or returns None when the
# difference does not apply.  explain() applies them in turn and requires equality.

Wire = tuple[Any, ...]


def _http_parts(stock: Wire, ours: Wire) -> tuple[dict[str, Any], dict[str, Any]] | None:
    if stock[0] != "http" or ours[0] != "http":
        return None
    return dict(stock[1]), dict(ours[1])


def _join_repeated_headers(stock: Wire, ours: Wire) -> Wire | None:
    """Ours: one entry per name (case-blind) with the values joined by ", "; the stock
    worker keeps the last value of each spelling.  Every stock value must be in ours."""
    parts = _http_parts(stock, ours)
    if parts is None:
        return None
    stock_http, our_http = parts
    ours_by_name = {name.lower(): (name, value) for name, value in our_http["headers"].items()}
    if len(ours_by_name) != len(our_http["headers"]):
        return None  # two spellings of one name on our side: not this difference
    for name, value in stock_http["headers"].items():
        found = ours_by_name.get(name.lower())
        # A value may itself hold ", " (or be empty), so look for it as a whole run of
        # the joined text, not as one piece of a split.
        if found is None or f", {value}, " not in f", {found[1]}, ":
            return None
    if {n.lower() for n in stock_http["headers"]} != set(ours_by_name):
        return None
    stock_http["headers"] = dict(our_http["headers"])
    return ("http", stock_http)


def _drop_reserved_name_cookies(stock: Wire, ours: Wire) -> Wire | None:
    """http.cookies drops a cookie named like an attribute ("version=0") without a word;
    funcbind sends it.  Where the stock cookies are ours without such cookies, the stock
    side is given ours."""
    parts = _http_parts(stock, ours)
    if parts is None:
        return None
    stock_http, our_http = parts
    stock_cookies = iter(stock_http["cookies"])
    merged = [
        cookie if cookie["name"].lower() in _RESERVED_COOKIE_WORDS else next(stock_cookies, None)
        for cookie in our_http["cookies"]
    ]
    if None in merged or next(stock_cookies, None) is not None:
        return None
    stock_http["cookies"] = merged
    return ("http", stock_http)


def _unset_cookie_attributes(stock: Wire, ours: Wire) -> Wire | None:
    """The stock worker sends Morsel's "" for an unset domain or path as a present empty
    string; funcbind leaves the field out."""
    parts = _http_parts(stock, ours)
    if parts is None:
        return None
    stock_http = parts[0]
    stock_http["cookies"] = [
        {k: (ABSENT if k in ("domain", "path") and v == "" else v) for k, v in entry.items()}
        for entry in stock_http["cookies"]
    ]
    return ("http", stock_http)


_RESERVED_COOKIE_WORDS = frozenset(
    {
        "expires",
        "path",
        "comment",
        "domain",
        "max-age",
        "secure",
        "httponly",
        "version",
        "samesite",
        "partitioned",
    }
)


def _never(m: Mismatch) -> bool:
    return False


def _unreadable_cookie_attributes(m: Mismatch) -> bool:
    """The stock worker fails on a Max-Age float() cannot read; funcbind sends the
    cookie without it (each cookie it sends has a name, and no such Max-Age)."""
    ours = _wire_http(m.funcbind)
    return (
        m.member == "<encode>"
        and stock_error_mentions(m, "could not convert string to float")
        and ours is not None
        and all(cookie["name"] and cookie["max_age"] is ABSENT for cookie in ours["cookies"])
    )


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
    funcbind parses it when blob_properties or length is read, and fails there."""
    properties = m.ours.get("blob_properties")
    return (
        m.member == DECODE
        and m.stock_error is not None
        and m.funcbind_ok()
        and properties is not None
        and is_clear_error(properties.error, m.binding)
        and "Properties" in str(properties.error)
    )


def _metadata_malformed(m: Mismatch) -> bool:
    return (
        m.member in ("metadata", "to_dict()", "to_json()")
        and m.stock_ok()
        and funcbind_clear(m)
        and "Metadata" in str(m.funcbind_error)
    )


def _properties_kept(m: Mismatch) -> bool:
    """Empty Properties are {} (stock: None); a ContentLength of 0 is the length, where
    azure.functions takes a 0 for "absent" (None, or the 4.x Length instead)."""
    keys = ("blob_properties", "length")
    if m.member in keys:
        return (
            m.stock_ok()
            and m.funcbind_ok()
            and _kept_value(m.member, m.stock.value, m.funcbind.value, m)  # type: ignore[union-attr]
        )
    if m.member in ("to_dict()", "to_json()"):
        return dicts_differ_only_where(
            m, lambda key, stock, ours: key in keys and _kept_value(key, stock, ours, m)
        )
    return False


def _kept_value(member: str, stock: Any, ours: Any, m: Mismatch) -> bool:
    if member == "blob_properties":
        return stock is None and ours == {}
    properties = _properties_json(m)
    content_length = properties.get("ContentLength")
    zero = content_length == 0 or (content_length is None and properties.get("Length") == 0)
    return ours == 0 and zero and stock in (None, properties.get("Length"))


def _properties_json(m: Mismatch) -> dict[str, Any]:
    spec = metadata_spec(m, "Properties") or {}
    found = spec.get("json") if isinstance(spec, dict) else None
    return found if isinstance(found, dict) else {}


_FROM_METADATA = ("name", "uri", "length", "blob_properties", "metadata")


def _input_not_a_trigger(m: Mismatch) -> bool:
    """On ``blob`` (an input binding), funcbind ignores trigger metadata: the stock
    converter fills name, uri, length and properties of an input blob from the
    *trigger's* metadata (and fails when that metadata is malformed)."""
    if m.binding != "blob" or not m.case.metadata:
        return False
    if m.member == DECODE:
        return m.stock_error is not None and m.funcbind_ok()
    if m.member in _FROM_METADATA:
        return m.funcbind_ok() and m.funcbind.value is None  # type: ignore[union-attr]
    if m.member in ("to_dict()", "to_json()"):
        return dicts_differ_only_where(
            m, lambda key, stock, ours: key in _FROM_METADATA and ours is None
        )
    return False


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
        and stock_error_mentions(m, "does not match format", "unconverted data")
        and m.funcbind_ok()
        and any(metadata_spec(m, name) for name in _QUEUE_DATETIMES)
        and all(m.ours[name].ok for name in _QUEUE_FIELDS if name in m.ours)
    )


def _queue_json_payload(m: Mismatch) -> bool:
    return (
        (m.case.data or {}).get("type") == "json"
        and m.member == DECODE
        and isinstance(m.stock_error, NotImplementedError)
        and m.funcbind_ok()
    )


def _null_text(key: str, stock: Any, ours: Any) -> bool:
    return key in ("id", "pop_receipt") and stock == "None" and ours is None


def _queue_get_json_of_text(m: Mismatch) -> bool:
    """get_json() of a text payload parses the text; azure.functions parses its UTF-8
    bytes, where json's encoding detection can read NUL characters as UTF-16 or UTF-32
    ("0\x00" gives 0)."""
    data = m.case.data or {}
    if m.member != "get_json()" or data.get("type") not in ("string", "json"):
        return False
    text = data.get("value")
    if not isinstance(text, str) or "\x00" not in text:
        return False
    from conformance_support import attempt

    as_text = attempt(lambda: json.loads(text))
    as_bytes = attempt(lambda: json.loads(text.encode("utf-8")))
    return same(as_bytes, m.stock) and same(as_text, m.funcbind)  # type: ignore[arg-type]


def _queue_null_id(m: Mismatch) -> bool:
    if m.member in ("id", "pop_receipt"):
        return (
            m.stock_ok()
            and m.funcbind_ok()
            and _null_text(m.member, m.stock.value, m.funcbind.value)  # type: ignore[union-attr]
        )
    if m.member in ("to_dict()", "to_json()"):
        return dicts_differ_only_where(m, _null_text)
    return False


def _queue_whole_dequeue_count(m: Mismatch) -> bool:
    return (
        m.member in ("dequeue_count", "to_dict()", "to_json()")
        and m.stock_ok()
        and funcbind_clear(m)
        and "DequeueCount" in str(m.funcbind_error)
    )


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
    """One bytes message; azure.functions iterates the buffer: it fails, or sends no
    message at all for an empty one."""
    value = m.case.value() if m.case.direction == "out" else None
    stock_iterated = m.stock_error is not None or (m.stock_ok() and m.stock.value == ("json", "[]"))
    return (
        isinstance(value, bytearray | memoryview)
        and m.member == "<encode>"
        and stock_iterated
        and m.funcbind_ok()
        and m.funcbind.value == ("bytes", bytes(value))
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
    return (
        m.member == DECODE
        and m.stock_ok()
        and funcbind_clear(m)
        and "field" in str(m.funcbind_error)
    )


def _timer_null_past_due(m: Mismatch) -> bool:
    payload = _timer_payload(m)
    if not isinstance(payload, dict) or payload.get("IsPastDue", 0) is not None:
        return False
    if m.member == "past_due":
        return m.stock_ok() and m.stock.value is None and m.funcbind_ok() and not m.funcbind.value
    if m.member in ("to_dict()", "to_json()"):
        return dicts_differ_only_where(
            m, lambda key, stock, ours: key == "past_due" and stock is None and ours is False
        )
    return False


def _timer_text_payloads(m: Mismatch) -> bool:
    return (
        (m.case.data or {}).get("type") in ("string", "bytes")
        and m.member == DECODE
        and isinstance(m.stock_error, NotImplementedError)
        and m.funcbind_ok()
    )


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
    return (
        m.member == "<encode>"
        and isinstance(m.stock_error, NotImplementedError)
        and m.funcbind_ok()
    )


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
        "get_json() of a string or json body that is not JSON raises funcbind.DecodeError "
        "(a ValueError naming the binding and field) instead of json.JSONDecodeError",
        _get_json_error,
    ),
    Difference(
        "http-malformed-form",
        frozenset({"httpTrigger"}),
        "a form body that cannot be parsed (bad multipart, a urlencoded body that is not "
        "UTF-8) raises a DecodeError from form/files; azure.functions gives an empty form",
        _malformed_form,
    ),
    Difference(
        "http-repeated-headers",
        frozenset({"http"}),
        "repeated response headers are joined with ', ' into one entry per name; "
        "azure.functions keeps the last value of each spelling",
        _never,
        _join_repeated_headers,
    ),
    Difference(
        "http-cookie-unset-attributes",
        frozenset({"http"}),
        "cookie attributes that Set-Cookie did not set (domain, path) are left out of the "
        "RpcHttpCookie; the stock path sends them as empty strings",
        _never,
        _unset_cookie_attributes,
    ),
    Difference(
        "http-cookie-reserved-names",
        frozenset({"http"}),
        "a Set-Cookie whose name is an attribute word (version, path, expires...) is sent; "
        "azure.functions drops it silently",
        _never,
        _drop_reserved_name_cookies,
    ),
    Difference(
        "http-cookie-unreadable-attributes",
        frozenset({"http"}),
        "a cookie whose Max-Age or Expires cannot be read is sent without that attribute, "
        "with a warning naming it; the stock worker fails the response",
        _unreadable_cookie_attributes,
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
        frozenset({"http", "blob", "queue", "eventGrid", "kafka"}),
        "None on an output sends nothing; azure.functions' converters raise NotImplementedError",
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
        "empty Properties are {} and a length of 0 is 0; azure.functions gives None (or, "
        "for ContentLength 0, falls back to the 4.x Length)",
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
        "queue-json-payload",
        frozenset({"queueTrigger"}),
        "a json payload is read as text; azure.functions raises NotImplementedError",
        _queue_json_payload,
    ),
    Difference(
        "queue-get-json-of-text",
        frozenset({"queueTrigger"}),
        "get_json() of a text payload parses the text as sent; azure.functions parses its "
        "UTF-8 bytes, where JSON's encoding detection reads NUL characters as UTF-16/32",
        _queue_get_json_of_text,
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
        "bytearray and memoryview are one bytes message; azure.functions iterates them "
        "(and fails, or sends nothing for an empty one)",
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

# The JSON row families' rules (Cosmos DB, SQL, MySQL), kept in a module of their own.
DIFFERENCES = (*DIFFERENCES, *conformance_data_differences.DIFFERENCES)
# Durable Functions, warmup, MCP and connector triggers.
DIFFERENCES += conformance_durable_cases.DIFFERENCES
DIFFERENCES += conformance_eventgrid_kafka.DIFFERENCES
# Event Hubs and Service Bus.
from conformance_messaging_differences import MESSAGING_DIFFERENCES  # noqa: E402

DIFFERENCES += MESSAGING_DIFFERENCES

BY_ID = {difference.id: difference for difference in DIFFERENCES}
