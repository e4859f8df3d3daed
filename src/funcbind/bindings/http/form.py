"""Form bodies of HTTP requests: urlencoded and multipart, under a size limit.

Parsing is werkzeug's (a dependency of azure-functions), so ``form`` and ``files``
are the same ``ImmutableMultiDict``/``FileStorage`` types azure.functions returns.
Unlike azure.functions, a malformed body is an error rather than an empty form, and
bodies above the limit are refused before any parsing.
"""

from __future__ import annotations

import io
from typing import IO

from werkzeug.datastructures import FileStorage, ImmutableMultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header

from ...errors import DecodeError

__all__ = [
    "DEFAULT_FORM_SIZE_LIMIT",
    "get_form_size_limit",
    "is_form_type",
    "parse_form",
    "set_form_size_limit",
]

# The largest request body the Functions host accepts (100 MB), so by default every
# request the host delivers parses as it would with azure.functions.
DEFAULT_FORM_SIZE_LIMIT = 100 * 1024 * 1024


class _Settings:
    form_size_limit: int | None = DEFAULT_FORM_SIZE_LIMIT


_settings = _Settings()

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

Form = ImmutableMultiDict[str, str]
Files = ImmutableMultiDict[str, FileStorage]


def get_form_size_limit() -> int | None:
    """The largest body, in bytes, that ``form``/``files`` parse (None: no limit)."""
    return _settings.form_size_limit


def set_form_size_limit(limit: int | None) -> int | None:
    """Set the form body size limit for every request parsed from now on.

    ``None`` removes the limit.  Returns the previous limit, so a caller can put it back.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"expected a form size limit as a non-negative int or None, got {limit!r}")
    previous = _settings.form_size_limit
    _settings.form_size_limit = limit
    return previous


def is_form_type(content_type: str) -> bool:
    """Whether a body of this Content-Type can hold form fields (else form and files are empty).

    The same test azure.functions makes through werkzeug, without its option parsing:
    ``parse_options_header`` keeps the text before the first ``;``, spaces and tabs
    stripped, case unchanged, and ``FormDataParser`` parses only these two types.
    """
    return content_type.partition(";")[0].strip(" \t") in FORM_TYPES


def parse_form(body: bytes, content_type: str, where: str) -> tuple[Form, Files]:
    """Parse a request body into (form fields, uploaded files) by its content type."""
    mimetype, options = parse_options_header(content_type)
    if mimetype not in FORM_TYPES or not body:
        return ImmutableMultiDict(), ImmutableMultiDict()
    limit = _settings.form_size_limit
    if limit is not None and len(body) > limit:
        raise DecodeError(
            f"{where}, field 'form': expected a {mimetype} body of at most {limit} bytes, got "
            f"{len(body)} bytes; raise the limit with "
            "funcbind.bindings.http.set_form_size_limit(n) (None for no limit)"
        )
    parser = FormDataParser(stream_factory=_memory_stream, cls=ImmutableMultiDict, silent=False)
    try:
        _, form, files = parser.parse(io.BytesIO(body), mimetype, len(body), options)
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"{where}, field 'form': expected UTF-8 text in a {mimetype} body, got bytes that "
            f"are not UTF-8 ({exc.reason} at byte {exc.start})"
        ) from exc
    except ValueError as exc:
        raise DecodeError(f"{where}, field 'form': malformed {mimetype} body ({exc})") from exc
    return form, files  # type: ignore[return-value]


def _memory_stream(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None,
    content_length: int | None = None,
) -> IO[bytes]:
    # The body is already in memory (it came in one gRPC message); spooling uploads to
    # temporary files would only add copies and open file handles.
    del total_content_length, content_type, filename, content_length
    return io.BytesIO()
