"""A test app for the Event Grid webhook: each invocation records the event it got as a
JSON file in ``FUNCBIND_TEST_OUT``; an event whose subject is "fail" raises."""

import json
import os
from pathlib import Path

import azure.functions as func

OUT_DIR = os.environ.get("FUNCBIND_TEST_OUT")

app = func.FunctionApp()


@app.function_name("on_event")
@app.event_grid_trigger(arg_name="event")
def on_event(event: str, context: func.Context) -> None:
    parsed = json.loads(event)
    if parsed.get("subject") == "fail":
        raise RuntimeError("asked to fail")
    if OUT_DIR:
        Path(OUT_DIR, f"event-{context.invocation_id}.json").write_text(event)
