"""A test app whose sync functions outlive ``functionTimeout`` (1 s): each records when
its thread starts and ends, as JSON files in ``FUNCBIND_TEST_OUT``."""

import json
import os
import time
from pathlib import Path

import azure.functions as func

OUT_DIR = os.environ.get("FUNCBIND_TEST_OUT")
SLEEP = 2.5

app = func.FunctionApp()


def record(kind: str, phase: str, context: func.Context, **payload: object) -> None:
    if OUT_DIR:
        target = Path(OUT_DIR, f"{kind}-{phase}-{context.invocation_id}.json")
        target.write_text(json.dumps({"id": context.invocation_id, "at": time.time(), **payload}))


@app.queue_trigger(arg_name="msg", queue_name="%SLOW_QUEUE%", connection="AzureWebJobsStorage")
def slow_job(msg: func.QueueMessage, context: func.Context) -> None:
    record("job", "start", context, dequeue_count=msg.dequeue_count)
    time.sleep(SLEEP)
    record("job", "end", context)


@app.blob_trigger(arg_name="blob", path="%SLOW_CONTAINER%/{name}", connection="AzureWebJobsStorage")
def slow_blob(blob: func.InputStream, context: func.Context) -> None:
    record("blob", "start", context, name=blob.name)
    time.sleep(SLEEP)
    record("blob", "end", context)
