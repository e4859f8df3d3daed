"""Stopping ``funcbind run``: the real server in a subprocess, stopped with real signals.

The first Ctrl-C (or SIGTERM) lets the invocations in flight finish and says how many
it waits for; a second one abandons them, names each, and ends the process at once with
status 128 + the signal's number.
"""

from __future__ import annotations

import re
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hostrunner import RunningHost
from storagekit import ports_env, send

from funcbind.host.azurite import development_connection_string
from funcbind.host.devstorage import FREE, probe

# A liveness bound for a stop that must not wait for the functions: they sleep 30 s.
PROMPTLY = 20
LONG = "30"
SHORT = "1.5"

FUNCTION_APP = """
import asyncio
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="slow")
async def slow(req: func.HttpRequest) -> str:
    await asyncio.sleep(float(req.params["s"]))
    return "slow done"


@app.route(route="slow_sync")
def slow_sync(req: func.HttpRequest) -> str:
    time.sleep(float(req.params["s"]))
    return "sync done"


@app.queue_trigger(arg_name="msg", queue_name="naps", connection="AzureWebJobsStorage")
async def nap(msg: func.QueueMessage) -> None:
    await asyncio.sleep(float(msg.get_body().decode()))


@app.queue_trigger(arg_name="msg", queue_name="stubborn", connection="AzureWebJobsStorage")
async def stubborn(msg: func.QueueMessage) -> None:
    seconds = float(msg.get_body().decode())
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        await asyncio.sleep(seconds)  # carries on, cancelled or not
"""

HOST_JSON = """{
  "version": "2.0",
  "extensions": {"queues": {"maxPollingInterval": "00:00:00.500"}}
}"""

LOCAL_SETTINGS = '{"IsEncrypted": false, "Values": {"FUNCTIONS_WORKER_RUNTIME": "python"}}'


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "function_app.py").write_text(FUNCTION_APP)
    (app / "host.json").write_text(HOST_JSON)
    (app / "local.settings.json").write_text(LOCAL_SETTINGS)
    return app


@pytest.fixture
def host(app_dir: Path) -> Iterator[RunningHost]:
    running = RunningHost(app_dir, "--no-auth", "--verbose", "--log-format", "funcbind")
    try:
        yield running
    finally:
        stop_quietly(running)


def stop_quietly(host: RunningHost) -> None:
    """End a host a test left running (after a failure): SIGKILL, so no test waits 30 s."""
    if host.process.poll() is None:
        host.process.kill()
    host.stop()


class Call:
    """An HTTP GET in a thread of its own: the response, or the error it ended with."""

    def __init__(self, host: RunningHost, path: str) -> None:
        self.response: httpx.Response | None = None
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._get, args=(host.url, path), daemon=True)
        self._thread.start()

    def _get(self, url: str, path: str) -> None:
        try:
            with httpx.Client(base_url=url, timeout=60) as http:
                self.response = http.get(path)
        except httpx.HTTPError as exc:
            self.error = exc

    def result(self) -> httpx.Response | Exception | None:
        self._thread.join(60)
        return self.response if self.response is not None else self.error


def admin_invoke(host: RunningHost, name: str, given: str) -> str:
    with httpx.Client(base_url=host.url, timeout=30) as http:
        answer = http.post(f"/admin/functions/{name}", json={"input": given})
    assert answer.status_code == 202, answer.text
    invocation_id: str = answer.json()["invocationId"]
    return invocation_id


def executing(host: RunningHost, name: str) -> str:
    """The id of the invocation of ``name`` that --verbose reported as started."""
    return host.wait_for(rf"\b{name} \(([0-9a-f-]{{36}})\) executing")[1]


def in_the_apps_shutdown(host: RunningHost) -> None:
    """Wait until the server has answered every request and runs the app's shutdown (which
    waits for triggered invocations): uvicorn says so with --verbose."""
    host.wait_for(r"server INFO: Waiting for application shutdown")


def waiting_line(count: int) -> str:
    return re.escape(
        f"stopping: waiting for {count} invocation(s) in flight (Ctrl-C again to stop now)"
    )


# -- one Ctrl-C: in-flight work finishes ---------------------------------------------


def test_one_ctrl_c_says_what_it_waits_for_and_lets_it_finish(host: RunningHost) -> None:
    call = Call(host, f"/api/slow?s={SHORT}")
    request_id = executing(host, "slow")
    nap_id = admin_invoke(host, "nap", SHORT)
    host.wait_for(rf"nap \({nap_id}\) executing")

    host.process.send_signal(signal.SIGINT)

    host.wait_for(waiting_line(2))
    response = call.result()
    assert isinstance(response, httpx.Response)
    assert (response.status_code, response.text) == (200, "slow done")
    assert host.exit_status(PROMPTLY) == 0
    host.stop()
    assert host.lines[-1].endswith("stopped")
    output = host.output
    assert re.search(rf"slow \({request_id}\) succeeded in", output)
    assert re.search(rf"nap \({nap_id}\) succeeded in", output)
    assert "abandon" not in output


