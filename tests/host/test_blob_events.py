"""Blob triggers with ``source: EventGrid`` on the real ``funcbind run`` and Azurite:
nothing is scanned, and BlobCreated events POSTed to ``/runtime/webhooks/blobs`` run the
function for the blob each names."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostrunner import APPS, RunningHost
from storagekit import azurite_env

from funcbind.host.azurite import Azurite
from funcbind.host.keys import KeyStore

pytestmark = pytest.mark.azurite

HOOK = "/runtime/webhooks/blobs"
APP = APPS / "tableapp"


def created(url: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "topic": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z",
        "subject": "/blobServices/default/containers/c/blobs/b",
        "eventType": "Microsoft.Storage.BlobCreated",
        "eventTime": "2026-01-02T03:04:05Z",
        "data": {"api": "PutBlob", "url": url, "blobType": "BlockBlob"},
        "dataVersion": "",
        "metadataVersion": "1",
    }


def test_blob_events_run_before_the_202(azurite: Azurite, tmp_path: Path) -> None:
    from azure.storage.blob import BlobServiceClient

    container = f"events-{uuid.uuid4().hex[:8]}"
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    client = service.create_container(container)
    client.upload_blob("scanned.txt", b"never")  # no event names it: never run
    client.upload_blob("one.txt", b"first")
    client.upload_blob("two.txt", b"second")
    env = {
        **azurite_env(azurite),
        "FUNCBIND_AZURITE_TABLE_ENDPOINT": (
            f"http://127.0.0.1:{azurite.ports['table']}/devstoreaccount1"
        ),
        "EVENTS_CONTAINER": container,
        "FUNCBIND_TEST_OUT": str(tmp_path),
    }
    host = RunningHost(APP, env=env)
    try:
        host.wait_for(
            r"BlobEvents: blob events are taken at /runtime/webhooks/blobs\?"
            r"functionName=Host\.Functions\.BlobEvents"
        )
        master = json.loads((APP / ".funcbind" / "keys.json").read_text())["master"]
        system_key = KeyStore(master, "unused").system_key("blobs_extension")
        notify = {"aeg-event-type": "Notification"}
        params = {"functionName": "Host.Functions.BlobEvents", "code": system_key}
        events = [
            created(f"{client.url}/one.txt"),
            created(f"{client.url}/two.txt"),
            {**created(f"{client.url}/scanned.txt"), "eventType": "Microsoft.Storage.BlobDeleted"},
        ]
        with httpx.Client(base_url=host.url, timeout=30) as http:
            wrong = http.post(
                HOOK, params={**params, "code": "nope"}, content=json.dumps(events), headers=notify
            )
            assert wrong.status_code == 401
            assert "blobs_extension" in wrong.json()["error"]
            answer = http.post(HOOK, params=params, content=json.dumps(events), headers=notify)
            assert answer.status_code == 202
            handshake = http.post(
                HOOK,
                params=params,
                content=json.dumps([{"data": {"validationCode": "abc"}}]),
                headers={"aeg-event-type": "SubscriptionValidation"},
            )
            assert handshake.json() == {"validationResponse": "abc"}
            # An Event Grid trigger's name is not a blob webhook's function.
            other = http.post(
                HOOK,
                params={**params, "functionName": "Host.Functions.get_person"},
                content="[]",
                headers=notify,
            )
            assert other.status_code == 404
        runs = sorted(p.read_text() for p in tmp_path.glob("blob-*.txt"))
        assert runs == [f"{container}/one.txt=first", f"{container}/two.txt=second"]
    finally:
        host.stop()
