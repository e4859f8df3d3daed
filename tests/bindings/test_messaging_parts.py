"""The pieces the messaging families share: memo_slot, Batch, FieldReader."""

from __future__ import annotations

import copy
import pickle
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from azure.functions.meta import Datum

from funcbind import DecodeError
from funcbind.bindings._batch import Batch
from funcbind.bindings._common import UNSET, memo_slot
from funcbind.bindings._metadata import FieldReader
from funcbind.bindings.eventhub import EventHubEvent
from funcbind.bindings.eventhub import _Payload as EventHubPayload
from funcbind.bindings.servicebus import ServiceBusMessage
from funcbind.bindings.servicebus import _Payload as ServiceBusPayload

FIELDS = FieldReader("someTrigger")


class Counted:
    __slots__ = ("_calls", "_value")

    def __init__(self) -> None:
        self._calls = 0

    @memo_slot
    def value(self) -> int:
        """The doc."""
        self._calls += 1
        return 42


def test_memo_slot_computes_once_and_is_read_only() -> None:
    thing = Counted()
    assert (thing.value, thing.value, thing._calls) == (42, 42, 1)
    with pytest.raises(AttributeError, match="no setter"):
        thing.value = 3  # type: ignore[misc]
    assert Counted.value.__doc__ == "The doc."


def test_memo_slot_needs_its_slot() -> None:
    # Python 3.11 wraps an error of __set_name__ in a RuntimeError; 3.12 lets it through.
    with pytest.raises((TypeError, RuntimeError)) as caught:

        class NoSlot:
            __slots__ = ()

            @memo_slot
            def missing(self) -> int:
                return 1

    assert "'_missing'" in f"{caught.value} {caught.value.__cause__}"


class Filled:
    __slots__ = ("_calls", "_value")

    def __init__(self) -> None:
        self._calls = 0
        self._value = UNSET

    @memo_slot
    def value(self) -> Any:
        self._calls += 1
        return None  # a computed None is a value, not "not computed yet"


def test_memo_slot_computes_a_slot_filled_with_unset_once() -> None:
    thing = Filled()
    assert (thing.value, thing.value, thing._calls) == (None, None, 1)


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (ServiceBusMessage, ServiceBusPayload(Datum(b"{}", "bytes"), {})),
        (EventHubEvent, EventHubPayload(Datum(b"{}", "bytes"), {}, "eventHubTrigger")),
    ],
)
def test_the_models_fill_every_memo_slot(model: type, payload: Any) -> None:
    # Reading an empty slot raises and catches an AttributeError, several times the cost
    # of the read itself: a field added without filling its slot shows up here.
    made = model(payload)
    slots = [name for cls in model.__mro__ for name in cls.__dict__.get("__slots__", ())]
    assert "_body" in slots and "_metadata" in slots  # the shared ones count too
    empty = [
        name
        for name in slots
        if name not in ("_payload", "_index") and getattr(made, name, None) is not UNSET
    ]
    assert empty == []


@pytest.mark.parametrize(
    "copy_of", [copy.copy, copy.deepcopy, lambda made: pickle.loads(pickle.dumps(made))]
)
def test_a_copied_model_still_reads_its_fields(copy_of: Any) -> None:
    metadata = {"UserProperties": Datum("{}", "json"), "MessageId": Datum("m-1", "string")}
    message = ServiceBusMessage(ServiceBusPayload(Datum(b"body", "bytes"), metadata))
    assert message.message_id == "m-1"  # one field computed before the copy, one after
    copied = copy_of(message)
    assert (copied.message_id, copied.get_body(), copied.label) == ("m-1", b"body", None)


def test_batch_is_filled_once_on_first_use() -> None:
    calls = []

    def make() -> list[int]:
        calls.append(1)
        return [3, 1, 2]

    batch = Batch(make)
    assert calls == []
    assert isinstance(batch, list)
    assert sorted(batch) == [1, 2, 3] and batch.index(2) == 2 and 1 in batch
    assert calls == [1]
    batch.sort()
    assert batch == [1, 2, 3] and batch + Batch(lambda: [4]) == [1, 2, 3, 4]
    assert repr(Batch(lambda: ["x"])) == "['x']"


@pytest.mark.parametrize(
    ("datum", "expected"),
    [
        (Datum("abc", "string"), "abc"),
        (Datum('"abc"', "json"), "abc"),
        (Datum('"a\\"b"', "json"), 'a"b'),
        (Datum("12", "json"), "12"),
        (Datum(7, "int"), "7"),
        (Datum("null", "json"), None),
        (Datum(None, None), None),
        (None, None),
    ],
)
def test_text(datum: Any, expected: Any) -> None:
    assert FIELDS.text(datum, "F") == expected


@pytest.mark.parametrize(
    ("datum", "expected"),
    [
        (Datum(3, "int"), 3),
        (Datum("3", "json"), 3),
        (Datum("-3", "string"), -3),
        (Datum('"5"', "json"), 5),
        (Datum(4.0, "double"), 4),
        (Datum(None, None), None),
    ],
)
def test_integer(datum: Any, expected: Any) -> None:
    assert FIELDS.integer(datum, "F") == expected


@pytest.mark.parametrize(
    "datum",
    [
        Datum("2.5", "json"),
        Datum("true", "json"),
        Datum("--3", "string"),
        Datum("9" * 5000, "string"),
        Datum(b"3", "bytes"),
    ],
)
def test_integer_refusals_name_binding_and_field(datum: Any) -> None:
    with pytest.raises(DecodeError, match="binding 'someTrigger': trigger metadata field 'F'"):
        FIELDS.integer(datum, "F")


def test_times_and_items() -> None:
    assert FIELDS.moment(Datum('"2024-06-18T09:15:27Z"', "json"), "F") == datetime(
        2024, 6, 18, 9, 15, 27, tzinfo=timezone.utc
    )
    assert FIELDS.span(Datum("1.00:00:01", "string"), "F") == timedelta(days=1, seconds=1)
    assert FIELDS.item_span("", "F", 0) is None
    with pytest.raises(DecodeError, match="'F', item 3: expected a time span"):
        FIELDS.item_span("soon", "F", 3)
    with pytest.raises(DecodeError, match="'F', item 1: expected a datetime text"):
        FIELDS.item_moment(5, "F", 1)
    assert FIELDS.array(Datum("[1, 2]", "json"), "F") == [1, 2]
    with pytest.raises(DecodeError, match="expected a JSON array"):
        FIELDS.array(Datum("{}", "json"), "F")
    with pytest.raises(DecodeError, match="expected a JSON object"):
        FIELDS.mapping(Datum("[]", "json"), "F")