def test_one_ctrl_c_with_nothing_in_flight_stops_without_a_waiting_line(
    host: RunningHost,
) -> None:
    assert host.stop() == 0
    assert "stopping" not in host.output
    assert host.lines[-1].endswith("stopped")


# -- a second Ctrl-C: in-flight work is abandoned, the process ends now -------------------


def test_a_second_ctrl_c_abandons_requests_and_invocations_in_flight(host: RunningHost) -> None:
    call = Call(host, f"/api/slow?s={LONG}")
    request_id = executing(host, "slow")
    nap_id = admin_invoke(host, "nap", LONG)
    host.wait_for(rf"nap \({nap_id}\) executing")

    host.process.send_signal(signal.SIGINT)
    host.wait_for(waiting_line(2))
    host.process.send_signal(signal.SIGINT)

    assert host.exit_status(PROMPTLY) == 130
    host.stop()
    output = host.output
    assert "stopping now: abandoning 2 invocation(s) in flight" in output
    assert re.search(rf"slow \({request_id}\) abandoned", output)
    assert re.search(rf"nap \({nap_id}\) abandoned", output)
    assert host.lines[-1].endswith("stopped without waiting for the invocations in flight")
    # The connection was dropped: the client got no answer from the abandoned request.
    assert isinstance(call.result(), httpx.HTTPError)
    # Cancelling is how the host abandons: it is not reported as a failure of the app.
    assert "Traceback" not in output
    assert "CancelledError" not in output


def test_a_second_ctrl_c_cuts_the_wait_for_a_triggered_invocation(host: RunningHost) -> None:
    # With no request in flight the first Ctrl-C goes straight to the app's shutdown,
    # which waits for the invocations the admin endpoint (or a listener) started.
    nap_id = admin_invoke(host, "nap", LONG)
    host.wait_for(rf"nap \({nap_id}\) executing")

    host.process.send_signal(signal.SIGINT)
    host.wait_for(waiting_line(1))
    in_the_apps_shutdown(host)
    host.process.send_signal(signal.SIGINT)

    assert host.exit_status(PROMPTLY) == 130
    host.stop()
    assert re.search(rf"nap \({nap_id}\) abandoned", host.output)
    assert "Traceback" not in host.output


def test_a_function_that_carries_on_when_cancelled_does_not_hold_the_stop(
    host: RunningHost,
) -> None:
    stubborn_id = admin_invoke(host, "stubborn", LONG)
    host.wait_for(rf"stubborn \({stubborn_id}\) executing")

    host.process.send_signal(signal.SIGINT)
    host.wait_for(waiting_line(1))
    in_the_apps_shutdown(host)
    host.process.send_signal(signal.SIGINT)

    assert host.exit_status(PROMPTLY) == 130
    host.stop()
    assert re.search(rf"stubborn \({stubborn_id}\) abandoned", host.output)


def test_a_second_sigterm_leaves_a_sync_function_behind_in_its_thread(host: RunningHost) -> None:
    # A thread cannot be interrupted: the process must end without waiting for it.
    call = Call(host, f"/api/slow_sync?s={LONG}")
    request_id = executing(host, "slow_sync")

    host.process.send_signal(signal.SIGTERM)
    host.wait_for(waiting_line(1))
    host.process.send_signal(signal.SIGTERM)

    assert host.exit_status(PROMPTLY) == 128 + signal.SIGTERM
    host.stop()
    assert re.search(rf"slow_sync \({request_id}\) abandoned", host.output)
    assert isinstance(call.result(), httpx.HTTPError)


# -- with storage: a queue invocation abandoned, the host's Azurite still stopped ----------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.azurite
def test_a_second_ctrl_c_abandons_a_queue_invocation_and_stops_the_hosts_azurite(
    app_dir: Path,
) -> None:
    from azure.storage.queue import QueueClient

    blob_port, queue_port = free_port(), free_port()
    env = {**ports_env(blob_port, queue_port), "AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    host = RunningHost(app_dir, "--no-auth", "--verbose", "--log-format", "funcbind", env=env)
    try:
        host.wait_for(r"development storage: Azurite is running \(pid \d+\)")
        connection = development_connection_string(blob_port=blob_port, queue_port=queue_port)
        with QueueClient.from_connection_string(connection, "naps") as queue:
            send(queue, LONG)
        nap_id = executing(host, "nap")

        host.process.send_signal(signal.SIGINT)
        host.wait_for(waiting_line(1))
        in_the_apps_shutdown(host)
        host.process.send_signal(signal.SIGINT)

        assert host.exit_status(PROMPTLY) == 130
        host.stop()
        output = host.output
        assert re.search(rf"nap \({nap_id}\) abandoned", output)
        assert "development storage: Azurite stopped" in output
        assert probe("127.0.0.1", blob_port) == FREE
        assert "Traceback" not in output
    finally:
        stop_quietly(host)
