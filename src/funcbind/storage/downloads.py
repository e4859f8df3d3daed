"""How funcbind's sync downloaders ask the SDK for a chunk, so that a chunk costs one chunk.

The sync ``StorageStreamDownloader`` turns every response into bytes with
``b"".join(list(response))``.  The response's stream generator has a ``len()`` (its
Content-Length), and ``list()`` presizes itself by it: a list of 8-byte slots, one per
byte of content, allocated before the first byte arrives.  With the bytes themselves and
the joined copy, one chunk costs about ten times its size, which is why the SDK's
defaults (a first request of 32 MiB) peak near 290 MiB.

``download_blob`` takes ``cls``, the hook that shapes its response (the SDK's own is
``deserialize_blob_stream``); :func:`unsized_download` is that function with the stream
handed back without a length.  ``list()`` then grows as blocks arrive; and the clients
of :mod:`funcbind.storage.clients` read a chunk as one block, which ``join`` hands back
as it is.  The downloader's own logic (ranges, retries, validation, decryption) is
untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["UnsizedStream", "unsized_download"]


class UnsizedStream:
    """A download response's stream, without ``len()``: everything else is the stream's."""

    __slots__ = ("_stream",)

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._stream)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "_stream":
            object.__setattr__(self, name, value)
        else:
            setattr(self._stream, name, value)


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
