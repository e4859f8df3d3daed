"""A test app for funcbind run with storage: blob and queue bindings, the three triggers.

Container and queue names come from app settings (``%FILES_CONTAINER%`` ...), so each
test gives its host names of its own on the shared Azurite.  Non-HTTP functions record
each invocation as a JSON file in ``FUNCBIND_TEST_OUT`` (named by the invocation id).
"""

import json
import logging
import os
import time
from pathlib import Path

import azure.functions as func
from azure.storage.blob import BlobClient

OUT_DIR = os.environ.get("FUNCBIND_TEST_OUT")

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def record(kind: str, context: func.Context, **payload: object) -> None:
    if OUT_DIR:
        target = Path(OUT_DIR, f"{kind}-{context.invocation_id}.json")
        target.write_text(json.dumps({"kind": kind, **payload}))


# -- HTTP with blob inputs and outputs, queue outputs ------------------------------------


@app.route(route="read/{name}", methods=["GET"])
@app.blob_input(
    arg_name="content", path="%FILES_CONTAINER%/{name}", connection="AzureWebJobsStorage"
)
def read_by_route(req: func.HttpRequest, content: func.InputStream | None) -> func.HttpResponse:
    if content is None:
        return func.HttpResponse("missing", status_code=404)
    return func.HttpResponse(content.read(), mimetype="application/octet-stream")


@app.route(route="readq", methods=["GET"])
@app.blob_input(
    arg_name="content", path="%FILES_CONTAINER%/{name}", data_type="string", connection=""
)
def read_by_query(req: func.HttpRequest, content: str | None) -> str:
    return "missing" if content is None else content


@app.route(route="orders", methods=["POST"])
@app.blob_output(
    arg_name="receipt", path="%OUT_CONTAINER%/{order.id}-{rand-guid}.json", connection=""
)
@app.queue_output(arg_name="notes", queue_name="%OUT_QUEUE%", connection="AzureWebJobsStorage")
def post_order(req: func.HttpRequest, receipt: func.Out[bytes], notes: func.Out[list[str]]) -> str:
    order = req.get_json()["order"]
    receipt.set(json.dumps(order).encode())
    notes.set([f"order {order['id']}", f"lines {len(order.get('lines', []))}"])
    return "stored"


@app.route(route="fails-after-output", methods=["POST"])
@app.queue_output(arg_name="note", queue_name="%OUT_QUEUE%", connection="AzureWebJobsStorage")
def fails_after_output(req: func.HttpRequest, note: func.Out[str]) -> str:
    note.set("must never be sent")
    raise RuntimeError("failing after setting an output")


@app.route(route="sdk/{name}", methods=["GET"])
@app.blob_input(
    arg_name="client", path="%FILES_CONTAINER%/{name}", connection="AzureWebJobsStorage"
)
def read_with_sdk(req: func.HttpRequest, client: BlobClient) -> func.HttpResponse:
    body = client.download_blob().readall()
    headers = {"x-client-type": type(client).__name__, "x-blob-name": client.blob_name}
    return func.HttpResponse(body, headers=headers)


# -- queue trigger ------------------------------------------------------------------------


@app.queue_trigger(arg_name="msg", queue_name="%JOBS_QUEUE%", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="done", path="%OUT_CONTAINER%/job-{id}.txt", connection="")
def job(msg: func.QueueMessage, done: func.Out[str], context: func.Context) -> None:
    body = msg.get_json()
    action = body.get("action", "ok")
    record(
        "job",
        context,
        job=body.get("id"),
        action=action,
        id=msg.id,
        dequeue_count=msg.dequeue_count,
        pop_receipt=msg.pop_receipt,
        insertion_time=msg.insertion_time.isoformat() if msg.insertion_time else None,
        expiration_time=msg.expiration_time.isoformat() if msg.expiration_time else None,
        next_visible=msg.time_next_visible.isoformat() if msg.time_next_visible else None,
    )
    if action == "fail":
        raise RuntimeError(f"job {body.get('id')} fails on purpose")
    if action == "slow" and msg.dequeue_count == 1:
        logging.info("slow job %s started", body.get("id"))
        time.sleep(60)  # the test kills the host meanwhile
    done.set(f"{body.get('id')} done after {msg.dequeue_count} attempt(s)")


# -- blob triggers --------------------------------------------------------------------------


@app.blob_trigger(
    arg_name="blob", path="%IN_CONTAINER%/{name}.csv", connection="AzureWebJobsStorage"
)
@app.blob_output(arg_name="rows", path="%OUT_CONTAINER%/{name}.rows", connection="")
def csv_arrived(blob: func.InputStream, rows: func.Out[str], context: func.Context) -> None:
    content = blob.read().decode()
    properties = blob.blob_properties or {}
    record(
        "csv",
        context,
        name=blob.name,
        length=blob.length,
        uri=blob.uri,
        etag=properties.get("ETag"),
        metadata=blob.metadata,
        content=content,
    )
    if content.startswith("bad"):
        raise ValueError("a bad csv")
    rows.set(str(len(content.splitlines())))


@app.blob_trigger(
    arg_name="client", path="%SDK_CONTAINER%/{name}", connection="AzureWebJobsStorage"
)
def sdk_blob_arrived(client: BlobClient, context: func.Context) -> None:
    record(
        "sdk",
        context,
        type=type(client).__name__,
        name=client.blob_name,
        content=client.download_blob().readall().decode(),
    )


# -- timers ----------------------------------------------------------------------------------


@app.timer_trigger(arg_name="timer", schedule="* * * * * *", use_monitor=True)
def tick(timer: func.TimerRequest, context: func.Context) -> None:
    record("tick", context, past_due=timer.past_due, at=time.time())


@app.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", run_on_startup=True)
def on_startup(timer: func.TimerRequest, context: func.Context) -> None:
    record("startup", context, past_due=timer.past_due)
