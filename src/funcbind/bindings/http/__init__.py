"""HTTP bindings: ``httpTrigger`` requests in, ``http`` responses out.

One module per part of the family:

* ``request``: the lazy :class:`HttpRequest` model and its converter;
* ``fields``: the readers of the request's wire fields (headers, query, body, JSON);
* ``form``: urlencoded and multipart bodies, under a size limit;
* ``cookies``: :class:`HttpCookie` (``Set-Cookie``) and the ``Cookie`` request header;
* ``response``: ``HttpResponse`` and plain values to the http Datum workers send.

See ``docs/bindings/http.md``.
"""

from __future__ import annotations

from ...registry import Registry
from .cookies import HttpCookie, parse_cookie_header, parse_set_cookie
from .fields import RequestHeaders
from .form import DEFAULT_FORM_SIZE_LIMIT, get_form_size_limit, set_form_size_limit
from .request import HttpRequest, HttpRequestConverter
from .response import HttpResponseConverter, encode_http_output, encode_response

__all__ = [
    "DEFAULT_FORM_SIZE_LIMIT",
    "HttpCookie",
    "HttpRequest",
    "HttpRequestConverter",
    "HttpResponseConverter",
    "RequestHeaders",
    "encode_http_output",
    "encode_response",
    "get_form_size_limit",
    "parse_cookie_header",
    "parse_set_cookie",
    "register",
    "set_form_size_limit",
]


def register(registry: Registry) -> None:
    """Register ``httpTrigger`` and ``http`` into ``registry``."""
    registry.register("httpTrigger", converter=HttpRequestConverter(), trigger=True)
    registry.register("http", converter=HttpResponseConverter())
