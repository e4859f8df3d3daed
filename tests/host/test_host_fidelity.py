"""The host behaviours of issue 18 through the real ``funcbind run``, real HTTP and Azurite:
HTTP results with no HTTP output, queue messages as the host stores them, the host's own
endpoints, warm-up, retries, triggers with no local source, Core Tools' console lines,
and queue listeners woken by the host's own writes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostrunner import APPS, MASTER_KEY, RunningHost
from storagekit import azurite_env, queue_texts, records, send, unique, wait_until

from funcbind.host.azurite import Azurite

pytestmark = pytest.mark.azurite

FIDELITY_APP = APPS / "fidelityapp"
ADMIN = {"x-functions-key": MASTER_KEY}
ID = r"[0-9a-f-]{36}"


def queues() -> dict[str, str]:
    return {
        "CHAIN_QUEUE": unique("chain"),
        "CONTROL_QUEUE": unique("control"),
        "NOTES_QUEUE": unique("notes"),
    }


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    return queues()


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fidelity")


@pytest.fixture(scope="module")
def host(azurite: Azurite, names: dict[str, str], out_dir: Path) -> Iterator[RunningHost]:
    env = {**azurite_env(azurite), "FUNCBIND_TEST_OUT": str(out_dir), **names}
    running = RunningHost(FIDELITY_APP, env=env)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def http(host: RunningHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.url, timeout=30) as client:
        yield client


def queue_client(azurite: Azurite, name: str) -> Any:
    from azure.storage.queue import QueueClient

    return QueueClient.from_connection_string(azurite.connection_string, name)


# -- 1. HTTP results and queue messages as the host gives them ---------------------------


def test_no_http_output_answers_200_with_an_empty_body(
    host: RunningHost, http: httpx.Client, out_dir: Path, names: dict[str, str]
) -> None:
    response = http.post("/api/enqueue", content=b"chain-1")
    assert (response.status_code, response.content) == (200, b"")
    # The return value went to the queue, whose trigger ran with the host's reason.
    wait_until(lambda: [r for r in records(out_dir, "chained") if r["body"] == "chain-1"])
    queue = re.escape(names["CHAIN_QUEUE"])
    host.wait_for(
        rf"Executing 'Functions\.chained' \(Reason='New queue message detected on "
        rf"'{queue}'\.', Id={ID}\)"
    )


def test_a_queue_message_is_stored_as_the_host_stores_it(
    azurite: Azurite, http: httpx.Client, names: dict[str, str]
) -> None:
    response = http.post("/api/enqueue-message", content=b"hello")
    assert (response.status_code, response.content) == (200, b"")
    notes = queue_client(azurite, names["NOTES_QUEUE"])
    [text] = wait_until(lambda: queue_texts(notes), what="the note")
    # The host stores the JSON object the worker sends, re-serialised compactly.
    assert text == '{"id":null,"body":"hello"}'


# -- 2. the host's own endpoints ------------------------------------------------------------


def test_the_landing_page(http: httpx.Client) -> None:
    response = http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "up and running" in response.text


def test_ping_needs_no_key(http: httpx.Client) -> None:
    for method in ("GET", "POST"):
        response = http.request(method, "/admin/host/ping")
        assert (response.status_code, response.content) == (200, b"")
    assert http.put("/admin/host/ping").status_code == 405


def test_status_needs_the_master_key(http: httpx.Client) -> None:
    refused = http.get("/admin/host/status")
    assert refused.status_code == 401
    assert "master key" in refused.json()["error"]
    status = http.get("/admin/host/status", headers=ADMIN).json()
    assert status["state"] == "Running"
    assert status["id"] == "fidelityapp"
    assert status["version"] and status["processUptime"] >= 0


def test_host_endpoint_errors_name_what_is_wrong(http: httpx.Client) -> None:
    for path in ("/admin/host/status", "/admin/functions", "/admin/functions/enqueue"):
        refused = http.get(path, headers={"x-functions-key": "wrong"})
        assert refused.status_code == 401
        assert (
            "master key" in refused.json()["error"] and "x-functions-key" in refused.json()["error"]
        )
    missing = http.get("/admin/functions/ghost", headers=ADMIN)
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": "function 'ghost' does not exist"},
    )


def test_status_reports_funcbinds_version(http: httpx.Client) -> None:
    import funcbind

    status = http.get("/admin/host/status", headers=ADMIN).json()
    assert status["version"] == funcbind.__version__
    assert status["versionDetails"] == f"funcbind {funcbind.__version__}"


def test_the_vfs_links_are_not_served(http: httpx.Client) -> None:
    script = http.get("/admin/functions/enqueue", headers=ADMIN).json()["script_href"]
    assert script.endswith("/admin/vfs/function_app.py")
    assert http.get(script, headers=ADMIN).status_code == 404


def test_function_metadata_as_the_host_lists_it(host: RunningHost, http: httpx.Client) -> None:
    assert http.get("/admin/functions").status_code == 401
    listed = http.get("/admin/functions", headers=ADMIN).json()
    assert [f["name"] for f in listed] == [
        "chained",
        "control",
        "enqueue",
        "enqueue_message",
        "hub",
        "retried",
        "warm",
    ]
    one = http.get("/admin/functions/ENQUEUE", headers=ADMIN).json()
    assert one["name"] == "enqueue"
    assert one["href"] == f"{host.url}/admin/functions/enqueue"
    assert one["invoke_url_template"] == f"{host.url}/api/enqueue"
    assert one["language"] == "python" and one["isDisabled"] is False
    types = {b["type"] for b in one["config"]["bindings"]}
    assert types == {"httpTrigger", "http", "queue"}
    assert http.get("/admin/functions/retried", headers=ADMIN).json()["invoke_url_template"] is None
    missing = http.get("/admin/functions/nope", headers=ADMIN)
    assert missing.status_code == 404
    assert "'nope' does not exist" in missing.json()["error"]


def test_warmup_runs_at_start_and_on_admin_warmup(
    host: RunningHost, http: httpx.Client, out_dir: Path
) -> None:
    wait_until(lambda: records(out_dir, "warmup"), what="the warm-up at start")
    before = len(records(out_dir, "warmup"))
    response = http.post("/admin/warmup")  # no key, as in the host
    assert (response.status_code, response.content) == (200, b"")
    # The call answers once the warm-up functions have ended.
    assert len(records(out_dir, "warmup")) == before + 1
    host.wait_for(r"^\[[^\]]+\] warming up$")  # the function's own log line, as written


# -- 4. retries -------------------------------------------------------------------------------


def test_a_retried_timer_gets_its_retry_context(host: RunningHost, out_dir: Path) -> None:
    attempts = wait_until(
        lambda: (found := records(out_dir, "retried")) and len(found) >= 3 and found,
        what="three attempts of the timer",
    )
    assert [a["retry_count"] for a in attempts] == [0, 1, 2]
    assert {a["max_retry_count"] for a in attempts} == {3}
    assert attempts[0]["exception"] is None
    assert "attempt 0 fails on purpose" in attempts[1]["exception"]
    assert "attempt 1 fails on purpose" in attempts[2]["exception"]
    host.wait_for(r"Executed 'Functions\.retried' \(Succeeded, ")
    waits = [line for line in host.lines if "before retrying function execution" in line]
    assert [re.search(r"Next attempt: '(\d)'", line)[1] for line in waits] == ["2", "3"]  # type: ignore[index]
    assert all(
        "Waiting for `00:00:01`" in line and "Max retry count: '3'" in line for line in waits
    )
    failed = [line for line in host.lines if "Executed 'Functions.retried' (Failed" in line]
    assert len(failed) == 2


# -- 6. triggers with no local source -------------------------------------------------------


def test_a_trigger_with_no_local_source_loads_and_runs_through_the_admin_endpoint(
    host: RunningHost, http: httpx.Client, out_dir: Path
) -> None:
    host.wait_for(r"hub\s+eventHubTrigger \(no local source: invoke through the admin endpoint\)")
    assert http.post("/admin/functions/hub", json={"input": "x"}).status_code == 401
    started = http.post("/admin/functions/hub", json={"input": "event-1"}, headers=ADMIN)
    assert started.status_code == 202
    invocation_id = started.json()["invocationId"]
    wait_until(lambda: [r for r in records(out_dir, "hub") if r["body"] == "event-1"])
    host.wait_for(
        rf"Executing 'Functions\.hub' \(Reason='This function was programmatically called via "
        rf"the host APIs\.', Id={invocation_id}\)"
    )
    missing = http.post("/admin/functions/nope", json={"input": 1}, headers=ADMIN)
    assert missing.status_code == 404 and "'nope' does not exist" in missing.json()["error"]


# -- 5. queue listeners woken by the host's own writes --------------------------------------


def test_the_hosts_own_write_wakes_its_queue_listener(azurite: Azurite, tmp_path: Path) -> None:
    names = queues()
    env = {**azurite_env(azurite), "FUNCBIND_TEST_OUT": str(tmp_path), **names}
    for quiet in ("warm", "retried", "hub", "enqueue_message"):
        env[f"AzureWebJobs.{quiet}.Disabled"] = "true"
    host = RunningHost(FIDELITY_APP, "--no-auth", env=env)
    try:
        # Both queue listeners back off from 0.1 s, doubling: after 15 s idle each is in a
        # wait of more than 11 s (host.json: maxPollingInterval one minute).
        time.sleep(15)
        send(queue_client(azurite, names["CONTROL_QUEUE"]), "written by another client")
        with httpx.Client(base_url=host.url, timeout=30) as http:
            assert http.post("/api/enqueue", content=b"wake-1").status_code == 200
        # Liveness bound well below the listener's back-off.
        wait_until(lambda: records(tmp_path, "chained"), timeout=20, what="the woken listener")
        # The control message, sent at the same moment by another client, still waits for
        # its listener's back-off: only the host's own write woke a listener.
        assert records(tmp_path, "control") == []
    finally:
        host.stop()


def test_host_json_for_the_wake_test_really_sets_a_long_back_off() -> None:
    from funcbind.host.settings import load_host_settings

    queues_settings = load_host_settings(FIDELITY_APP).queues
    assert queues_settings.max_polling_interval.total_seconds() == 60


def test_metadata_config_of_a_decorated_function_lists_its_bindings(http: httpx.Client) -> None:
    config = http.get("/admin/functions/hub", headers=ADMIN).json()["config"]
    assert config["scriptFile"] == "function_app.py"
    [binding] = config["bindings"]
    assert binding["type"] == "eventHubTrigger" and binding["eventHubName"] == "orders"
    assert json.dumps(config)  # plain JSON all through
