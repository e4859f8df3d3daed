"""``Out[memoryview]`` on a blob output.  The stock registry refuses the annotation
when the worker indexes the app.

One function per script: the worker indexes a whole script or fails it.
"""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

STORAGE = "AzureWebJobsStorage"


@app.route(route="view/{name}", methods=["POST"])
@app.blob_output(arg_name="out", path="saved/{name}", connection=STORAGE)
def save_view(req: func.HttpRequest, out: func.Out[memoryview]) -> str:
    """A memoryview on a blob output."""
    out.set(memoryview(req.get_body()))
    return "saved"
