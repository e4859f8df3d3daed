import azure.functions as func


def main(req: func.HttpRequest, rows: func.Out[str]) -> func.HttpResponse:
    rows.set(req.get_body().decode())
    return func.HttpResponse("stored", status_code=201)
