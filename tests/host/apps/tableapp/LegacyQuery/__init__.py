import json

import azure.functions as func


def main(req: func.HttpRequest, people: str) -> func.HttpResponse:
    rows = json.loads(people)
    return func.HttpResponse(json.dumps(sorted(row["RowKey"] for row in rows)))
