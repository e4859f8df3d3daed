"""The test client's own app: settings, keys, failures, a blob trigger, a slow call."""

import asyncio
import logging
import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="setting")
def setting(req: func.HttpRequest) -> str:
    return os.environ.get("GREETING", "(unset)")


@app.route(route="secret", auth_level=func.AuthLevel.FUNCTION)
def secret(req: func.HttpRequest) -> str:
    return "the secret"


@app.route(route="raises")
def raises(req: func.HttpRequest) -> str:
    logging.warning("about to fail for %s", req.params.get("who"))
    raise RuntimeError("boom")


@app.queue_trigger(arg_name="msg", queue_name="jobs", connection="AzureWebJobsStorage")
def job(msg: func.QueueMessage) -> None:
    logging.info("job %s attempt %s", msg.get_body().decode(), msg.dequeue_count)
    if msg.get_body() == b"fail":
        raise ValueError("the job failed")


@app.queue_trigger(arg_name="msg", queue_name="slow", connection="AzureWebJobsStorage")
async def slow(msg: func.QueueMessage) -> None:
    await asyncio.sleep(float(msg.get_body().decode()))


@app.blob_trigger(arg_name="blob", path="uploads/{stem}.txt", connection="AzureWebJobsStorage")
def uploaded(blob: func.InputStream) -> None:
    logging.info("%s: %d bytes", blob.name, len(blob.read()))


@app.timer_trigger(arg_name="timer", schedule="0 0 * * * *")
def hourly(timer: func.TimerRequest) -> None:
    logging.info("hourly, past due %s", timer.past_due)
