"""funcbind.host.azurite: starting the emulator, talking to it with the real SDKs."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from funcbind.host.azurite import (
    Azurite,
    AzuriteError,
    development_connection_string,
    find_azurite,
    start_azurite,
)

pytestmark = pytest.mark.azurite


def test_blob_round_trip_through_the_sdk(azurite: Azurite) -> None:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    container = service.create_container(f"t-{uuid.uuid4().hex}")
    container.upload_blob("hello.txt", b"hello azurite")
    assert container.download_blob("hello.txt").readall() == b"hello azurite"
    service.close()


def test_queue_round_trip_through_the_sdk(azurite: Azurite) -> None:
    from azure.storage.queue import QueueClient

    queue = QueueClient.from_connection_string(azurite.connection_string, f"q-{uuid.uuid4().hex}")
    queue.create_queue()
    queue.send_message("ping")
    [message] = list(queue.receive_messages())
    assert message.content == "ping"
    queue.close()


def test_it_listens_on_loopback_ports_it_reported(azurite: Azurite) -> None:
    assert azurite.running()
    assert azurite.host == "127.0.0.1"
    assert set(azurite.ports) == {"blob", "queue", "table"}
    assert all(port > 0 for port in azurite.ports.values())
    assert f":{azurite.ports['blob']}/devstoreaccount1" in azurite.connection_string


def test_stop_ends_the_process(tmp_path: Path) -> None:
    with start_azurite(tmp_path / "data") as server:
        assert server.running()
    assert not server.running()
    server.stop()  # a second stop is harmless


def test_a_failing_start_reports_the_output(tmp_path: Path) -> None:
    script = tmp_path / "fake-azurite"
    script.write_text("#!/bin/sh\necho 'cannot start: port taken'\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(AzuriteError, match="exited with code 3") as info:
        start_azurite(tmp_path / "data", executable=str(script), timeout=10)
    assert "cannot start: port taken" in str(info.value)


def test_missing_executable_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FUNCBIND_AZURITE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("funcbind.host.azurite._node_bin_candidates", lambda start: iter(()))
    with pytest.raises(AzuriteError, match="npm ci"):
        find_azurite(tmp_path)


def test_development_connection_string_defaults() -> None:
    text = development_connection_string()
    assert "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;" in text
    assert "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;" in text
