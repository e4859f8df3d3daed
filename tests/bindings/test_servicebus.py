"""Service Bus bindings: serviceBusTrigger decoding (one message, batches) and the output.

Equality with azure.functions over many inputs is the conformance suite's job; these
tests pin funcbind's own promises: every property typed and read lazily, batches that
cost nothing until read, errors naming binding, field and index, annotations, outputs.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, List, Optional  # noqa: UP035 - the stock checks know typing.List only

import azure.functions as func
import pytest
from azure.functions.meta import Datum

import funcbind
from funcbind import DecodeError, UnsupportedDatumError, UnsupportedValueError
from funcbind.bindings import servicebus
from funcbind.registry import default_registry

TRIGGER = "serviceBusTrigger"


def collection(kind: str, items: list[Any]) -> Datum:
    return Datum(SimpleNamespace(**{kind.split("_", 1)[1]: items}), kind)


def single_metadata(**changes: Datum | None) -> dict[str, Datum]:
    """One message's trigger metadata in the host's shapes (the library's unit tests)."""
    metadata = {
        "ContentType": Datum("application/json", "string"),
        "CorrelationId": Datum("87c66eaf88e84119b66a26278a7b4149", "string"),
        "DeadLetterErrorDescription": Datum("description", "string"),
        "DeadLetterReason": Datum("reason", "string"),
        "DeadLetterSource": Datum("orders", "string"),
        "DeliveryCount": Datum(571, "int"),
        "EnqueuedSequenceNumber": Datum(15, "int"),
        "EnqueuedTimeUtc": Datum('"2024-06-18T09:15:27.4610507Z"', "json"),
        "ExpiresAtUtc": Datum('"9999-12-31T23:59:59.9999999Z"', "json"),
        "Label": Datum("label", "string"),
        "LockedUntil": Datum("2024-06-18T09:16:27.4610507+00:00", "string"),
        "LockToken": Datum("87931fd2-39f4-415a-9fdc-adfdcbed3148", "string"),
        "MessageId": Datum("abcee18397398d93891830a0aac89eed", "string"),
        "PartitionKey": Datum("pk", "string"),
        "ReplyTo": Datum("replies", "string"),
        "ReplyToSessionId": Datum("reply-session", "string"),
        "ScheduledEnqueueTimeUtc": Datum('"0001-01-01T00:00:00"', "json"),
        "SequenceNumber": Datum(38291, "int"),
        "SessionId": Datum("session-1", "string"),
        "State": Datum(1, "int"),
        "Subject": Datum("subject", "string"),
        "TimeToLive": Datum("10675199.02:48:05.4775807", "string"),  # TimeSpan.MaxValue
        "To": Datum("orders", "string"),
        "TransactionPartitionKey": Datum("tpk", "string"),
        "ApplicationProperties": Datum('{"application": "value"}', "json"),
        "UserProperties": Datum('{"$AzureWebJobsParentId": "6ceef68b", "n": 0}', "json"),
    }
    for name, datum in changes.items():
        if datum is None:
            del metadata[name]
        else:
            metadata[name] = datum
    return metadata


def decode(datum: Any, metadata: Any, annotation: Any = Any) -> Any:
    return default_registry().decoder(TRIGGER, annotation)(datum, metadata)


# -- one message ---------------------------------------------------------------------


def test_every_property_is_typed() -> None:
    message = decode(Datum(b"body", "bytes"), single_metadata())
    assert isinstance(message, func.ServiceBusMessage)
    assert isinstance(message, func.servicebus.ServiceBusMessage)
    assert message.get_body() == b"body"
    assert message.message_id == "abcee18397398d93891830a0aac89eed"
    assert (message.delivery_count, message.sequence_number, message.state) == (571, 38291, 1)
    assert message.enqueued_time_utc == datetime(
        2024, 6, 18, 9, 15, 27, 461050, tzinfo=timezone.utc
    )
    assert message.expires_at_utc == message.expiration_time
    assert message.expires_at_utc.year == 9999
    assert message.locked_until.utcoffset() == timedelta(0)
    assert message.scheduled_enqueue_time_utc == datetime(1, 1, 1)
    assert message.scheduled_enqueue_time == message.scheduled_enqueue_time_utc
    assert message.time_to_live == timedelta(days=10675199, seconds=10085, microseconds=477580)
    assert message.user_properties == {"$AzureWebJobsParentId": "6ceef68b", "n": 0}
    assert message.application_properties == {"application": "value"}
    assert (message.session_id, message.reply_to_session_id) == ("session-1", "reply-session")
    assert (message.dead_letter_reason, message.dead_letter_source) == ("reason", "orders")
    assert message.metadata is not None and message.metadata["DeliveryCount"] == 571
    with pytest.raises(NotImplementedError):
        _ = message.force_persistence


def test_absent_properties_are_none() -> None:
    message = decode(Datum("x", "string"), {"UserProperties": Datum("{}", "json")})
    assert message.content_type is None and message.time_to_live is None
    assert message.user_properties == {}


@pytest.mark.parametrize(
    ("field", "datum", "member"),
    [
        ("UserProperties", Datum("not json", "string"), "user_properties"),
        ("UserProperties", Datum("[1, 2]", "json"), "user_properties"),
        ("EnqueuedTimeUtc", Datum('"2024-13-45T00:00:00Z"', "json"), "enqueued_time_utc"),
        ("TimeToLive", Datum("forever", "string"), "time_to_live"),
        ("DeliveryCount", Datum("many", "string"), "delivery_count"),
    ],
)
def test_malformed_metadata_fails_only_the_field_read(
    field: str, datum: Datum, member: str
) -> None:
    message = decode(Datum("body", "string"), single_metadata(**{field: datum}))
    assert message.get_body() == b"body"
    assert message.message_id == "abcee18397398d93891830a0aac89eed"
    with pytest.raises(DecodeError) as caught:
        getattr(message, member)
    assert "serviceBusTrigger" in str(caught.value) and field in str(caught.value)


@pytest.mark.parametrize("annotation", [Any, Optional[func.ServiceBusMessage]])
def test_a_message_without_a_payload_has_an_empty_body(annotation: Any) -> None:
    assert decode(None, single_metadata(), annotation).get_body() == b""
    null = decode(Datum(None, None), single_metadata(), annotation)  # funcbind's own invoke
    assert (null.get_body(), null.message_id) == (b"", "abcee18397398d93891830a0aac89eed")


@pytest.mark.parametrize("datum", [Datum(1, "int"), collection("collection_sint64", [1])])
def test_unsupported_wire_kinds_are_not_implemented(datum: Datum) -> None:
    with pytest.raises(UnsupportedDatumError, match="serviceBusTrigger") as caught:
        decode(datum, single_metadata())
    assert isinstance(caught.value, NotImplementedError)


def test_neither_cardinality_marker_is_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="UserPropertiesArray"):
        decode(Datum("x", "string"), {"MessageId": Datum("m", "string")})


