"""``-> bytes`` on an HTTP function: an octet-stream response.  The stock registry
refuses the annotation when the worker indexes the app.

One function per script: the worker indexes a whole script or fails it.
"""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="as-bytes")
def as_bytes(req: func.HttpRequest) -> bytes:
    """A bytes return value on the http output: an octet-stream response."""
    return b"\x00\x01raw"
