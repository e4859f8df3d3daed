"""HTTP: decoding a trigger request and encoding a response, funcbind vs azure.functions.

Both sides get the same ``azure.functions.meta.Datum`` (or response object) and are
called directly: azure.functions through ``HttpRequestConverter.decode`` /
``HttpResponseConverter.encode``, funcbind through the decoder and encoder its registry
compiles once per binding and annotation (what a FunctionPlan calls; the worker facade
adds one method call to each).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import azure.functions as func
import pytest
from azure.functions.http import HttpRequestConverter, HttpResponseConverter
from azure.functions.meta import Datum

import funcbind
from benchmarks._memory import peak_memory

# An order as a shop front-end posts it: about 1 KiB of JSON.
ORDER = {
    "orderId": "5f1c3a52-8f0e-4c1b-9a55-1d2c3e4f5a6b",
    "createdAt": "2024-06-18T09:15:27.123456Z",
    "customer": {
        "id": "cus_48213",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "address": {
            "line1": "12 Analytical Engine Way",
            "city": "London",
            "postcode": "EC1A 1BB",
            "country": "GB",
        },
    },
    "items": [
        {
            "sku": f"SKU-{n:04d}",
            "description": "Brass gear wheel, 48 teeth, precision cut",
            "quantity": n + 1,
            "unitPrice": "12.50",
        }
        for n in range(5)
    ],
    "currency": "GBP",
    "notes": "Leave the parcel with the concierge if nobody answers the door.",
    "giftWrap": False,
    "coupon": None,
}
BODY = json.dumps(ORDER).encode("utf-8")
assert 900 <= len(BODY) <= 1100, len(BODY)

HEADERS = {
    "accept": "application/json",
    "accept-encoding": "gzip, deflate, br",
    "accept-language": "en-GB,en;q=0.9",
    "content-type": "application/json",
    "content-length": str(len(BODY)),
    "host": "contoso.azurewebsites.net",
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "origin": "https://shop.contoso.com",
    "referer": "https://shop.contoso.com/checkout",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "x-forwarded-for": "203.0.113.7:50412",
    "x-forwarded-proto": "https",
    "x-forwarded-tlsversion": "1.3",
    "x-original-url": "/api/orders/42?notify=email&priority=high",
    "x-waws-unencoded-url": "/api/orders/42?notify=email&priority=high",
    "x-arr-ssl": "2048|256|CN=Microsoft Azure RSA TLS Issuing CA 04|CN=*.azurewebsites.net",
    "x-site-deployment-id": "contoso",
    "client-ip": "203.0.113.7:50412",
    "max-forwards": "10",
    "x-appservice-proto": "https",
}
assert len(HEADERS) == 20


def _strings(values: dict[str, str]) -> dict[str, Datum]:
    return {name: Datum(value, "string") for name, value in values.items()}


REQUEST = Datum(
    {
        "method": Datum("POST", "string"),
        "url": Datum(
            "https://contoso.azurewebsites.net/api/orders/42?notify=email&priority=high", "string"
        ),
        "headers": _strings(HEADERS),
        "query": _strings({"notify": "email", "priority": "high"}),
        "params": _strings({"id": "42"}),
        "body": Datum(BODY, "bytes"),
    },
    "http",
)

_REGISTRY = funcbind.default_registry()

# Each side's callable and the keyword arguments it takes besides the datum or value.
Call = tuple[Callable[..., Any], dict[str, Any]]
DECODERS: dict[str, Call] = {
    "azure.functions": (HttpRequestConverter.decode, {"trigger_metadata": None}),
    "funcbind": (_REGISTRY.decoder("httpTrigger", func.HttpRequest), {}),
}
ENCODERS: dict[str, Call] = {
    "azure.functions": (HttpResponseConverter.encode, {"expected_type": None}),
    "funcbind": (_REGISTRY.encoder("http", func.HttpResponse), {}),
}


@pytest.mark.benchmark(group="http: decode request")
def test_decode_request(benchmark: Any, impl: str) -> None:
    decode, kwargs = DECODERS[impl]
    request = benchmark(decode, REQUEST, **kwargs)
    assert isinstance(request, func.HttpRequest)
    assert (request.method, request.route_params["id"]) == ("POST", "42")
    benchmark.extra_info["peak_bytes"] = peak_memory(lambda: decode(REQUEST, **kwargs))


@pytest.mark.benchmark(group="http: decode + get_json + 3 headers")
def test_decode_get_json_and_headers(benchmark: Any, impl: str) -> None:
    decode, kwargs = DECODERS[impl]

    def run() -> tuple[Any, str, str, str | None]:
        request = decode(REQUEST, **kwargs)
        headers = request.headers
        return (
            request.get_json(),
            headers["Content-Type"],
            headers["user-agent"],
            headers.get("traceparent"),
        )

    body, content_type, user_agent, trace = benchmark(run)
    assert body == ORDER
    assert (content_type, user_agent, trace) == (
        HEADERS["content-type"],
        HEADERS["user-agent"],
        HEADERS["traceparent"],
    )
    benchmark.extra_info["peak_bytes"] = peak_memory(run)


def _response() -> func.HttpResponse:
    response = func.HttpResponse(
        json.dumps({"orderId": ORDER["orderId"], "status": "accepted"}),
        status_code=201,
        headers={
            "Location": "/api/orders/42",
            "Cache-Control": "no-store",
            "X-Request-Id": "c0a80164-6f1b-4c2e-9d7a-5e3f2b1a0c9d",
        },
        mimetype="application/json",
    )
    response.headers.add("Set-Cookie", "session=3f9a2c7e; Path=/; Secure; HttpOnly; SameSite=Lax")
    response.headers.add(
        "Set-Cookie",
        "cart=42; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=2592000; Domain=contoso.com; "
        "Path=/",
    )
    return response


@pytest.mark.benchmark(group="http: encode response")
def test_encode_response(benchmark: Any, impl: str) -> None:
    encode, kwargs = ENCODERS[impl]

    # azure.functions pops the Set-Cookie headers off the response it encodes, so each
    # round gets a fresh response, built outside the timing.
    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (_response(),), kwargs

    datum = benchmark.pedantic(encode, setup=setup, rounds=2000, warmup_rounds=50)
    assert datum.type == "http"
    assert datum.value["status_code"].value == "201"
    assert len(datum.value["headers"]) == 4  # three set, plus the content type
    assert len(datum.value["cookies"]) == 2
    response = _response()
    benchmark.extra_info["peak_bytes"] = peak_memory(lambda: encode(response, **kwargs))
