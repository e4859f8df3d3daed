"""Blob converter (funcbind.bindings.blob): decoding, encoding, and agreement with azure.functions.

Stream behaviour (reads, seeks, zipfile, pickle, closing, metadata fields) is tested in
test_blob_stream.py.
"""

from __future__ import annotations

import base64
import io
import json
import mmap
import random
import typing
import zipfile
from pathlib import Path
from typing import Any

import azure.functions as func
import azure.functions.blob
import azure.functions.meta
import pytest
from azure.functions.blob import BlobConverter as AzureBlobConverter
from hypothesis import given
from hypothesis import strategies as st

from funcbind import (
    AnnotationError,
    BindingSpec,
    Datum,
    DecodeError,
    EncodeError,
    UnsupportedDatumError,
    UnsupportedValueError,
    default_registry,
)
from funcbind.bindings.blob import BlobStream
from funcbind.worker import WorkerRegistry

REGISTRY = default_registry()
TRIGGER = BindingSpec(type="blobTrigger", name="myblob")
INPUT = BindingSpec(type="blob", name="inblob")
OUTPUT = BindingSpec(type="blob", name="outblob", direction="out")
FIXTURES = Path(__file__).parent.parent / "fixtures" / "blob"
FIXTURE_NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))
WELL_FORMED = [name for name in FIXTURE_NAMES if name != "trigger_malformed"]

MiB = 1024 * 1024


def load_fixture(name: str, datum_class: Any = Datum) -> tuple[Any, dict[str, Any]]:
    """The payload Datum and trigger metadata of a fixture, as the host sends them."""
    raw = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    payload = raw["payload"]
    if payload["type"] == "string":
        value: Any = payload["text"]
    elif "base64" in payload:
        value = base64.b64decode(payload["base64"])
    else:
        value = payload["text"].encode("utf-8")
    metadata = {}
    for key, entry in raw["trigger_metadata"].items():
        wire = entry["value"]
        if entry["type"] == "json" and not isinstance(wire, str):
            wire = json.dumps(wire)  # fixtures spell JSON objects out; the wire has text
        metadata[key] = datum_class(wire, entry["type"])
    return datum_class(value, payload["type"]), metadata


def decode(datum: Any, metadata: Any = None, annotation: Any = func.InputStream) -> Any:
    return REGISTRY.decoder("blobTrigger", annotation, TRIGGER)(datum, metadata)


def encode(value: Any, annotation: Any = typing.Any, binding: BindingSpec = OUTPUT) -> Any:
    return REGISTRY.encoder("blob", annotation, binding)(value)


