"""Queue triggers in the real host on Azurite: delivery, metadata, retries, poison, and a
host killed mid-invocation (the message comes back: at least once, never lost)."""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostrunner import RunningHost
from storagekit import (
    STORAGE_APP,
    azurite_env,
    b64,
    records,
    send,
    storage_env,
    unique,
    wait_until,
)

from funcbind.host.azurite import Azurite

pytestmark = pytest.mark.azurite


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    return {"JOBS_QUEUE": unique("jobs"), "OUT_CONTAINER": unique("results")}


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jobs")


@pytest.fixture(scope="module")
def host(azurite: Azurite, names: dict[str, str], out_dir: Path) -> Iterator[RunningHost]:
    env = storage_env(azurite_env(azurite), out_dir, ("job",), **names)
    running = RunningHost(STORAGE_APP, "--no-auth", env=env)
    try:
        yield running
    finally:
        running.stop()


def clients(azurite: Azurite, names: dict[str, str]) -> tuple[Any, Any, Any]:
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueClient

    queue = QueueClient.from_connection_string(azurite.connection_string, names["JOBS_QUEUE"])
    poison = QueueClient.from_connection_string(
        azurite.connection_string, names["JOBS_QUEUE"] + "-poison"
    )
    results = BlobServiceClient.from_connection_string(
        azurite.connection_string
    ).get_container_client(names["OUT_CONTAINER"])
    return queue, poison, results


def job_records(out_dir: Path, job: str) -> list[dict[str, Any]]:
    return [r for r in records(out_dir, "job") if r["job"] == job]


def blob_text(container: Any, name: str) -> str | None:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return str(container.download_blob(name).readall().decode())
    except ResourceNotFoundError:
        return None


def message_count(queue: Any) -> int:
    return int(queue.get_queue_properties().approximate_message_count)


def poisoned(poison: Any) -> list[str]:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return [m.content for m in poison.peek_messages(max_messages=32)]
    except ResourceNotFoundError:
        return []


def test_a_message_runs_the_function_with_its_metadata_then_is_deleted(
    host: RunningHost, azurite: Azurite, names: dict[str, str], out_dir: Path
) -> None:
    queue, _, results = clients(azurite, names)
    sent = send(queue, json.dumps({"id": "ok-1", "action": "ok"}))
    [seen] = wait_until(lambda: job_records(out_dir, "ok-1"), what="the invocation")
    assert seen["id"] == sent.id
    assert seen["dequeue_count"] == 1
    assert seen["pop_receipt"]
    inserted = datetime.fromisoformat(seen["insertion_time"])
    assert datetime.fromisoformat(seen["expiration_time"]) > inserted
    assert datetime.fromisoformat(seen["next_visible"]) > inserted
    # The output ({id} from the JSON payload) is written, then the message deleted.
    done = wait_until(lambda: blob_text(results, "job-ok-1.txt"), what="the output blob")
    assert done == "ok-1 done after 1 attempt(s)"
    wait_until(lambda: message_count(queue) == 0, what="the message to be deleted")
    assert len(job_records(out_dir, "ok-1")) == 1


def test_a_failing_message_is_retried_then_moved_to_the_poison_queue(
    host: RunningHost, azurite: Azurite, names: dict[str, str], out_dir: Path
) -> None:
    queue, poison, results = clients(azurite, names)
    body = json.dumps({"id": "fail-1", "action": "fail"})
    sent = send(queue, body)
    wait_until(lambda: b64(body) in poisoned(poison), what="the poison queue")
    attempts = job_records(out_dir, "fail-1")
    assert sorted(r["dequeue_count"] for r in attempts) == [1, 2, 3, 4, 5]
    assert {r["id"] for r in attempts} == {sent.id}
    host.wait_for(rf"message {sent.id} moved to queue '{names['JOBS_QUEUE']}-poison'")
    assert blob_text(results, "job-fail-1.txt") is None  # a failed invocation writes nothing
    wait_until(lambda: message_count(queue) == 0, what="the original to be deleted")


