"""An output that cannot be written after the function succeeded: the trigger is not
settled, so the message runs again (at least once) and its outputs are written then."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hostrunner import RunningHost
from storagekit import STORAGE_APP, azurite_env, records, send, storage_env, unique, wait_until

from funcbind.host.azurite import Azurite

pytestmark = pytest.mark.azurite


def test_a_message_whose_output_failed_runs_again_and_writes_it(
    azurite: Azurite, tmp_path: Path
) -> None:
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueClient

    names = {"JOBS_QUEUE": unique("jobs"), "OUT_CONTAINER": unique("results")}
    results = BlobServiceClient.from_connection_string(
        azurite.connection_string
    ).get_container_client(names["OUT_CONTAINER"])
    results.create_container()
    # A lease on the output blob makes writing it fail (412) until it is released.
    target = results.upload_blob("job-j1.txt", b"before")
    lease = target.acquire_lease(lease_duration=-1)
    env = storage_env(azurite_env(azurite), tmp_path, ("job",), **names)
    # A second between attempts: the five a message gets must not all fail before the
    # test releases the lease (a failed message is otherwise visible again at once).
    app = shutil.copytree(STORAGE_APP, tmp_path / "app", ignore=shutil.ignore_patterns(".*"))
    settings = json.loads((app / "host.json").read_text())
    settings["extensions"]["queues"]["visibilityTimeout"] = "00:00:01"
    (app / "host.json").write_text(json.dumps(settings))
    host = RunningHost(app, "--no-auth", env=env)
    try:
        queue = QueueClient.from_connection_string(azurite.connection_string, names["JOBS_QUEUE"])
        send(queue, json.dumps({"id": "j1"}))
        wait_until(lambda: records(tmp_path, "job"), what="the first run")
        host.wait_for(r"Executed 'Functions\.job' \(Failed")
        assert target.download_blob().readall() == b"before"  # nothing written yet
        lease.release()
        wait_until(
            lambda: target.download_blob().readall() != b"before",
            timeout=30,
            what="the output written by a later run",
        )
    finally:
        assert host.stop() == 0
    runs = records(tmp_path, "job")
    assert len(runs) >= 2
    assert [run["dequeue_count"] for run in runs][:2] == [1, 2]
    written = target.download_blob().readall().decode()
    assert written.startswith("j1 done after")
