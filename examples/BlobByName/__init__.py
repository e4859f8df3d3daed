"""Blob input bound by a route value: GET /api/files/{name} returns samples/{name}."""

import logging

import azure.functions as func


def main(req: func.HttpRequest, obj: func.InputStream | None) -> func.HttpResponse:
    name = req.route_params.get("name")
    if obj is None:
        return func.HttpResponse(f"No blob named {name!r} in 'samples'.", status_code=404)
    content = obj.read()
    logging.info("Python HTTP triggered function read samples/%s (%d bytes)", name, len(content))
    return func.HttpResponse(content, mimetype="application/octet-stream")
