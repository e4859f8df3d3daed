"""A test app for queue outputs holding JSON: each function writes what it was given to
the queue ``OUT_QUEUE`` (an app setting, so each test run has its own on the shared
Azurite), as the text, as bytes or as a list."""

import json

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="text", methods=["POST"])
@app.queue_output(arg_name="out", queue_name="%OUT_QUEUE%", connection="AzureWebJobsStorage")
def text(req: func.HttpRequest, out: func.Out[str]) -> func.HttpResponse:
    """The body as a string: a string that reads as a JSON array is one message per item."""
    out.set(req.get_body().decode())
    return func.HttpResponse("sent")


@app.route(route="bytes", methods=["POST"])
@app.queue_output(arg_name="out", queue_name="%OUT_QUEUE%", connection="AzureWebJobsStorage")
def as_bytes(req: func.HttpRequest, out: func.Out[bytes]) -> func.HttpResponse:
    """The body as bytes: always one message."""
    out.set(req.get_body())
    return func.HttpResponse("sent")


@app.route(route="list", methods=["POST"])
@app.queue_output(arg_name="out", queue_name="%OUT_QUEUE%", connection="AzureWebJobsStorage")
def as_list(req: func.HttpRequest, out: func.Out[list[str]]) -> func.HttpResponse:
    """The body, a JSON array of strings, set as a list."""
    out.set(json.loads(req.get_body()))
    return func.HttpResponse("sent")
