"""A test app for table bindings on Azurite: inputs by keys and by query, outputs of one
entity and of many, a TableClient (the function.json folders beside it add filters and a
blob trigger fed by Event Grid).  The table's name comes from the app setting
``TABLE_NAME``, so each test module gives its host a table of its own on the shared
Azurite."""

import json

import azure.functions as func
from azure.data.tables import TableClient

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="people/{team}/{id}", methods=["GET"])
@app.table_input(
    arg_name="person",
    connection="AzureWebJobsStorage",
    table_name="%TABLE_NAME%",
    partition_key="{team}",
    row_key="{id}",
)
def get_person(req: func.HttpRequest, person: str | None) -> func.HttpResponse:
    if person is None:
        return func.HttpResponse("no such person", status_code=404)
    return func.HttpResponse(person, mimetype="application/json")


@app.route(route="teams/{team}", methods=["GET"])
@app.table_input(
    arg_name="people",
    connection="AzureWebJobsStorage",
    table_name="%TABLE_NAME%",
    partition_key="{team}",
    filter="Role eq '{role}'",
    take=2,
)
def list_team(req: func.HttpRequest, people: str) -> func.HttpResponse:
    return func.HttpResponse(people, mimetype="application/json")


@app.route(route="people", methods=["POST"])
@app.table_output(arg_name="rows", connection="AzureWebJobsStorage", table_name="%TABLE_NAME%")
def add_people(req: func.HttpRequest, rows: func.Out[str]) -> func.HttpResponse:
    rows.set(req.get_body().decode())
    return func.HttpResponse("stored", status_code=201)


@app.route(route="people/{team}/{id}", methods=["PUT"])
@app.table_output(
    arg_name="row",
    connection="AzureWebJobsStorage",
    table_name="%TABLE_NAME%",
    partition_key="{team}",
    row_key="{id}",
)
def put_person(req: func.HttpRequest, row: func.Out[str]) -> func.HttpResponse:
    row.set(json.dumps(req.get_json()))
    return func.HttpResponse("stored", status_code=201)


@app.route(route="count/{team}", methods=["GET"])
@app.table_input(arg_name="client", connection="AzureWebJobsStorage", table_name="%TABLE_NAME%")
def count_team(req: func.HttpRequest, client: TableClient) -> func.HttpResponse:
    team = req.route_params["team"]
    found = client.query_entities("PartitionKey eq @team", parameters={"team": team})
    return func.HttpResponse(str(len(list(found))))
