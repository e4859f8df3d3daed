"""How funcbind's sync downloaders ask the SDK for a chunk, so that a chunk costs one chunk.

The sync ``StorageStreamDownloader`` turns every response into bytes with
``b"".join(list(response))``.  The response's stream generator has a ``len()`` (its
Content-Length), and ``list()`` presizes itself by it: a list of 8-byte slots, one per
byte of content, allocated before the first byte arrives.  With the bytes themselves and
the joined copy, one chunk costs about ten times its size, which is why the SDK's
defaults (a first request of 32 MiB) peak near 290 MiB.

``download_blob`` takes ``cls``, the hook that shapes its response (the SDK's own is
``deserialize_blob_stream``); :func:`unsized_download` is that function with the stream
handed back without a length, and read from the socket as one block of exactly the
response's length.  ``list()`` then holds one item, which ``join`` hands back as it is.
The downloader's own logic (ranges, retries, validation, decryption) is untouched.

The SDK's ``readinto`` also keeps the first response's content for the whole download,
after writing it to the caller's stream; :func:`releasing_first_chunk` lets it go once
written, so a download holds one chunk at a time.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import IO, Any

__all__ = ["UnsizedStream", "download_options", "releasing_first_chunk", "unsized_download"]

# azure-core iterates a requests response with this generator when it decompresses
# (the SDK's default); its block size is fixed when it is made, before the first read.
_REQUESTS_ITERATOR = "Response.iter_content.<locals>.generate"


class UnsizedStream:
    """A download response's stream, without ``len()``: everything else is the stream's."""

    __slots__ = ("_stream",)

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        _read_as_one_block(self._stream)
        return iter(self._stream)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "_stream":
            object.__setattr__(self, name, value)
        else:
            setattr(self._stream, name, value)


def _read_as_one_block(stream: Any) -> None:
    """Aim azure-core's unstarted requests iterator at one block of the response's length.

    urllib3 copies a block shorter than the size it was asked for (through a BytesIO):
    the last chunk of most blobs, and a first chunk smaller than the client's block size,
    would cost twice their size.  Asking for exactly the response's length reads it in
    one block, uncopied.  Anything else (another transport, a raw stream, an iterator
    already started, a response without a length) is left as it is.
    """
    iterator: Any = getattr(stream, "iter_content_func", None)
    length = getattr(stream, "content_length", 0)
    if (
        getattr(iterator, "__qualname__", None) == _REQUESTS_ITERATOR
        and inspect.getgeneratorstate(iterator) == inspect.GEN_CREATED
        and isinstance(length, int)
        and length > 0
        and length != getattr(stream, "block_size", None)
    ):
        stream.iter_content_func = stream.response.internal_response.iter_content(length)
        stream.block_size = length


def unsized_download(response: Any, obj: Any, headers: Any) -> Any:
    """``download_blob(cls=...)``: the SDK's response handling, the stream left unsized."""
    from azure.storage.blob._deserialize import deserialize_blob_stream

    location_mode, stream = deserialize_blob_stream(response, obj, headers)
    return location_mode, UnsizedStream(stream)


def download_options() -> dict[str, Any]:
    """The keywords funcbind's sync downloaders pass to ``BlobClient.download_blob``.

    Empty when this SDK has no ``deserialize_blob_stream`` to wrap (then the download
    works as the SDK's own, at its memory cost).
    """
    try:
        from azure.storage.blob._deserialize import deserialize_blob_stream  # noqa: F401
    except ImportError:
        return {}
    return {"cls": unsized_download}


def releasing_first_chunk(readinto: Callable[..., int]) -> Callable[..., int]:
    """The SDK's ``readinto``, which lets go of the first chunk once it is in ``stream``.

    The first response's content stays in the downloader (``_current_content``) until
    the downloader itself is dropped, so while the rest of a blob streams in, a download
    would hold the first chunk and the chunk in flight.  Once the SDK has written that
    content whole to the caller's stream, nothing needs it again (after ``readinto``,
    ``read()`` finds the end of the blob; ``chunks()`` starts the blob over), so it is
    replaced by an empty one with the offsets consistent, as the SDK leaves them after a
    complete read.  Only the sequential download is wrapped (the parallel one seeks in
    ``stream``; funcbind's downloaders never ask for it).
    """

    @functools.wraps(readinto)
    def released(self: Any, stream: IO[bytes]) -> int:
        if getattr(self, "_max_concurrency", None) != 1:
            return readinto(self, stream)
        return readinto(self, _FirstChunkReleaser(self, stream))

    return released


class _FirstChunkReleaser:
    """The caller's stream, seen by ``readinto``: after the first write, the stream's own."""

    __slots__ = ("_downloader", "_stream", "write")

    def __init__(self, downloader: Any, stream: IO[bytes]) -> None:
        self._downloader = downloader
        self._stream = stream
        self.write: Callable[[bytes], Any] = self._write_first

    def _write_first(self, data: bytes) -> Any:
        written = self._stream.write(data)
        self.write = self._stream.write  # later chunks go straight to the stream
        downloader = self._downloader
        # Only the SDK's own first write is this exact object, and only a whole write
        # leaves nothing of it to read: anything else keeps the SDK's state untouched.
        if data is getattr(downloader, "_current_content", None) and written == len(data):
            downloader._current_content = b""
            # The SDK adds what was written next: that brings it to 0 == len(b"").
            downloader._current_content_offset = -written
            # What the downloader holds is no longer the first chunk: a later chunks()
            # downloads the blob again from its start, as the SDK documents it.
            downloader._first_chunk = False
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
