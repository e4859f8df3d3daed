"""The real server: ``funcbind run`` in a subprocess, driven over loopback with httpx."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hostrunner import (
    DEFAULT_KEY,
    MASTER_KEY,
    SECRET_OWN_KEY,
    WEBAPP,
    RunningHost,
)

CONSTRAINT_CASES = [
    ("int", "42", "4x"),
    ("long", "9223372036854775807", "9223372036854775808"),
    ("alpha", "abc", "abc1"),
    ("bool", "TRUE", "yes"),
    ("guid", "0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b"),
    ("datetime", "2024-06-18T09:15:27Z", "2024-02-30"),
    ("decimal", "-12.50", "1e5"),
    ("double", "1.5e-3", "one"),
    ("float", "3.25", "3,25"),
]


@pytest.fixture
def client(webapp: RunningHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=webapp.url, timeout=30) as http:
        yield http


def error_of(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str)
    return body["error"]


# -- the app loads, prints its table, and serves -----------------------------------


def test_listens_on_loopback_and_prints_the_function_table(webapp: RunningHost) -> None:
    assert webapp.url.startswith("http://127.0.0.1:")
    output = webapp.output
    assert f"{webapp.url}/api/hello" in output
    # A function key is shown where one is needed: the function's own key for secret.
    assert f"{webapp.url}/api/secret?code={SECRET_OWN_KEY}" in output
    assert f"{webapp.url}/api/other?code={DEFAULT_KEY}" in output
    assert f"{webapp.url}/api/adminonly?code={MASTER_KEY}" in output
    assert f"POST {webapp.url}/admin/functions/queue_job" in output
    assert "Switched" in output and "(disabled)" in output


def test_a_function_that_fails_to_load_is_reported_and_the_others_serve(
    webapp: RunningHost, client: httpx.Client
) -> None:
    webapp.wait_for(r"Broken: .*funcbind_test_module_that_does_not_exist")
    assert client.get("/api/Broken").status_code == 404
    assert client.get("/api/hello").status_code == 200


def test_values_from_local_settings_are_set_before_user_code_is_imported(
    client: httpx.Client,
) -> None:
    response = client.get("/api/hello", params={"name": "Ann"})
    assert response.status_code == 200
    assert response.text == "Howdy, Ann!"


def test_a_disabled_function_is_not_served(client: httpx.Client) -> None:
    assert client.get("/api/Switched").status_code == 404


# -- routing -------------------------------------------------------------------------


@pytest.mark.parametrize(("constraint", "good", "bad"), CONSTRAINT_CASES)
def test_route_constraints(client: httpx.Client, constraint: str, good: str, bad: str) -> None:
    response = client.get(f"/api/typed/{constraint}/{good}")
    assert response.status_code == 200, response.text
    assert response.text == f"{constraint}:{good}"
    failed = client.get(f"/api/typed/{constraint}/{bad}")
    assert failed.status_code == 404
    assert "no function serves" in error_of(failed)


def test_optional_parameters_and_defaults(client: httpx.Client) -> None:
    assert client.get("/api/products/shoes").json() == {"category": "shoes"}
    assert client.get("/api/products/shoes/7").json() == {"category": "shoes", "id": "7"}
    assert client.get("/api/products/shoes/seven").status_code == 404
    assert client.get("/api/pages").text == "page 5"
    assert client.get("/api/pages/9").text == "page 9"


def test_routes_are_case_insensitive_and_values_percent_decoded(client: httpx.Client) -> None:
    assert client.get("/API/Hello").status_code == 200
    response = client.get("/api/typed/alpha/%41bc")
    assert response.text == "alpha:Abc"
    assert client.get("/api/typed/alpha/%C3%A9").status_code == 404  # é is not a-z


def test_unknown_routes_answer_404(client: httpx.Client) -> None:
    for path in ("/api/nope", "/hello", "/api/hello/extra"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert path in error_of(response)
    assert client.get("/").status_code == 200  # the host's landing page


def test_methods_filter_answers_405_with_allow(client: httpx.Client) -> None:
    response = client.delete("/api/hello")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert "DELETE" in error_of(response)
    assert client.get("/api/echo").headers["allow"] == "POST, PUT"


def test_malformed_percent_encoding_answers_400(client: httpx.Client) -> None:
    assert client.get("/api/hello%FF").status_code == 400
    response = client.get("/api/hello?name=%FF")
    assert response.status_code == 400
    assert "query" in error_of(response)
    assert client.get("/api/hello").status_code == 200  # still serving


# -- requests and responses ---------------------------------------------------------------


def test_request_body_headers_query_and_response_cookies(client: httpx.Client) -> None:
    body = bytes(range(256)) * 16
    response = client.post(
        "/api/echo?a=1&a=2&empty=&b=x%20y",
        content=body,
        headers={"x-custom": "seen"},
    )
    assert response.status_code == 201
    assert response.content == body
    assert response.headers["x-body-length"] == str(len(body))
    assert response.headers["x-seen-header"] == "seen"
    # Repeated query keys joined with commas, empty values dropped, as the host does.
    assert json.loads(response.headers["x-query"]) == {"a": "1,2", "b": "x y"}
    assert response.headers["x-url"] == f"{client.base_url}".rstrip("/") + (
        "/api/echo?a=1&a=2&empty=&b=x%20y"
    )
    cookies = response.headers.get_list("set-cookie")
    assert cookies == ["session=abc; Path=/; HttpOnly", "theme=dark; Max-Age=60; SameSite=Lax"]


def test_no_http_output_answers_200_with_an_empty_body(client: httpx.Client) -> None:
    # The Functions host answers OkResult when the function set no response.
    response = client.get("/api/nothing")
    assert response.status_code == 200
    assert response.content == b""


def test_body_over_the_limit_answers_413_and_the_server_keeps_serving(
    webapp: RunningHost,
) -> None:
    with httpx.Client(base_url=webapp.url, timeout=30) as http:
        response = http.post("/api/echo", content=b"x" * 65537)
        assert response.status_code == 413
        assert "65536" in error_of(response)
    with httpx.Client(base_url=webapp.url, timeout=30) as http:
        assert http.post("/api/echo", content=b"x" * 65536).status_code == 201

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
            for _ in range(20):
                yield b"y" * 4096

        assert http.post("/api/echo", content=chunks()).status_code == 413


def test_a_raising_function_answers_500_with_the_invocation_id_only(
    webapp: RunningHost, client: httpx.Client
) -> None:
    response = client.get("/api/boom")
    assert response.status_code == 500
    body = response.json()
    invocation_id = body["invocationId"]
    assert uuid.UUID(invocation_id)
    assert "kaboom" not in response.text and "Traceback" not in response.text
    # The console has the traceback, with the function name and invocation id.
    webapp.wait_for(rf"Executed 'Functions\.boom' \(Failed, Id={invocation_id}, Duration=\d+ms\)")
    webapp.wait_for(r"Exception while executing function: Functions\.boom\. .*ValueError: kaboom")
    webapp.wait_for(r"Traceback \(most recent call last\)")
    assert client.get("/api/hello").status_code == 200


def test_a_wrong_return_type_answers_500(webapp: RunningHost, client: httpx.Client) -> None:
    response = client.get("/api/wrongtype")
    assert response.status_code == 500
    invocation_id = response.json()["invocationId"]
    webapp.wait_for(rf"Executed 'Functions\.wrongtype' \(Failed, Id={invocation_id}, ")
    webapp.wait_for(r"Exception while executing function: Functions\.wrongtype\. .*int 42")


def test_a_function_whose_connection_is_not_set_answers_500_naming_the_setting(
    webapp: RunningHost, client: httpx.Client
) -> None:
    response = client.get("/api/needs-blob/x")
    assert response.status_code == 500
    error = error_of(response)
    assert "binding 'out' (blob): connection setting 'AzureWebJobsStorage' is not set" in error
    # The table printed at start says so too, and that the queue trigger does not listen.
    webapp.wait_for(r"needs_blob: cannot run here: binding 'out' \(blob\)")
    webapp.wait_for(r"queue_job: does not listen \(admin calls still work\)")


def test_log_records_are_printed_as_written_between_executing_and_executed(
    webapp: RunningHost,
) -> None:
    with httpx.Client(base_url=webapp.url) as http:
        http.get("/api/hello", params={"name": "logline"})
    stamp = r"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "
    message = webapp.wait_for(stamp + r"greeting logline$")
    position = webapp.lines.index(message.string)
    starts = [
        i
        for i, line in enumerate(webapp.lines[:position])
        if re.search(
            stamp + r"Executing 'Functions\.hello' \(Reason='This function was "
            r"programmatically called via the host APIs\.', Id=[0-9a-f-]{36}\)$",
            line,
        )
    ]
    assert starts, webapp.output[-2000:]
    invocation_id = webapp.lines[starts[-1]].rsplit("Id=", 1)[1].rstrip(")")
    webapp.wait_for(
        rf"Executed 'Functions\.hello' \(Succeeded, Id={invocation_id}, Duration=\d+ms\)"
    )


# -- keys ------------------------------------------------------------------------------


def test_function_keys(client: httpx.Client) -> None:
    def status(path: str, key: str | None = None, *, header: bool = True) -> int:
        if key is None:
            return client.get(path).status_code
        if header:
            return client.get(path, headers={"x-functions-key": key}).status_code
        return client.get(path, params={"code": key}).status_code

    unauthorized = client.get("/api/secret")
    assert unauthorized.status_code == 401
    assert "x-functions-key" in error_of(unauthorized)
    assert status("/api/secret", "wrong") == 401
    assert status("/api/secret", "wrong", header=False) == 401
    for key in (SECRET_OWN_KEY, DEFAULT_KEY, MASTER_KEY):
        assert status("/api/secret", key) == 200
        assert status("/api/secret", key, header=False) == 200
    assert client.get("/api/secret", params={"code": DEFAULT_KEY}).text == "secret ok"
    # A function's own key opens only that function.
    assert status("/api/other", SECRET_OWN_KEY) == 401
    assert status("/api/other", DEFAULT_KEY) == 200
    # Admin level: the master key only.
    assert status("/api/adminonly", DEFAULT_KEY) == 401
    assert status("/api/adminonly", MASTER_KEY, header=False) == 200
    # function.json folders too.
    guid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert status(f"/api/legacy/{guid}") == 401
    assert client.get(f"/api/legacy/{guid}", params={"code": DEFAULT_KEY}).text == f"legacy {guid}"


def test_keys_are_not_printed_in_request_logs(webapp: RunningHost) -> None:
    # Only --verbose prints request lines; here: the key never shows outside the table.
    table_end = next(i for i, line in enumerate(webapp.lines) if "listening on" in line)
    later = "\n".join(webapp.lines[table_end:])
    assert SECRET_OWN_KEY not in later


# -- admin invoke ----------------------------------------------------------------------------


def wait_for_file(path: Path, timeout: float = 30) -> dict[str, object]:
    """The JSON a function wrote, once it is complete (the function writes it in steps)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            data: dict[str, object] = json.loads(path.read_text())
            return data
        except (FileNotFoundError, ValueError):
            assert time.monotonic() < deadline, f"{path} was never written"
            time.sleep(0.05)


