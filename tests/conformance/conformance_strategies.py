"""Hypothesis strategies for wire inputs, one per binding, in the fixtures' JSON notation.

They aim at the shapes the host sends (WIRE.md) and at their edges: header names in
mixed case, repeated query keys already joined, bodies of every wire kind, JSON and
forms, metadata fields of every kind, datetimes in every shape seen in the wild and a
few that are not datetimes at all.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import conformance_data
import conformance_durable
from conformance_support import Case
from hypothesis import strategies as st

# -- building blocks ------------------------------------------------------------------------

JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12)
JSON_VALUES = st.recursive(
    JSON_SCALARS | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=10,
)
TOKEN = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
TEXT = st.text(max_size=40)
HEADER_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)


def _bytes_spec(raw: bytes) -> dict[str, Any]:
    return {"type": "bytes", "base64": base64.b64encode(raw).decode("ascii")}


def _mixed_case(name: str, flips: list[bool]) -> str:
    padded = (flips + [False] * len(name))[: len(name)]
    return "".join(c.upper() if flip else c for c, flip in zip(name, padded, strict=True))


# -- HTTP requests ---------------------------------------------------------------------------

METHODS = st.sampled_from(
    ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "get", "Post"]
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        "multipart/form-data; boundary=XyZ",
    ]
)


@st.composite
def _form_body(draw: st.DrawFn) -> bytes:
    pairs = draw(st.lists(st.tuples(TOKEN, st.text(max_size=12)), max_size=5))
    return urlencode(pairs).encode("ascii")


@st.composite
def _multipart_body(draw: st.DrawFn) -> bytes:
    parts = []
    for name, value, filename in draw(
        st.lists(st.tuples(TOKEN, st.text(max_size=12), st.none() | TOKEN), max_size=3)
    ):
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}.txt"'
        head = f"Content-Disposition: {disposition}\r\n"
        if filename is not None:
            head += "Content-Type: text/plain\r\n"
        parts.append(f"--XyZ\r\n{head}\r\n{value}\r\n")
    return ("".join(parts) + "--XyZ--\r\n").encode("utf-8")


BODIES = st.one_of(
    st.none(),
    st.binary(max_size=64).map(_bytes_spec),
    JSON_VALUES.map(lambda v: _bytes_spec(json.dumps(v).encode())),
    TEXT.map(lambda text: {"type": "string", "value": text}),
    JSON_VALUES.map(lambda v: {"type": "json", "json": v}),
    _form_body().map(_bytes_spec),
    _multipart_body().map(_bytes_spec),
)


@st.composite
def http_requests(draw: st.DrawFn) -> dict[str, Any]:
    headers = draw(st.dictionaries(TOKEN, HEADER_VALUE, max_size=5))
    if draw(st.booleans()):
        headers["content-type"] = draw(CONTENT_TYPES)
    if draw(st.booleans()):  # names as sent by something other than the host
        headers = {_mixed_case(n, draw(st.lists(st.booleans()))): v for n, v in headers.items()}
    query = draw(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=10), max_size=4))
    params = draw(st.dictionaries(TOKEN, st.text(max_size=10), max_size=3))
    path = "/".join(quote(segment, safe="") for segment in draw(st.lists(TEXT, max_size=3)))
    url = f"https://example.azurewebsites.net/api/{path}"
    if query:
        url += "?" + urlencode(query)
    value: dict[str, Any] = {
        "method": draw(METHODS),
        "url": url,
        "headers": headers,
        "query": query,
        "params": params,
    }
    body = draw(BODIES)
    if body is not None:
        value["body"] = body
    return {"type": "http", "value": value}


# -- datetimes and metadata ------------------------------------------------------------------

_ZONES = st.sampled_from([0, 0, 60, -300, 330, 14 * 60]).map(
    lambda m: timezone(timedelta(minutes=m))
)


@st.composite
def datetime_texts(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 30)))
    fraction = draw(st.sampled_from(["", ".1", ".123", ".123456", ".4610507"]))
    base = moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction
    shape = draw(st.sampled_from(["Z", "+00:00", "offset", "naive", "us", "garbage", "empty"]))
    if shape == "offset":
        offset = draw(_ZONES).utcoffset(None) or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        return f"{base}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    if shape == "naive":
        return base
    if shape == "us":
        return moment.strftime("%m/%d/%Y %H:%M:%S")
    if shape == "garbage":
        return draw(st.sampled_from(["yesterday", "2024-13-01T00:00:00Z", "12:00", "-"]))
    if shape == "empty":
        return ""
    return base + shape


def _json_string(text: str) -> dict[str, Any]:
    return {"type": "json", "json": text}


TEXT_FIELD = st.one_of(
    TOKEN.map(lambda t: {"type": "string", "value": t}),
    TOKEN.map(_json_string),
    st.just({"type": "json", "value": "null"}),
)
DEQUEUE_COUNT = st.one_of(
    st.integers(0, 10**6).map(lambda n: {"type": "json", "value": str(n)}),
    st.integers(0, 100).map(lambda n: {"type": "string", "value": str(n)}),
    st.integers(0, 100).map(lambda n: {"type": "int", "value": n}),
    st.sampled_from([{"type": "json", "value": "2.5"}, {"type": "json", "value": "true"}]),
)
DATETIME_FIELD = datetime_texts().map(_json_string) | datetime_texts().map(
    lambda t: {"type": "string", "value": t}
)


@st.composite
def queue_cases(draw: st.DrawFn) -> tuple[Any, Any]:
    body = draw(st.one_of(TEXT, JSON_VALUES.map(json.dumps)))
    kind = draw(st.sampled_from(["string", "string", "bytes", "json"]))
    if kind == "bytes":
        data: Any = _bytes_spec(
            draw(st.binary(max_size=20)) if draw(st.booleans()) else body.encode()
        )
    else:
        data = {"type": kind, "value": body}
    fields = {
        "Id": TEXT_FIELD,
        "PopReceipt": TEXT_FIELD,
        "DequeueCount": DEQUEUE_COUNT,
        "ExpirationTime": DATETIME_FIELD,
        "InsertionTime": DATETIME_FIELD,
        "NextVisibleTime": DATETIME_FIELD,
    }
    chosen = draw(st.sets(st.sampled_from(sorted(fields))))
    metadata = {name: draw(fields[name]) for name in sorted(chosen)}
    return data, (None if draw(st.integers(0, 15)) == 0 else metadata)


# -- timers -----------------------------------------------------------------------------------

_ABSENT = object()


@st.composite
def timer_payloads(draw: st.DrawFn) -> dict[str, Any]:
    info: dict[str, Any] = {}
    status = draw(
        st.sampled_from(["object", "null", "absent", "wrong"]).flatmap(
            lambda shape: {
                "object": st.dictionaries(
                    st.sampled_from(["Last", "Next", "LastUpdated"]), datetime_texts(), max_size=3
                ),
                "null": st.none(),
                "absent": st.just(_ABSENT),
                "wrong": st.sampled_from(["2024-01-01", 3, ["Last"]]),
            }[shape]
        )
    )
    if status is not _ABSENT:
        info["ScheduleStatus"] = status
    schedule = draw(st.sampled_from([{"AdjustForDST": True}, {}, None, _ABSENT, "daily"]))
    if schedule is not _ABSENT:
        info["Schedule"] = schedule
    past_due = draw(st.sampled_from([True, False, None, _ABSENT, "yes", 1]))
    if past_due is not _ABSENT:
        info["IsPastDue"] = past_due
    payload: Any = info if draw(st.integers(0, 12)) else draw(st.sampled_from([[1], "x", 3, None]))
    kind = draw(st.sampled_from(["json", "json", "json", "string", "bytes"]))
    text = json.dumps(payload)
    if kind == "json":
        return {"type": "json", "value": text}
    if kind == "string":
        return {"type": "string", "value": text}
    return _bytes_spec(text.encode())


# -- blobs --------------------------------------------------------------------------------------

_LINES = st.lists(st.text(max_size=8), max_size=4).map("\n".join)


@st.composite
def blob_payloads(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["bytes", "bytes", "string", "json", "null", "int"]))
    if kind == "bytes":
        raw = draw(st.binary(max_size=40) | _LINES.map(str.encode))
        return _bytes_spec(raw)
    if kind == "string":
        return {"type": "string", "value": draw(_LINES)}
    if kind == "json":
        return {"type": "json", "value": json.dumps(draw(JSON_VALUES))}
    if kind == "int":
        return {"type": "int", "value": draw(st.integers(-5, 5))}
    return {"type": None}


_PROPERTY_VALUES = {
    "ContentLength": st.integers(0, 10**9) | st.sampled_from(["12", None]),
    "Length": st.integers(0, 10**9),
    "ContentType": st.sampled_from(["text/plain", "application/octet-stream", None]),
    "ETag": TOKEN,
    "LastModified": datetime_texts(),
    "Created": datetime_texts(),
}


@st.composite
def blob_metadata(draw: st.DrawFn) -> dict[str, Any] | None:
    if draw(st.integers(0, 9)) == 0:
        return None
    metadata: dict[str, Any] = {}
    if draw(st.booleans()):
        container, name = draw(TOKEN), draw(TOKEN)
        metadata["BlobTrigger"] = {"type": "string", "value": f"{container}/{name}"}
        metadata["name"] = {"type": "string", "value": name}
    if draw(st.booleans()):
        metadata["Uri"] = {
            "type": "string",
            "value": f"https://acct.blob.core.windows.net/{draw(TOKEN)}",
        }
    shape = draw(st.sampled_from(["object", "object", "empty", "absent", "not json", "array"]))
    if shape == "object":
        keys = draw(st.sets(st.sampled_from(sorted(_PROPERTY_VALUES))))
        properties = {key: draw(_PROPERTY_VALUES[key]) for key in sorted(keys)}
        metadata["Properties"] = {"type": "json", "json": properties}
    elif shape == "empty":
        metadata["Properties"] = {"type": "json", "json": {}}
    elif shape == "not json":
        metadata["Properties"] = {"type": "string", "value": "Length=3"}
    elif shape == "array":
        metadata["Properties"] = {"type": "json", "json": [1]}
    meta_shape = draw(st.sampled_from(["object", "absent", "text"]))
    if meta_shape == "object":
        metadata["Metadata"] = {
            "type": "json",
            "json": draw(st.dictionaries(TOKEN, st.text(max_size=6), max_size=3)),
        }
    elif meta_shape == "text":
        metadata["Metadata"] = {"type": "string", "value": "Hello World"}
    return metadata


# -- generic ----------------------------------------------------------------------------------

GENERIC_DATA = st.one_of(
    TEXT.map(lambda t: {"type": "string", "value": t}),
    st.binary(max_size=20).map(_bytes_spec),
    JSON_VALUES.map(lambda v: {"type": "json", "json": v}),
    st.integers(-(2**63), 2**63 - 1).map(lambda n: {"type": "int", "value": n}),
    st.floats(allow_nan=False).map(lambda x: {"type": "double", "value": x}),
    st.just({"type": None}),
    st.lists(TEXT, max_size=3).map(lambda items: {"type": "collection_string", "items": items}),
    st.lists(st.integers(-9, 9), max_size=3).map(
        lambda items: {"type": "collection_sint64", "items": items}
    ),
    st.lists(TEXT, max_size=3).map(lambda items: {"type": "collection_bytes", "items": items}),
)


# -- values to encode ---------------------------------------------------------------------------

PLAIN_JSON = st.dictionaries(st.text(max_size=5), JSON_SCALARS, max_size=3)

SIMPLE_VALUES = st.one_of(
    TEXT.map(lambda t: {"str": t}),
    TEXT.map(lambda t: {"bytes": t}),
    TEXT.map(lambda t: {"bytearray": t}),
    TEXT.map(lambda t: {"memoryview": t}),
    st.integers(-(2**63), 2**63 - 1).map(lambda n: {"int": n}),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda x: {"float": x}),
    st.booleans().map(lambda b: {"bool": b}),
    st.just({"none": None}),
    PLAIN_JSON.map(lambda d: {"dict": d}),
    st.lists(JSON_SCALARS, max_size=3).map(lambda items: {"json_list": items}),
)

QUEUE_MESSAGES = st.builds(
    lambda i, b: {"QueueMessage": {"id": i, "body": b}}, st.none() | TOKEN, st.none() | TEXT
)


def queue_values() -> st.SearchStrategy[dict[str, Any]]:
    items = st.one_of(
        TEXT.map(lambda t: {"str": t}),
        QUEUE_MESSAGES,
        PLAIN_JSON.map(lambda d: {"dict": d}),
        TEXT.map(lambda t: {"bytes": t}),
    )
    return st.one_of(
        SIMPLE_VALUES,
        QUEUE_MESSAGES,
        st.lists(items, max_size=4).map(lambda items: {"list": items}),
    )


def blob_values() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        SIMPLE_VALUES,
        TEXT.map(lambda t: {"BytesIO": t}),
        TEXT.map(lambda t: {"InputStream": t}),
    )


_COOKIE_ATTRIBUTES = st.lists(
    st.sampled_from(
        [
            "Path=/",
            "Path=/api",
            "Domain=example.com",
            "Secure",
            "HttpOnly",
            "SameSite=Lax",
            "SameSite=Strict",
            "SameSite=None",
            "Max-Age=3600",
            "Expires=Wed, 21 Oct 2037 07:28:00 GMT",
        ]
    ),
    max_size=4,
    unique=True,
)


@st.composite
def http_responses(draw: st.DrawFn) -> dict[str, Any]:
    header_names = st.sampled_from(["X-Custom", "x-custom", "Cache-Control", "X-Other", "Vary"])
    response: dict[str, Any] = {
        "body": draw(st.none() | TEXT | st.binary(max_size=20).map(lambda b: b.decode("latin-1"))),
        "status_code": draw(st.none() | st.sampled_from([200, 201, 204, 302, 400, 404, 500])),
        "headers": draw(st.lists(st.tuples(header_names, HEADER_VALUE), max_size=4)),
        "mimetype": draw(
            st.none() | st.sampled_from(["text/plain", "application/json", "text/html"])
        ),
        "charset": draw(st.none() | st.sampled_from(["utf-8", "latin-1"])),
    }
    if response["charset"] == "latin-1" and response["body"] is not None:
        response["body"] = response["body"].encode("latin-1", "replace").decode("latin-1")
    cookies = draw(st.lists(st.tuples(TOKEN, TOKEN, _COOKIE_ATTRIBUTES), max_size=3))
    response["set_cookies"] = ["; ".join([f"{n}={v}", *attrs]) for n, v, attrs in cookies]
    if draw(st.booleans()) and response["headers"]:
        # a content-type header of its own, which the response must keep
        response["headers"].append(("Content-Type", "application/xml"))
    return {"HttpResponse": response}


def http_values() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(http_responses(), http_responses(), SIMPLE_VALUES)


# -- cases ---------------------------------------------------------------------------------------


def _decode_case(binding: str) -> st.SearchStrategy[Case]:
    if binding == "httpTrigger":
        return http_requests().map(lambda data: Case(binding, "generated", data))
    if binding == "queueTrigger":
        return queue_cases().map(lambda pair: Case(binding, "generated", pair[0], pair[1]))
    if binding == "timerTrigger":
        return timer_payloads().map(lambda data: Case(binding, "generated", data, {}))
    if binding in ("blob", "blobTrigger"):
        return st.builds(
            lambda d, m: Case(binding, "generated", d, m), blob_payloads(), blob_metadata()
        )
    if binding == "generic":
        return GENERIC_DATA.map(lambda data: Case(binding, "generated", data))
    if binding in conformance_data.DECODE_BINDINGS:  # Cosmos DB, SQL, MySQL rows
        return conformance_data.row_payloads(binding).map(
            lambda data: Case(binding, "generated", data)
        )
    raise ValueError(binding)


def _encode_case(binding: str) -> st.SearchStrategy[Case]:
    if binding in conformance_data.ENCODE_BINDINGS:  # Cosmos DB, SQL, MySQL rows
        return conformance_data.row_values(binding, SIMPLE_VALUES).map(
            lambda spec: Case(binding, "generated", spec, direction="out")
        )
    values = {
        "http": http_values(),
        "queue": queue_values(),
        "blob": blob_values(),
        "generic": st.one_of(
            SIMPLE_VALUES, st.lists(SIMPLE_VALUES, max_size=3).map(lambda items: {"list": items})
        ),
    }[binding]
    return values.map(lambda spec: Case(binding, "generated", spec, direction="out"))


def cases(binding: str, direction: str) -> st.SearchStrategy[Case]:
    """Generated cases for one binding and direction ("in": decode, "out": encode)."""
    if binding in conformance_durable.DECODE_BINDINGS:
        # Imported here: that module builds on this one's building blocks.
        import conformance_durable_cases

        if direction == "in":
            return conformance_durable_cases.decode_case(binding)
        return conformance_durable_cases.encode_case(binding)
    import conformance_eventgrid_kafka  # imports this module: imported on first use

    found = conformance_eventgrid_kafka.cases(binding, direction)
    if found is not None:
        return found
    import conformance_messaging_strategies as messaging  # it builds on this module

    if binding in messaging.BINDINGS:
        return messaging.cases(binding, direction)
    return _decode_case(binding) if direction == "in" else _encode_case(binding)
