"""What the output converters share (bindings/_output.py): the error for a list item a
family cannot send, the same in every family that uses it, and the plain values every
family sends as they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from funcbind.bindings import eventhub, generic, kafka, servicebus
from funcbind.bindings.eventgrid import encode_events
from funcbind.bindings.queue import encode_queue_message
from funcbind.datum import Datum
from funcbind.errors import UnsupportedValueError

FAMILIES: dict[str, tuple[Callable[[Any], Any], str]] = {
    "queue": (encode_queue_message, "binding 'queue', item 1: expected str, dict, list"),
    "eventGrid": (encode_events, "binding 'eventGrid', item 1: expected str, dict or"),
}


@pytest.mark.parametrize(("encode", "start"), FAMILIES.values(), ids=FAMILIES)
@pytest.mark.parametrize("item", [b"x", bytearray(b"x"), memoryview(b"x")], ids=type)
def test_bytes_in_a_list_name_the_item_and_the_fix(
    encode: Callable[[Any], Any], start: str, item: Any
) -> None:
    with pytest.raises(UnsupportedValueError) as raised:
        encode(["fine", item])
    message = str(raised.value)
    assert message.startswith(start)
    assert f"got {type(item).__name__}" in message
    assert message.endswith(
        "; a list travels as one JSON array, which cannot hold bytes: decode it to str"
    )


@pytest.mark.parametrize(("encode", "start"), FAMILIES.values(), ids=FAMILIES)
def test_other_items_are_named_without_the_bytes_hint(
    encode: Callable[[Any], Any], start: str
) -> None:
    with pytest.raises(UnsupportedValueError) as raised:
        encode(["fine", 3.5])
    message = str(raised.value)
    assert message.startswith(start)
    assert message.endswith("got float 3.5")


ENCODERS: dict[str, Callable[[Any], Any]] = {
    "eventGrid": encode_events,
    "eventHub": eventhub.encode_event,
    "generic": generic.encode_value,
    "kafka": kafka.encode_records,
    "queue": encode_queue_message,
    "serviceBus": servicebus.encode_message,
}


class _Text(str):
    pass


@pytest.mark.parametrize("encode", ENCODERS.values(), ids=ENCODERS)
def test_plain_values_are_sent_as_they_are(encode: Callable[[Any], Any]) -> None:
    text, data, buffer, view = "hé", b"\x00\xff", bytearray(b"ab"), memoryview(b"cd")
    assert encode(None) is None
    for value, kind in ((text, "string"), (data, "bytes"), (buffer, "bytes"), (view, "bytes")):
        datum = encode(value)
        assert datum == Datum(value, kind)
        assert datum.value is value  # no copy
    # A subclass is the family's own to send: still text, never refused.
    assert encode(_Text("sub")).value == "sub"


@pytest.mark.parametrize("encode", ENCODERS.values(), ids=ENCODERS)
def test_shared_encoders_keep_their_name_and_doc(encode: Callable[[Any], Any]) -> None:
    assert encode.__name__.startswith("encode_")
    assert encode.__doc__
