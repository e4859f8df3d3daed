"""SDK types next to plain bindings: only the SDK-typed inputs are deferred."""

from typing import Optional

import azure.functions as func
from azure.storage.blob import BlobClient, StorageStreamDownloader


def main(
    trigger: func.QueueMessage,
    maybe: Optional[BlobClient],
    text: StorageStreamDownloader[str],
    content: bytes,
    copy: func.Out[bytes],
) -> None:
    copy.set(content + (b" (maybe: none)" if maybe is None else b" (maybe: set)"))
    assert isinstance(text.readall(), str)
