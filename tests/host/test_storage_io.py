"""The host's storage I/O: message encodings, names, failures as sentences, and blob
transfers through one buffer (on Azurite)."""

from __future__ import annotations

import asyncio
import base64
import json
import tracemalloc
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcbind.datum import Datum
from funcbind.host import storage_io
from funcbind.host.azurite import Azurite
from funcbind.host.storage_bindings import StorageConfigError, queue_messages, split_blob_path
from funcbind.storage import StorageClients, resolve_connection


@given(st.binary())
def test_base64_messages_round_trip_bytes(payload: bytes) -> None:
    stored = storage_io.encode_message(payload, "base64")
    assert storage_io.decode_message(stored, "base64") == payload


@given(st.text())
def test_text_messages_round_trip_under_both_encodings(text: str) -> None:
    assert storage_io.decode_message(storage_io.encode_message(text, "base64"), "base64") == (
        text.encode("utf-8")
    )
    assert storage_io.decode_message(storage_io.encode_message(text, "none"), "none") == text


def test_bad_messages() -> None:
    with pytest.raises(ValueError, match="not base64"):
        storage_io.decode_message("not base64!", "base64")
    with pytest.raises(ValueError, match="not base64"):
        storage_io.decode_message("ünï", "base64")
    with pytest.raises(storage_io.StorageOperationError, match="messageEncoding 'none'"):
        storage_io.encode_message(b"\xff\xfe", "none")
    assert storage_io.encode_message(bytearray(b"hi"), "base64") == "aGk="
    assert storage_io.encode_message(memoryview(b"hi"), "none") == "hi"


def test_one_output_value_is_one_message_and_a_json_array_is_one_per_item() -> None:
    assert queue_messages(Datum("text", "string")) == ["text"]
    assert queue_messages(Datum(b"\x00", "bytes")) == [b"\x00"]
    # Each JSON item stored compactly, as the host's Newtonsoft re-serialises it.
    assert queue_messages(Datum('{"a": 1}', "json")) == ['{"a":1}']
    items = queue_messages(Datum(json.dumps(["x", {"b": 2}, [3, "é"]]), "json"))
    assert items == ["x", '{"b":2}', '[3,"é"]']
    assert queue_messages(Datum(42, "int")) == ["42"]


def test_a_string_that_reads_as_a_json_array_is_one_message_per_item() -> None:
    """The host's Utility.IsJson, trimmed, for an array; other strings are their text."""
    assert queue_messages(Datum(' ["x", {"b": 2}]\n', "string")) == ["x", '{"b":2}']
    assert queue_messages(Datum('{ "a": 1 }', "string")) == ['{ "a": 1 }']
    assert queue_messages(Datum("[x", "string")) == ["[x"]
    assert queue_messages(Datum("x]", "string")) == ["x]"]
    with pytest.raises(ValueError, match=r"to the host, and this one is not JSON \(Expecting"):
        queue_messages(Datum("[x]", "string"))


@pytest.mark.parametrize(
    ("name", "valid"),
    [("abc", True), ("a-b-c", True), ("ab", False), ("a--b", False), ("-ab", False),
     ("Abc", False), ("a" * 63, True), ("a" * 64, False), ("ab-", False)],
)  # fmt: skip
def test_queue_and_container_names(name: str, valid: bool) -> None:
    assert storage_io.valid_queue_name(name) is valid
    assert storage_io.valid_container_name(name) is valid


def test_special_containers_and_blob_paths() -> None:
    assert storage_io.valid_container_name("$root")
    assert split_blob_path("files/a/b.txt", "b") == ("files", "a/b.txt")
    for bad in ("files", "files/", "files/a/../b", "files/./b", "Files/x"):
        with pytest.raises(StorageConfigError):
            split_blob_path(bad, "b")


def test_failures_become_sentences_naming_the_setting_and_endpoint() -> None:
    from azure.core.exceptions import HttpResponseError, ServiceRequestError

    connection = resolve_connection(
        "AzureWebJobsStorage", "queue", {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    )
    endpoint = "http://127.0.0.1:10001/devstoreaccount1"
    down = storage_io.storage_error(
        ServiceRequestError("Cannot connect to host"), "polling queue 'q'", connection, endpoint
    )
    assert isinstance(down, storage_io.StorageUnavailableError)
    assert down.message == (
        "storage is unreachable: polling queue 'q' via connection 'AzureWebJobsStorage' "
        f"({endpoint}): Cannot connect to host"
    )
    refused = storage_io.storage_error(HttpResponseError("boom"), "sending", connection, endpoint)
    assert isinstance(refused, storage_io.StorageOperationError)
    assert "sending via connection 'AzureWebJobsStorage'" in refused.message


def test_the_buffer_writer_fills_one_buffer() -> None:
    buffer = bytearray(6)
    writer = storage_io._BufferWriter(buffer)
    assert writer.write(b"abc") == 3
    writer.seek(4)
    writer.write(b"ef")
    assert buffer == bytearray(b"abc\x00ef")
    with pytest.raises(ValueError, match="grew while it was downloaded"):
        writer.write(b"x")
    writer.close()


@pytest.mark.azurite
def test_large_blobs_go_through_one_buffer_each_way(azurite: Azurite) -> None:
    size = 12 * 1024 * 1024 + 3

    async def main() -> None:
        settings = {"S": azurite.connection_string}
        clients = StorageClients(settings)
        connection = clients.connection("S", "blob")
        container = f"big-{uuid.uuid4().hex[:8]}"
        client = clients.blob_client(connection, container, "big.bin", asynchronous=True)
        container_client = clients.container_client(connection, container, asynchronous=True)
        data = bytearray(size)
        data[-3:] = b"end"
        tracemalloc.start()
        try:
            # A bytearray this large is staged in blocks cut from itself: no copy of the whole.
            await storage_io.upload_blob(client, container_client, data)
            _, peak_up = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            found = await storage_io.download_into_buffer(client)
            _, peak_down = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert found is not None
        buffer, properties = found
        assert properties.size == size and buffer[-3:] == b"end" and buffer == data
        assert peak_up < 8 * 1024 * 1024
        assert peak_down < size + 8 * 1024 * 1024  # the buffer, and a chunk in flight
        missing = clients.blob_client(connection, container, "nope", asynchronous=True)
        assert await storage_io.download_into_buffer(missing) is None
        await clients.aclose()

    asyncio.run(main())


def test_base64_of_the_host_matches_the_sdk() -> None:
    from azure.storage.queue import BinaryBase64EncodePolicy

    policy = BinaryBase64EncodePolicy()
    assert storage_io.encode_message(b"\x00\x01", "base64") == policy.encode(b"\x00\x01")
    assert base64.b64decode(storage_io.encode_message("é", "base64")) == "é".encode()
