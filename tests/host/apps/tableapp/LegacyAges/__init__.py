import json

import azure.functions as func


def main(req: func.HttpRequest, people: str) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(sorted(row["Name"] for row in json.loads(people))))