def test_an_unsafe_value_from_a_message_fails_the_invocation(
    host: RunningHost, azurite: Azurite, names: dict[str, str], out_dir: Path
) -> None:
    queue, poison, _ = clients(azurite, names)
    body = json.dumps({"id": "../escape", "action": "ok"})
    send(queue, body)
    wait_until(lambda: b64(body) in poisoned(poison), what="the poison queue")
    host.wait_for(r"binding 'done': the value of \{id\} holds .*, which could leave")
    assert job_records(out_dir, "../escape") == []  # refused before the function ran


def test_a_message_that_is_not_base64_goes_to_the_poison_queue_at_once(
    host: RunningHost, azurite: Azurite, names: dict[str, str]
) -> None:
    queue, poison, _ = clients(azurite, names)
    sent = queue.send_message("not base64 at all!")
    wait_until(lambda: "not base64 at all!" in poisoned(poison), what="the poison queue")
    host.wait_for(rf"message {sent.id} moved to .*: the message is not base64")


def test_admin_invoke_of_a_queue_function_writes_its_outputs(
    host: RunningHost, azurite: Azurite, names: dict[str, str], out_dir: Path
) -> None:
    _, _, results = clients(azurite, names)
    with httpx.Client(base_url=host.url, timeout=30) as http:
        invoked = http.post(
            "/admin/functions/job", json={"input": {"id": "admin-1", "action": "ok"}}
        )
    assert invoked.status_code == 202
    done = wait_until(lambda: blob_text(results, "job-admin-1.txt"), what="the output blob")
    assert done == "admin-1 done after 1 attempt(s)"


def test_a_host_killed_during_an_invocation_loses_nothing(azurite: Azurite, tmp_path: Path) -> None:
    names = {"JOBS_QUEUE": unique("slow"), "OUT_CONTAINER": unique("results")}
    queue, _, results = clients(azurite, names)
    env = storage_env(azurite_env(azurite), tmp_path, ("job",), **names)
    first = RunningHost(STORAGE_APP, "--no-auth", "--log-format", "funcbind", env=env)
    try:
        send(queue, json.dumps({"id": "slow-1", "action": "slow"}))
        first.wait_for(r"job \([0-9a-f-]{36}\) INFO: slow job slow-1 started")
    finally:
        first.stop(signal.SIGKILL)
    assert blob_text(results, "job-slow-1.txt") is None
    second = RunningHost(STORAGE_APP, "--no-auth", env=env)
    try:
        # Its lease (FUNCBIND_QUEUE_MESSAGE_LEASE, 3 s here) runs out: delivered again.
        done = wait_until(lambda: blob_text(results, "job-slow-1.txt"), what="a second delivery")
        assert done == "slow-1 done after 2 attempt(s)"
        wait_until(lambda: message_count(queue) == 0, what="the message to be deleted")
    finally:
        assert second.stop() == 0
    assert sorted(r["dequeue_count"] for r in job_records(tmp_path, "slow-1")) == [1, 2]


def test_message_encoding_none_reads_and_writes_plain_text(
    azurite: Azurite, tmp_path: Path
) -> None:
    app = tmp_path / "app"
    shutil.copytree(STORAGE_APP, app)
    host_json = json.loads((app / "host.json").read_text())
    host_json["extensions"]["queues"]["messageEncoding"] = "none"
    (app / "host.json").write_text(json.dumps(host_json))
    names = {"JOBS_QUEUE": unique("plain"), "OUT_CONTAINER": unique("results")}
    queue, _, results = clients(azurite, names)
    queue.create_queue()
    env = storage_env(azurite_env(azurite), tmp_path, ("job",), **names)
    host = RunningHost(app, "--no-auth", env=env)
    try:
        queue.send_message(json.dumps({"id": "plain-1", "action": "ok"}))  # not base64
        done = wait_until(lambda: blob_text(results, "job-plain-1.txt"), what="the output blob")
        assert done == "plain-1 done after 1 attempt(s)"
    finally:
        assert host.stop() == 0
