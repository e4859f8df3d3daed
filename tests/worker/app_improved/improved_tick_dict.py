"""``timer: dict`` on a timer trigger: as for improved_total.py, refused at load or
delivered as a dict, never loaded and then failed.

One function per script: the worker indexes a whole script or fails it.
"""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

STORAGE = "AzureWebJobsStorage"


@app.timer_trigger(arg_name="timer", schedule="0 0 * * * *")
@app.queue_output(arg_name="seen", queue_name="ticks", connection=STORAGE)
def tick_dict(timer: dict, seen: func.Out[str]) -> None:
    """A timer trigger annotated dict: the TimerInfo JSON object."""
    seen.set(str(timer["IsPastDue"]))
