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

from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["UnsizedStream", "download_options", "readinto_write_behind", "unsized_download"]


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


# -- readinto: the next chunk downloads while the caller's stream takes this one -------
#
# The SDK's sequential readinto alternates: download a chunk, write it, download the
# next.  A function's stream usually does work on what it is given (hashing, parsing,
# writing a file), and meanwhile the connection sits idle.  readinto_write_behind hands
# each chunk to one writer thread and downloads the next one at once, so the stream's work
# and the network overlap; both release the GIL for large buffers (socket reads, hashing,
# file writes).  At most two chunks are in memory besides the first one the SDK keeps:
# the one being written and the one arriving (the hand-off waits for the writer).  The
# SDK still does everything else: ranges, retries, validation, decryption, progress.


class _WriteBehind:
    """A stream whose writes run on one writer thread, one chunk behind the caller."""

    __slots__ = ("_context", "_executor", "_pending", "_stream")

    def __init__(self, stream: Any) -> None:
        import concurrent.futures
        import contextvars

        self._stream = stream
        # The writes run in the caller's context (tracing spans, context variables).
        self._context = contextvars.copy_context()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="funcbind-readinto"
        )
        self._pending: concurrent.futures.Future[Any] | None = None

    def write(self, data: bytes) -> int:
        self.wait()  # the previous chunk is written: at most one in the writer's hands
        self._pending = self._executor.submit(self._context.run, self._stream.write, data)
        return len(data)

    def wait(self) -> None:
        """Block until the last write has finished; raise what it raised."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self, *, failed: bool) -> None:
        """Finish the last write (its error is dropped if the download ``failed``)."""
        try:
            if failed:
                if self._pending is not None:
                    import concurrent.futures

                    concurrent.futures.wait([self._pending])
                self._pending = None
            else:
                self.wait()
        finally:
            self._executor.shutdown(wait=True)


def readinto_write_behind(downloader: Any, stream: Any, readinto: Callable[[Any, Any], int]) -> int:
    """``readinto(downloader, stream)``, the SDK's own, with the stream written behind.

    Used only where the SDK downloads one chunk at a time and more than one request is
    left (``max_concurrency`` 1, nothing read yet, the blob bigger than the first
    chunk); otherwise the SDK's readinto runs as it is.  The first chunk's write then
    returns its length at once, as a complete write does; every chunk is written exactly
    once, in order, and readinto returns only after the last write has finished.
    """
    if not _worth_a_writer(downloader):
        return readinto(downloader, stream)
    behind = _WriteBehind(stream)
    failed = True
    try:
        count = readinto(downloader, behind)
        failed = False
    finally:
        behind.close(failed=failed)
    return count


def _worth_a_writer(downloader: Any) -> bool:
    # SDK state read without calling anything; a name this SDK lacks means "no".
    state = vars(downloader)
    content = state.get("_current_content")
    return (
        state.get("_max_concurrency") == 1
        and state.get("_read_offset") == 0
        and not state.get("_text_mode")
        and isinstance(content, bytes)
        and isinstance(state.get("size"), int)
        and state["size"] > len(content)
    )
