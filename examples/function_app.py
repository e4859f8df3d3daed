"""The v2 (decorator) programming model, beside the function.json folders of this app."""

import json
import logging

import azure.functions as func
from greetings import bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(bp)


@app.queue_trigger(arg_name="order", queue_name="orders", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="receipt", queue_name="receipts", connection="AzureWebJobsStorage")
def process_order(order: func.QueueMessage, receipt: func.Out[str]) -> None:
    body = order.get_json()
    logging.info("order %s dequeued %s time(s)", body["id"], order.dequeue_count)
    total = sum(line["qty"] * line["price"] for line in body["lines"])
    receipt.set(json.dumps({"order": body["id"], "total": round(total, 2)}))


@app.timer_trigger(arg_name="timer", schedule="0 */5 * * * *", run_on_startup=False)
def heartbeat(timer: func.TimerRequest) -> None:
    logging.info("heartbeat (past due: %s)", timer.past_due)


@app.retry(strategy="fixed_delay", max_retry_count="3", delay_interval="00:00:05")
@app.timer_trigger(arg_name="timer", schedule="0 30 2 * * *", run_on_startup=False)
def nightly_report(timer: func.TimerRequest, context: func.Context) -> None:
    """A retried timer: when it raises, the host runs it again, up to 3 times, 5 s apart
    (context.retry_context says which attempt this is and why the last one failed)."""
    retry = context.retry_context
    if retry.retry_count:
        logging.warning("report retry %s after: %s", retry.retry_count, retry.exception.message)
    logging.info("nightly report built (attempt %s)", retry.retry_count + 1)


@app.warm_up_trigger("warmup")
def warm_up(warmup) -> None:  # azure.functions 1.x exports no WarmUpContext to annotate
    """Runs once when the host starts and on every /admin/warmup: fill caches here."""
    logging.info("warm-up: caches filled")
