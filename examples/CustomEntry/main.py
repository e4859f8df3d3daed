"""A custom ``scriptFile`` (main.py) and ``entryPoint`` (customentry)."""

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    # Not the entry point: function.json names customentry.
    raise RuntimeError("main() must not be called; the entry point is customentry()")


def customentry(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        f"customentry in main.py answered {req.method} {req.url}",
        headers={"x-entry-point": "customentry"},
    )