def test_without_trigger_metadata_fields_are_none() -> None:
    message = decode(Datum("x", "string"), None)
    assert (message.get_body(), message.message_id, message.metadata) == (b"x", None, None)


# -- batches -------------------------------------------------------------------------


def batch_metadata(count: int) -> dict[str, Datum]:
    return {
        "UserPropertiesArray": Datum(json.dumps([{"n": i} for i in range(count)]), "json"),
        "MessageIdArray": collection("collection_string", [f"m{i}" for i in range(count)]),
        "DeliveryCountArray": collection("collection_sint64", list(range(count))),
        "EnqueuedTimeUtcArray": Datum(json.dumps(["2024-06-18T09:15:27.4610507Z"] * count), "json"),
        "TimeToLiveArray": Datum(json.dumps(["1.00:00:00"] * count), "json"),
        "ContentTypeArray": collection("collection_string", []),  # short: None, as the stock
    }


def test_a_batch_reads_each_message_from_the_arrays() -> None:
    messages = decode(collection("collection_bytes", [b"a", b"b"]), batch_metadata(2))
    assert isinstance(messages, list) and len(messages) == 2
    assert all(isinstance(m, func.ServiceBusMessage) for m in messages)
    assert [m.get_body() for m in messages] == [b"a", b"b"]
    assert [m.message_id for m in messages] == ["m0", "m1"]
    assert [m.delivery_count for m in messages] == [0, 1]
    assert [m.user_properties for m in messages] == [{"n": 0}, {"n": 1}]
    assert messages[1].time_to_live == timedelta(days=1)
    assert messages[1].enqueued_time_utc.tzinfo == timezone.utc
    assert messages[0].content_type is None and messages[0].session_id is None


def test_json_batches_send_each_item_as_its_json_text() -> None:
    messages = decode(Datum('[{"lucky_number": 23}, "x"]', "json"), batch_metadata(2))
    assert [m.get_body() for m in messages] == [b'{"lucky_number": 23}', b'"x"']


