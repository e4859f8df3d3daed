"""Several real ``funcbind run`` processes of one app on one Azurite (docs/host.md,
"Running several hosts"): a timer fires once per tick across them and moves to another
host when its lock holder is killed; each blob version runs once; no queue message is
lost when a host is killed; two apps on one account do not share locks.

The counts are small for CI; ``FUNCBIND_SCALE_FULL=1`` runs the issue's counts (a
20-second timer, 500 blobs, 1,000 messages).
"""

from __future__ import annotations

import collections
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostrunner import APPS, RunningHost
from storagekit import azurite_env, records, send, unique, wait_until

from funcbind.host.azurite import Azurite

SCALE_APP = APPS / "scaleapp"
FUNCTIONS = ("beat", "arrived", "work")
FULL = os.environ.get("FUNCBIND_SCALE_FULL") == "1"
HOSTS = 3
TIMER_SECONDS = 20 if FULL else 6
BLOBS = 500 if FULL else 40
MESSAGES = 1000 if FULL else 100
# The lock's lease (host.json of the test app) is 15 s: a takeover comes within two.
TAKEOVER_SECONDS = 2 * 15 + 5

pytestmark = pytest.mark.azurite


def app_env(
    azurite: Azurite, out_dir: Path, host_id: str, *enabled: str, **more: str
) -> dict[str, str]:
    env = {**azurite_env(azurite), "FUNCBIND_TEST_OUT": str(out_dir)}
    env["AzureFunctionsWebHost__hostid"] = host_id
    for name in FUNCTIONS:
        if name not in enabled:
            env[f"AzureWebJobs.{name}.Disabled"] = "true"
    return {**env, **more}


def start(count: int, env: dict[str, str]) -> list[RunningHost]:
    hosts: list[RunningHost] = []
    try:
        for _ in range(count):
            hosts.append(RunningHost(SCALE_APP, "--no-auth", env=env))
    except BaseException:
        stop_all(hosts)
        raise
    return hosts


def stop_all(hosts: list[RunningHost]) -> None:
    for host in hosts:
        host.stop()  # a killed host too: its output pipe is closed


@pytest.fixture
def running() -> Iterator[list[RunningHost]]:
    """Hosts a test starts; stopped at the end whatever happens."""
    hosts: list[RunningHost] = []
    yield hosts
    stop_all(hosts)


def duplicates(found: list[dict[str, Any]], key: str) -> dict[Any, int]:
    counts = collections.Counter(item[key] for item in found)
    return {value: count for value, count in counts.items() if count > 1}


def test_a_timer_fires_once_per_tick_and_moves_when_its_holder_is_killed(
    azurite: Azurite, tmp_path: Path, running: list[RunningHost]
) -> None:
    env = app_env(azurite, tmp_path, unique("beat"), "beat")
    running.extend(start(HOSTS, env))
    wait_until(lambda: records(tmp_path, "beat"), what="a first tick")
    time.sleep(TIMER_SECONDS)
    before = records(tmp_path, "beat")
    assert len({tick["pid"] for tick in before}) == 1, "one host fires while it holds the lock"
    assert not duplicates(before, "due"), "every tick fired once"
    assert len(before) >= TIMER_SECONDS // 2 - 1  # a tick every 2 s

    holder = next(host for host in running if host.process.pid == before[-1]["pid"])
    time.sleep(0.5)  # not between a run and its status write
    holder.process.send_signal(signal.SIGKILL)
    holder.process.wait(10)
    killed_at = time.time()
    wait_until(
        lambda: len([t for t in records(tmp_path, "beat") if t["at"] > killed_at]) >= 3,
        timeout=TAKEOVER_SECONDS,
        what="another host firing after the holder was killed",
    )
    after = [tick for tick in records(tmp_path, "beat") if tick["at"] > killed_at]
    assert holder.process.pid not in {tick["pid"] for tick in after}
    assert len({tick["pid"] for tick in after}) == 1
    assert after[0]["past_due"] is True  # the ticks missed during the handover
    assert not any(tick["past_due"] for tick in after[1:])
    assert not duplicates(records(tmp_path, "beat"), "due"), "no tick fired twice"
    took_over = next(h for h in running if h.process.pid == after[0]["pid"])
    took_over.wait_for("took over the lock")


def test_each_blob_runs_once_across_hosts(
    azurite: Azurite, tmp_path: Path, running: list[RunningHost]
) -> None:
    from azure.storage.blob import BlobServiceClient

    container = unique("inbox")
    env = app_env(azurite, tmp_path, unique("blobs"), "arrived", IN_CONTAINER=container)
    running.extend(start(HOSTS, env))
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    client = service.get_container_client(container)
    client.create_container()
    for number in range(BLOBS):
        client.upload_blob(f"b{number:04d}.txt", f"blob {number}".encode())
    wait_until(
        lambda: len({r["name"] for r in records(tmp_path, "blob")}) >= BLOBS,
        timeout=60 + BLOBS / 5,
        what=f"{BLOBS} blobs run",
    )
    time.sleep(3)  # long enough for a second run of any blob to show
    found = records(tmp_path, "blob")
    print(f"{BLOBS} blobs, {len(found)} runs on {len({r['pid'] for r in found})} hosts")
    assert not duplicates(found, "name")
    assert len(found) == BLOBS
    assert len({r["pid"] for r in found}) > 1, "the hosts shared the work"


