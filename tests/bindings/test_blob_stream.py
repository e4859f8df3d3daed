"""BlobStream (funcbind.bindings.blob.stream): the stream protocol, zero copy, and metadata."""

from __future__ import annotations

import array
import base64
import csv
import gc
import io
import json
import mmap
import pickle
import sys
import tracemalloc
import zipfile
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
import wire_junk
from hypothesis import example, given
from hypothesis import strategies as st
from wire_junk import DEEP_ARRAY, DEEP_OBJECT

from funcbind import BindingSpec, Datum, DecodeError, default_registry
from funcbind.bindings.blob import BlobStream

REGISTRY = default_registry()
TRIGGER = BindingSpec(type="blobTrigger", name="myblob")
FIXTURES = Path(__file__).parent.parent / "fixtures" / "blob"


def load_fixture(name: str) -> tuple[Datum, dict[str, Datum]]:
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
            wire = json.dumps(wire)
        metadata[key] = Datum(wire, entry["type"])
    return Datum(value, payload["type"]), metadata


def stream_of(value: Any, metadata: Any = None) -> BlobStream:
    kind = "string" if isinstance(value, str) else "bytes"
    result = REGISTRY.decoder("blobTrigger", func.InputStream, TRIGGER)(
        Datum(value, kind), metadata
    )
    assert isinstance(result, BlobStream)
    return result


# -- the same behaviour as io.BytesIO -------------------------------------------

SIZES = st.one_of(st.none(), st.integers(min_value=-2, max_value=40))
OPERATIONS = st.one_of(
    st.tuples(st.just("read"), SIZES),
    st.tuples(st.just("read1"), SIZES),
    st.tuples(st.just("readline"), SIZES),
    st.tuples(st.just("readinto"), st.integers(min_value=0, max_value=40)),
    st.tuples(st.just("readinto1"), st.integers(min_value=0, max_value=40)),
    st.tuples(st.just("readlines"), st.integers(min_value=-1, max_value=30)),
    st.tuples(st.just("seek"), st.integers(min_value=-50, max_value=120), st.integers(0, 3)),
    st.tuples(st.just("tell")),
    st.tuples(st.just("next")),
)


def apply(stream: Any, operation: tuple[Any, ...]) -> Any:
    name, *args = operation
    try:
        if name in ("readinto", "readinto1"):
            target = bytearray(args[0])
            count = getattr(stream, name)(target)
            return count, bytes(target)
        if name == "next":
            return next(stream, None)
        return getattr(stream, name)(*args)
    except ValueError:
        return ValueError  # ours raise DecodeError, which is a ValueError


@given(
    st.binary(max_size=100) | st.sampled_from([b"", b"\n", b"a\nb\n\nc", b"\n\n\n"]),
    st.sampled_from([bytes, bytearray, memoryview]),
    st.lists(OPERATIONS, max_size=25),
)
def test_behaves_like_bytesio(payload: bytes, wrap: Any, operations: list[tuple[Any, ...]]) -> None:
    ours, reference = stream_of(wrap(payload)), io.BytesIO(payload)
    for operation in operations:
        assert apply(ours, operation) == apply(reference, operation), operation


@given(st.text(max_size=60), st.lists(OPERATIONS, max_size=15))
def test_string_payload_behaves_like_bytesio_over_its_utf8(
    text: str, operations: list[tuple[Any, ...]]
) -> None:
    ours, reference = stream_of(text), io.BytesIO(text.encode("utf-8"))
    for operation in operations:
        assert apply(ours, operation) == apply(reference, operation), operation


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=lambda w: w.__name__)
def test_io_methods(wrap: Any) -> None:
    stream = stream_of(wrap(b"first\nsecond\nthird"))
    assert stream.readable() and stream.seekable() and not stream.writable()
    assert not stream.isatty()
    assert stream.readline() == b"first\n"
    assert stream.peek(3)[:3] == b"sec"
    assert stream.tell() == 6
    assert list(stream) == [b"second\n", b"third"]
    assert stream.seek(-5, io.SEEK_END) == 13
    assert stream.read() == b"third"
    stream.seek(0)
    assert stream.readlines(8) == [b"first\n", b"second\n"]
    stream.seek(100)
    assert stream.read() == b"" and stream.readline() == b"" and stream.peek() == b""
    assert stream.readinto(bytearray(4)) == 0
    stream.flush()
    with pytest.raises(io.UnsupportedOperation):
        stream.write(b"x")
    with pytest.raises(io.UnsupportedOperation):
        stream.fileno()


