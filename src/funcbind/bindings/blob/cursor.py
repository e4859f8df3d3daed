"""``ViewCursor``: ``io.BytesIO``'s reading methods over a ``memoryview``, copying nothing.

``BlobStream`` reads a ``bytes`` payload through an ``io.BytesIO``, which shares an
initial ``bytes`` object instead of copying it.  For every other buffer (``bytearray``,
``memoryview``, ``mmap``) ``io.BytesIO`` would copy, so it reads through this cursor
instead.  Arguments are validated by ``BlobStream`` before they get here.
"""

from __future__ import annotations

import re
from operator import index

from typing_extensions import Buffer

__all__ = ["ViewCursor", "byte_view"]

_NEWLINE = re.compile(b"\n")


def byte_view(source: Buffer) -> memoryview:
    """A flat, unsigned, read-only view of any buffer; a copy only if it is not contiguous."""
    view = memoryview(source)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B") if view.c_contiguous else memoryview(view.tobytes())
    return view if view.readonly else view.toreadonly()


class ViewCursor:
    """A read position in a byte view, with the reading methods of ``io.BytesIO``."""

    __slots__ = ("pos", "view")

    def __init__(self, view: memoryview) -> None:
        self.view = view
        self.pos = 0

    def read(self, size: int | None = -1) -> bytes:
        view, pos = self.view, self.pos
        end = len(view)
        stop = end if size is None or size < 0 else min(end, pos + index(size))
        if pos >= stop:
            return b""
        self.pos = stop
        return view[pos:stop].tobytes()

    read1 = read

    def readinto(self, buffer: Buffer) -> int:
        target = memoryview(buffer)
        if target.format != "B" or target.ndim != 1:
            target = target.cast("B")
        pos = self.pos
        count = min(len(target), len(self.view) - pos)
        if count <= 0:
            return 0
        target[:count] = self.view[pos : pos + count]
        self.pos = pos + count
        return count

    def readline(self, size: int | None = -1) -> bytes:
        view, pos = self.view, self.pos
        end = len(view)
        limit = end if size is None or size < 0 else min(end, pos + index(size))
        if pos >= limit:
            return b""
        found = _NEWLINE.search(view, pos, limit)
        stop = found.end() if found is not None else limit
        self.pos = stop
        return view[pos:stop].tobytes()

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        limit = -1 if hint is None else index(hint)
        lines = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < limit <= total:
                break
        return lines

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            position = offset
        elif whence == 1:
            position = max(0, self.pos + offset)
        else:
            position = max(0, len(self.view) + offset)
        self.pos = position
        return position

    def tell(self) -> int:
        return self.pos
