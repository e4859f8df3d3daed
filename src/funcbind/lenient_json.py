"""JSON as the Functions host reads its configuration files: comments and trailing commas.

The host and Core Tools read ``function.json``, ``host.json`` and ``local.settings.json``
with Json.NET, which skips ``//`` and ``/* */`` comments and accepts a comma before a
closing ``]`` or ``}``.  Apps written against the host rely on both, so funcbind reads
the same files the same way.  Everything else is strict JSON.

The text is not rewritten into something shorter: comments and the commas dropped are
blanked with spaces (newlines kept), so the line and column of a syntax error that
:func:`json.loads` reports still point into the file as the user sees it.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["loads_lenient", "strip_comments_and_trailing_commas"]


def loads_lenient(text: str) -> Any:
    """Parse configuration JSON that may hold comments and trailing commas.

    Raises :class:`json.JSONDecodeError` (with the file's own line and column) for
    anything else that is not JSON, an unterminated block comment included.
    """
    return json.loads(strip_comments_and_trailing_commas(text))


def strip_comments_and_trailing_commas(text: str) -> str:
    """``text`` with comments and trailing commas blanked out, positions unchanged."""
    if "/" not in text and "," not in text:
        return text
    out = list(text)
    i, end = 0, len(text)
    pending_comma = -1  # index of a comma that is trailing if only blanks/comments follow
    previous = ""  # the last character that is neither blank nor part of a comment
    while i < end:
        char = text[i]
        if char == '"':
            i = _after_string(text, i)
            pending_comma, previous = -1, '"'
            continue
        if char == "/" and i + 1 < end and text[i + 1] in "/*":
            i = _blank_comment(text, out, i)
            continue
        if char == "," and previous not in ("", "[", "{", ","):  # a comma after a value
            pending_comma = i
        elif char in "]}" and pending_comma >= 0:
            out[pending_comma] = " "
            pending_comma = -1
        elif not char.isspace():
            pending_comma = -1
        if not char.isspace():
            previous = char
        i += 1
    return "".join(out)


def _after_string(text: str, start: int) -> int:
    """The index just past the JSON string opening at ``start`` (or the end of text)."""
    i, end = start + 1, len(text)
    while i < end:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char in '"\n':  # a newline ends it: json.loads reports that error
            return i + 1
        i += 1
    return end


def _blank_comment(text: str, out: list[str], start: int) -> int:
    """Blank the comment opening at ``start`` in ``out``; return the index after it."""
    if text[start + 1] == "/":
        stop = text.find("\n", start)
        stop = len(text) if stop < 0 else stop
    else:
        close = text.find("*/", start + 2)
        if close < 0:
            raise json.JSONDecodeError("Unterminated comment", text, start)
        stop = close + 2
    for k in range(start, stop):
        if out[k] != "\n":
            out[k] = " "
    return stop