def payload_of_size(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


# -- registration and annotations ---------------------------------------------


def test_registered_names_and_trigger_support() -> None:
    workers = WorkerRegistry(REGISTRY)
    blob, trigger = workers.get("blob"), workers.get("blobTrigger")
    assert blob is not None and trigger is not None
    assert trigger.has_trigger_support()
    assert not blob.has_trigger_support()
    assert not blob.has_implicit_output()
    assert not trigger.has_implicit_output()


@pytest.mark.parametrize(
    ("annotation", "accepted"),
    [
        (func.InputStream, True),
        (BlobStream, True),
        (azure.functions._abc.InputStream, True),
        (azure.functions.blob.InputStream, True),
        (bytes, True),
        (str, True),
        (typing.Optional[func.InputStream], True),  # the spelling many users write
        (bytes | None, True),
        (str | None, True),
        (bytearray, False),  # as azure.functions
        (int, False),
        (list[bytes], False),
        (dict, False),
        (io.BytesIO, False),
    ],
)
def test_input_annotations(annotation: Any, accepted: bool) -> None:
    from funcbind import AnnotationError, BindingSpec

    spec = BindingSpec("blob", name="inblob")
    if accepted:
        assert REGISTRY.decoder("blob", annotation, spec) is not None
    else:
        with pytest.raises(AnnotationError):
            REGISTRY.decoder("blob", annotation, spec)
    # The worker facade answers alike (tests/bindings/test_blob_annotations.py).
    binding = WorkerRegistry(REGISTRY).get("blob")
    assert binding is not None
    assert binding.check_input_type_annotation(annotation) is accepted


class CustomOutput:
    def read(self) -> bytes:
        return b"custom_output_content"


@pytest.mark.parametrize(
    ("annotation", "accepted"),
    [
        (str, True),
        (bytes, True),
        (bytearray, True),
        (memoryview, True),
        (func.InputStream, True),
        (io.BufferedReader, True),
        (io.StringIO, True),
        (CustomOutput, True),
        (bytes | str | None, True),
        (int, False),
        (dict, False),
        (list[bytes], False),
        (bytes | int, False),
    ],
)
def test_output_annotations(annotation: Any, accepted: bool) -> None:
    binding = WorkerRegistry(REGISTRY).get("blob")
    assert binding is not None
    assert binding.check_output_type_annotation(annotation) is accepted


def test_rejected_annotation_error_says_what_is_accepted() -> None:
    with pytest.raises(AnnotationError, match=r"does not accept int .*InputStream, bytes or str"):
        REGISTRY.decoder("blob", int, INPUT)
    with pytest.raises(AnnotationError, match=r"does not accept int .*file-like"):
        REGISTRY.encoder("blob", int, OUTPUT)


def test_trigger_is_input_only() -> None:
    # Deliberate: azure.functions lets blobTrigger claim output annotations too.
    trigger = WorkerRegistry(REGISTRY).get("blobTrigger")
    assert trigger is not None
    assert not trigger.check_output_type_annotation(bytes)
    assert AzureBlobConverter.check_output_type_annotation(bytes)


# -- decoding ----------------------------------------------------------------


def test_unannotated_decode_gives_an_input_stream_like_azure_functions() -> None:
    binding = WorkerRegistry(REGISTRY).get("blob")
    assert binding is not None
    stream = binding.decode(Datum(b"abc", "bytes"), trigger_metadata=None)
    assert isinstance(stream, func.InputStream)
    assert isinstance(stream, azure.functions.blob.InputStream)  # what azure.functions returns
    assert isinstance(stream, BlobStream)
    assert stream.read() == b"abc"


def test_bytes_annotation_returns_the_wire_object_itself() -> None:
    payload = payload_of_size(4096)
    assert decode(Datum(payload, "bytes"), annotation=bytes) is payload


@pytest.mark.parametrize(
    "value",
    [bytearray(b"\x00\x01abc"), memoryview(b"\x00\x01abc"), "\x00\x01abc"],
    ids=["bytearray", "memoryview", "str"],
)
def test_bytes_annotation_from_other_payloads(value: Any) -> None:
    kind = "string" if isinstance(value, str) else "bytes"
    result = decode(Datum(value, kind), annotation=bytes)
    assert type(result) is bytes
    assert result == b"\x00\x01abc"


def test_str_annotation_keeps_a_string_payload_as_is() -> None:
    text = "naïve ☕ " * 100
    assert decode(Datum(text, "string"), annotation=str) is text


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=lambda w: w.__name__)
def test_str_annotation_decodes_utf8_once(wrap: Any) -> None:
    assert decode(Datum(wrap("naïve ☕".encode()), "bytes"), annotation=str) == "naïve ☕"


def test_str_annotation_rejects_invalid_utf8_naming_the_binding() -> None:
    with pytest.raises(DecodeError, match=r"binding 'blobTrigger' \('myblob'\).*not UTF-8.*byte 2"):
        decode(Datum(b"ok\xff", "bytes"), annotation=str)
    with pytest.raises(ValueError, match="UTF-8"):
        decode(Datum(b"ok\xff", "bytes"), annotation=str | None)


def test_stream_over_mmap_payload() -> None:
    with mmap.mmap(-1, 6) as mapped:
        mapped[:] = b"mapped"
        stream = decode(Datum(mapped, "bytes"))
        assert stream.read() == b"mapped"
        stream.close()


def test_stream_decode_accepts_datum_classes_of_azure_functions() -> None:
    datum, metadata = load_fixture("trigger_webjobs_v4", azure.functions.meta.Datum)
    stream = decode(datum, metadata)
    assert stream.name == "samples-workitems/orders.csv"
    assert stream.read() == b"id,qty\n1,3\n2,5\n"


