"""A Durable Functions app (``azure-functions-durable``) the real worker indexes and runs,
once per binding registry: an orchestrator, activities with str, dict, int, custom-class
and non-JSON inputs, an entity, and two client functions.

Nothing here talks to a Durable host: the orchestrator and the entity get their state
in the invocation and return their new state, and the clients only build management
URLs from the configuration the invocation carries (no outbound request).
"""

from __future__ import annotations

import json
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


class Point:
    """A custom class that travels through the Durable JSON conventions."""

    def __init__(self, x: int, y: int) -> None:
        self.x = x
        self.y = y

    @staticmethod
    def to_json(point: Point) -> dict[str, int]:
        return {"x": point.x, "y": point.y}

    @staticmethod
    def from_json(data: dict[str, int]) -> Point:
        return Point(data["x"], data["y"])


@app.orchestration_trigger(context_name="context")
def hello_orchestrator(context: df.DurableOrchestrationContext) -> Any:
    city = context.get_input() or "Tokyo"
    greeting = yield context.call_activity("say_hello", city)
    total = yield context.call_activity("add", {"a": 2, "b": 3})
    point = yield context.call_activity("shift", Point(1, 2))
    return {"greeting": greeting, "total": total, "point": Point.to_json(point)}


@app.activity_trigger(input_name="city")
def say_hello(city: str) -> str:
    return f"Hello {city}!"


@app.activity_trigger(input_name="numbers")
def add(numbers: dict) -> int:  # type: ignore[type-arg]  # a plain dict, as users write it
    return int(numbers["a"]) + int(numbers["b"])


@app.activity_trigger(input_name="n")
def double(n: int) -> int:
    return n * 2


@app.activity_trigger(input_name="point")
def shift(point: Point) -> Point:
    return Point(point.x + 10, point.y + 20)


@app.activity_trigger(input_name="text")
def echo_raw(text: str) -> dict[str, str]:
    """Input that is not JSON arrives as the text itself."""
    return {"type": type(text).__name__, "text": text}


@app.entity_trigger(context_name="context")
def counter(context: df.DurableEntityContext) -> None:
    current = context.get_state(lambda: 0)
    if context.operation_name == "add":
        current += context.get_input()
        context.set_state(current)
    elif context.operation_name == "reset":
        current = 0
        context.set_state(current)
    context.set_result(current)


@app.route(route="orchestrators/{instance}")
@app.durable_client_input(client_name="client")
async def http_start(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """The usual starter, minus the start: the status response needs no Durable host."""
    return client.create_check_status_response(req, req.route_params["instance"])


@app.route(route="links/{instance}")
@app.generic_input_binding(arg_name="starter", type="durableClient")
def client_links(req: func.HttpRequest, starter) -> func.HttpResponse:  # type: ignore[no-untyped-def]
    """The older style: the raw client configuration, handed to the client by hand.

    ``starter`` has no annotation, so the worker asks the registry's durableClient
    binding for it (an annotation ``str`` would send it to the worker's generic one).
    """
    client = df.DurableOrchestrationClient(starter)
    links = client.create_http_management_payload(req.route_params["instance"])
    report = {"type": type(starter).__name__, "links": links}
    return func.HttpResponse(json.dumps(report, sort_keys=True), mimetype="application/json")