def test_readinto_accepts_any_writable_buffer() -> None:
    stream = stream_of(bytes(range(16)))
    target = array.array("i", [0, 0])
    assert stream.readinto(target) == 8
    assert target.tobytes() == bytes(range(8))
    block = bytearray(16)
    assert stream.readinto1(memoryview(block)[4:]) == 8
    assert block[4:12] == bytes(range(8, 16))
    with pytest.raises(TypeError):
        stream_of(b"abc").readinto(b"read-only")


def test_text_wrapper_and_csv_read_the_stream() -> None:
    # What pandas.read_csv and other text consumers do with a binary stream.
    datum, metadata = load_fixture("trigger_webjobs_v4")
    stream = stream_of(datum.value, metadata)
    rows = list(csv.DictReader(io.TextIOWrapper(stream, encoding="utf-8", newline="")))
    assert rows == [{"id": "1", "qty": "3"}, {"id": "2", "qty": "5"}]


def test_zipfile_reads_an_archive_blob() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as writer:
        writer.writestr("report/a.txt", "alpha" * 1000)
        writer.writestr("report/b.json", json.dumps({"b": [1, 2]}))
    stream = stream_of(archive.getvalue())
    with zipfile.ZipFile(stream) as reader:
        assert reader.namelist() == ["report/a.txt", "report/b.json"]
        assert reader.read("report/a.txt") == b"alpha" * 1000
        with reader.open("report/b.json") as member:
            assert json.load(member) == {"b": [1, 2]}
        assert reader.testzip() is None


def test_zipfile_reports_a_small_non_archive_as_bad_zip() -> None:
    # zipfile seeks 22 bytes back from the end: like io.BytesIO, that stops at 0.
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(stream_of(b"not a zip"))


