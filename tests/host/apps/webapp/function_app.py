"""A test app for funcbind run: one decorator function per host behaviour under test."""

import asyncio
import json
import logging
import os
from pathlib import Path

import azure.functions as func

# Read at import time: proves local.settings.json Values are applied before user code.
GREETING = os.environ["GREETING"]
OUT_DIR = os.environ.get("FUNCBIND_TEST_OUT")

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello", methods=["GET", "POST"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    name = req.params.get("name") or "world"
    logging.info("greeting %s", name)
    return func.HttpResponse(f"{GREETING}, {name}!")


@app.route(route="secret", auth_level=func.AuthLevel.FUNCTION)
def secret(req: func.HttpRequest) -> str:
    return "secret ok"


@app.route(route="other", auth_level=func.AuthLevel.FUNCTION)
def other(req: func.HttpRequest) -> str:
    return "other ok"


@app.route(route="adminonly", auth_level=func.AuthLevel.ADMIN)
def adminonly(req: func.HttpRequest) -> str:
    return "admin ok"


def _typed(constraint: str) -> None:
    def handler(req: func.HttpRequest) -> str:
        return f"{constraint}:{req.route_params['v']}"

    handler.__name__ = f"typed_{constraint}"
    app.function_name(name=f"typed_{constraint}")(
        app.route(route=f"typed/{constraint}/{{v:{constraint}}}", methods=["GET"])(handler)
    )


for _constraint in (
    "int",
    "long",
    "alpha",
    "bool",
    "guid",
    "datetime",
    "decimal",
    "double",
    "float",
):
    _typed(_constraint)


@app.route(route="products/{category:alpha}/{id:int?}", methods=["GET"])
def products(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(dict(req.route_params)), mimetype="application/json")


@app.route(route="pages/{n:int=5}", methods=["GET"])
def pages(req: func.HttpRequest) -> str:
    return f"page {req.route_params['n']}"


@app.route(route="boom")
def boom(req: func.HttpRequest) -> str:
    raise ValueError("kaboom: internal detail that must not reach the client")


@app.route(route="slow")
async def slow(req: func.HttpRequest) -> str:
    await asyncio.sleep(int(req.params.get("ms", "200")) / 1000)
    return "slow done"


@app.route(route="echo", methods=["POST", "PUT"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_body()
    headers = {
        "x-body-length": str(len(body)),
        "x-query": json.dumps(dict(req.params), sort_keys=True),
        "x-seen-header": req.headers.get("x-custom", ""),
        "x-url": req.url,
    }
    response = func.HttpResponse(
        body, status_code=201, headers=headers, mimetype="application/octet-stream"
    )
    response.headers.add("Set-Cookie", "session=abc; Path=/; HttpOnly")
    response.headers.add("Set-Cookie", "theme=dark; Max-Age=60; SameSite=Lax")
    return response


@app.route(route="nothing")
def nothing(req: func.HttpRequest) -> None:
    return None


@app.route(route="wrongtype")
def wrongtype(req: func.HttpRequest) -> func.HttpResponse:
    return 42  # type: ignore[return-value]  # deliberately wrong


@app.route(route="needs-blob/{name}")
@app.blob_output(arg_name="out", path="results/{name}", connection="AzureWebJobsStorage")
def needs_blob(req: func.HttpRequest, out: func.Out[str]) -> str:
    out.set("x")
    return "written"


def _record(kind: str, invocation_id: str, payload: object) -> None:
    if OUT_DIR:
        Path(OUT_DIR, f"{invocation_id}.json").write_text(
            json.dumps({"kind": kind, "payload": payload})
        )


@app.queue_trigger(arg_name="msg", queue_name="jobs", connection="AzureWebJobsStorage")
def queue_job(msg: func.QueueMessage, context: func.Context) -> None:
    logging.info("queue job %s", msg.get_body().decode())
    _record("queue", context.invocation_id, {"body": msg.get_body().decode(), "id": msg.id})


@app.timer_trigger(arg_name="timer", schedule="0 0 * * * *")
def timer_job(timer: func.TimerRequest, context: func.Context) -> None:
    _record("timer", context.invocation_id, {"past_due": timer.past_due})
