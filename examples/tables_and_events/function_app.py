"""Table bindings and an Event Grid trigger, runnable with ``funcbind run`` on Azurite.

Notes are kept per user in the table ``notes``; every Event Grid event delivered to
``/runtime/webhooks/eventgrid?functionName=record_event`` lands in the table ``events``.
"""

import json
import logging

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="notes/{user}", methods=["POST"])
@app.table_output(
    arg_name="note",
    connection="AzureWebJobsStorage",
    table_name="notes",
    partition_key="{user}",
    row_key="{rand-guid}",
)
def add_note(req: func.HttpRequest, note: func.Out[str]) -> func.HttpResponse:
    note.set(json.dumps({"Text": req.get_body().decode()}))
    return func.HttpResponse("noted", status_code=201)


@app.route(route="notes/{user}", methods=["GET"])
@app.table_input(
    arg_name="notes",
    connection="AzureWebJobsStorage",
    table_name="notes",
    partition_key="{user}",
    take=50,
)
def list_notes(req: func.HttpRequest, notes: str) -> func.HttpResponse:
    texts = [row["Text"] for row in json.loads(notes)]
    return func.HttpResponse(json.dumps(texts), mimetype="application/json")


@app.event_grid_trigger(arg_name="event")
@app.table_output(arg_name="row", connection="AzureWebJobsStorage", table_name="events")
def record_event(event: dict, row: func.Out[str]) -> None:
    logging.info("event %s: %s about %s", event["id"], event["eventType"], event["subject"])
    # odata.etag "*": a redelivered event replaces its row instead of failing the insert.
    entity = {
        "PartitionKey": event["eventType"],
        "RowKey": event["id"],
        "Subject": event["subject"],
        "odata.etag": "*",
    }
    row.set(json.dumps(entity))


@app.route(route="events/{event_type}", methods=["GET"])
@app.table_input(
    arg_name="rows",
    connection="AzureWebJobsStorage",
    table_name="events",
    partition_key="{event_type}",
)
def list_events(req: func.HttpRequest, rows: str) -> func.HttpResponse:
    subjects = sorted(row["Subject"] for row in json.loads(rows))
    return func.HttpResponse(json.dumps(subjects), mimetype="application/json")