def test_admin_invoke_runs_a_queue_function_with_the_input(
    client: httpx.Client, out_dir: Path
) -> None:
    response = client.post(
        "/admin/functions/queue_job",
        json={"input": "job payload"},
        headers={"x-functions-key": MASTER_KEY},
    )
    assert response.status_code == 202
    invocation_id = response.json()["invocationId"]
    record = wait_for_file(out_dir / f"{invocation_id}.json")
    assert record["kind"] == "queue"
    payload = record["payload"]
    assert isinstance(payload, dict)
    assert payload["body"] == "job payload"
    assert uuid.UUID(str(payload["id"]))


def test_admin_invoke_runs_a_timer_function(client: httpx.Client, out_dir: Path) -> None:
    response = client.post(
        "/admin/functions/TIMER_JOB", params={"code": MASTER_KEY}, json={"input": ""}
    )
    assert response.status_code == 202
    record = wait_for_file(out_dir / f"{response.json()['invocationId']}.json")
    assert record == {"kind": "timer", "payload": {"past_due": False}}


def test_admin_invoke_errors(client: httpx.Client) -> None:
    master = {"x-functions-key": MASTER_KEY}
    assert client.post("/admin/functions/queue_job", json={"input": "x"}).status_code == 401
    denied = client.post(
        "/admin/functions/queue_job", json={"input": "x"}, headers={"x-functions-key": DEFAULT_KEY}
    )
    assert denied.status_code == 401
    missing = client.post("/admin/functions/nope", json={"input": "x"}, headers=master)
    assert missing.status_code == 404
    http_function = client.post("/admin/functions/hello", json={"input": "x"}, headers=master)
    assert http_function.status_code == 400
    assert "call it at its URL" in error_of(http_function)
    bad_json = client.post("/admin/functions/queue_job", content=b"{nope", headers=master)
    assert bad_json.status_code == 400
    # GET is the host's function metadata; PUT is not served.
    assert client.get("/admin/functions/queue_job", headers=master).json()["name"] == "queue_job"
    assert client.put("/admin/functions/queue_job", headers=master).status_code == 405
    assert client.get("/admin/host/status").status_code == 401  # the master key, as the host
    assert client.get("/admin/host/status", headers=master).json()["state"] == "Running"


