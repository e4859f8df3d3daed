"""Event Hubs bindings: eventHubTrigger decoding (one event, batches) and eventHub output.

Field-by-field equality with azure.functions over many inputs is the conformance suite's
job (tests/conformance); these tests pin funcbind's own promises: laziness, batches that
cost nothing until read, errors that name binding, field and index, annotations.
"""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any, List, Optional  # noqa: UP035 - the stock checks know typing.List only

import azure.functions as func
import pytest
from azure.functions.meta import Datum

import funcbind
from funcbind import DecodeError, UnsupportedDatumError, UnsupportedValueError
from funcbind.bindings import eventhub
from funcbind.bindings._batch import Batch
from funcbind.registry import default_registry

TRIGGER = "eventHubTrigger"
ENQUEUED = "2020-07-14T01:27:55.627Z"


def collection(kind: str, items: list[Any]) -> Datum:
    return Datum(SimpleNamespace(**{kind.split("_", 1)[1]: items}), kind)


def single_metadata(**extra: Datum) -> dict[str, Datum]:
    """One event's trigger metadata, in the shapes the host sends (worker unit tests)."""
    system = {
        "x-opt-sequence-number": 47,
        "x-opt-offset": "3696",
        "SequenceNumber": 47,
        "Offset": "3696",
        "PartitionKey": None,
        "EnqueuedTimeUtc": ENQUEUED,
        "iothub-connection-device-id": "awesome-device-id",
    }
    metadata = {
        "Offset": Datum("3696", "string"),
        "EnqueuedTimeUtc": Datum(ENQUEUED, "string"),
        "SequenceNumber": Datum(47, "int"),
        "Properties": Datum("{}", "json"),
        "SystemProperties": Datum(json.dumps(system), "json"),
    }
    metadata.update(extra)
    return metadata


def batch_metadata(count: int, *, entries: int | None = None) -> dict[str, Datum]:
    system = [
        {
            "EnqueuedTimeUtc": ENQUEUED,
            "SequenceNumber": 100 + index,
            "Offset": str(4096 * index),
            "PartitionKey": f"pk-{index}",
            "iothub-connection-device-id": f"device-{index}",
        }
        for index in range(count if entries is None else entries)
    ]
    return {
        "SystemPropertiesArray": Datum(json.dumps(system), "json"),
        "PartitionContext": Datum('{"PartitionId": "0"}', "json"),
    }


def decode(datum: Any, metadata: Any, annotation: Any = Any, binding: str = TRIGGER) -> Any:
    return default_registry().decoder(binding, annotation)(datum, metadata)


# -- one event -----------------------------------------------------------------------


def test_one_event_reads_every_field_lazily() -> None:
    event = decode(Datum(b"body_bytes", "bytes"), single_metadata())
    assert isinstance(event, func.EventHubEvent)
    assert event.get_body() == b"body_bytes"
    assert event.partition_key is None
    assert event.sequence_number == 47
    assert event.offset == "3696"
    assert event.enqueued_time == datetime(2020, 7, 14, 1, 27, 55, 627000, tzinfo=timezone.utc)
    assert event.iothub_metadata == {"connection-device-id": "awesome-device-id"}
    assert event.metadata is not None and event.metadata["SequenceNumber"] == 47


def test_a_bad_field_fails_only_when_read_naming_it() -> None:
    metadata = single_metadata(EnqueuedTimeUtc=Datum('"yesterday"', "json"))
    event = decode(Datum("text", "string"), metadata)
    assert event.get_body() == b"text"
    assert event.sequence_number == 47
    with pytest.raises(DecodeError, match=r"eventHubTrigger.*EnqueuedTimeUtc.*yesterday"):
        _ = event.enqueued_time


def test_top_level_iothub_fields_win_over_system_properties() -> None:
    metadata = single_metadata(**{"iothub-enqueuedtime": Datum('"2020-01-01"', "json")})
    assert decode(Datum("x", "string"), metadata).iothub_metadata == {"enqueuedtime": "2020-01-01"}


def test_fields_are_read_only_like_the_stock_properties() -> None:
    event = decode(Datum("x", "string"), single_metadata())
    with pytest.raises(AttributeError):
        event.sequence_number = 3


@pytest.mark.parametrize("kind", ["collection_sint64", "int", "double", "stream"])
def test_unsupported_wire_kinds_are_not_implemented(kind: str) -> None:
    datum = collection(kind, [1]) if kind.startswith("collection") else Datum(1, kind)
    with pytest.raises(UnsupportedDatumError, match="eventHubTrigger") as caught:
        decode(datum, single_metadata())
    assert isinstance(caught.value, NotImplementedError)


