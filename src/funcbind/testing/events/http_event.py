"""HTTP requests as the host sends them to an ``httpTrigger`` (WIRE.md §2)."""

from __future__ import annotations

import json as json_module
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

from ...datum import Datum
from .event import Event, EventError, EventKind

__all__ = ["KIND", "http"]

Query = Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]]


def http(
    method: str = "GET",
    url: str = "/",
    *,
    params: Query | None = None,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    body: bytes | str | None = None,
    json: Any = None,
    route_params: Mapping[str, str] | None = None,
    host: str = "localhost:7071",
) -> Event:
    """An HTTP request: the ``http`` Datum and the metadata the host fills.

    ``url`` is a path (``/api/orders?id=7``) or a full URL; ``params`` adds query
    values (repeated keys from lists).  ``json`` is serialised into the body with a JSON
    content type.  ``route_params`` are the values the route template captured (the
    client fills them from the app's routes).  Headers are lower-cased and repeated
    ones joined, the body is bytes, empty query values are dropped -- as the host does.
    """
    from ...host.http import parse_query, read_headers, request_url

    if not isinstance(method, str) or not method.strip():
        raise EventError(f"http event: expected an HTTP method such as 'GET', got {method!r}")
    parts = urlsplit(url)
    if parts.scheme and parts.scheme not in ("http", "https"):
        raise EventError(f"http event: expected an http(s) URL or a path, got {url!r}")
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    query_string = "&".join(filter(None, [parts.query, _encode_query(params)]))
    content = _body(body, json)
    raw_headers = [
        (b"host", (parts.netloc or host).encode("latin-1")),
        *_header_pairs(headers),
    ]
    names = {name for name, _ in raw_headers}
    if content and b"content-length" not in names:
        raw_headers.append((b"content-length", str(len(content)).encode()))
    if json is not None and b"content-type" not in names:
        raw_headers.append((b"content-type", b"application/json"))
    scope = {
        "type": "http",
        "scheme": parts.scheme or "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string.encode(),
        "headers": raw_headers,
    }
    header_data, _ = read_headers(scope)
    query = parse_query(scope["query_string"])  # type: ignore[arg-type]
    route = {name: Datum(str(value), "string") for name, value in (route_params or {}).items()}
    request = Datum(
        {
            "method": Datum(method.upper(), "string"),
            "url": Datum(request_url(scope, header_data), "string"),
            "headers": header_data,
            "query": query,
            "params": route,
            "body": Datum(content, "bytes"),
        },
        "http",
    )
    return Event("http", "httpTrigger", request, {**query, **route})


def _encode_query(params: Query | None) -> str:
    if not params:
        return ""
    pairs: list[tuple[str, str]] = []
    items = params.items() if isinstance(params, Mapping) else params
    for name, value in items:
        if isinstance(value, str) or not isinstance(value, Sequence):
            pairs.append((name, str(value)))
        else:
            pairs.extend((name, str(item)) for item in value)
    return urlencode(pairs)


def _header_pairs(
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None,
) -> list[tuple[bytes, bytes]]:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    pairs = []
    for name, value in items:
        if not isinstance(name, str) or not isinstance(value, str):
            raise EventError(
                f"http event: expected header names and values as text, got {name!r}: {value!r}"
            )
        pairs.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    return pairs


def _body(body: bytes | str | None, json: Any) -> bytes:
    if body is not None and json is not None:
        raise EventError("http event: expected body or json, got both")
    if json is not None:
        return json_module.dumps(json).encode()
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    raise EventError(f"http event: expected the body as bytes or str, got {type(body).__name__}")


KIND = EventKind("http", "httpTrigger", http, "an HTTP request (httpTrigger)", admin=False)