@pytest.mark.parametrize(
    "annotation", [typing.Any, func.InputStream | None, bytes | None, str | None]
)
@pytest.mark.parametrize("datum", [None, Datum(None, None)], ids=repr)
def test_missing_blob_is_none_for_optional_and_unannotated(annotation: Any, datum: Any) -> None:
    assert decode(datum, annotation=annotation) is None
    assert AzureBlobConverter.decode(datum, trigger_metadata=None) is None


def test_null_value_under_a_payload_type_is_a_missing_blob() -> None:
    # azure.functions wraps None in an empty stream here; the wire never sends this shape.
    assert decode(Datum(None, "bytes"), annotation=func.InputStream | None) is None


@pytest.mark.parametrize("annotation", [func.InputStream, bytes, str])
def test_missing_blob_is_an_error_for_required_annotations(annotation: Any) -> None:
    with pytest.raises(DecodeError, match=r"binding 'blobTrigger' \('myblob'\).*no blob.*Optional"):
        decode(Datum(None, None), annotation=annotation)


@pytest.mark.parametrize(
    "datum",
    [
        Datum('{"a": 1}', "json"),
        Datum(5, "int"),
        Datum(1.5, "double"),
        Datum({"method": Datum("GET", "string")}, "http"),
        Datum(["a"], "collection_string"),
    ],
    ids=lambda d: d.type,
)
@pytest.mark.parametrize("annotation", [typing.Any, func.InputStream, bytes, str])
def test_non_blob_wire_data_is_unsupported(datum: Datum, annotation: Any) -> None:
    with pytest.raises(UnsupportedDatumError) as caught:
        decode(datum, annotation=annotation)
    assert isinstance(caught.value, NotImplementedError)
    message = str(caught.value)
    assert "binding 'blobTrigger' ('myblob')" in message
    assert f"wire type {datum.type!r}" in message


def test_azure_functions_raises_a_plain_value_error_for_non_blob_wire_data() -> None:
    # The difference the test above pins down: workers read NotImplementedError as
    # "unsupported"; a bare ValueError reaches the user as a crash.
    with pytest.raises(ValueError) as caught:
        AzureBlobConverter.decode(Datum('{"a": 1}', "json"), trigger_metadata=None)
    assert not isinstance(caught.value, NotImplementedError)


def test_json_null_name_is_none_not_the_text_none() -> None:
    metadata = {"BlobTrigger": Datum("null", "json"), "Uri": Datum('"https://x/c/b"', "json")}
    theirs = AzureBlobConverter.decode(Datum(b"", "bytes"), trigger_metadata=metadata)
    assert theirs.name == "None"
    ours = decode(Datum(b"", "bytes"), metadata)
    assert ours.name is None
    assert ours.uri == theirs.uri == "https://x/c/b"


def test_non_buffer_value_under_bytes_type_is_a_decode_error() -> None:
    with pytest.raises(
        DecodeError, match=r"expected blob content as bytes-like data or str, got int"
    ):
        decode(Datum(12, "bytes"))


# -- agreement with azure.functions (decode) ---------------------------------


def azure_decode(datum: Any, metadata: Any) -> Any:
    return AzureBlobConverter.decode(datum, trigger_metadata=metadata)


@pytest.mark.parametrize("name", WELL_FORMED)
def test_fixture_metadata_matches_azure_functions(name: str) -> None:
    theirs = azure_decode(*load_fixture(name, azure.functions.meta.Datum))
    ours = decode(*load_fixture(name))
    for field in ("name", "uri", "length", "metadata"):
        assert getattr(ours, field) == getattr(theirs, field), field
    # azure.functions turns an empty Properties object into None (see the docs).
    assert ours.blob_properties == theirs.blob_properties
    assert ours.read() == theirs.read()
    assert ours.readable() and theirs.readable()
    assert not ours.writable() and not theirs.writable()


def test_fixture_metadata_values() -> None:
    stream = decode(*load_fixture("trigger_blobs_v5"))
    assert stream.name == "images/2024/06/pixel.png"
    assert stream.uri == "https://storesample.blob.core.windows.net/images/2024/06/pixel.png"
    assert stream.length == 70 == len(stream.read())
    assert stream.metadata == {"camera": "x100"}
    assert stream.blob_properties is not None
    assert stream.blob_properties["ContentType"] == "image/png"
    assert stream.path_values == {"folder": "2024/06", "name": "pixel", "ext": "png"}


