"""The v2 app the real worker indexes and runs, once per binding registry.

Every function reports what its converters gave it (the decoded request, stream or
message) through an output, so a decoding difference shows up in the
InvocationResponse the two runs are compared on.
"""

from __future__ import annotations

import json
import os
import sys
import typing

import azure.functions as func


def _use_funcbind_registry() -> None:
    """Plug funcbind's registry into the worker from the app (docs/compatibility.md).

    The worker loaded its registry before importing this module and indexes the
    functions after, so replacing the loaded one here is in time; replacing
    ``get_binding_registry`` covers the worker's later reloads.
    """
    import funcbind

    func.get_binding_registry = funcbind.get_binding_registry
    for worker in ("azure_functions_runtime", "azure_functions_worker"):  # 3.13+, older
        meta = sys.modules.get(f"{worker}.bindings.meta")
        if meta is not None:
            meta.BINDING_REGISTRY = funcbind.get_binding_registry()


if os.environ.get("FUNCBIND_WORKER_REGISTRY") == "1":  # an app setting
    _use_funcbind_registry()

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

STORAGE = "AzureWebJobsStorage"


def _isoformat(moment: typing.Any) -> str | None:
    return None if moment is None else moment.isoformat()


@app.route(route="hello/{who}", methods=["GET", "POST"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    """Echo what the request decoded to: the HTTP path of both converters."""
    body = req.get_body()
    try:
        parsed = req.get_json()
    except ValueError:
        parsed = None
    report = {
        "method": req.method,
        "url": req.url,
        "headers": dict(sorted(req.headers.items())),
        "content_type": req.headers.get("Content-Type"),
        "params": dict(sorted(req.params.items())),
        "route_params": dict(req.route_params),
        "body": body.decode("utf-8", "replace"),
        "json": parsed,
        "form": {key: req.form.getlist(key) for key in sorted(req.form)},
    }
    return func.HttpResponse(
        json.dumps(report, sort_keys=True),
        status_code=201,
        mimetype="application/json",
        headers={"X-Greeting": f"hello {req.route_params.get('who')}"},
    )


@app.route(route="plain")
def plain(req: func.HttpRequest) -> str:
    """A str return value on the http output."""
    return f"plain {req.params.get('q', '')}"


@app.route(route="cookies")
def cookies(req: func.HttpRequest) -> func.HttpResponse:
    """Set-Cookie headers become RpcHttpCookies; the stock path sends unset attributes."""
    response = func.HttpResponse("cookies", headers={"Cache-Control": "no-store"})
    response.headers.add("Set-Cookie", "session=abc123; Path=/; HttpOnly; Max-Age=3600")
    response.headers.add("Set-Cookie", "theme=dark; Secure; SameSite=Lax")
    return response


@app.route(route="docs/{name}")
@app.blob_input(arg_name="doc", path="docs/{name}", connection=STORAGE)
def read_doc(req: func.HttpRequest, doc: func.InputStream) -> func.HttpResponse:
    """A blob input decoded to an InputStream."""
    head = doc.read(4)
    rest = doc.read()
    report = {
        "head": head.decode("latin-1"),
        "rest": rest.decode("latin-1"),
        "name": doc.name,
        "uri": doc.uri,
        "length": doc.length,
    }
    return func.HttpResponse(json.dumps(report, sort_keys=True), mimetype="application/json")


@app.route(route="docs-text/{name}")
@app.blob_input(arg_name="doc", path="docs/{name}", connection=STORAGE, data_type="string")
def read_doc_text(req: func.HttpRequest, doc: str) -> str:
    """A blob input annotated str: the worker routes it to the generic binding."""
    return f"{len(doc)}:{doc}"


@app.route(route="save/{name}", methods=["POST"])
@app.blob_output(arg_name="out", path="saved/{name}", connection=STORAGE)
@app.blob_output(arg_name="copy", path="copies/{name}", connection=STORAGE)
def save(req: func.HttpRequest, out: func.Out[bytes], copy: func.Out[str]) -> func.HttpResponse:
    """Blob outputs: Out[bytes] and Out[str] (the generic binding on the worker side)."""
    body = req.get_body()
    out.set(body)
    copy.set(body.decode("utf-8", "replace").upper())
    return func.HttpResponse(status_code=202)


@app.route(route="save-stream/{name}", methods=["POST"])
@app.blob_output(arg_name="out", path="saved/{name}", connection=STORAGE)
def save_stream(req: func.HttpRequest, out: func.Out[func.InputStream]) -> func.HttpResponse:
    """A blob output annotated InputStream: the blob converter itself encodes the text."""
    out.set(req.get_body().decode("utf-8", "replace"))
    return func.HttpResponse("saved")


@app.route(route="save-bytearray/{name}", methods=["POST"])
@app.blob_output(arg_name="out", path="saved/{name}", connection=STORAGE)
def save_bytearray(req: func.HttpRequest, out: func.Out[bytearray]) -> func.HttpResponse:
    """A bytearray on a blob output (Out[bytearray] goes to the blob converter)."""
    out.set(bytearray(req.get_body()))
    return func.HttpResponse("saved")


@app.route(route="enqueue", methods=["POST"])
@app.queue_output(arg_name="msgs", queue_name="work", connection=STORAGE)
def enqueue(req: func.HttpRequest, msgs: func.Out[typing.List[str]]) -> func.HttpResponse:
    """A queue output of several messages (the queue converter)."""
    lines = req.get_body().decode("utf-8").splitlines()
    msgs.set(lines)
    return func.HttpResponse(f"{len(lines)} queued")


@app.queue_trigger(arg_name="msg", queue_name="work", connection=STORAGE)
@app.queue_output(arg_name="$return", queue_name="done", connection=STORAGE)
def on_message(msg: func.QueueMessage) -> str:
    """A queue trigger; the decoded message goes out as one queue message."""
    report = {
        "id": msg.id,
        "body": msg.get_body().decode("utf-8", "replace"),
        "dequeue_count": msg.dequeue_count,
        "pop_receipt": msg.pop_receipt,
        "insertion_time": _isoformat(msg.insertion_time),
        "expiration_time": _isoformat(msg.expiration_time),
        "time_next_visible": _isoformat(msg.time_next_visible),
    }
    return json.dumps(report, sort_keys=True)


@app.queue_trigger(arg_name="msg", queue_name="json-work", connection=STORAGE)
@app.queue_output(arg_name="out", queue_name="json-done", connection=STORAGE)
def on_json_message(msg: func.QueueMessage, out: func.Out[func.QueueMessage]) -> None:
    """A QueueMessage set on a queue output (encoded as {"id", "body"})."""
    out.set(func.QueueMessage(id="copy-of-" + str(msg.id), body=json.dumps(msg.get_json())))


@app.timer_trigger(arg_name="timer", schedule="0 */5 * * * *", run_on_startup=False)
@app.queue_output(arg_name="ticks", queue_name="ticks", connection=STORAGE)
def tick(timer: func.TimerRequest, ticks: func.Out[str]) -> None:
    """A timer trigger; what it decoded goes to a queue."""
    report = {
        "past_due": timer.past_due,
        "schedule": timer.schedule,
        "schedule_status": timer.schedule_status,
    }
    ticks.set(json.dumps(report, sort_keys=True))


@app.blob_trigger(arg_name="blob", path="uploads/{name}", connection=STORAGE)
@app.queue_output(arg_name="notes", queue_name="uploads", connection=STORAGE)
def on_upload(blob: func.InputStream, notes: func.Out[str]) -> None:
    """A blob trigger: content and trigger metadata."""
    report = {
        "name": blob.name,
        "uri": blob.uri,
        "length": blob.length,
        "content": blob.read().decode("utf-8", "replace"),
    }
    notes.set(json.dumps(report, sort_keys=True))


# -- Cosmos DB, SQL and MySQL: JSON row lists -------------------------------------------------


def _rows_report(rows: typing.Any) -> dict[str, typing.Any]:
    """What a row list decoded to: its class, and each row's class and contents."""
    return {
        "is_stock_list": isinstance(rows, func.DocumentList | func.SqlRowList | func.MySqlRowList),
        "rows": [None if row is None else [type(row).__name__, dict(row)] for row in rows or ()],
    }


@app.cosmos_db_trigger(
    arg_name="documents",
    connection="CosmosDBConnection",
    database_name="shop",
    container_name="orders",
    lease_container_name="leases",
)
@app.cosmos_db_output(
    arg_name="audit", connection="CosmosDBConnection", database_name="shop", container_name="audit"
)
def on_orders(documents: func.DocumentList, audit: func.Out[func.DocumentList]) -> None:
    """A change feed batch; one audit document per changed document (decode and encode)."""
    audit.set(
        func.DocumentList(
            func.Document(
                {
                    "id": f"audit-{document['id']}",
                    "keys": sorted(document.keys()),
                    "total": document.get("total"),
                    "report": _rows_report(documents) if index == 0 else None,
                }
            )
            for index, document in enumerate(documents)
            if document is not None
        )
    )


@app.route(route="products/{cost}")
@app.sql_input(
    arg_name="products",
    command_text="SELECT * FROM dbo.Products WHERE Cost = @Cost",
    command_type="Text",
    parameters="@Cost={cost}",
    connection_string_setting="SqlConnectionString",
)
@app.sql_output(
    arg_name="seen",
    command_text="dbo.ProductsSeen",
    connection_string_setting="SqlConnectionString",
)
def products(
    req: func.HttpRequest, products: func.SqlRowList, seen: func.Out[func.SqlRowList]
) -> func.HttpResponse:
    """A SQL input (the rows go back in the response) and a SQL output of new rows."""
    seen.set(func.SqlRowList(func.SqlRow({"ProductId": row["ProductId"]}) for row in products))
    return func.HttpResponse(json.dumps(_rows_report(products)), mimetype="application/json")


@app.mysql_trigger(
    arg_name="changes", table_name="Products", connection_string_setting="MySqlConnectionString"
)
@app.mysql_output(
    arg_name="$return",
    command_text="ProductsAudit",
    connection_string_setting="MySqlConnectionString",
)
def on_product_changes(changes: func.MySqlRowList) -> func.MySqlRow:
    """A MySQL change list; one summary row goes out through the return value."""
    return func.MySqlRow(
        {
            "operations": [change["Operation"] for change in changes],
            "report": json.dumps(_rows_report(changes), sort_keys=True),
        }
    )


@app.sql_trigger(
    arg_name="changes", table_name="dbo.Products", connection_string_setting="SqlConnectionString"
)
@app.queue_output(arg_name="notes", queue_name="sql-changes", connection=STORAGE)
def on_sql_changes(changes: str, notes: func.Out[str]) -> None:
    """sqlTrigger: neither registry serves it (azure.functions 1.26 and 2.x lack it), so the
    worker's generic binding hands over the change list as text."""
    notes.set(changes)


@app.event_grid_trigger(arg_name="event")
@app.event_grid_output(
    arg_name="forward", topic_endpoint_uri="TopicEndpoint", topic_key_setting="TopicKey"
)
def on_event(event: func.EventGridEvent, forward: func.Out[func.EventGridOutputEvent]) -> None:
    """An Event Grid trigger (Event Grid schema or CloudEvents, as the payload says);
    what it decoded goes out as an EventGridOutputEvent (the eventGrid converter)."""
    if isinstance(event, func.CloudEvent):
        report: dict[str, typing.Any] = {
            "class": "CloudEvent",
            "source": event.source,
            "type": event.type,
            "specversion": event.specversion,
            "time": _isoformat(event.time),
            "datacontenttype": event.datacontenttype,
            "dataschema": event.dataschema,
            "extension_attrs": event.extension_attrs,
        }
        moment, kind = event.time, event.type
    else:
        report = {
            "class": "EventGridEvent",
            "topic": event.topic,
            "event_type": event.event_type,
            "event_time": _isoformat(event.event_time),
            "data_version": event.data_version,
        }
        moment, kind = event.event_time, event.event_type
    report["data"] = event.get_json()
    forward.set(
        func.EventGridOutputEvent(
            id=f"seen-{event.id}",
            data=report,
            subject=str(event.subject),
            event_type=str(kind),
            event_time=moment,
            data_version="1.0",
        )
    )


def _kafka_report(event: func.KafkaEvent) -> dict[str, typing.Any]:
    return {
        "body": event.get_body().decode("utf-8", "replace"),
        "key": event.key,
        "offset": event.offset,
        "partition": event.partition,
        "topic": event.topic,
        "timestamp": event.timestamp,
        "headers": event.headers,
        "metadata_keys": sorted(event.metadata or {}),
    }


@app.kafka_trigger(
    arg_name="record", topic="orders", broker_list="BrokerList", consumer_group="$Default"
)
@app.queue_output(arg_name="$return", queue_name="kafka-seen", connection=STORAGE)
def on_record(record: func.KafkaEvent) -> str:
    """A Kafka trigger, one record; what it decoded goes to a queue."""
    return json.dumps(_kafka_report(record), sort_keys=True)


@app.kafka_trigger(
    arg_name="records",
    topic="orders",
    broker_list="BrokerList",
    consumer_group="$Default",
    cardinality="many",
    data_type="string",
)
@app.queue_output(arg_name="$return", queue_name="kafka-seen", connection=STORAGE)
def on_records(records: typing.List[func.KafkaEvent]) -> str:
    """A Kafka trigger, a batch (cardinality many)."""
    return json.dumps([_kafka_report(record) for record in records], sort_keys=True)


@app.event_hub_message_trigger(
    arg_name="events",
    event_hub_name="telemetry",
    connection="EventHubConnection",
    cardinality=func.Cardinality.MANY,
)
@app.event_hub_output(
    arg_name="$return", event_hub_name="summaries", connection="EventHubConnection"
)
def on_events(events: typing.List[func.EventHubEvent]) -> str:
    """An Event Hubs batch (cardinality many): every event's body and system properties."""
    report = [
        {
            "body": event.get_body().decode("utf-8", "replace"),
            "enqueued_time": _isoformat(event.enqueued_time),
            "sequence_number": event.sequence_number,
            "offset": event.offset,
            "partition_key": event.partition_key,
            "iothub_metadata": event.iothub_metadata,
            "metadata_keys": sorted(event.metadata or {}),
        }
        for event in events
    ]
    return json.dumps(report, sort_keys=True)


@app.service_bus_queue_trigger(arg_name="msg", queue_name="orders", connection="ServiceBus")
@app.service_bus_queue_output(arg_name="$return", queue_name="processed", connection="ServiceBus")
def on_order(msg: func.ServiceBusMessage) -> str:
    """A Service Bus message: the body and every property the extension sends."""
    report = {
        name: getattr(msg, name)
        for name in (
            "application_properties",
            "content_type",
            "correlation_id",
            "dead_letter_error_description",
            "dead_letter_reason",
            "dead_letter_source",
            "delivery_count",
            "enqueued_sequence_number",
            "label",
            "lock_token",
            "message_id",
            "partition_key",
            "reply_to",
            "reply_to_session_id",
            "sequence_number",
            "session_id",
            "state",
            "subject",
            "to",
            "transaction_partition_key",
            "user_properties",
        )
    }
    report["body"] = msg.get_body().decode("utf-8", "replace")
    for name in ("enqueued_time_utc", "expires_at_utc", "locked_until"):
        report[name] = _isoformat(getattr(msg, name))
    report["time_to_live"] = str(msg.time_to_live)
    return json.dumps(report, sort_keys=True)