def test_neither_cardinality_marker_is_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="SystemPropertiesArray"):
        decode(Datum("x", "string"), {"Offset": Datum("1", "string")})


def test_without_trigger_metadata_the_payload_decides() -> None:
    event = decode(Datum("x", "string"), None)
    assert (event.get_body(), event.offset, event.metadata) == (b"x", None, None)
    events = decode(collection("collection_string", ["a", "b"]), None)
    assert [e.get_body() for e in events] == [b"a", b"b"]


# -- batches -------------------------------------------------------------------------


def test_a_batch_is_a_list_of_events_with_their_own_properties() -> None:
    events = decode(collection("collection_bytes", [b"a", b"b", b"c"]), batch_metadata(3))
    assert isinstance(events, list) and len(events) == 3
    assert all(isinstance(event, func.EventHubEvent) for event in events)
    assert [e.get_body() for e in events] == [b"a", b"b", b"c"]
    assert [e.sequence_number for e in events] == [100, 101, 102]
    assert [e.offset for e in events] == [0, 4096, 8192]  # int in a batch, as the stock
    assert events[2].partition_key == "pk-2"
    assert events[1].iothub_metadata == {"connection-device-id": "device-1"}
    assert events[0].metadata is not None and "SystemPropertiesArray" in events[0].metadata
    assert events[2].metadata is events[0].metadata  # parsed once for the batch


def test_json_batches_send_each_item_as_its_json_text() -> None:
    datum = Datum('[{"device-status": "good1"}, 3]', "json")
    events = decode(datum, batch_metadata(2))
    assert [e.get_body() for e in events] == [b'{"device-status": "good1"}', b"3"]


def test_a_json_batch_that_is_not_an_array_fails_the_decode() -> None:
    with pytest.raises(DecodeError, match=r"eventHubTrigger.*JSON array"):
        decode(Datum('{"a": 1}', "json"), batch_metadata(1))


class CountingItems(list[bytes]):
    """A collection whose item reads are counted (what "O(1) until read" means)."""

    reads = 0

    def __getitem__(self, index: Any) -> Any:
        CountingItems.reads += 1
        return super().__getitem__(index)


def test_a_batch_of_a_thousand_costs_nothing_until_an_event_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = []
    original = eventhub.EventHubEvent.__init__

    def counting_init(self: Any, *args: Any) -> None:
        made.append(1)
        original(self, *args)

    monkeypatch.setattr(eventhub.EventHubEvent, "__init__", counting_init)
    CountingItems.reads = 0
    bodies = CountingItems(str(i).encode() for i in range(1000))
    metadata = batch_metadata(1000)
    metadata["SystemPropertiesArray"] = Datum("not even JSON", "json")  # never parsed
    events = decode(Datum(SimpleNamespace(bytes=bodies), "collection_bytes"), metadata)
    assert (len(made), CountingItems.reads) == (0, 0)
    assert type(events) is Batch
    assert events[999].get_body() == b"999"  # first use: light shells, one body read
    assert (len(made), CountingItems.reads) == (1000, 1)


def test_a_short_system_properties_array_fails_only_the_fields_of_the_events_past_it() -> None:
    events = decode(collection("collection_string", ["a", "b", "c"]), batch_metadata(3, entries=2))
    assert [e.get_body() for e in events] == [b"a", b"b", b"c"]
    assert events[1].sequence_number == 101
    with pytest.raises(DecodeError) as caught:
        _ = events[2].sequence_number
    message = str(caught.value)
    assert all(word in message for word in ("eventHubTrigger", "SystemPropertiesArray", "item 2"))


def test_a_bad_entry_names_its_index() -> None:
    metadata = {"SystemPropertiesArray": Datum('[{"EnqueuedTimeUtc": 5}, "x"]', "json")}
    events = decode(collection("collection_string", ["a", "b"]), metadata)
    with pytest.raises(DecodeError, match="EnqueuedTimeUtc', item 0"):
        _ = events[0].enqueued_time
    with pytest.raises(DecodeError, match="item 1: expected a JSON object"):
        _ = events[1].offset


def test_batch_behaves_as_a_list() -> None:
    events = decode(collection("collection_string", ["a", "b"]), batch_metadata(2))
    assert [e.get_body() for e in reversed(events)] == [b"b", b"a"]
    assert events[:1][0].get_body() == b"a"
    assert events == list(events) and bool(events)
    events.append("extra")
    assert len(events) == 3
    empty = decode(collection("collection_string", []), batch_metadata(0))
    copied = pickle.loads(pickle.dumps(empty))
    assert copied == []


# -- annotations ---------------------------------------------------------------------


