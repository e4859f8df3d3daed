"""Blob bindings: ``blob`` in and out, ``blobTrigger``; payloads moved without copies.

* ``converter``: :class:`BlobConverter`, decoding to a stream, ``bytes`` or ``str`` and
  encoding bytes-like values, text, streams and file-like objects;
* ``stream``: :class:`BlobStream`, the ``azure.functions.InputStream`` over the wire buffer;
* ``cursor``: reading a ``memoryview`` the way ``io.BytesIO`` reads bytes, copying nothing.

See ``docs/bindings/blob.md``.
"""

from __future__ import annotations

from ...registry import Registry
from .converter import BlobConverter
from .stream import BlobStream

__all__ = ["BlobConverter", "BlobStream", "register"]


def register(registry: Registry) -> None:
    """Register ``blob`` and ``blobTrigger`` into ``registry`` (one converter for both)."""
    converter = BlobConverter()
    registry.register("blob", converter=converter)
    registry.register("blobTrigger", converter=converter, trigger=True, directions=("in",))
