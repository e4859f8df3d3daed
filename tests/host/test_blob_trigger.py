"""Blob triggers in the real host on Azurite: each blob version once (across restarts),
metadata, poison notes after five failures, SDK-typed triggers and admin calls."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostrunner import RunningHost
from storagekit import STORAGE_APP, azurite_env, records, storage_env, unique, wait_until

from funcbind.host.azurite import Azurite

pytestmark = pytest.mark.azurite

POISON_QUEUE = "webjobs-blobtrigger-poison"


def containers(azurite: Azurite, *names: str) -> list[Any]:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    found = []
    for name in names:
        container = service.get_container_client(name)
        if not container.exists():
            container.create_container()
        found.append(container)
    return found


def csv_records(out_dir: Path, blob: str) -> list[dict[str, Any]]:
    return [r for r in records(out_dir, "csv") if r["name"].endswith("/" + blob)]


def blob_text(container: Any, name: str) -> str | None:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return str(container.download_blob(name).readall().decode())
    except ResourceNotFoundError:
        return None


def test_each_blob_version_runs_once_across_a_restart(azurite: Azurite, tmp_path: Path) -> None:
    names = {"IN_CONTAINER": unique("inbox"), "OUT_CONTAINER": unique("results")}
    inbox, results = containers(azurite, names["IN_CONTAINER"], names["OUT_CONTAINER"])
    env = storage_env(azurite_env(azurite), tmp_path, ("csv_arrived",), **names)
    first = RunningHost(STORAGE_APP, "--no-auth", env=env)
    try:
        uploaded = inbox.upload_blob("a.csv", b"x,1\ny,2\n", metadata={"source": "test"})
        etag = uploaded.get_blob_properties().etag
        inbox.upload_blob("notes.txt", b"not a csv: the pattern is {name}.csv")
        [seen] = wait_until(lambda: csv_records(tmp_path, "a.csv"), what="a.csv")
        assert seen["name"] == f"{names['IN_CONTAINER']}/a.csv"
        assert seen["length"] == 8
        assert seen["uri"].endswith(f"/{names['IN_CONTAINER']}/a.csv")
        assert seen["etag"] == etag
        assert seen["metadata"] == {"source": "test"}
        assert wait_until(lambda: blob_text(results, "a.rows"), what="a.rows") == "2"
    finally:
        assert first.stop() == 0

    second = RunningHost(STORAGE_APP, "--no-auth", env=env)
    try:
        inbox.upload_blob("b.csv", b"only one line")
        wait_until(lambda: csv_records(tmp_path, "b.csv"), what="b.csv")
        time.sleep(1.5)  # a few more scans: a.csv's receipt keeps it from running again
        assert len(csv_records(tmp_path, "a.csv")) == 1
        # A new version (a new ETag) runs again.
        changed = inbox.upload_blob("a.csv", b"x,1\n", overwrite=True)
        wait_until(lambda: len(csv_records(tmp_path, "a.csv")) == 2, what="the new version")
        assert csv_records(tmp_path, "a.csv")[-1]["etag"] == changed.get_blob_properties().etag
        assert wait_until(lambda: blob_text(results, "a.rows") == "1", what="a.rows again")
    finally:
        assert second.stop() == 0
    assert not any(r["name"].endswith("notes.txt") for r in records(tmp_path, "csv"))


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    return {
        "IN_CONTAINER": unique("inbox"),
        "OUT_CONTAINER": unique("results"),
        "SDK_CONTAINER": unique("sdk"),
    }


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("blobs")


@pytest.fixture(scope="module")
def host(azurite: Azurite, names: dict[str, str], out_dir: Path) -> Iterator[RunningHost]:
    containers(azurite, *names.values())
    enabled = ("csv_arrived", "sdk_blob_arrived")
    running = RunningHost(
        STORAGE_APP, "--no-auth", env=storage_env(azurite_env(azurite), out_dir, enabled, **names)
    )
    try:
        yield running
    finally:
        running.stop()


def poison_notes(azurite: Azurite, container: str) -> list[dict[str, Any]]:
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.queue import QueueClient

    queue = QueueClient.from_connection_string(azurite.connection_string, POISON_QUEUE)
    try:
        messages = queue.peek_messages(max_messages=32)
    except ResourceNotFoundError:
        return []
    notes = [json.loads(base64.b64decode(m.content)) for m in messages]
    return [note for note in notes if note["ContainerName"] == container]


def test_a_blob_that_keeps_failing_gets_a_poison_note(
    host: RunningHost, azurite: Azurite, names: dict[str, str], out_dir: Path
) -> None:
    [inbox] = containers(azurite, names["IN_CONTAINER"])
    uploaded = inbox.upload_blob("bad.csv", b"bad content")
    [note] = wait_until(lambda: poison_notes(azurite, names["IN_CONTAINER"]), what="a note")
    assert note == {
        "FunctionId": "Host.Functions.csv_arrived",
        "BlobType": "BlockBlob",
        "ContainerName": names["IN_CONTAINER"],
        "BlobName": "bad.csv",
        "ETag": uploaded.get_blob_properties().etag,
    }
    host.wait_for(r"blob .*/bad\.csv failed 5 times; poison note sent")
    time.sleep(1.0)  # no sixth attempt
    assert len(csv_records(out_dir, "bad.csv")) == 5


def test_an_sdk_typed_blob_trigger_receives_a_client(
    host: RunningHost, azurite: Azurite, names: dict[str, str], out_dir: Path
) -> None:
    [sdk] = containers(azurite, names["SDK_CONTAINER"])
    sdk.upload_blob("deferred.txt", b"read through the SDK")
    [seen] = wait_until(lambda: records(out_dir, "sdk"), what="the SDK trigger")
    assert seen == {
        "kind": "sdk",
        "type": "BlobClient",
        "name": "deferred.txt",
        "content": "read through the SDK",
    }


def test_admin_invoke_reads_the_blob_named_by_the_input(
    host: RunningHost, azurite: Azurite, names: dict[str, str], out_dir: Path
) -> None:
    [inbox] = containers(azurite, names["IN_CONTAINER"])
    container = names["IN_CONTAINER"]
    with httpx.Client(base_url=host.url, timeout=30) as http:
        wrong = http.post("/admin/functions/csv_arrived", json={"input": f"{container}/x.txt"})
        assert wrong.status_code == 400
        assert "matching the trigger path" in wrong.json()["error"]
        assert http.post("/admin/functions/csv_arrived", json={"input": 3}).status_code == 400
        missing = http.post("/admin/functions/csv_arrived", json={"input": f"{container}/no.csv"})
        assert missing.status_code == 202
        host.wait_for(rf"could not be run: blob {container}/no\.csv does not exist")
        inbox.upload_blob("admin.csv", b"1\n2\n3\n", overwrite=True)
        invoked = http.post(
            "/admin/functions/csv_arrived", json={"input": f"{container}/admin.csv"}
        )
        assert invoked.status_code == 202
    # The listener sees the blob too: it may run twice (admin calls keep no receipt).
    wait_until(lambda: csv_records(out_dir, "admin.csv"), what="the admin invocation")
