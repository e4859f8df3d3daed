"""The blob converter (``blob`` in and out, ``blobTrigger``): payloads moved without copies.

Inputs decode to a :class:`~funcbind.bindings.blob.BlobStream` (an
``azure.functions.InputStream`` over the wire buffer), to the wire ``bytes`` object
itself, or to ``str``.  Outputs pass ``bytes``, ``bytearray`` and ``memoryview``
through untouched, and drain streams and file-like objects with at most one copy
when their size is known.  See ``docs/bindings/blob.md``.
"""

from __future__ import annotations

import io
import mmap
from collections.abc import Callable
from typing import Any

from azure.functions import _abc as azf_abc

from ..._typing import TypeSpec
from ...datum import Datum, DatumLike
from ...errors import DecodeError, EncodeError, UnsupportedDatumError, UnsupportedValueError
from ...errors import describe as describe_value
from ...registry import BindingSpec, Decoder, Encoder
from .. import storage_sdk
from .._common import Metadata, binding_label, not_utf8
from .stream import BlobStream

__all__ = ["BlobConverter"]

# Wire kinds that carry blob content; "stream" is never sent today but is bytes.
_PAYLOAD_KINDS = frozenset({"bytes", "string", "stream"})
# Payload objects known to be buffers, checked by exact type on the hot path.
_BUFFER_TYPES = frozenset({bytes, bytearray, memoryview, mmap.mmap})
_DRAIN_CHUNK = 256 * 1024


