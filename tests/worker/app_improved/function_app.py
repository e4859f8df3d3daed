"""A v2 app the stock registry cannot load and funcbind's can.

Each function has an annotation that azure.functions' converters refuse while the
worker indexes the app, which fails the whole app (WorkerInitResponse: Failure).
With funcbind's registry the app loads and runs.  Each is an entry of
docs/compatibility.md.

(``Optional[...]`` and ``Out[list[str]]`` are not here: the worker itself rejects them
as "non-type annotations" before it asks any registry.)
"""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

STORAGE = "AzureWebJobsStorage"


@app.route(route="nothing")
def nothing(req: func.HttpRequest) -> None:
    """-> None on an HTTP function: no response, the host answers 204."""


@app.route(route="as-json")
def as_json(req: func.HttpRequest) -> dict:
    """A dict return value on the http output: a JSON response."""
    return {"method": req.method, "query": dict(req.params)}


@app.route(route="as-bytes")
def as_bytes(req: func.HttpRequest) -> bytes:
    """A bytes return value on the http output: an octet-stream response."""
    return b"\x00\x01raw"


@app.route(route="to-queue", methods=["POST"])
@app.queue_output(arg_name="msg", queue_name="work", connection=STORAGE)
def to_queue(req: func.HttpRequest, msg: func.Out[dict]) -> str:
    """A dict on a queue output: one JSON message."""
    msg.set(req.get_json())
    return "queued"


@app.route(route="view/{name}", methods=["POST"])
@app.blob_output(arg_name="out", path="saved/{name}", connection=STORAGE)
def save_view(req: func.HttpRequest, out: func.Out[memoryview]) -> str:
    """A memoryview on a blob output."""
    out.set(memoryview(req.get_body()))
    return "saved"


@app.queue_trigger(arg_name="order", queue_name="orders", connection=STORAGE)
@app.queue_output(arg_name="$return", queue_name="totals", connection=STORAGE)
def total(order: dict) -> str:
    """A queue trigger annotated dict: the JSON body itself."""
    return str(sum(order["amounts"]))


@app.timer_trigger(arg_name="timer", schedule="0 0 * * * *")
@app.queue_output(arg_name="seen", queue_name="ticks", connection=STORAGE)
def tick_dict(timer: dict, seen: func.Out[str]) -> None:
    """A timer trigger annotated dict: the TimerInfo JSON object."""
    seen.set(str(timer["IsPastDue"]))
