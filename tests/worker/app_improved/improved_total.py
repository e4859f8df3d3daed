"""``order: dict`` on a queue trigger.  The worker decodes without the annotation, so a
registry must refuse it at load (as the stock one does) or deliver a dict; loading it
and then handing the function a QueueMessage would fail every call.

One function per script: the worker indexes a whole script or fails it.
"""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

STORAGE = "AzureWebJobsStorage"


@app.queue_trigger(arg_name="order", queue_name="orders", connection=STORAGE)
@app.queue_output(arg_name="$return", queue_name="totals", connection=STORAGE)
def total(order: dict) -> str:
    """A queue trigger annotated dict: the JSON body itself."""
    return str(sum(order["amounts"]))
