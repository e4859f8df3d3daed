"""A test app for the host behaviours of issue 18: HTTP with no HTTP output, queue
messages written by the host and picked up at once, warm-up, a retried timer, and a
trigger with no local source.

Queue names come from app settings, so each test run has its own on the shared Azurite.
Non-HTTP functions record each invocation as a JSON file in ``FUNCBIND_TEST_OUT``.
"""

import json
import logging
import os
import time
from pathlib import Path

import azure.functions as func

OUT_DIR = os.environ.get("FUNCBIND_TEST_OUT")

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def record(kind: str, context: func.Context, **payload: object) -> None:
    if OUT_DIR:
        target = Path(OUT_DIR, f"{kind}-{context.invocation_id}.json")
        target.write_text(json.dumps({"kind": kind, "at": time.time(), **payload}))


@app.route(route="enqueue", methods=["POST"], binding_arg_name="unset")
@app.queue_output(arg_name="$return", queue_name="%CHAIN_QUEUE%", connection="AzureWebJobsStorage")
def enqueue(req: func.HttpRequest, unset: func.Out[func.HttpResponse]) -> str:
    """The return value goes to the queue; the HTTP output is never set."""
    return req.get_body().decode()


@app.route(route="enqueue-message", methods=["POST"])
@app.queue_output(arg_name="note", queue_name="%NOTES_QUEUE%", connection="AzureWebJobsStorage")
def enqueue_message(req: func.HttpRequest, note: func.Out[func.QueueMessage]) -> None:
    """Sets a func.QueueMessage and returns None."""
    note.set(func.QueueMessage(body=req.get_body().decode()))


@app.queue_trigger(arg_name="msg", queue_name="%CHAIN_QUEUE%", connection="AzureWebJobsStorage")
def chained(msg: func.QueueMessage, context: func.Context) -> None:
    record("chained", context, body=msg.get_body().decode())


@app.queue_trigger(arg_name="msg", queue_name="%CONTROL_QUEUE%", connection="AzureWebJobsStorage")
def control(msg: func.QueueMessage, context: func.Context) -> None:
    """Polls a queue nothing in this host writes to: its back-off runs its course."""
    record("control", context, body=msg.get_body().decode())


@app.warm_up_trigger("warmup")
def warm(warmup, context: func.Context) -> None:  # type: ignore[no-untyped-def]
    logging.info("warming up")
    record("warmup", context)


@app.retry(strategy="fixed_delay", max_retry_count="3", delay_interval="00:00:01")
@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=True, use_monitor=False)
def retried(timer: func.TimerRequest, context: func.Context) -> None:
    retry = context.retry_context
    exception = retry.exception
    record(
        "retried",
        context,
        retry_count=retry.retry_count,
        max_retry_count=retry.max_retry_count,
        exception=exception.message if exception is not None else None,
    )
    if retry.retry_count < 2:
        raise RuntimeError(f"attempt {retry.retry_count} fails on purpose")


@app.event_hub_message_trigger(
    arg_name="event", event_hub_name="orders", connection="EVENT_HUB_CONNECTION"
)
def hub(event: str, context: func.Context) -> None:
    record("hub", context, body=event)
