"""funcbind.storage.downloads: the SDK's download response, unsized and read as one block."""

from __future__ import annotations

import io
import operator
from types import SimpleNamespace

import pytest
import requests

from funcbind.storage.downloads import (
    UnsizedStream,
    _read_as_one_block,
    download_options,
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


def response_stream(body: bytes, block_size: int) -> SimpleNamespace:
    """What azure-core's StreamDownloadGenerator holds for a requests response."""
    response = requests.Response()
    response.raw = io.BytesIO(body)
    response.headers["Content-Length"] = str(len(body))
    return SimpleNamespace(
        iter_content_func=response.iter_content(block_size),
        content_length=len(body),
        block_size=block_size,
        response=SimpleNamespace(internal_response=response),
    )


def test_a_response_is_read_as_one_block_of_its_length() -> None:
    stream = response_stream(b"0123456789", block_size=4)
    _read_as_one_block(stream)
    assert stream.block_size == 10
    assert list(stream.iter_content_func) == [b"0123456789"]


def test_a_started_or_foreign_iterator_is_left_as_it_is() -> None:
    started = response_stream(b"0123456789", block_size=4)
    assert next(started.iter_content_func) == b"0123"
    _read_as_one_block(started)
    assert list(started.iter_content_func) == [b"4567", b"89"]
    foreign = response_stream(b"0123456789", block_size=4)
    foreign.iter_content_func = iter([b"01234", b"56789"])
    _read_as_one_block(foreign)
    assert foreign.block_size == 4
    assert list(foreign.iter_content_func) == [b"01234", b"56789"]
    unknown_length = response_stream(b"", block_size=4)
    _read_as_one_block(unknown_length)
    assert unknown_length.block_size == 4