def test_list_annotation_gets_a_list_even_for_one_event() -> None:
    events = decode(Datum("x", "string"), single_metadata(), list[func.EventHubEvent])
    assert [e.get_body() for e in events] == [b"x"]


def test_one_event_annotation_refuses_a_batch_clearly() -> None:
    with pytest.raises(DecodeError, match="cardinality"):
        decode(collection("collection_string", ["a"]), batch_metadata(1), func.EventHubEvent)


def test_optional_event_takes_a_null_payload() -> None:
    assert decode(Datum(None, None), single_metadata(), Optional[func.EventHubEvent]) is None
    assert decode(Datum(None, None), batch_metadata(0), Optional[list[func.EventHubEvent]]) is None


@pytest.mark.parametrize(
    ("annotation", "datum", "expected"),
    [
        (str, Datum(b"caf\xc3\xa9", "bytes"), "café"),
        (bytes, Datum("x", "string"), b"x"),
        (dict, Datum('{"a": 1}', "json"), {"a": 1}),
        (list[str], collection("collection_string", ["a", "b"]), ["a", "b"]),
        (list[bytes], collection("collection_bytes", [b"a"]), [b"a"]),
    ],
)
def test_plain_annotations_get_the_bodies(annotation: Any, datum: Datum, expected: Any) -> None:
    assert decode(datum, single_metadata(), annotation) == expected


def test_worker_facade_accepts_what_azure_functions_accepts() -> None:
    stock = func.get_binding_registry().get(TRIGGER)
    ours = funcbind.get_binding_registry().get(TRIGGER)
    for annotation in (func.EventHubEvent, List[func.EventHubEvent], eventhub.EventHubEvent):
        assert stock.check_input_type_annotation(annotation)
        assert ours.check_input_type_annotation(annotation)
    for annotation in (str, bytes):
        # Workers hand these to their generic binding without decoding here; other
        # callers of the registry pass pytype= and get what they asked for.
        assert ours.check_input_type_annotation(annotation)
    for annotation in (list[str], dict):
        # An annotation-less decode would hand these an EventHubEvent.
        assert not ours.check_input_type_annotation(annotation)
    stock_out = func.get_binding_registry().get("eventHub")
    ours_out = funcbind.get_binding_registry().get("eventHub")
    for annotation in (str, bytes, List[str]):
        assert stock_out.check_output_type_annotation(annotation)
        assert ours_out.check_output_type_annotation(annotation)
    for annotation in (list[str], dict, list[dict[str, int]], float, memoryview, Optional[str]):
        assert ours_out.check_output_type_annotation(annotation)  # beyond the stock set
    assert not ours_out.check_output_type_annotation(func.EventHubEvent)


# -- the eventHub input (no trigger metadata) ----------------------------------------


def test_event_hub_input_gives_text_items_as_str_as_the_stock() -> None:
    events = decode(collection("collection_string", ["a"]), None, binding="eventHub")
    assert events[0].get_body() == "a"
    assert (events[0].metadata, events[0].iothub_metadata, events[0].offset) == (None, None, None)


# -- outputs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", ("string", "text")),
        (b"raw", ("bytes", b"raw")),
        (bytearray(b"raw"), ("bytes", bytearray(b"raw"))),
        (7, ("int", 7)),
        (True, ("int", 1)),
        (2.5, ("double", 2.5)),
        (["a", {"b": 1}], ("json", '["a", {"b": 1}]')),
        ({"a": 1}, ("json", '{"a": 1}')),
        (("a",), ("json", '["a"]')),
    ],
)
def test_outputs(value: Any, expected: tuple[str, Any]) -> None:
    encoded = eventhub.encode_event(value)
    assert encoded is not None and (encoded.type, encoded.value) == expected


def test_output_none_sends_nothing_and_unsendable_values_raise() -> None:
    assert eventhub.encode_event(None) is None
    with pytest.raises(UnsupportedValueError, match="eventHub") as caught:
        eventhub.encode_event(object())
    assert isinstance(caught.value, NotImplementedError)
    with pytest.raises(UnsupportedValueError, match="JSON"):
        eventhub.encode_event([b"bytes are not JSON"])


@pytest.mark.skipif(not hasattr(func.EventHubEvent, "to_dict"), reason="azure-functions 2.x")
def test_to_dict_of_the_stock_class_works_on_the_lazy_model() -> None:
    event = decode(Datum("x", "string"), single_metadata())
    assert event.to_dict()["sequence_number"] == 47
    assert event.to_dict()["body"] == "x"


