"""The Event Grid webhook of the real ``funcbind run`` over HTTP: the subscription
handshake, one event, a batch, CloudEvents (one and a batch), cardinality many, the
system key, unknown functions and payloads that are not events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostrunner import APPS, MASTER_KEY, RunningHost

from funcbind.host.keys import KeyStore

EVENTGRID_APP = APPS / "eventgridapp"
HOOK = "/runtime/webhooks/eventgrid"
SYSTEM_KEY = KeyStore(MASTER_KEY, "unused").system_key("eventgrid_extension")
NOTIFY = {"aeg-event-type": "Notification"}


@pytest.fixture(scope="module")
def host(out_dir: Path) -> Iterator[RunningHost]:
    running = RunningHost(EVENTGRID_APP, env={"FUNCBIND_TEST_OUT": str(out_dir)})
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def http(host: RunningHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.url, timeout=30) as client:
        yield client


def grid_event(subject: str) -> dict[str, Any]:
    return {
        "id": f"id-{subject}",
        "topic": "/subscriptions/x/resourceGroups/y",
        "subject": subject,
        "eventType": "Contoso.Items.ItemReceived",
        "eventTime": "2026-01-02T03:04:05.678Z",
        "data": {"item": subject},
        "dataVersion": "1.0",
        "metadataVersion": "1",
    }


def cloud_event(subject: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"ce-{subject}",
        "source": "/contoso/items",
        "type": "Contoso.Items.ItemReceived",
        "subject": subject,
        "time": "2026-01-02T03:04:05Z",
        "data": {"item": subject},
    }


def recorded(out_dir: Path, prefix: str) -> list[Any]:
    return [json.loads(p.read_text()) for p in sorted(out_dir.glob(f"{prefix}-*.json"))]


def post(http: httpx.Client, function: str, body: Any, **headers: str) -> httpx.Response:
    return http.post(
        HOOK,
        params={"functionName": function, "code": SYSTEM_KEY},
        content=json.dumps(body),
        headers=headers or NOTIFY,
    )


def subjects(out_dir: Path) -> set[str]:
    return {event["subject"] for event in recorded(out_dir, "event")}


def test_the_subscription_validation_handshake(http: httpx.Client) -> None:
    validation = [
        {
            **grid_event("validation"),
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
        }
    ]
    answer = post(http, "on_event", validation, **{"aeg-event-type": "SubscriptionValidation"})
    assert answer.status_code == 200
    assert answer.json() == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}


def test_one_event_runs_the_function_once_and_answers_202(
    http: httpx.Client, out_dir: Path
) -> None:
    answer = post(http, "on_event", [grid_event("one")])
    assert (answer.status_code, answer.content) == (202, b"")
    # The answer waits for the invocation: the record is already there.
    (event,) = [e for e in recorded(out_dir, "event") if e["subject"] == "one"]
    assert event == grid_event("one")


def test_a_batch_runs_once_per_event(http: httpx.Client, out_dir: Path) -> None:
    answer = post(http, "on_event", [grid_event("b1"), grid_event("b2"), grid_event("b3")])
    assert answer.status_code == 202
    assert {"b1", "b2", "b3"} <= subjects(out_dir)


def test_cloud_events_one_and_a_batch(http: httpx.Client, out_dir: Path) -> None:
    assert post(http, "on_event", cloud_event("c1")).status_code == 202
    assert post(http, "on_event", [cloud_event("c2"), cloud_event("c3")]).status_code == 202
    found = {e["id"]: e for e in recorded(out_dir, "event")}
    assert found["ce-c1"] == cloud_event("c1")
    assert {"ce-c2", "ce-c3"} <= set(found)


def test_cardinality_many_runs_once_with_the_whole_batch(http: httpx.Client, out_dir: Path) -> None:
    events = [grid_event("m1"), grid_event("m2")]
    assert post(http, "OnBatch", events).status_code == 202
    assert events in recorded(out_dir, "batch")


def test_eventgrid_failure_names_invocations(http: httpx.Client, out_dir: Path) -> None:
    answer = post(http, "on_event", [grid_event("fail"), grid_event("after-fail")])
    assert answer.status_code == 500
    assert "failed for 1 of 2 event(s)" in answer.json()["error"]
    assert "after-fail" in subjects(out_dir)


def test_the_cloudevents_webhook_handshake(http: httpx.Client) -> None:
    answer = http.options(
        HOOK,
        params={"functionName": "on_event", "code": SYSTEM_KEY},
        headers={"WebHook-Request-Origin": "eventemitter.example.com"},
    )
    assert answer.status_code == 200
    assert answer.headers["webhook-allowed-origin"] == "eventemitter.example.com"


def test_the_master_key_opens_the_webhook_and_a_wrong_key_is_401(http: httpx.Client) -> None:
    body = json.dumps([grid_event("keyed")])
    params = {"functionName": "on_event"}
    by_master = http.post(
        HOOK, params=params, content=body, headers={**NOTIFY, "x-functions-key": MASTER_KEY}
    )
    assert by_master.status_code == 202
    wrong = http.post(HOOK, params={**params, "code": "nope"}, content=body, headers=NOTIFY)
    assert wrong.status_code == 401
    assert "eventgrid_extension" in wrong.json()["error"]
    missing = http.post(HOOK, params=params, content=body, headers=NOTIFY)
    assert missing.status_code == 401


def test_an_unknown_function_is_404_naming_the_ones_served(http: httpx.Client) -> None:
    answer = post(http, "nobody", [grid_event("x")])
    assert answer.status_code == 404
    assert "'nobody'" in answer.json()["error"] and "OnBatch, on_event" in answer.json()["error"]
    assert http.post(HOOK, params={"code": SYSTEM_KEY}, headers=NOTIFY).status_code == 404
    other = http.post("/runtime/webhooks/nothing", params={"functionName": "on_event"})
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("42", "got a JSON int"),
        ("not json", "expected an event (a JSON object) or a batch (a JSON array)"),
    ],
)
def test_a_payload_that_is_not_an_event_or_a_batch_is_400(
    http: httpx.Client, body: str, expected: str
) -> None:
    answer = http.post(
        HOOK, params={"functionName": "on_event", "code": SYSTEM_KEY}, content=body, headers=NOTIFY
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert expected in error and "function 'on_event', binding 'event'" in error


def test_a_missing_event_type_header_is_400(http: httpx.Client) -> None:
    answer = http.post(
        HOOK,
        params={"functionName": "on_event", "code": SYSTEM_KEY},
        content=json.dumps([grid_event("x")]),
    )
    assert answer.status_code == 400
    assert "'aeg-event-type'" in answer.json()["error"]


def test_unsubscribe_is_202_and_runs_nothing(http: httpx.Client, out_dir: Path) -> None:
    before = len(recorded(out_dir, "event"))
    answer = post(http, "on_event", [grid_event("u")], **{"aeg-event-type": "Unsubscribe"})
    assert answer.status_code == 202
    assert len(recorded(out_dir, "event")) == before


def test_the_console_shows_where_events_go(host: RunningHost) -> None:
    host.wait_for(
        rf"on_event: Event Grid events are taken at {HOOK}\?functionName=on_event&code={SYSTEM_KEY}"
    )


def test_eventgrid_batch_items_must_be_objects(http: httpx.Client, out_dir: Path) -> None:
    """A batch with an item that is not an event is refused whole; nothing runs."""
    before = len(recorded(out_dir, "event"))
    answer = post(http, "on_event", [grid_event("fine"), 7])
    assert answer.status_code == 400
    assert "expected event 1 of the batch to be a JSON object" in answer.json()["error"]
    assert len(recorded(out_dir, "event")) == before


def test_eventgrid_system_key_derived(http: httpx.Client) -> None:
    """The webhook's key comes from the master key: the same for as long as it is."""
    assert KeyStore(MASTER_KEY, "other default").system_key("eventgrid_extension") == SYSTEM_KEY
    assert KeyStore("another master", "unused").system_key("eventgrid_extension") != SYSTEM_KEY
    assert post(http, "on_event", [grid_event("derived")]).status_code == 202
