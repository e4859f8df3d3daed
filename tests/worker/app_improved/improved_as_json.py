"""``-> dict`` on an HTTP function: a JSON response.  The stock registry refuses the
annotation when the worker indexes the app.

One function per script: the worker indexes a whole script or fails it.
"""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="as-json")
def as_json(req: func.HttpRequest) -> dict:
    """A dict return value on the http output: a JSON response."""
    return {"method": req.method, "query": dict(req.params)}
