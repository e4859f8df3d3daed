"""``-> None`` on an HTTP function: no response, the host answers 204.  The stock
registry refuses the annotation when the worker indexes the app.

One function per script: the worker indexes a whole script or fails it.
"""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="nothing")
def nothing(req: func.HttpRequest) -> None:
    """-> None on an HTTP function: no response, the host answers 204."""
