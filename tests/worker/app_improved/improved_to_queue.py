"""``Out[dict]`` on a queue output: one JSON message.  The stock registry refuses the
annotation when the worker indexes the app.

One function per script: the worker indexes a whole script or fails it.
"""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

STORAGE = "AzureWebJobsStorage"


@app.route(route="to-queue", methods=["POST"])
@app.queue_output(arg_name="msg", queue_name="work", connection=STORAGE)
def to_queue(req: func.HttpRequest, msg: func.Out[dict]) -> str:
    """A dict on a queue output: one JSON message."""
    msg.set(req.get_json())
    return "queued"