def test_a_batch_of_a_thousand_is_made_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    made = []
    original = servicebus.ServiceBusMessage.__init__

    def counting_init(self: Any, *args: Any) -> None:
        made.append(1)
        original(self, *args)

    monkeypatch.setattr(servicebus.ServiceBusMessage, "__init__", counting_init)
    metadata = batch_metadata(1000)
    metadata["UserPropertiesArray"] = Datum("never parsed unless read", "json")
    bodies = collection("collection_string", [str(i) for i in range(1000)])
    messages = decode(bodies, metadata)
    assert made == []
    assert messages[10].message_id == "m10"
    assert len(made) == 1000
    with pytest.raises(DecodeError, match=r"UserPropertiesArray"):
        _ = messages[10].user_properties


def test_a_bad_array_entry_names_its_index() -> None:
    metadata = batch_metadata(2)
    metadata["EnqueuedTimeUtcArray"] = Datum('["2024-06-18T09:15:27Z", "soon"]', "json")
    messages = decode(collection("collection_string", ["a", "b"]), metadata)
    assert messages[0].enqueued_time_utc is not None
    with pytest.raises(DecodeError, match=r"EnqueuedTimeUtcArray', item 1"):
        _ = messages[1].enqueued_time_utc


# -- annotations and outputs ---------------------------------------------------------


def test_annotations() -> None:
    one = decode(Datum("x", "string"), single_metadata(), List[func.ServiceBusMessage])
    assert [m.get_body() for m in one] == [b"x"]
    with pytest.raises(DecodeError, match="cardinality"):
        decode(collection("collection_string", ["a"]), batch_metadata(1), func.ServiceBusMessage)
    assert decode(Datum('{"a": 1}', "json"), single_metadata(), dict) == {"a": 1}
    assert decode(collection("collection_string", ["a"]), batch_metadata(1), list[str]) == ["a"]
    assert decode(Datum("x", "string"), single_metadata(), Optional[str]) == "x"


def test_worker_facade_accepts_what_azure_functions_accepts() -> None:
    stock = func.get_binding_registry().get(TRIGGER)
    ours = funcbind.get_binding_registry().get(TRIGGER)
    for annotation in (func.ServiceBusMessage, List[func.ServiceBusMessage]):
        assert stock.check_input_type_annotation(annotation)
        assert ours.check_input_type_annotation(annotation)
    assert not ours.check_input_type_annotation(dict)
    stock_out = func.get_binding_registry().get("serviceBus")
    ours_out = funcbind.get_binding_registry().get("serviceBus")
    for annotation in (str, bytes):
        assert stock_out.check_output_type_annotation(annotation)
        assert ours_out.check_output_type_annotation(annotation)
    for annotation in (dict, list[str], memoryview, Optional[str], List[str]):
        assert ours_out.check_output_type_annotation(annotation)  # beyond the stock set
    assert not ours_out.check_output_type_annotation(int)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", ("string", "text")),
        (b"raw", ("bytes", b"raw")),
        (memoryview(b"raw"), ("bytes", memoryview(b"raw"))),
        ({"a": 1}, ("json", '{"a": 1}')),
        (["a", "b"], ("json", '["a", "b"]')),
    ],
)
def test_outputs(value: Any, expected: tuple[str, Any]) -> None:
    encoded = servicebus.encode_message(value)
    assert encoded is not None and (encoded.type, encoded.value) == expected


def test_output_refusals_are_not_implemented() -> None:
    assert servicebus.encode_message(None) is None
    for value in (3, object(), [b"bytes"]):
        with pytest.raises(UnsupportedValueError, match="serviceBus") as caught:
            servicebus.encode_message(value)
        assert isinstance(caught.value, NotImplementedError)


@pytest.mark.skipif(not hasattr(func.ServiceBusMessage, "to_dict"), reason="azure-functions 2.x")
def test_to_dict_of_the_stock_class_works_on_the_lazy_model() -> None:
    message = decode(Datum("x", "string"), single_metadata())
    as_dict = message.to_dict()
    assert as_dict["message_id"] == "abcee18397398d93891830a0aac89eed"
    assert as_dict["time_to_live"] == str(message.time_to_live)


def test_repr_never_fails() -> None:
    message = decode(Datum("x", "string"), single_metadata(MessageId=Datum("{", "json")))
    assert "<unreadable>" in repr(message)


def test_batch_values_are_typed_as_for_one_message() -> None:
    """azure.functions hands batch array items on as they are (a delivery count of "3"
    stays a str); funcbind converts them as it converts one message's fields."""
    metadata = {
        "UserPropertiesArray": Datum("[{}]", "json"),
        "DeliveryCountArray": Datum('["3"]', "json"),
    }
    stock = (
        func.get_binding_registry()
        .get(TRIGGER)
        .decode(collection("collection_string", ["a"]), trigger_metadata=metadata)
    )
    assert stock[0].delivery_count == "3"
    assert decode(collection("collection_string", ["a"]), metadata)[0].delivery_count == 3
