"""examples/tables_and_events on the real ``funcbind run`` and Azurite, with the requests
the README shows: notes in a table, Event Grid events recorded in another."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from hostrunner import EXAMPLES, RunningHost
from storagekit import azurite_env

from funcbind.host.azurite import Azurite

pytestmark = pytest.mark.azurite


def test_the_tables_and_events_example(azurite: Azurite) -> None:
    env = {
        **azurite_env(azurite),
        "FUNCBIND_AZURITE_TABLE_ENDPOINT": (
            f"http://127.0.0.1:{azurite.ports['table']}/devstoreaccount1"
        ),
    }
    host = RunningHost(EXAMPLES / "tables_and_events", "--no-auth", env=env)
    user = f"ann{uuid.uuid4().hex[:8]}"
    kind = f"Contoso.Test.{uuid.uuid4().hex[:8]}"
    try:
        with httpx.Client(base_url=host.url, timeout=30) as http:
            assert http.post(f"/api/notes/{user}", content="buy milk").status_code == 201
            assert http.post(f"/api/notes/{user}", content="call Bo").status_code == 201
            assert sorted(http.get(f"/api/notes/{user}").json()) == ["buy milk", "call Bo"]

            events = [
                {
                    "id": f"e{n}",
                    "eventType": kind,
                    "subject": f"item/{n}",
                    "data": {},
                    "eventTime": "2026-01-01T00:00:00Z",
                    "dataVersion": "1",
                }
                for n in (1, 2)
            ]
            hook = "/runtime/webhooks/eventgrid?functionName=record_event"
            notify = {"aeg-event-type": "Notification"}
            assert http.post(hook, content=json.dumps(events), headers=notify).status_code == 202
            # Delivered again: replaced, not refused.
            assert http.post(hook, content=json.dumps(events), headers=notify).status_code == 202
            assert http.get(f"/api/events/{kind}").json() == ["item/1", "item/2"]
    finally:
        assert host.stop() == 0