@pytest.mark.parametrize("size", [0, 1, 1000, 1 * MiB, 3 * MiB + 7])
@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=lambda w: w.__name__)
def test_content_matches_azure_functions_across_sizes(size: int, wrap: Any) -> None:
    payload = payload_of_size(size, seed=size)
    theirs = azure_decode(azure.functions.meta.Datum(wrap(payload), "bytes"), None)
    ours = decode(Datum(wrap(payload), "bytes"))
    assert ours.read(size // 3) == theirs.read(size // 3)
    assert ours.read1(1) == theirs.read1(1)
    assert ours.read() == theirs.read()
    assert ours.read() == theirs.read() == b""


@pytest.mark.parametrize("text", ["", "plain ascii\n" * 1000, "naïve café ☕\n" * 50_000])
def test_string_payload_content_matches_azure_functions(text: str) -> None:
    theirs = azure_decode(azure.functions.meta.Datum(text, "string"), None)
    ours = decode(Datum(text, "string"))
    assert ours.read() == theirs.read() == text.encode("utf-8")


@given(st.binary(max_size=4096), st.lists(st.integers(min_value=-1, max_value=600), max_size=12))
def test_chunked_reads_match_azure_functions(payload: bytes, sizes: list[int]) -> None:
    theirs = azure_decode(azure.functions.meta.Datum(payload, "bytes"), None)
    ours = decode(Datum(payload, "bytes"))
    for size in sizes:
        assert ours.read(size) == theirs.read(size)


def test_malformed_properties_fail_at_decode_in_azure_functions_but_not_here() -> None:
    datum, metadata = load_fixture("trigger_malformed")
    with pytest.raises(ValueError):
        azure_decode(datum, metadata)
    stream = decode(datum, metadata)
    assert stream.read() == b"still readable"
    assert stream.name == "broken/props.bin"
    with pytest.raises(DecodeError, match=r"field 'Properties': expected JSON text"):
        _ = stream.blob_properties


def test_malformed_metadata_raises_where_azure_functions_returns_none() -> None:
    datum, metadata = load_fixture("trigger_no_properties")
    metadata["Metadata"] = Datum("Hello World", "string")
    assert azure_decode(datum, metadata).metadata is None
    with pytest.raises(DecodeError, match=r"field 'Metadata'"):
        _ = decode(datum, metadata).metadata


def test_empty_properties_stay_an_empty_dict() -> None:
    metadata = {"Properties": Datum("{}", "json")}
    assert azure_decode(Datum(b"", "bytes"), metadata).blob_properties is None
    assert decode(Datum(b"", "bytes"), metadata).blob_properties == {}


def test_zero_content_length_is_zero() -> None:
    metadata = {"Properties": Datum('{"ContentLength": 0}', "json")}
    assert azure_decode(Datum(b"", "bytes"), metadata).length is None
    assert decode(Datum(b"", "bytes"), metadata).length == 0


def test_stream_is_seekable_where_azure_functions_is_not() -> None:
    assert not azure_decode(Datum(b"abc", "bytes"), None).seekable()
    stream = decode(Datum(b"abc", "bytes"))
    assert stream.seekable()
    stream.read()
    stream.seek(1)
    assert stream.read() == b"bc"


def test_zipfile_fails_on_the_azure_functions_stream_and_works_here() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as writer:
        writer.writestr("a.txt", "alpha")
    payload = archive.getvalue()
    with pytest.raises(zipfile.BadZipFile):  # its seek() fails, so zipfile gives up
        zipfile.ZipFile(azure_decode(Datum(payload, "bytes"), None))
    assert zipfile.ZipFile(decode(Datum(payload, "bytes"))).read("a.txt") == b"alpha"


# -- encoding ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [b"bytes out", bytearray(b"bytearray out"), memoryview(b"memoryview out")],
    ids=["bytes", "bytearray", "memoryview"],
)
def test_bytes_like_outputs_pass_through_uncopied(value: Any) -> None:
    datum = encode(value)
    assert datum.type == "bytes"
    assert datum.value is value


