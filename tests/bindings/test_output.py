"""What the output converters share (bindings/_output.py): the error for a list item a
family cannot send, the same in every family that uses it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from funcbind.bindings.eventgrid import encode_events
from funcbind.bindings.queue import encode_queue_message
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