class BlobConverter:
    """Blob content in (stream, bytes, str) and out (bytes-like, str, streams, files)."""

    directions = frozenset({"in", "out"})
    model = BlobStream  # what decode() without an annotation gives (worker facade)
    accepted_inputs = (
        "azure.functions.InputStream, bytes or str (and Optional of them), or "
        + storage_sdk.ACCEPTED_BLOB_TYPES
    )
    accepted_outputs = (
        "str, bytes, bytearray, memoryview, azure.functions.InputStream, or a file-like "
        "class with read() (and Optional or unions of them)"
    )

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        # Storage SDK annotations (BlobClient, ...) decode the host's references to blobs
        # (model_binding_data), not content: storage_sdk.py owns them.
        sdk_decoder = storage_sdk.blob_decoder(spec, binding)
        if sdk_decoder is not None:
            return sdk_decoder
        if spec.kind == "any" or spec.satisfied_by(BlobStream, within=azf_abc.InputStream):
            payload_decoder: Callable[[Any, Metadata, str], Any] = _new_stream
        elif spec.is_class(bytes):
            payload_decoder = _decode_bytes
        elif spec.is_class(str):
            payload_decoder = _decode_str
        else:
            return None
        nullable = spec.optional or spec.kind == "any"
        expected = spec.describe()
        where = binding_label(binding)

        def decode(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
            if datum is not None:
                kind = datum.type
                value = datum.value
                if kind in _PAYLOAD_KINDS and value is not None:
                    return payload_decoder(value, trigger_metadata, where)
                if kind is not None and value is not None:
                    raise UnsupportedDatumError(
                        f"{where}: expected blob content (wire type bytes or string), got "
                        f"wire type {kind!r} ({describe_value(value)})"
                    )
            if nullable:
                return None  # the blob does not exist
            raise DecodeError(
                f"{where}: expected {expected}, got no blob (null: it does not exist); "
                "annotate the parameter as Optional to accept a missing blob"
            )

        return decode

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        if not _accepts_output(spec):
            return None
        where = binding_label(binding)
        data_type = (binding.data_type or "").lower()
        if data_type == "string":
            return lambda value: _as_string(_encode(value, where), where)
        if data_type == "binary":
            return lambda value: _as_binary(_encode(value, where))
        return lambda value: _encode(value, where)


# -- decoding ----------------------------------------------------------------


def _checked_payload(value: Any, where: str) -> Any:
    if type(value) in _BUFFER_TYPES or isinstance(value, str):
        return value
    try:
        memoryview(value).release()
    except TypeError:
        raise DecodeError(
            f"{where}: expected blob content as bytes-like data or str, got {describe_value(value)}"
        ) from None
    return value


def _new_stream(value: Any, trigger_metadata: Metadata, where: str) -> BlobStream:
    if type(value) is not bytes:
        value = _checked_payload(value, where)
    return BlobStream(value, trigger_metadata, where=where)


def _decode_bytes(value: Any, trigger_metadata: Metadata, where: str) -> bytes:
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(_checked_payload(value, where))


def _decode_str(value: Any, trigger_metadata: Metadata, where: str) -> str:
    if type(value) is str:
        return value
    try:
        return str(_checked_payload(value, where), "utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"{where}: expected UTF-8 text for a str annotation, got bytes that are not "
            f"UTF-8 ({exc.reason} at byte {exc.start}); annotate bytes or InputStream for "
            "binary blobs"
        ) from exc


# -- encoding ----------------------------------------------------------------

_PLAIN_OUTPUTS = (str, bytes, bytearray, memoryview, azf_abc.InputStream, io.IOBase)


def _accepts_output(spec: TypeSpec) -> bool:
    if spec.kind in ("any", "none"):
        return True
    if spec.kind == "union":
        return all(_accepts_output(option) for option in spec.options)
    if spec.kind != "class" or spec.cls is None:
        return False
    return spec.subclass_of(*_PLAIN_OUTPUTS) or callable(getattr(spec.cls, "read", None))


def _encode(value: Any, where: str) -> Datum | None:
    cls = type(value)
    if cls is bytes or cls is bytearray:
        return Datum(value, "bytes")
    if cls is str:
        return Datum(value, "string")
    if value is None:
        return None
    if cls is memoryview:
        return Datum(_contiguous(value), "bytes")
    if isinstance(value, BlobStream):
        if value.closed:
            raise EncodeError(f"{where}: expected an open stream as the blob, got a closed one")
        return Datum(value._take_rest(), "bytes")
    if isinstance(value, str):
        return Datum(str(value), "string")
    if isinstance(value, bytes | bytearray | memoryview | mmap.mmap):
        return Datum(value, "bytes")
    if callable(getattr(value, "read", None)):
        return _drain(value, where)
    raise UnsupportedValueError(
        f"{where}: expected str, bytes, bytearray, memoryview, an InputStream or a file-like "
        f"object with read(), got {describe_value(value)}"
    )


def _contiguous(view: memoryview) -> memoryview | bytes:
    return view if view.c_contiguous else view.tobytes()


def _drain(stream: Any, where: str) -> Datum:
    """Read a file-like object to its end, copying its bytes at most once when we can."""
    try:
        if isinstance(stream, io.BufferedIOBase | io.RawIOBase) and not isinstance(
            stream, io.BytesIO | azf_abc.InputStream
        ):
            return Datum(_drain_binary(stream), "bytes")
        # io.BytesIO and azure.functions' own InputStream hand back their buffer itself
        # from read() at position 0.  Anything else is called as azure.functions calls
        # it: read() with no argument, because many such objects (the storage SDK's
        # downloader, hand-written classes) take no size or define readinto otherwise.
        data = stream.read()
    except EncodeError:
        raise
    except Exception as exc:
        raise EncodeError(
            f"{where}: reading the {type(stream).__name__} output failed: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if isinstance(data, str):
        return Datum(data, "string")
    if isinstance(data, bytes | bytearray):
        return Datum(data, "bytes")
    if isinstance(data, memoryview):
        return Datum(_contiguous(data), "bytes")
    raise UnsupportedValueError(
        f"{where}: expected read() of the {type(stream).__name__} output to return bytes "
        f"or str, got {describe_value(data)}"
    )


def _drain_binary(stream: io.BufferedIOBase | io.RawIOBase) -> bytearray:
    size = _remaining_size(stream)
    if size is None:
        return _drain_chunks(stream, bytearray())
    buffer = bytearray(size)
    filled = 0
    with memoryview(buffer) as view:
        while filled < size:
            count = stream.readinto(view[filled:])
            if count is None:
                raise EncodeError(_WOULD_BLOCK)
            if not count:
                break
            filled += count
    if filled < size:
        del buffer[filled:]  # the stream was shorter than it said
        return buffer
    return _drain_chunks(stream, buffer)  # normally finds the end at once


def _drain_chunks(stream: io.BufferedIOBase | io.RawIOBase, buffer: bytearray) -> bytearray:
    chunk = bytearray(_DRAIN_CHUNK)
    with memoryview(chunk) as view:
        while True:
            count = stream.readinto(view)
            if count is None:
                raise EncodeError(_WOULD_BLOCK)
            if not count:
                return buffer
            buffer += view[:count]


_WOULD_BLOCK = "expected a blocking stream, got a non-blocking one with no data ready"


def _remaining_size(stream: io.IOBase) -> int | None:
    """Bytes between the position and the end, when the stream can tell; else None."""
    try:
        if not stream.seekable():
            return None
        position = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(position)
    except (OSError, ValueError):
        return None
    return max(0, end - position)


def _as_string(datum: Datum | None, where: str) -> Datum | None:
    """dataType string: bytes become text (an error when they are not UTF-8)."""
    if datum is None or datum.type == "string":
        return datum
    try:
        return Datum(str(datum.value, "utf-8"), "string")
    except UnicodeDecodeError as exc:
        raise not_utf8(
            exc, where, "UTF-8 bytes for a binding with dataType 'string'", EncodeError
        ) from exc


def _as_binary(datum: Datum | None) -> Datum | None:
    """dataType binary: text is sent as its UTF-8 bytes."""
    if datum is None or datum.type == "bytes":
        return datum
    return Datum(datum.value.encode("utf-8"), "bytes")
