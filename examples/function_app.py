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
