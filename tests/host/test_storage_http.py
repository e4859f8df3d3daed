"""funcbind run with storage, over HTTP: blob inputs and outputs, queue outputs, binding
expressions, unsafe values, SDK types, unreachable storage and Azurite started for the user.

Every host here is the real ``funcbind run`` in a subprocess, on the session's Azurite.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hostrunner import EXAMPLES, RunningHost
from storagekit import (
    STORAGE_APP,
    azurite_env,
    ports_env,
    queue_texts,
    send,
    storage_env,
    unique,
    wait_until,
)

from funcbind.host.azurite import Azurite, development_connection_string
from funcbind.host.devstorage import FREE, probe

pytestmark = pytest.mark.azurite

HTTP_FUNCTIONS = ("read_by_route", "read_by_query", "post_order", "fails_after_output")


def blob_service(azurite: Azurite) -> object:
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient.from_connection_string(azurite.connection_string)


def queue_client(azurite: Azurite, name: str) -> object:
    from azure.storage.queue import QueueClient

    return QueueClient.from_connection_string(azurite.connection_string, name)


# -- the seeds' examples ------------------------------------------------------------------


def test_the_examples_end_to_end_with_storage(azurite: Azurite, tmp_path: Path) -> None:
    """Route value -> blob input; Out -> a message in outqueue; a queue trigger; the rest."""
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    samples = service.get_container_client("samples")
    if not samples.exists():
        samples.create_container()
    samples.upload_blob("report.txt", b"quarterly report", overwrite=True)
    outqueue = queue_client(azurite, "outqueue")
    host = RunningHost(EXAMPLES, "--no-auth", "--log-format", "funcbind", env=azurite_env(azurite))
    try:
        with httpx.Client(base_url=host.url, timeout=30) as http:
            report = http.get("/api/files/report.txt")
            assert (report.status_code, report.content) == (200, b"quarterly report")
            missing = http.get("/api/files/nothing-here.txt")
            assert (missing.status_code, missing.text) == (
                404,
                "No blob named 'nothing-here.txt' in 'samples'.",
            )
            token = uuid.uuid4().hex
            enqueued = http.get("/api/EnqueueMessage", params={"body": token})
            assert (enqueued.status_code, enqueued.text) == (200, token)
            assert token in wait_until(lambda: queue_texts(outqueue), what="outqueue")

            assert http.get("/api/HttpHello", params={"name": "Ann"}).text == "Hello, Ann!"
            assert http.post("/api/HttpHello?user=Bo").text == "Hello, Bo!"
            assert http.get("/api/AsyncHello?user=Cy").text == "Hello, Cy, from a coroutine!"
            details = http.get("/api/ContextEcho", params={"details": "1"}).json()
            assert details["function_name"] == "ContextEcho"
            custom = http.get("/api/custom")
            assert custom.text == f"customentry in main.py answered GET {host.url}/api/custom"
            assert http.get("/api/greet/Zed").text == "Hi, Zed!"

            # process_order: a queue trigger with a queue output, end to end.
            order_id = uuid.uuid4().int % 10**9
            order = {"id": order_id, "lines": [{"qty": 2, "price": 1.25}]}
            send(queue_client(azurite, "orders"), json.dumps(order))
            receipts = queue_client(azurite, "receipts")
            expected = json.dumps({"order": order_id, "total": 2.5})
            wait_until(lambda: expected in queue_texts(receipts), what="the receipt")

            beat = http.post("/admin/functions/heartbeat", json={"input": ""})
            assert beat.status_code == 202
            host.wait_for(r"heartbeat \([0-9a-f-]{36}\) INFO: heartbeat \(past due: False\)")
        assert "development storage: using the Azurite listening on" in host.output
    finally:
        assert host.stop() == 0


# -- the storage test app's HTTP functions ------------------------------------------------


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    return {
        "FILES_CONTAINER": unique("files"),
        "OUT_CONTAINER": unique("results"),
        "OUT_QUEUE": unique("results"),
    }


@pytest.fixture(scope="module")
def storage_host(
    azurite: Azurite, names: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningHost]:
    out_dir = tmp_path_factory.mktemp("records")
    files = blob_service(azurite).create_container(names["FILES_CONTAINER"])  # type: ignore[attr-defined]
    files.upload_blob("hello.txt", b"hello from a blob")
    files.upload_blob("a.b.txt", "ünïcode text".encode())
    enabled = (*HTTP_FUNCTIONS, "read_with_sdk")
    env = storage_env(azurite_env(azurite), out_dir, enabled, **names)
    host = RunningHost(STORAGE_APP, "--no-auth", env=env)
    try:
        yield host
    finally:
        host.stop()


@pytest.fixture
def client(storage_host: RunningHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=storage_host.url, timeout=30) as http:
        yield http


def test_a_route_value_names_the_blob(client: httpx.Client) -> None:
    found = client.get("/api/read/hello.txt")
    assert (found.status_code, found.content) == (200, b"hello from a blob")
    assert client.get("/api/read/absent.txt").status_code == 404


def test_a_query_value_names_the_blob_and_data_type_string_gives_text(
    client: httpx.Client,
) -> None:
    assert client.get("/api/readq", params={"name": "a.b.txt"}).text == "ünïcode text"
    assert client.get("/api/readq", params={"name": "absent"}).text == "missing"
    # No value at all for {name}: the request cannot name a blob.
    response = client.get("/api/readq")
    assert response.status_code == 400
    assert "no value for {name}" in response.json()["error"]


TRAVERSALS = [
    "/api/read/%2E%2E",
    "/api/read/..%5Csecret",
    "/api/read/x%01y",
    "/api/readq?name=../hello.txt",
    "/api/readq?name=sub/hello.txt",
    "/api/readq?name=..",
    "/api/readq?name=.",
    "/api/readq?name=a%5Cb",
    "/api/readq?name=line%0Abreak",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_values_that_would_leave_their_path_segment_are_refused(
    client: httpx.Client, storage_host: RunningHost, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 400
    error = response.json()["error"]
    assert "binding 'content'" in error and "could leave its path segment" in error


def test_json_body_dot_paths_rand_guid_and_a_list_of_messages(
    azurite: Azurite, client: httpx.Client, names: dict[str, str]
) -> None:
    order_id = uuid.uuid4().hex[:8]
    order = {"order": {"id": order_id, "lines": [1, 2, 3]}}
    response = client.post("/api/orders", json=order)
    assert (response.status_code, response.text) == (200, "stored")
    results = blob_service(azurite).get_container_client(names["OUT_CONTAINER"])  # type: ignore[attr-defined]
    [stored] = [b.name for b in results.list_blobs(name_starts_with=f"{order_id}-")]
    guid = stored.removeprefix(f"{order_id}-").removesuffix(".json")
    assert uuid.UUID(guid).version == 4
    assert json.loads(results.download_blob(stored).readall()) == order["order"]
    texts = queue_texts(queue_client(azurite, names["OUT_QUEUE"]))
    assert [f"order {order_id}", "lines 3"] == [
        t for t in texts if order_id in t or t == "lines 3"
    ][:2]


def test_an_unsafe_json_body_value_is_refused(client: httpx.Client) -> None:
    response = client.post("/api/orders", json={"order": {"id": "../../escape"}})
    assert response.status_code == 400
    assert "binding 'receipt'" in response.json()["error"]


def test_outputs_are_written_only_after_success(
    azurite: Azurite, client: httpx.Client, names: dict[str, str], storage_host: RunningHost
) -> None:
    response = client.post("/api/fails-after-output")
    assert response.status_code == 500
    storage_host.wait_for(r"Executed 'Functions\.fails_after_output' \(Failed, Id=")
    assert "must never be sent" not in queue_texts(queue_client(azurite, names["OUT_QUEUE"]))


def test_an_sdk_typed_blob_input_receives_a_client(client: httpx.Client) -> None:
    response = client.get("/api/sdk/hello.txt")
    assert response.status_code == 200
    assert response.content == b"hello from a blob"
    assert response.headers["x-client-type"] == "BlobClient"
    assert response.headers["x-blob-name"] == "hello.txt"


# -- storage that cannot be reached, Azurite started for the user ----------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_unreachable_storage_is_reported_and_the_host_stays_up(tmp_path: Path) -> None:
    blob_port, queue_port = free_port(), free_port()
    env = storage_env(ports_env(blob_port, queue_port), tmp_path, ("read_by_route", "job"))
    host = RunningHost(STORAGE_APP, "--no-auth", "--no-azurite", env=env)
    try:
        host.wait_for(r"development storage: nothing listens on .* \(--no-azurite\)")
        endpoint = f"http://127.0.0.1:{queue_port}/devstoreaccount1"
        host.wait_for(
            rf"job \(queue 'jobs'\): storage is unreachable: polling queue 'jobs' via "
            rf"connection 'AzureWebJobsStorage' \({endpoint}\): .*; retrying in \d+ s"
        )
        with httpx.Client(base_url=host.url, timeout=30) as http:
            response = http.get("/api/read/hello.txt")
            assert response.status_code == 503
            assert "cannot reach storage" in response.json()["error"]
            assert http.get("/admin/host/status").json()["state"] == "Running"
        host.wait_for(rf"storage is unreachable: reading blob files/hello.txt .*{blob_port}")
    finally:
        assert host.stop() == 0


def test_azurite_is_started_when_nothing_listens_and_stopped_on_exit(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(STORAGE_APP, app)
    blob_port, queue_port = free_port(), free_port()
    env = storage_env(ports_env(blob_port, queue_port), tmp_path, ("read_by_route",))
    host = RunningHost(app, "--no-auth", env=env)
    try:
        host.wait_for(r"development storage: Azurite is running \(pid \d+\)")
        assert (app / ".funcbind" / "azurite").is_dir()
        assert (app / ".funcbind" / ".gitignore").read_text().splitlines()[-1] == "*"
        from azure.storage.blob import BlobServiceClient

        connection = development_connection_string(blob_port=blob_port, queue_port=queue_port)
        service = BlobServiceClient.from_connection_string(connection)
        service.create_container("files").upload_blob("x.txt", b"started for you")
        with httpx.Client(base_url=host.url, timeout=30) as http:
            assert http.get("/api/read/x.txt").content == b"started for you"
        service.close()
    finally:
        # SIGTERM (a service manager's stop) shuts down as cleanly as Ctrl-C.
        assert host.stop(signal.SIGTERM) == 0
    assert "development storage: Azurite stopped" in host.output
    assert probe("127.0.0.1", blob_port) == FREE


def test_a_storage_port_held_by_something_else_is_reported(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = storage_env(ports_env(port, free_port()), tmp_path, ("read_by_route",))
        host = RunningHost(STORAGE_APP, "--no-auth", env=env)
        try:
            host.wait_for(
                rf"development storage: 127.0.0.1:{port} \(the blob endpoint of "
                r"UseDevelopmentStorage=true\) is in use by something that is not Azurite"
            )
            assert "starting Azurite" not in host.output
        finally:
            assert host.stop() == 0
