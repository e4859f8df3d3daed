"""A test app for several hosts of one app on one storage account: a timer on a
two-second schedule, a blob trigger and a queue trigger.  Each invocation is recorded
as a JSON file in ``FUNCBIND_TEST_OUT`` with the process id that ran it."""

import json
import os
import time
from pathlib import Path

import azure.functions as func

OUT_DIR = os.environ.get("FUNCBIND_TEST_OUT")

app = func.FunctionApp()


def record(kind: str, context: func.Context, **payload: object) -> None:
    if OUT_DIR:
        target = Path(OUT_DIR, f"{kind}-{context.invocation_id}.json")
        payload = {"kind": kind, "pid": os.getpid(), "at": time.time(), **payload}
        target.write_text(json.dumps(payload))


@app.timer_trigger(arg_name="timer", schedule="*/2 * * * * *", use_monitor=True)
def beat(timer: func.TimerRequest, context: func.Context) -> None:
    status = timer.schedule_status or {}
    record("beat", context, past_due=timer.past_due, due=status.get("Next"))


@app.blob_trigger(arg_name="blob", path="%IN_CONTAINER%/{name}", connection="AzureWebJobsStorage")
def arrived(blob: func.InputStream, context: func.Context) -> None:
    record("blob", context, name=blob.name)


@app.queue_trigger(arg_name="msg", queue_name="%WORK_QUEUE%", connection="AzureWebJobsStorage")
def work(msg: func.QueueMessage, context: func.Context) -> None:
    record("work", context, body=msg.get_body().decode(), dequeue_count=msg.dequeue_count)


@app.route(route="pid", methods=["GET"])
def pid(req: func.HttpRequest) -> str:
    return str(os.getpid())


@app.route(route="spin", methods=["GET"])
def spin(req: func.HttpRequest) -> str:
    """CPU-bound: a sync function that holds the GIL for its whole run."""
    total = 0
    for number in range(int(req.params.get("n", "200000"))):
        total += number * number
    return f"{os.getpid()} {total}"