def test_pickle_loads_objects_from_the_stream() -> None:
    objects = [{"a": list(range(100))}, "second", b"\x00" * 70_000, 3.5]
    buffer = io.BytesIO()
    for item in objects:
        pickle.dump(item, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    stream = stream_of(bytearray(buffer.getvalue()))
    assert [pickle.load(stream) for _ in objects] == objects
    with pytest.raises(EOFError):
        pickle.load(stream)


# -- zero copy -----------------------------------------------------------------


def test_read_of_a_whole_bytes_payload_returns_the_wire_object() -> None:
    payload = bytes(range(256)) * 64
    assert stream_of(payload).read() is payload
    assert stream_of(payload).read(len(payload) + 10) is payload
    assert stream_of(payload).read1() is payload
    partial = stream_of(payload)
    partial.read(1)
    partial.seek(0)
    assert partial.read() is payload


def test_other_buffers_are_read_as_equal_bytes() -> None:
    payload = bytearray(b"mutable")
    result = stream_of(payload).read()
    assert type(result) is bytes
    assert result == payload


def test_decode_and_read_allocate_nothing_in_proportion_to_the_payload() -> None:
    payload = bytes(8 * 1024 * 1024)
    gc.collect()
    tracemalloc.start()
    try:
        stream = stream_of(payload)
        data = stream.read()
        target = bytearray(65536)
        stream.seek(0)
        while stream.readinto(target):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert data is payload
    assert peak < 256 * 1024  # a copy would be 8 MiB


def test_getbuffer_of_bytes_is_the_wire_object_viewed() -> None:
    payload = b"wire bytes"
    stream = stream_of(payload)
    stream.read(4)
    view = stream.getbuffer()
    assert view.readonly
    assert view.obj is payload
    assert stream.read() == b" bytes"  # the view does not move the position


def test_getbuffer_is_a_read_only_view_of_the_payload() -> None:
    payload = bytearray(b"shared buffer")
    stream = stream_of(payload)
    view = stream.getbuffer()
    assert view.readonly
    assert view == b"shared buffer"
    payload[0:6] = b"SHARED"
    assert view[:6] == b"SHARED"  # a view, not a copy
    with pytest.raises(TypeError):
        view[0] = 0
    stream.close()
    assert view == b"SHARED buffer"  # the caller's view outlives the stream
    view.release()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the buffer protocol in Python needs 3.12")
def test_stream_exports_the_buffer_protocol() -> None:
    payload = b"as a buffer"
    stream = stream_of(payload)
    assert bytes(memoryview(stream)) == payload
    assert memoryview(stream).readonly
    import ctypes

    with pytest.raises(TypeError, match="not writable"):
        (ctypes.c_char * len(payload)).from_buffer(stream)


def test_closing_releases_an_mmap_payload() -> None:
    mapped = mmap.mmap(-1, 5)
    mapped[:] = b"mmap!"
    stream = stream_of(mapped)
    assert stream.read(4) == b"mmap"
    with pytest.raises(BufferError):
        mapped.close()  # the open stream still exports the mapping
    stream.close()
    mapped.close()
    assert mapped.closed


def test_string_payload_is_encoded_on_first_read_only() -> None:
    class CountingStr(str):
        encodes = 0

        def encode(self, *args: Any, **kwargs: Any) -> bytes:
            CountingStr.encodes += 1
            return super().encode(*args, **kwargs)

    stream = stream_of(CountingStr("café ☕"), {"BlobTrigger": Datum("c/n", "string")})
    assert stream.name == "c/n"
    assert stream.readable() and not stream.closed
    assert "position 0" in repr(stream)
    assert CountingStr.encodes == 0
    assert stream.read(3) == b"caf"
    assert stream.read() == "é ☕".encode()
    stream.seek(0)
    assert stream.read() == "café ☕".encode()
    assert CountingStr.encodes == 1


# -- closing -------------------------------------------------------------------


CLOSED_CALLS = [
    ("read", ()),
    ("read1", (1,)),
    ("readinto", (bytearray(1),)),
    ("readline", ()),
    ("readlines", ()),
    ("peek", ()),
    ("seek", (0,)),
    ("tell", ()),
    ("getbuffer", ()),
    ("readable", ()),
    ("seekable", ()),
    ("writable", ()),
    ("flush", ()),
    ("__next__", ()),
    ("__iter__", ()),  # as io.IOBase does; io.BytesIO only fails on next()
    ("__enter__", ()),
]


@pytest.mark.parametrize(("method", "args"), CLOSED_CALLS, ids=[c[0] for c in CLOSED_CALLS])
def test_closed_stream_raises_value_error_like_io(method: str, args: tuple[Any, ...]) -> None:
    stream = stream_of("text")
    stream.close()
    with pytest.raises(DecodeError, match=r"binding 'blobTrigger' \('myblob'\).*closed"):
        getattr(stream, method)(*args)
    reference = io.BytesIO(b"text")
    reference.close()
    if hasattr(reference, method) and method != "__iter__":
        with pytest.raises(ValueError):
            getattr(reference, method)(*args)


def test_context_manager_closes_and_metadata_stays_readable() -> None:
    datum, metadata = load_fixture("trigger_blobs_v5")
    with stream_of(datum.value, metadata) as stream:
        assert stream.read(4) == b"\x89PNG"
    assert stream.closed
    stream.close()  # closing twice is fine
    assert stream.name == "images/2024/06/pixel.png"
    assert stream.length == 70
    assert "closed" in repr(stream)


def test_seek_errors_are_value_errors_like_io() -> None:
    stream = stream_of(b"abc")
    with pytest.raises(DecodeError, match="seek position of 0 or more, got -1") as caught:
        stream.seek(-1)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(DecodeError, match=r"invalid whence \(3, should be 0, 1 or 2\)"):
        stream.seek(0, 3)
    with pytest.raises(TypeError):
        stream.seek(1.5)  # type: ignore[arg-type]
    assert stream.seek(-10, io.SEEK_CUR) == 0  # relative seeks stop at 0, as on BytesIO
    assert stream.seek(-10, io.SEEK_END) == 0


# -- metadata --------------------------------------------------------------------


def test_metadata_fields_of_the_v4_shape() -> None:
    stream = stream_of(*_payload_and_metadata("trigger_webjobs_v4"))
    assert stream.name == "samples-workitems/orders.csv"
    assert stream.length == 15
    assert stream.last_modified == datetime(2020, 12, 4, 21, 30, 5, tzinfo=timezone.utc)
    assert stream.created == datetime(2020, 12, 3, 8, 7, 26, tzinfo=timezone.utc)
    assert stream.metadata == {"owner": "team-a", "source": "erp-export"}
    assert stream.path_values == {"name": "orders.csv"}  # sys is not a path value


def test_metadata_fields_of_the_v5_shape() -> None:
    stream = stream_of(*_payload_and_metadata("trigger_blobs_v5"))
    utc = timezone.utc
    assert stream.last_modified == datetime(2024, 6, 18, 9, 15, 27, 123456, tzinfo=utc)
    assert stream.created == datetime(2024, 6, 18, 9, 15, 26, 987654, tzinfo=utc)
    assert stream.last_modified is stream.last_modified  # parsed once


def test_metadata_without_trigger_metadata_is_none() -> None:
    stream = stream_of(b"input binding")
    fields = ("name", "uri", "length", "blob_properties", "metadata", "last_modified", "created")
    assert all(getattr(stream, field) is None for field in fields)
    assert stream.path_values == {}


def test_to_dict_leaves_the_content_out() -> None:
    stream = stream_of(*_payload_and_metadata("trigger_string_payload"))
    assert stream.to_dict() == {
        "name": "notes/today.txt",
        "uri": "http://127.0.0.1:10000/devstoreaccount1/notes/today.txt",
        "length": 30,
        "blob_properties": {"Length": "30", "ContentType": "text/plain; charset=utf-8"},
        "metadata": {},
    }


def test_properties_are_parsed_once_and_lazily() -> None:
    # The stream keeps the metadata mapping it was given: changing it shows what was
    # parsed when.
    metadata = {"Properties": Datum('{"ContentLength": "3"}', "json")}
    stream = stream_of(b"abc", metadata)
    metadata["Properties"] = Datum('{"ContentLength": "9"}', "json")
    assert stream.length == 9  # nothing was parsed at decode time
    first = stream.blob_properties
    metadata["Properties"] = Datum("not json", "json")
    assert stream.blob_properties is first  # parsed once


@pytest.mark.parametrize(
    ("field", "datum", "message"),
    [
        ("Properties", Datum("[1, 2]", "json"), r"'Properties': expected a JSON object, got list"),
        ("Properties", Datum("{", "json"), r"'Properties': expected JSON text"),
        ("Properties", Datum(7, "int"), r"'Properties': expected a JSON object, got wire type"),
        ("Metadata", Datum("Hello World", "string"), r"'Metadata': expected JSON text"),
        ("Metadata", Datum(DEEP_OBJECT, "json"), r"'Metadata': expected JSON text"),
        ("Properties", Datum(DEEP_ARRAY.encode(), "bytes"), r"'Properties': expected JSON text"),
        ("Index", Datum(DEEP_ARRAY, "json"), r"'Index': expected JSON text"),
        ("BlobTrigger", Datum({"x": 1}, "http"), r"'BlobTrigger': expected text"),
    ],
)
def test_malformed_fields_raise_on_access_only(field: str, datum: Datum, message: str) -> None:
    stream = stream_of(b"content", {field: datum})
    reader = {
        "Properties": "blob_properties",
        "Metadata": "metadata",
        "BlobTrigger": "name",
        "Index": "path_values",
    }
    with pytest.raises(DecodeError, match=message):
        getattr(stream, reader[field])
    assert stream.read() == b"content"


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"ContentLength": "twelve"}, r"expected an integer ContentLength, got str 'twelve'"),
        ({"ContentLength": float("inf")}, r"expected an integer ContentLength, got float inf"),
        ({"LastModified": "yesterday"}, r"Properties.LastModified.*got 'yesterday'"),
        ({"LastModified": 5}, r"expected a datetime string in LastModified, got int"),
    ],
)
def test_malformed_property_values(properties: dict[str, Any], message: str) -> None:
    stream = stream_of(b"", {"Properties": Datum(json.dumps(properties), "json")})
    with pytest.raises(DecodeError, match=message):
        _ = stream.length if "ContentLength" in properties else stream.last_modified


