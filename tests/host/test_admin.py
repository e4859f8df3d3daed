"""What an admin-invoked function receives as its trigger payload."""

from __future__ import annotations

import json

from funcbind._typing import ANY
from funcbind.bindings.queue import QueueMessage
from funcbind.host.admin import trigger_payload
from funcbind.registry import default_registry


def test_timer_payload_is_a_timer_that_is_not_past_due() -> None:
    datum, metadata = trigger_payload("timerTrigger", "ignored")
    assert metadata is None
    assert json.loads(datum.value) == {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": None,
        "IsPastDue": False,
    }
    decode = default_registry().decoder("timerTrigger", ANY)
    assert decode(datum, metadata).past_due is False


def test_queue_payload_has_the_message_and_its_metadata() -> None:
    datum, metadata = trigger_payload("queueTrigger", "hello")
    assert (datum.value, datum.type) == ("hello", "string")
    assert metadata is not None
    message = QueueMessage(datum, metadata)
    assert message.get_body() == b"hello"
    assert message.dequeue_count == 1
    assert message.insertion_time is not None and message.expiration_time is not None
    assert message.insertion_time < message.expiration_time
    assert metadata["QueueTrigger"].value == "hello"


def test_queue_payload_from_json_input() -> None:
    datum, metadata = trigger_payload("queueTrigger", {"id": 1})
    assert (datum.value, datum.type) == ('{"id": 1}', "json")
    assert metadata is not None
    assert metadata["QueueTrigger"].value == '{"id": 1}'


def test_other_triggers_get_the_input_as_it_is() -> None:
    assert trigger_payload("eventGridTrigger", "text")[0].value == "text"
    data = trigger_payload("eventGridTrigger", {"a": [1]})[0]
    assert (data.value, data.type) == ('{"a": [1]}', "json")
    nothing = trigger_payload("customTrigger", None)[0]
    assert (nothing.value, nothing.type) == (None, None)