def test_azure_functions_copies_bytearray_and_refuses_memoryview() -> None:
    payload = bytearray(b"copied")
    theirs = AzureBlobConverter.encode(payload, expected_type=None)
    assert theirs.value == payload
    assert theirs.value is not payload
    with pytest.raises(NotImplementedError):
        AzureBlobConverter.encode(memoryview(payload), expected_type=None)


def test_str_output_is_a_string() -> None:
    text = "naïve ☕"
    datum = encode(text)
    assert (datum.type, datum.value) == ("string", text)
    assert datum.value is text


def test_none_output_sends_nothing() -> None:
    assert encode(None) is None


def test_non_contiguous_memoryview_is_copied_once() -> None:
    view = memoryview(b"a-b-c-")[::2]
    datum = encode(view)
    assert (datum.type, datum.value) == ("bytes", b"abc")


def test_blob_stream_output_is_the_original_object_when_unread() -> None:
    payload = payload_of_size(10_000)
    stream = decode(Datum(payload, "bytes"))
    assert encode(stream).value is payload
    assert stream.read() == b""  # the output consumed it, as read() would


def test_blob_stream_output_after_a_partial_read_is_a_view_of_the_rest() -> None:
    stream = decode(Datum(b"header|body", "bytes"))
    stream.read(7)
    datum = encode(stream)
    assert datum.type == "bytes"
    assert isinstance(datum.value, memoryview)
    assert datum.value == b"body"


def test_closed_stream_output_is_an_encode_error() -> None:
    stream = decode(Datum(b"gone", "bytes"))
    stream.close()
    with pytest.raises(EncodeError, match=r"'outblob'\): expected an open stream"):
        encode(stream)
    reader = io.BytesIO(b"gone")
    reader.close()
    with pytest.raises(EncodeError, match="BytesIO output failed: ValueError"):
        encode(reader)


def test_string_stream_output_is_its_utf8_bytes() -> None:
    stream = decode(Datum("café", "string"))
    datum = encode(stream)
    assert (datum.type, datum.value) == ("bytes", "café".encode())
    assert stream.read() == b""


def test_azure_functions_input_stream_output() -> None:
    stream = azure.functions.blob.InputStream(data=b"from azure.functions")
    datum = encode(stream)
    assert (datum.type, bytes(datum.value)) == ("bytes", b"from azure.functions")


def test_file_output_is_read_into_one_buffer_of_the_right_size(tmp_path: Path) -> None:
    payload = payload_of_size(300_000)
    path = tmp_path / "out.bin"
    path.write_bytes(payload)
    with path.open("rb") as handle:
        handle.read(1000)
        datum = encode(handle)
    assert datum.type == "bytes"
    assert isinstance(datum.value, bytearray)
    assert datum.value == payload[1000:]


def test_bytesio_output() -> None:
    datum = encode(io.BytesIO(b"in memory"))
    assert (datum.type, bytes(datum.value)) == ("bytes", b"in memory")


def test_text_stream_output_is_a_string() -> None:
    datum = encode(io.StringIO("text ☕"))
    assert (datum.type, datum.value) == ("string", "text ☕")


class Pipe(io.RawIOBase):
    """A non-seekable raw stream that hands out at most ``step`` bytes per call."""

    def __init__(self, payload: bytes, step: int = 1000) -> None:
        self._payload = payload
        self._pos = 0
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._payload[self._pos : self._pos + min(self._step, len(buffer))]
        memoryview(buffer)[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def test_non_seekable_stream_output_is_drained_in_chunks() -> None:
    payload = payload_of_size(700_000)
    datum = encode(Pipe(payload, step=70_001))
    assert datum.value == payload


class Shrinking(Pipe):
    """Claims a larger size than it delivers (a file truncated while being read)."""

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return 0

    def seek(self, offset: int, whence: int = 0) -> int:
        return 5000 if whence == io.SEEK_END else offset


def test_stream_shorter_than_its_size_is_trimmed() -> None:
    datum = encode(Shrinking(b"short"))
    assert datum.value == b"short"


class NonBlocking(Pipe):
    def readinto(self, buffer: Any) -> None:  # type: ignore[override]
        return None


def test_non_blocking_stream_without_data_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="non-blocking"):
        encode(NonBlocking(b""))


