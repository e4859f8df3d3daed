"""funcbind.storage.references: reading the host's ModelBindingData, and building it."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from storage_support import load_datum

from funcbind import DecodeError
from funcbind.storage import (
    BlobReference,
    QueueReference,
    blob_reference,
    blob_references,
    parse_blob_reference,
    parse_queue_reference,
    queue_reference,
)
from funcbind.storage.references import collection_items
from funcbind.wire import datum_from_typed_data, datum_to_typed_data

WHERE = "binding 'blob' ('inblob')"


def stand_in_protobuf() -> Any:
    """The test suite's duck-typed protobuf classes (tests/wire_messages.py)."""
    module = sys.modules.get("wire_messages")
    if module is None:
        path = Path(__file__).parent.parent / "wire_messages.py"
        spec = importlib.util.spec_from_file_location("wire_messages", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["wire_messages"] = module
        spec.loader.exec_module(module)
    return module.STAND_IN


def as_message(fields: dict[str, Any]) -> SimpleNamespace:
    """A ModelBindingData as the workers hand it over: an object with attributes."""
    return SimpleNamespace(**fields)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("blob_trigger", BlobReference("AzureWebJobsStorage", "samples-workitems", "test.txt")),
        (
            "blob_nested_path",
            BlobReference("ReportsStorage", "reports", "2024/06/daily report.csv"),
        ),
        ("container", BlobReference("AzureWebJobsStorage", "samples-workitems", None)),
    ],
)
def test_blob_references_from_the_host(fixture: str, expected: BlobReference) -> None:
    datum = load_datum(fixture)
    assert parse_blob_reference(datum.value, WHERE) == expected
    assert parse_blob_reference(as_message(datum.value), WHERE) == expected


def test_a_queue_reference() -> None:
    datum = load_datum("queue")
    assert parse_queue_reference(datum.value, WHERE) == QueueReference(
        "AzureWebJobsStorage", "orders"
    )


def test_a_collection_from_a_list_or_a_message() -> None:
    datum = load_datum("collection")
    items = collection_items(datum.value, WHERE)
    assert [parse_blob_reference(item, WHERE).blob for item in items] == [
        "a.txt",
        "b.txt",
        "dir/c.txt",
    ]
    message = SimpleNamespace(model_binding_data=[as_message(i) for i in datum.value])
    assert len(collection_items(message, WHERE)) == 3
    assert len(collection_items({"model_binding_data": datum.value}, WHERE)) == 3


@pytest.mark.parametrize("value", ["text", b"bytes", 42, {"content": b"{}"}])
def test_a_collection_that_is_not_one(value: Any) -> None:
    with pytest.raises(DecodeError, match="expected a collection of ModelBindingData"):
        collection_items(value, WHERE)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("bad_json", "expected the ModelBindingData content to be JSON"),
        ("no_connection", "expected Connection in the ModelBindingData content"),
        ("other_source", "expected a ModelBindingData from source 'AzureStorageBlobs'"),
    ],
)
def test_bad_references_name_the_binding(fixture: str, expected: str) -> None:
    with pytest.raises(DecodeError, match=expected) as caught:
        parse_blob_reference(load_datum(fixture).value, WHERE)
    assert str(caught.value).startswith(WHERE)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'["Connection"]', "to be a JSON object, got list"),
        (b'{"Connection": "S", "ContainerName": ""}', "expected ContainerName"),
        (b'{"Connection": 7, "ContainerName": "c"}', "expected Connection .* got int 7"),
        (b'{"Connection": "S", "ContainerName": "c", "BlobName": 3}', "BlobName .* int 3"),
        (b"\xff\xfe not utf", "to be JSON"),
    ],
)
def test_bad_content(content: bytes, expected: str) -> None:
    with pytest.raises(DecodeError, match=expected):
        parse_blob_reference({"source": "AzureStorageBlobs", "content": content}, WHERE)


def test_no_content_at_all() -> None:
    with pytest.raises(DecodeError, match="expected a ModelBindingData with JSON content"):
        parse_blob_reference(SimpleNamespace(version="1.0"), WHERE)


def test_a_queue_reference_needs_a_queue_name() -> None:
    content = b'{"Connection": "AzureWebJobsStorage"}'
    with pytest.raises(DecodeError, match="expected QueueName"):
        parse_queue_reference({"source": "AzureStorageQueues", "content": content}, WHERE)


def test_a_cached_reference_is_still_checked_for_its_source() -> None:
    datum = load_datum("blob_trigger")
    parse_blob_reference(datum.value, WHERE)  # now cached by its content
    with pytest.raises(DecodeError, match="from source 'AzureStorageBlobs'"):
        parse_blob_reference({**datum.value, "source": "AzureCosmosDB"}, WHERE)


def test_content_may_arrive_as_text() -> None:
    content = '{"Connection":"S","ContainerName":"c","BlobName":"x"}'
    assert parse_blob_reference({"content": content}, WHERE) == BlobReference("S", "c", "x")


# -- building, and the wire --------------------------------------------------------

NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40
).filter(str.strip)


@given(connection=NAMES, container=NAMES, blob=st.none() | NAMES)
def test_built_blob_references_read_back(connection: str, container: str, blob: str | None) -> None:
    datum = blob_reference(connection, container, blob)
    assert datum.type == "model_binding_data"
    assert parse_blob_reference(datum.value, WHERE) == BlobReference(connection, container, blob)


@given(connection=NAMES, queue=NAMES)
def test_built_queue_references_read_back(connection: str, queue: str) -> None:
    datum = queue_reference(connection, queue)
    assert parse_queue_reference(datum.value, WHERE) == QueueReference(connection, queue)


def test_built_references_look_like_the_hosts() -> None:
    built = blob_reference("AzureWebJobsStorage", "samples-workitems", "test.txt").value
    sent = load_datum("blob_trigger").value
    assert built == sent  # byte for byte, content included


def test_built_references_cross_the_wire() -> None:
    pb = stand_in_protobuf()
    single = datum_from_typed_data(datum_to_typed_data(blob_reference("S", "c", "x"), pb))
    assert single.type == "model_binding_data"
    assert parse_blob_reference(single.value, WHERE) == BlobReference("S", "c", "x")
    many = blob_references("S", "c", ["x", "y"])
    received = datum_from_typed_data(datum_to_typed_data(many, pb))
    assert received.type == "collection_model_binding_data"
    items = collection_items(received.value, WHERE)
    assert [parse_blob_reference(i, WHERE).blob for i in items] == ["x", "y"]
    queue = datum_from_typed_data(datum_to_typed_data(queue_reference("S", "q"), pb))
    assert parse_queue_reference(queue.value, WHERE) == QueueReference("S", "q")
    assert json.loads(queue.value.content) == {"Connection": "S", "QueueName": "q"}