# -- load --------------------------------------------------------------------------------


def test_200_concurrent_requests_all_succeed(webapp: RunningHost) -> None:
    async def main() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=webapp.url, timeout=60, limits=limits) as http:
            calls = []
            for n in range(200):
                if n % 4 == 0:
                    calls.append(http.get("/api/slow", params={"ms": "50"}))
                elif n % 4 == 1:
                    calls.append(http.post("/api/echo", content=f"body {n}".encode()))
                else:
                    calls.append(http.get("/api/hello", params={"name": str(n)}))
            return await asyncio.gather(*calls)

    responses = asyncio.run(main())
    for n, response in enumerate(responses):
        if n % 4 == 0:
            assert (response.status_code, response.text) == (200, "slow done")
        elif n % 4 == 1:
            assert (response.status_code, response.content) == (201, f"body {n}".encode())
        else:
            assert (response.status_code, response.text) == (200, f"Howdy, {n}!")


# -- other instances: --no-auth, shutdown ------------------------------------------


def test_no_auth_turns_key_checks_off(out_dir: Path) -> None:
    host = RunningHost(WEBAPP, "--no-auth", env={"FUNCBIND_TEST_OUT": str(out_dir)})
    try:
        with httpx.Client(base_url=host.url, timeout=30) as http:
            assert http.get("/api/secret").text == "secret ok"
            assert http.get("/api/adminonly").status_code == 200
            invoked = http.post("/admin/functions/timer_job", json={"input": ""})
            assert invoked.status_code == 202
            wait_for_file(out_dir / f"{invoked.json()['invocationId']}.json")
        # No key in the URLs: none is needed.
        assert f"{host.url}/api/secret\n" in host.output + "\n" or "?code=" not in host.output
        assert "auth is off" in host.output
    finally:
        assert host.stop() == 0


def test_ctrl_c_lets_in_flight_requests_finish() -> None:
    host = RunningHost(WEBAPP, "--verbose", "--log-format", "funcbind")
    result: dict[str, object] = {}

    def slow_call() -> None:
        with httpx.Client(base_url=host.url, timeout=60) as http:
            response = http.get("/api/slow", params={"ms": "1500"})
            result["status"], result["text"] = response.status_code, response.text

    caller = threading.Thread(target=slow_call)
    try:
        caller.start()
        host.wait_for(r"slow \([0-9a-f-]{36}\) executing")
        host.process.send_signal(signal.SIGINT)
        caller.join(60)
        assert result == {"status": 200, "text": "slow done"}
        # The one Ctrl-C stops the host: host.stop() would send a second one, which
        # could land while the process is still ending.
        assert host.exit_status() == 0
        assert "stopped" in host.lines[-1]
        # --verbose printed the request line with its status and timing.
        assert any("GET /api/slow?ms=1500 -> 200 in" in line for line in host.lines)
    finally:
        caller.join(60)
        host.stop()
