"""funcbind.storage.downloads: the SDK's download response, handed back without a length."""

from __future__ import annotations

import operator
from types import SimpleNamespace

import pytest

from funcbind.storage.downloads import UnsizedStream, download_options, unsized_download


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
