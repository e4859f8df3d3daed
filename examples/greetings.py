"""A blueprint: functions defined in their own module and registered by function_app.py."""

import azure.functions as func

bp = func.Blueprint()


@bp.route(route="greet/{name}", methods=["GET"])
async def greet(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"Hi, {req.route_params['name']}!", mimetype="text/plain")
