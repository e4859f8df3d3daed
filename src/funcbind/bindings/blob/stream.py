"""``BlobStream``: a seekable, zero-copy ``azure.functions.InputStream`` over a blob payload.

The stream keeps the object the wire gave (``bytes``, ``bytearray``, ``memoryview``,
``mmap``, or ``str`` for a ``string`` payload) and copies none of it until a read asks
for bytes.  A ``bytes`` payload is read through an ``io.BytesIO`` that shares the
object (CPython never copies an initial ``bytes`` value), so reads run at C speed and
``read()`` of the whole payload returns the wire's object itself.  Other buffers are
read through a ``memoryview`` (see ``cursor``).  A ``str`` is encoded once, on
first use.  Trigger metadata is kept as it arrived and each field is parsed on first
access.  ``close()`` drops every reference the stream holds to the payload.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from operator import index
from typing import Any, TypeVar, cast

from azure.functions.blob import InputStream as AzureInputStream
from typing_extensions import Buffer, Self

from ...datetimes import parse_datetime
from ...datum import DatumLike, parse_json
from ...errors import DecodeError, describe
from .._common import UNSET, Metadata
from .cursor import ViewCursor, byte_view

__all__ = ["BlobStream"]

Cursor = io.BytesIO | ViewCursor

_PEEK_SIZE = 8192

# Trigger metadata keys that describe the blob itself; every other key except the
# host's ``sys`` entry is a value captured by the trigger's path pattern.
_BLOB_KEYS = frozenset({"BlobTrigger", "Uri", "Properties", "Metadata", "sys"})
# Where each datetime lives in Properties: Storage extension 4.x names, then 5.x names.
_DATETIME_PROPERTIES = {"LastModified": ("LastModified",), "Created": ("Created", "CreatedOn")}
_T = TypeVar("_T")


class BlobStream(AzureInputStream):
    """A blob's content as a read-only, seekable binary stream, without a copy.

    ``read()``, ``read(n)``, ``read1``, ``readinto``, ``readinto1``, ``readline``,
    ``readlines``, ``peek``, iteration, ``seek``/``tell`` and the context manager
    behave as on :class:`io.BytesIO`.  ``getbuffer()`` returns a read-only
    ``memoryview`` of the whole payload (so does ``memoryview(stream)`` on Python
    3.12 and later).  Blob metadata (``name``, ``uri``, ``length``,
    ``blob_properties``, ``metadata``, ``last_modified``, ``created``,
    ``path_values``) comes from trigger metadata and is parsed on first access.
    """

    __slots__ = ("_cursor", "_meta", "_parsed", "_source", "_where")

    _source: Any  # None once closed
    _cursor: Cursor | None  # made on first use
    _meta: Metadata
    _where: str
    _parsed: dict[str, Any] | None  # metadata fields parsed so far, by field

    def __init__(
        self,
        data: Buffer | str,
        trigger_metadata: Metadata = None,
        *,
        where: str = "blob",
    ) -> None:
        """Wrap ``data`` without copying it.

        ``trigger_metadata`` is the blob trigger's metadata (or None); ``where``
        names the binding in error messages.
        """
        # The base classes' __init__ is skipped on purpose: azure.functions copies the
        # payload into a BytesIO there.  Every public member they define is overridden.
        # The base is azure.functions.blob.InputStream, the class azure.functions itself
        # decodes to, so isinstance holds for it and for azure.functions.InputStream.
        if data is None:
            raise TypeError("expected blob content as bytes-like data or str, got None")
        self._source = data
        self._cursor = None
        self._meta = trigger_metadata
        self._where = where
        self._parsed = None

    def __repr__(self) -> str:
        if self._source is None:
            state = "closed"
        else:
            state = f"position {self._cursor.tell() if self._cursor is not None else 0}"
        return f"<funcbind BlobStream ({self._where}), {state}>"

    # -- the payload -----------------------------------------------------------

    def _open(self) -> Cursor:
        """The read cursor, made on first use (encoding a str payload once)."""
        source = self._source
        if source is None:
            raise self._closed_error()
        if isinstance(source, str):
            try:
                source = self._source = source.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise DecodeError(
                    f"{self._where}: expected a string payload that UTF-8 can encode, "
                    f"got {exc.reason} at character {exc.start}"
                ) from exc
        # io.BytesIO shares a bytes object it is given; any other buffer it would copy.
        cursor: Cursor = (
            io.BytesIO(source) if type(source) is bytes else ViewCursor(byte_view(source))
        )
        self._cursor = cursor
        return cursor

    def _closed_error(self) -> DecodeError:
        return DecodeError(f"{self._where}: I/O operation on a closed blob stream")

    def getbuffer(self) -> memoryview:
        """A read-only ``memoryview`` of the whole payload; no copy.

        The view keeps the payload alive (and an ``mmap`` open) until it is
        released with ``view.release()`` or garbage-collected, even after
        ``close()``.
        """
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        if isinstance(cursor, ViewCursor):
            return cursor.view[:]
        # Never BytesIO.getbuffer(): it would copy the bytes to hand out a writable view.
        return memoryview(self._source)

    if sys.version_info >= (3, 12):

        def __buffer__(self, flags: int, /) -> memoryview:
            return self.getbuffer()

    # -- reading ---------------------------------------------------------------

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left when None or negative)."""
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        return cursor.read(size)

    def read1(self, size: int | None = -1) -> bytes:
        """Same as :meth:`read`: the whole payload is already in memory."""
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        return cursor.read(size)

    def readinto(self, buffer: Buffer, /) -> int:
        """Copy the next bytes into ``buffer``; return how many (0 at the end)."""
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        return cursor.readinto(buffer)

    def readinto1(self, buffer: Buffer, /) -> int:
        """Same as :meth:`readinto`."""
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        return cursor.readinto(buffer)

    def readline(self, size: int | None = -1, /) -> bytes:
        """Read up to and including the next ``b"\\n"`` (at most ``size`` bytes)."""
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        return cursor.readline(size)

    def readlines(self, hint: int | None = -1, /) -> list[bytes]:
        """The remaining lines; stop once ``hint`` bytes have been read (if positive)."""
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        return cursor.readlines(hint)

    def peek(self, size: int = 0, /) -> bytes:
        """The next bytes (at least ``size`` when there are that many) without moving."""
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        position = cursor.tell()
        ahead = cursor.read(max(index(size), _PEEK_SIZE))
        cursor.seek(position)
        return ahead

    def __iter__(self) -> Iterator[bytes]:
        self._check_open()
        return self

    def __next__(self) -> bytes:
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        line = cursor.readline()
        if not line:
            raise StopIteration
        return line

    # -- position and state ----------------------------------------------------

    def seek(self, offset: int, whence: int = 0, /) -> int:
        """Move to ``offset`` from the start (0), the position (1) or the end (2).

        As on ``io.BytesIO``: seeking past the end is allowed (reads there return
        ``b""``), a relative seek before the start stops at 0, and a negative
        absolute offset or an unknown ``whence`` raises :class:`DecodeError`, which
        is also the ``ValueError`` that ``io`` raises.
        """
        offset = index(offset)
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        if whence not in (0, 1, 2):
            raise DecodeError(f"{self._where}: invalid whence ({whence!r}, should be 0, 1 or 2)")
        if whence == 0 and offset < 0:
            raise DecodeError(f"{self._where}: expected a seek position of 0 or more, got {offset}")
        return cursor.seek(offset, whence)

    def tell(self) -> int:
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        return cursor.tell()

    def seekable(self) -> bool:
        self._check_open()
        return True

    def readable(self) -> bool:
        self._check_open()
        return True

    def writable(self) -> bool:
        self._check_open()
        return False

    def isatty(self) -> bool:
        self._check_open()
        return False

    def flush(self) -> None:
        self._check_open()

    @property
    def closed(self) -> bool:
        return self._source is None

    def close(self) -> None:
        """Drop the stream's references to the payload; metadata stays readable."""
        cursor, self._cursor, self._source = self._cursor, None, None
        if isinstance(cursor, ViewCursor):
            # A consumer may still hold a raw export; the reference is gone either way.
            with contextlib.suppress(BufferError):
                cursor.view.release()

    def __enter__(self) -> Self:
        self._check_open()
        return self

    def __del__(self) -> None:
        # Replaces io.IOBase's finaliser, which calls close() and stores a flag in a
        # fresh instance dict: more than the rest of a decode costs.  Nothing needs
        # releasing here; the references go with the object.
        pass

    def _check_open(self) -> None:
        if self._source is None:
            raise self._closed_error()

    def _take_rest(self) -> bytes | memoryview:
        """Everything after the position, without a copy; the position moves to the end."""
        cursor = self._cursor
        if cursor is None:
            cursor = self._open()
        position = cursor.tell()
        cursor.seek(0, io.SEEK_END)
        if isinstance(cursor, ViewCursor):
            return cursor.view[position:]
        source: bytes = self._source
        return source if position == 0 else memoryview(source)[position:]

    # -- blob metadata (parsed on first access) ----------------------------------

    @property
    def name(self) -> str | None:
        """The blob's path, ``container/name`` (``BlobTrigger``), or None."""
        return _text_field(self._meta, "BlobTrigger", self._where)

    @property
    def uri(self) -> str | None:
        """The blob's primary URI (``Uri``), or None."""
        return _text_field(self._meta, "Uri", self._where)

    @property
    def blob_properties(self) -> dict[str, Any] | None:
        """The blob's system properties (``Properties``) as sent, or None."""
        return self._memo("Properties", self._object_field)

    @property
    def metadata(self) -> dict[str, Any] | None:
        """The blob's user-defined metadata (``Metadata``), or None."""
        return self._memo("Metadata", self._object_field)

    @property
    def length(self) -> int | None:
        """The blob's size from ``ContentLength`` (or ``Length``) in its properties."""
        properties = self.blob_properties
        if not properties:
            return None
        raw = properties.get("ContentLength")
        if raw is None or raw == "":
            raw = properties.get("Length")
            if raw is None or raw == "":
                return None
        try:
            return int(raw)
        except (TypeError, ValueError, OverflowError):  # Infinity is valid JSON for Python
            raise DecodeError(
                f"{self._where}: trigger metadata field 'Properties': expected an integer "
                f"ContentLength, got {describe(raw)}"
            ) from None

    @property
    def last_modified(self) -> datetime | None:
        """``LastModified`` from the blob's properties as a datetime, or None."""
        return self._memo("LastModified", self._property_datetime)

    @property
    def created(self) -> datetime | None:
        """``Created`` (or ``CreatedOn``) from the blob's properties, or None."""
        return self._memo("Created", self._property_datetime)

    @property
    def path_values(self) -> dict[str, Any]:
        """The values captured by the trigger's path pattern, such as ``{name}``."""
        return self._memo(" path values", self._path_values)

    def to_dict(self) -> dict[str, Any]:
        """The blob's metadata as a JSON-safe dict; the content is left out."""
        return {
            "name": self.name,
            "uri": self.uri,
            "length": self.length,
            "blob_properties": self.blob_properties,
            "metadata": self.metadata,
        }

    def _memo(self, key: str, parse: Callable[[str], _T]) -> _T:
        """``parse(key)``, computed on the first call for ``key`` and kept."""
        parsed = self._parsed
        if parsed is None:
            parsed = self._parsed = {}
        value = parsed.get(key, UNSET)
        if value is UNSET:
            value = parsed[key] = parse(key)
        return cast(_T, value)

    def _object_field(self, key: str) -> dict[str, Any] | None:
        return _object_field(self._meta, key, self._where)

    def _path_values(self, _: str) -> dict[str, Any]:
        where = self._where
        return {
            key: _plain_value(datum, key, where)
            for key, datum in (self._meta or {}).items()
            if key not in _BLOB_KEYS
        }

    def _property_datetime(self, key: str) -> datetime | None:
        properties = self.blob_properties
        if not properties:
            return None
        for name in _DATETIME_PROPERTIES[key]:
            raw = properties.get(name)
            if raw is None:
                continue
            if not isinstance(raw, str):
                raise DecodeError(
                    f"{self._where}: trigger metadata field 'Properties': expected a "
                    f"datetime string in {name}, got {describe(raw)}"
                )
            try:
                return parse_datetime(raw, field=f"Properties.{name}")
            except DecodeError as exc:
                raise DecodeError(f"{self._where}: {exc.message}") from exc
        return None