def test_custom_object_with_read_is_called_like_azure_functions() -> None:
    datum = encode(CustomOutput())
    assert (datum.type, datum.value) == ("bytes", b"custom_output_content")


class BadRead:
    def read(self) -> int:
        return 42


class FailingRead:
    def read(self) -> bytes:
        raise OSError("disk on fire")


def test_read_returning_a_non_payload_is_unsupported() -> None:
    with pytest.raises(UnsupportedValueError, match=r"read\(\) of the BadRead output.*got int"):
        encode(BadRead())


def test_failing_read_is_an_encode_error_naming_the_binding() -> None:
    with pytest.raises(
        EncodeError, match=r"binding 'blob' \('outblob'\).*FailingRead.*disk on fire"
    ):
        encode(FailingRead())
    with pytest.raises(OSError, match="disk on fire"):  # azure.functions: escapes as it is
        AzureBlobConverter.encode(FailingRead(), expected_type=None)


@pytest.mark.parametrize("value", [42, 1.5, {"a": 1}, ["x"], object()], ids=repr)
def test_unsupported_output_values(value: Any) -> None:
    with pytest.raises(UnsupportedValueError) as caught:
        encode(value)
    assert isinstance(caught.value, NotImplementedError)
    assert "binding 'blob' ('outblob')" in str(caught.value)


def test_data_type_string_sends_text() -> None:
    binding = BindingSpec(type="blob", name="outblob", direction="out", data_type="string")
    assert encode(b"caf\xc3\xa9", binding=binding).value == "café"
    assert encode(memoryview(b"abc"), binding=binding).value == "abc"
    assert encode("text", binding=binding).value == "text"
    assert encode(None, binding=binding) is None
    with pytest.raises(EncodeError, match=r"dataType 'string'.*not UTF-8"):
        encode(b"\xff", binding=binding)


def test_data_type_binary_sends_bytes() -> None:
    binding = BindingSpec(type="blob", name="outblob", direction="out", data_type="binary")
    datum = encode("café", binding=binding)
    assert (datum.type, datum.value) == ("bytes", "café".encode())
    payload = bytearray(b"kept")
    assert encode(payload, binding=binding).value is payload


@pytest.mark.parametrize(
    "make",
    [
        lambda: "text",
        lambda: b"bytes",
        lambda: bytearray(b"bytearray"),
        lambda: io.BytesIO(b"bytesio"),
        CustomOutput,
        lambda: azure.functions.blob.InputStream(data=b"stream"),
    ],
    ids=["str", "bytes", "bytearray", "bytesio", "custom", "inputstream"],
)
def test_encoding_matches_azure_functions(make: Any) -> None:
    theirs = AzureBlobConverter.encode(make(), expected_type=None)
    ours = WorkerRegistry(REGISTRY).get("blob").encode(make(), expected_type=None)  # type: ignore[union-attr]
    assert ours.type == theirs.type
    value = ours.value if isinstance(ours.value, str) else bytes(ours.value)
    assert value == theirs.value


@given(st.binary(max_size=2048))
def test_round_trip_through_stream(payload: bytes) -> None:
    datum = encode(decode(Datum(payload, "bytes")))
    assert datum.type == "bytes"
    assert bytes(datum.value) == payload


@given(st.text(max_size=512))
def test_round_trip_of_text(text: str) -> None:
    decoded = decode(Datum(text, "string"), annotation=str)
    assert encode(decoded).value == text
    assert decode(Datum(text.encode("utf-8"), "bytes"), annotation=str) == text


@given(st.binary(max_size=256))
def test_bad_utf8_is_always_a_decode_error_or_the_text(payload: bytes) -> None:
    try:
        expected = payload.decode("utf-8")
    except UnicodeDecodeError:
        with pytest.raises(DecodeError):
            decode(Datum(payload, "bytes"), annotation=str)
    else:
        assert decode(Datum(payload, "bytes"), annotation=str) == expected
