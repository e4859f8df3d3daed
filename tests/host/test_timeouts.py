"""Timeouts are failures: a sync function past ``functionTimeout`` runs on in its thread,
and its trigger is not handed out again before that thread ends; then the invocation
counts as failed (retries, poison).  Unit tests of the sync-call registry, and the real
host on Azurite with the timeout test app."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from hostrunner import APPS, RunningHost
from storagekit import azurite_env, queue_texts, send, unique, wait_until

from funcbind.host.azurite import Azurite
from funcbind.invoke import make_executor
from funcbind.sync_calls import SyncCall, still_running, stuck_count

TIMEOUT_APP = APPS / "timeoutapp"


def test_a_call_abandoned_before_a_thread_took_it_never_runs() -> None:
    ran = []
    call = SyncCall("abandoned-early")
    call.abandon()
    with pytest.raises(RuntimeError, match="abandoned before a thread took it"):
        call.run(lambda: ran.append(1), {})
    assert ran == []
    assert still_running("abandoned-early") is None


def test_a_thread_abandoned_while_running_is_still_running_until_it_ends() -> None:
    release = threading.Event()
    call = SyncCall("abandoned-late")
    thread = threading.Thread(target=call.run, args=(release.wait, {}))
    thread.start()
    wait_until(lambda: still_running("abandoned-late") is not None, 5, "the call registered")
    call.abandon()
    finished = still_running("abandoned-late")
    assert finished is not None and not finished.is_set()
    assert stuck_count() >= 1
    release.set()
    thread.join(5)
    assert finished.is_set()
    assert still_running("abandoned-late") is None


def test_invoke_registers_a_sync_call_that_outlives_its_caller() -> None:
    """Through invoke's path: the awaiting is cancelled, the thread runs on, and the
    registry says so until it ends."""
    from funcbind import invoke as invoking

    release = threading.Event()
    pool = make_executor(2)

    async def scenario() -> threading.Event | None:
        task = asyncio.ensure_future(invoking._call_sync(release.wait, {}, "timed-out", pool))
        await asyncio.sleep(0.2)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return still_running("timed-out")

    try:
        finished = asyncio.run(scenario())
        assert finished is not None and not finished.is_set()
    finally:
        release.set()
        pool.shutdown()
    assert finished.wait(5)


# -- in the host -------------------------------------------------------------------------


def _phases(out_dir: Path, kind: str) -> list[tuple[float, float]]:
    """(start, end) of every invocation of ``kind`` whose thread has ended."""
    runs = []
    for start in out_dir.glob(f"{kind}-start-*.json"):
        begun = json.loads(start.read_text())
        end = out_dir / start.name.replace("-start-", "-end-")
        if end.exists():
            runs.append((begun["at"], json.loads(end.read_text())["at"]))
    return sorted(runs)


@pytest.mark.azurite
def test_a_timed_out_sync_queue_function_never_runs_its_message_twice_at_once(
    azurite: Azurite, tmp_path: Path
) -> None:
    from azure.storage.queue import QueueClient

    name = unique("slow")
    env = {**azurite_env(azurite), "FUNCBIND_TEST_OUT": str(tmp_path), "SLOW_QUEUE": name}
    env["AzureWebJobs.slow_blob.Disabled"] = "true"
    host = RunningHost(TIMEOUT_APP, "--no-auth", env=env)
    try:
        send(QueueClient.from_connection_string(azurite.connection_string, name), "once")
        poison = QueueClient.from_connection_string(azurite.connection_string, f"{name}-poison")
        wait_until(lambda: queue_texts(poison), timeout=30, what="the poison message")
        host.wait_for("its thread runs on")
    finally:
        assert host.stop() == 0
    runs = _phases(tmp_path, "job")
    assert len(runs) == 2  # maxDequeueCount 2: two timed-out attempts, then poison
    (_, first_end), (second_start, _) = runs
    assert second_start >= first_end, "the message ran again while its thread still ran"


@pytest.mark.azurite
def test_a_timed_out_blob_ends_in_the_poison_notes(azurite: Azurite, tmp_path: Path) -> None:
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueClient

    container = unique("slow")
    env = {**azurite_env(azurite), "FUNCBIND_TEST_OUT": str(tmp_path)}
    env.update({"SLOW_CONTAINER": container, "AzureWebJobs.slow_job.Disabled": "true"})
    env["AzureFunctionsWebHost__hostid"] = unique("timeouts")
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    service.create_container(container)
    host = RunningHost(TIMEOUT_APP, "--no-auth", env=env)
    poison = QueueClient.from_connection_string(
        azurite.connection_string, "webjobs-blobtrigger-poison"
    )
    try:
        service.get_container_client(container).upload_blob("late.txt", b"x")

        def note() -> dict[str, str] | None:
            for text in queue_texts(poison):
                found = json.loads(text)
                if found.get("ContainerName") == container:
                    return dict(found)
            return None

        found = wait_until(note, timeout=30, what="the poison note")
    finally:
        assert host.stop() == 0
    assert found["BlobName"] == "late.txt"
    runs = _phases(tmp_path, "blob")
    assert len(runs) == 2  # poisonBlobThreshold 2
    assert runs[1][0] >= runs[0][1], "the blob ran again while its thread still ran"


def test_a_stuck_thread_is_counted_against_the_pool_which_keeps_serving() -> None:
    """A pool of one thread whose thread is stuck in an abandoned call still runs the
    next call: the stuck thread is covered by another until it ends."""
    from funcbind import invoke as invoking

    release = threading.Event()
    pool = make_executor(1)

    async def scenario() -> str:
        stuck = asyncio.ensure_future(invoking._call_sync(release.wait, {}, "stuck-1", pool))
        await asyncio.sleep(0.2)
        stuck.cancel()
        await asyncio.gather(stuck, return_exceptions=True)
        assert pool.max_workers == 2  # one more while the stuck thread runs
        answer = await asyncio.wait_for(
            invoking._call_sync(lambda: "served", {}, "next-1", pool), 5
        )
        return str(answer)

    try:
        assert asyncio.run(scenario()) == "served"
    finally:
        release.set()
    wait_until(lambda: pool.max_workers == 1, 5, "the pool back to its size")
    pool.shutdown()