def test_no_queue_message_is_lost_when_a_host_is_killed(
    azurite: Azurite, tmp_path: Path, running: list[RunningHost]
) -> None:
    from azure.storage.queue import QueueClient

    name = unique("work")
    env = app_env(azurite, tmp_path, unique("queue"), "work", WORK_QUEUE=name)
    running.extend(start(HOSTS, env))
    queue = QueueClient.from_connection_string(azurite.connection_string, name)
    for number in range(MESSAGES):
        send(queue, f"m{number:05d}")
    wait_until(lambda: len(records(tmp_path, "work")) >= MESSAGES // 3, timeout=120, what="a third")
    victim = running[0]
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(10)
    wait_until(
        lambda: len({r["body"] for r in records(tmp_path, "work")}) >= MESSAGES,
        timeout=60 + MESSAGES / 5,
        what=f"all {MESSAGES} messages",
    )
    found = records(tmp_path, "work")
    repeated = duplicates(found, "body")
    print(f"{MESSAGES} messages, {len(found)} runs, {len(repeated)} run more than once")
    assert {r["body"] for r in found} == {f"m{n:05d}" for n in range(MESSAGES)}
    # Only what the killed host had in hand runs again (at least once, never lost).
    assert len(repeated) <= 16 * 2


def test_two_apps_on_one_account_do_not_share_locks(
    azurite: Azurite, tmp_path: Path, running: list[RunningHost]
) -> None:
    from azure.storage.blob import BlobServiceClient

    ids = (unique("one"), unique("two"))
    for host_id in ids:
        out = tmp_path / host_id
        out.mkdir()
        running.extend(start(1, app_env(azurite, out, host_id, "beat")))
    for host_id in ids:
        wait_until(lambda h=host_id: records(tmp_path / h, "beat"), what=f"{host_id} firing")
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    hosts = service.get_container_client("azure-webjobs-hosts")
    for host_id in ids:
        lock = hosts.get_blob_client(f"locks/{host_id}/Host.Functions.beat.Listener")
        assert lock.get_blob_properties().lease.state == "leased"
    for host in running:
        assert "another instance holds the lock" not in host.output


def test_two_processes_of_one_host_share_http_blobs_and_the_timer(
    azurite: Azurite, tmp_path: Path, running: list[RunningHost]
) -> None:
    """``--workers 2``: both processes answer on the one port, blobs run once across
    them, the timer fires once per tick and moves to the other process when its
    holder is killed."""
    import httpx
    from azure.storage.blob import BlobServiceClient

    container = unique("inbox")
    env = app_env(azurite, tmp_path, unique("workers"), "beat", "arrived", IN_CONTAINER=container)
    host = RunningHost(SCALE_APP, "--no-auth", "--workers", "2", env=env)
    running.append(host)
    children = {
        int(p) for p in host.wait_for(r"processes serve this app \(pids (\d+), (\d+)\)").groups()
    }
    served = set()
    for _ in range(24):  # a connection each: the kernel spreads connections
        with httpx.Client() as client:
            served.add(int(client.get(f"{host.url}/api/pid").text))
    assert served == children

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    blobs = service.get_container_client(container)
    blobs.create_container()
    count = BLOBS // 2
    for number in range(count):
        blobs.upload_blob(f"b{number:04d}.txt", b"x")
    wait_until(
        lambda: len({r["name"] for r in records(tmp_path, "blob")}) >= count,
        timeout=60,
        what=f"{count} blobs run",
    )
    time.sleep(2)
    assert not duplicates(records(tmp_path, "blob"), "name")
    assert len(records(tmp_path, "blob")) == count

    ticks = records(tmp_path, "beat")
    assert ticks and len({tick["pid"] for tick in ticks}) == 1
    assert not duplicates(ticks, "due")
    holder = ticks[-1]["pid"]
    time.sleep(0.5)
    os.kill(holder, signal.SIGKILL)
    killed_at = time.time()
    wait_until(
        lambda: [t for t in records(tmp_path, "beat") if t["at"] > killed_at],
        timeout=TAKEOVER_SECONDS,
        what="the other process firing",
    )
    after = [t for t in records(tmp_path, "beat") if t["at"] > killed_at]
    assert {tick["pid"] for tick in after} == children - {holder}
    assert after[0]["past_due"] is True
    assert not duplicates(records(tmp_path, "beat"), "due")
    # A process that died is reported, and its status is the host's.
    assert host.stop() == 128 + signal.SIGKILL
    host.wait_for(f"process {holder} exited with status {128 + signal.SIGKILL}")