def test_text_fields_from_other_wire_types() -> None:
    stream = stream_of(
        b"",
        {
            "BlobTrigger": Datum('"c/quoted"', "json"),
            "Uri": Datum(b"https://x/c/b", "bytes"),
            "Properties": Datum(b'{"Length": 4, "LastModified": "10/07/2021 23:31:52"}', "bytes"),
        },
    )
    assert stream.name == "c/quoted"
    assert stream.uri == "https://x/c/b"
    assert stream.length == 4
    assert stream.last_modified == datetime(2021, 10, 7, 23, 31, 52)


def test_path_values_of_other_wire_types() -> None:
    stream = stream_of(b"", {"id": Datum("42", "json"), "day": Datum("2024-06-18", "string")})
    assert stream.path_values == {"id": 42, "day": "2024-06-18"}


def test_dates_with_offsets() -> None:
    props = {"LastModified": "2024-06-18T09:15:27-05:00"}
    stream = stream_of(b"", {"Properties": Datum(json.dumps(props), "json")})
    assert stream.last_modified is not None
    assert stream.last_modified.utcoffset() == timedelta(hours=-5)


def _payload_and_metadata(name: str) -> tuple[Any, dict[str, Datum]]:
    datum, metadata = load_fixture(name)
    return datum.value, metadata


