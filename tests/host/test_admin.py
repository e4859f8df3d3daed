"""What an admin-invoked function receives as its trigger payload."""

from __future__ import annotations

import json

from funcbind._typing import ANY
from funcbind.bindings.queue import QueueMessage
from funcbind.host.model import plain_payload
from funcbind.host.triggers import queue, timer
from funcbind.host.triggers.kinds import trigger_kind
from funcbind.host.triggers.no_local_source import DESCRIPTION
from funcbind.registry import default_registry


def test_timer_payload_is_a_timer_that_is_not_past_due() -> None:
    datum = timer.admin_payload("ignored")  # a timer's admin call sends no metadata
    assert json.loads(datum.value) == {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": None,
        "IsPastDue": False,
    }
    decode = default_registry().decoder("timerTrigger", ANY)
    assert decode(datum, None).past_due is False


def test_queue_payload_has_the_message_and_its_metadata() -> None:
    datum, metadata = queue.admin_payload("hello")
    assert (datum.value, datum.type) == ("hello", "string")
    assert metadata is not None
    message = QueueMessage(datum, metadata)
    assert message.get_body() == b"hello"
    assert message.dequeue_count == 1
    assert message.insertion_time is not None and message.expiration_time is not None
    assert message.insertion_time < message.expiration_time
    assert metadata["QueueTrigger"].value == "hello"


def test_queue_payload_from_json_input() -> None:
    datum, metadata = queue.admin_payload({"id": 1})
    assert (datum.value, datum.type) == ('{"id": 1}', "json")
    assert metadata is not None
    assert metadata["QueueTrigger"].value == '{"id": 1}'


def test_other_triggers_get_the_input_as_it_is() -> None:
    for binding_type in ("kafkaTrigger", "customTrigger"):
        kind = trigger_kind(binding_type)
        assert kind is not None and kind.describe(None) == DESCRIPTION
    assert plain_payload("text").value == "text"
    data = plain_payload({"a": [1]})
    assert (data.value, data.type) == ('{"a": [1]}', "json")
    nothing = plain_payload(None)
    assert (nothing.value, nothing.type) == (None, None)
