"""A test app for host.json and local.settings.json handling (no Keys: they are generated)."""

import asyncio

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="kept")
def kept(req: func.HttpRequest) -> str:
    return "kept"


@app.route(route="excluded")
def excluded(req: func.HttpRequest) -> str:
    return "not in the host.json allow-list: never served"


@app.route(route="sleeper")
async def sleeper(req: func.HttpRequest) -> str:
    await asyncio.sleep(5)  # longer than functionTimeout
    return "too late"


@app.route(route="keyed", auth_level=func.AuthLevel.FUNCTION)
def keyed(req: func.HttpRequest) -> str:
    return "keyed ok"


@app.route(route="echo-size", methods=["POST"])
def echo_size(req: func.HttpRequest) -> str:
    return str(len(req.get_body()))