def test_json_null_text_is_none_not_the_text_none() -> None:
    metadata = single_metadata(PartitionKey=Datum("null", "json"))
    stock = (
        func.get_binding_registry()
        .get(TRIGGER)
        .decode(Datum("x", "string"), trigger_metadata=metadata)
    )
    assert stock.partition_key == "None"
    assert decode(Datum("x", "string"), metadata).partition_key is None


def test_invalid_json_in_metadata_names_the_field() -> None:
    event = decode(Datum("x", "string"), single_metadata(Properties=Datum("{oops", "json")))
    with pytest.raises(DecodeError, match=r"eventHubTrigger.*'Properties'"):
        _ = event.metadata
    assert event.sequence_number == 47


def test_repr_reads_no_field() -> None:
    event = decode(Datum("x", "string"), single_metadata(EnqueuedTimeUtc=Datum("soon", "string")))
    assert repr(event).startswith("<funcbind EventHubEvent")


# -- SystemPropertiesArray: one parse for the fields and metadata ---------------------


class CountedBatch:
    """A batch of three events whose SystemPropertiesArray parses are counted (by the
    fields' reader and by ``metadata``'s)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.metadata = batch_metadata(3)
        self.text = self.metadata["SystemPropertiesArray"].value
        self.parses = 0
        for module in (funcbind.bindings._metadata, funcbind.datum):
            monkeypatch.setattr(module, "json_loads", self._counting(module.json_loads))
        self.events = decode(collection("collection_string", ["a", "b", "c"]), self.metadata)

    def _counting(self, original: Any) -> Any:
        def counting(value: Any) -> Any:
            if value == self.text:
                self.parses += 1
            return original(value)

        return counting


def test_fields_then_metadata_parse_system_properties_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch = CountedBatch(monkeypatch)
    events = batch.events
    assert [e.sequence_number for e in events] == [100, 101, 102]
    assert events[2].metadata["SystemPropertiesArray"] == json.loads(batch.text)
    assert list(events[2].metadata) == list(batch.metadata)  # in the host's order
    assert batch.parses == 1


def test_metadata_alone_parses_system_properties_for_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No fields read yet: the metadata's parse is its own, given out with no copy; the
    # fields, if read later, parse theirs (a copy of the metadata could have changed).
    batch = CountedBatch(monkeypatch)
    events = batch.events
    assert events[0].metadata["SystemPropertiesArray"] == json.loads(batch.text)
    assert batch.parses == 1
    events[0].metadata["SystemPropertiesArray"][1]["SequenceNumber"] = -1
    assert events[1].sequence_number == 101
    assert batch.parses == 2


def change(value: Any) -> None:
    """What a function might do to a nested value it was given."""
    if isinstance(value, dict):
        value["changed"] = True
    elif isinstance(value, list):
        value.append("changed")


@pytest.mark.parametrize("metadata_first", [False, True], ids=["fields first", "metadata first"])
@pytest.mark.parametrize(
    "extra",
    [{}, {"iothub-app": {"k": "v"}}, {"iothub-app": ["v"]}, {"PartitionKey": "[{"}],
    ids=["flat", "nested object", "nested array", "brackets in a string"],
)
def test_metadata_and_fields_stay_independent(metadata_first: bool, extra: Any) -> None:
    entries = [
        {"SequenceNumber": 100 + index, "iothub-app": "x", "PartitionKey": "pk", **extra}
        for index in range(2)
    ]
    events = decode(
        collection("collection_string", ["a", "b"]),
        {"SystemPropertiesArray": Datum(json.dumps(entries), "json")},
    )
    if not metadata_first:
        change(events[0].iothub_metadata["app"])
    shown = events[0].metadata["SystemPropertiesArray"]
    assert shown == entries  # nothing the fields gave out reached the metadata
    for entry in shown:  # and nothing done to the metadata reaches the fields
        entry["SequenceNumber"] = -1
        change(entry["iothub-app"])
    assert [e.sequence_number for e in events] == [100, 101]
    assert events[1].iothub_metadata == {"app": extra.get("iothub-app", "x")}
    assert events[1].partition_key == extra.get("PartitionKey", "pk")


def test_system_properties_that_are_not_an_array_still_show_in_metadata() -> None:
    metadata = {"SystemPropertiesArray": Datum('{"SequenceNumber": 1}', "json")}
    events = decode(collection("collection_string", ["a"]), metadata)
    assert events[0].metadata == {"SystemPropertiesArray": {"SequenceNumber": 1}}
    with pytest.raises(DecodeError, match="expected a JSON array"):
        _ = events[0].sequence_number
    broken = {"SystemPropertiesArray": Datum("[not JSON", "json")}
    with pytest.raises(DecodeError, match="SystemPropertiesArray"):
        _ = decode(collection("collection_string", ["a"]), broken)[0].metadata