# -- trigger metadata fields ---------------------------------------------------


def _datum_of(meta: Metadata, key: str) -> DatumLike | None:
    if not meta:
        return None
    datum = meta.get(key)
    if datum is None or datum.type is None or datum.value is None:
        return None
    return datum


def _text_field(meta: Metadata, key: str, where: str) -> str | None:
    datum = _datum_of(meta, key)
    if datum is None:
        return None
    kind, value = datum.type, datum.value
    if kind == "string" and isinstance(value, str):
        return value
    if kind == "json":
        parsed = parse_json(value, f"{where}: trigger metadata field {key!r}")
        return parsed if isinstance(parsed, str) or parsed is None else str(parsed)
    if kind in ("int", "double"):
        return str(value)
    if kind in ("bytes", "stream"):
        try:
            return str(value, "utf-8")
        except (UnicodeDecodeError, TypeError):
            pass
    raise DecodeError(
        f"{where}: trigger metadata field {key!r}: expected text, got wire type {kind!r} "
        f"({describe(value)})"
    )


def _object_field(meta: Metadata, key: str, where: str) -> dict[str, Any] | None:
    datum = _datum_of(meta, key)
    if datum is None:
        return None
    kind, value = datum.type, datum.value
    if kind not in ("json", "string", "bytes", "stream"):
        raise DecodeError(
            f"{where}: trigger metadata field {key!r}: expected a JSON object, got wire "
            f"type {kind!r} ({describe(value)})"
        )
    parsed = parse_json(value, f"{where}: trigger metadata field {key!r}")
    if parsed is None or isinstance(parsed, dict):
        return parsed
    raise DecodeError(
        f"{where}: trigger metadata field {key!r}: expected a JSON object, got {describe(parsed)}"
    )


def _plain_value(datum: DatumLike, key: str, where: str) -> Any:
    kind, value = datum.type, datum.value
    if kind == "json" and value is not None:
        return parse_json(value, f"{where}: trigger metadata field {key!r}")
    return value