# -- hypothesis: junk metadata -----------------------------------------------------------

_PROPERTY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # inf and nan too: JSON text "Infinity" and "NaN" parse to them
    st.text(max_size=30),
    st.sampled_from([wire_junk.LONG_INTEGER, "2024-02-30T00:00:00Z", ""]),
    st.datetimes().map(datetime.isoformat),
)
_PROPERTIES = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(
        ("ContentLength", "Length", "LastModified", "Created", "CreatedOn"), _PROPERTY_VALUE
    ),
).map(lambda properties: Datum(json.dumps(properties), "json"))


@example(metadata={"Properties": Datum('{"ContentLength": Infinity}', "json")})
@given(
    metadata=st.fixed_dictionaries(
        {},
        optional={
            "BlobTrigger": wire_junk.wire_datums(),
            "Uri": wire_junk.wire_datums(),
            "Properties": st.one_of(_PROPERTIES, wire_junk.wire_datums()),
            "Metadata": wire_junk.wire_datums(),
            "name": wire_junk.wire_datums(),
        },
    )
)
def test_junk_metadata_is_only_ever_a_funcbind_error(metadata: dict[str, Datum]) -> None:
    stream = stream_of(b"content", metadata)
    members = (
        "name",
        "uri",
        "blob_properties",
        "metadata",
        "length",
        "last_modified",
        "created",
        "path_values",
    )
    wire_junk.read_every_member(
        {
            **{member: partial(getattr, stream, member) for member in members},
            "to_dict": stream.to_dict,
            "repr": partial(repr, stream),
        }
    )
    assert stream.read() == b"content"
