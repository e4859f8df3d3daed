"""An HTTP-only app for the test client's httpx side: cookies and echoes, no storage."""

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="login")
def login(req: func.HttpRequest) -> func.HttpResponse:
    user = req.params.get("user", "ann")
    return func.HttpResponse("welcome", headers={"Set-Cookie": f"session={user}; Path=/"})


@app.route(route="whoami")
def whoami(req: func.HttpRequest) -> str:
    return req.headers.get("cookie", "(no cookie)")


@app.route(route="echo/{*rest}")
def echo(req: func.HttpRequest) -> str:
    return f"{req.route_params.get('rest')}?{req.params.get('q', '')}"
