"""funcbind.storage.downloads: the response without a length, readinto written behind."""

from __future__ import annotations

import contextvars
import operator
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from funcbind.storage.downloads import (
    UnsizedStream,
    download_options,
    readinto_write_behind,
    unsized_download,
)


class SizedStream:
    """Like azure-core's StreamDownloadGenerator: an iterator with a Content-Length len()."""

    def __init__(self, blocks: list[bytes]) -> None:
        self.blocks = iter(blocks)
        self.content_length = 6
        self.response = SimpleNamespace(headers={"x-ms-blob-type": "BlockBlob"})

    def __len__(self) -> int:
        return self.content_length

    def __iter__(self) -> SizedStream:
        return self

    def __next__(self) -> bytes:
        return next(self.blocks)


def test_the_stream_loses_its_length_and_keeps_everything_else() -> None:
    stream = UnsizedStream(SizedStream([b"abc", b"def"]))
    with pytest.raises(TypeError):
        len(stream)  # type: ignore[arg-type]
    assert stream.content_length == 6
    assert stream.response.headers["x-ms-blob-type"] == "BlockBlob"
    stream.properties = "set through the wrapper"  # type: ignore[attr-defined]
    assert stream._stream.properties == "set through the wrapper"
    assert b"".join(list(stream)) == b"abcdef"


def test_list_presizes_by_the_length_and_not_without_it() -> None:
    # What the SDK's b"".join(list(response)) allocates before the first block arrives.
    assert len(SizedStream([])) == 6
    assert operator.length_hint(SizedStream([]), 0) == 6
    assert operator.length_hint(UnsizedStream(SizedStream([])), 0) == 0


def test_the_download_hook_wraps_the_sdks_own() -> None:
    pytest.importorskip("azure.storage.blob")
    assert download_options() == {"cls": unsized_download}


# -- readinto with the stream written behind the download -------------------------------

CHUNKS = [b"first", b"second", b"third"]


class FakeDownloader:
    """The SDK state readinto_write_behind looks at: nothing read yet, one request at a time."""

    def __init__(self, chunks: list[bytes] = CHUNKS, **state: Any) -> None:
        self.chunks = chunks
        self._max_concurrency = 1
        self._read_offset = 0
        self._text_mode = None
        self._current_content = chunks[0]
        self.size = sum(map(len, chunks))
        vars(self).update(state)


class RecordingSink:
    def __init__(self, fail_on: bytes | None = None) -> None:
        self.written: list[bytes] = []
        self.threads: set[int] = set()
        self.fail_on = fail_on

    def write(self, data: bytes) -> int:
        self.threads.add(threading.get_ident())
        if data == self.fail_on:
            raise OSError("disk full")
        time.sleep(0.01)  # a stream with work to do: the next write must wait for it
        self.written.append(data)
        return len(data)


def sdk_readinto(downloader: FakeDownloader, stream: Any) -> int:
    """What the SDK's sequential readinto does with the stream: one write per chunk."""
    for chunk in downloader.chunks:
        assert stream.write(chunk) == len(chunk)
    return downloader.size


def test_every_chunk_is_written_once_in_order_on_one_other_thread() -> None:
    sink = RecordingSink()
    assert readinto_write_behind(FakeDownloader(), sink, sdk_readinto) == 16
    assert sink.written == CHUNKS  # all of it, by the time readinto returns
    assert len(sink.threads) == 1
    assert threading.get_ident() not in sink.threads
    assert not [t for t in threading.enumerate() if t.name.startswith("funcbind-readinto")]


def test_the_writer_is_at_most_one_chunk_behind() -> None:
    sink = RecordingSink()

    def readinto(downloader: FakeDownloader, stream: Any) -> int:
        for number, chunk in enumerate(downloader.chunks):
            stream.write(chunk)
            # Handing chunk n over waited until chunk n-1 was written.
            assert sink.written[:number] == CHUNKS[:number]
        return downloader.size

    readinto_write_behind(FakeDownloader(), sink, readinto)
    assert sink.written == CHUNKS


def test_the_writes_run_in_the_callers_context() -> None:
    variable: contextvars.ContextVar[str] = contextvars.ContextVar("variable")
    seen: list[str] = []

    class Sink:
        def write(self, data: bytes) -> int:
            seen.append(variable.get())
            return len(data)

    variable.set("the caller's")
    readinto_write_behind(FakeDownloader(), Sink(), sdk_readinto)
    assert seen == ["the caller's"] * 3


def test_a_failed_write_fails_readinto_and_stops_the_writes() -> None:
    sink = RecordingSink(fail_on=b"second")
    with pytest.raises(OSError, match="disk full"):
        readinto_write_behind(FakeDownloader(), sink, sdk_readinto)
    assert sink.written == [b"first"]


def test_a_failed_download_waits_for_the_write_under_way() -> None:
    sink = RecordingSink()

    def readinto(downloader: FakeDownloader, stream: Any) -> int:
        stream.write(b"first")
        raise ConnectionError("the connection dropped")

    with pytest.raises(ConnectionError, match="dropped"):
        readinto_write_behind(FakeDownloader(), sink, readinto)
    assert sink.written == [b"first"]  # finished before readinto raised, not after
    assert not [t for t in threading.enumerate() if t.name.startswith("funcbind-readinto")]


@pytest.mark.parametrize(
    "downloader",
    [
        FakeDownloader([b"all of it"]),  # one request: nothing to overlap
        FakeDownloader(_read_offset=3),  # read() came first: the SDK's bookkeeping decides
        FakeDownloader(_max_concurrency=4),  # the SDK's parallel path writes by seeking
        FakeDownloader(_text_mode=True),  # the SDK's own error
        SimpleNamespace(),  # an SDK whose state looks different
    ],
    ids=["one chunk", "partly read", "parallel", "text mode", "unknown SDK"],
)
def test_otherwise_the_sdk_writes_the_stream_itself(downloader: Any) -> None:
    sink = RecordingSink()
    streams: list[Any] = []

    def readinto(downloader: Any, stream: Any) -> int:
        streams.append(stream)
        stream.write(b"data")
        return 4

    assert readinto_write_behind(downloader, sink, readinto) == 4
    assert streams == [sink]
    assert sink.threads == {threading.get_ident()}
