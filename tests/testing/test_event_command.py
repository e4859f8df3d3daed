"""``funcbind event KIND``: one event as the admin endpoint's body, or as wire data."""

from __future__ import annotations

import json

import pytest

from funcbind.host.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object, str]:
    status = main(["event", *argv])
    out, err = capsys.readouterr()
    return status, json.loads(out) if out else None, err


def test_queue_event_as_an_admin_body(capsys: pytest.CaptureFixture[str]) -> None:
    status, body, _ = run(capsys, "queue", "--set", 'body={"id": 2}', "--set", "dequeue_count=3")
    assert status == 0 and body == {"input": {"id": 2}}


def test_blob_and_timer(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "blob", "--set", "path=samples/x.csv")[1] == {"input": "samples/x.csv"}
    assert run(capsys, "timer", "--set", "past_due=true")[1] == {"input": ""}


def test_wire_form_with_a_datetime_field(capsys: pytest.CaptureFixture[str]) -> None:
    status, wire, _ = run(capsys, "queue", "--wire", "--set", "insertion_time=2026-01-02T03:04:05Z")
    assert status == 0
    assert wire["metadata"]["InsertionTime"] == {  # type: ignore[index]
        "type": "json",
        "value": '"2026-01-02T03:04:05+00:00"',
    }


def test_http_prints_the_wire_form(capsys: pytest.CaptureFixture[str]) -> None:
    status, wire, _ = run(capsys, "http", "--set", "url=/api/x?a=1")
    assert status == 0 and wire["payload"]["value"]["query"]["a"]["value"] == "1"  # type: ignore[index]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["kafka"], "one of blob, http, queue, timer, got 'kafka'"),
        (["queue", "--set", "nope=1"], "got 'nope'"),
        (["queue", "--set", "body"], "expected --set FIELD=VALUE, got 'body'"),
        (["queue", "--set", "insertion_time=soon"], "insertion_time"),
    ],
)
def test_bad_input_is_an_error_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, body, err = run(capsys, *argv)
    assert status == 2 and body is None
    assert err.startswith("funcbind: error:") and message in err
