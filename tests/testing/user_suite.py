"""A user's test file for examples/: run by test_pytest_plugin.py against the in-process
client and against a live ``funcbind run`` (``--funcbind-url``), unchanged."""


def test_hello(function_app):
    response = function_app.http.get("/api/HttpHello", params={"name": "Ann"})
    assert (response.status_code, response.text) == (200, "Hello, Ann!")


def test_post_with_a_query_value(function_app):
    assert function_app.http.post("/api/HttpHello?user=Bo").text == "Hello, Bo!"


def test_blueprint_route_and_method(function_app):
    assert function_app.http.get("/api/greet/Dee").text == "Hi, Dee!"
    assert function_app.http.post("/api/greet/Dee").status_code == 405


def test_custom_entry_point_sees_the_url(function_app):
    response = function_app.http.post("/api/custom", content=b"{}")
    assert response.headers["x-entry-point"] == "customentry"
    assert response.text.startswith("customentry in main.py answered POST http://")


def test_context_details(function_app):
    details = function_app.http.get("/api/ContextEcho", params={"details": "1"}).json()
    assert details["function_name"] == "ContextEcho" and details["retry_count"] == 0


def test_unknown_path(function_app):
    response = function_app.http.get("/api/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"error": "no function serves /api/nothing/here"}


def test_events_fixture(events):
    assert events.queue("x", dequeue_count=2).metadata["DequeueCount"].value == "2"
