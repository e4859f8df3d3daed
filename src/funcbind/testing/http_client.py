"""The ``httpx`` clients behind ``client.http``: httpx's own, with two per-request costs cut.

A request through the test client costs as much in httpx as in the host, and two
steps of httpx's are most of it, both repeated work with the same answer:

* joining the path to ``base_url``: httpx parses and validates the URL twice per
  request; a test calls the same few paths again and again, and :class:`httpx.URL`
  is immutable, so each joined URL is kept (per ``base_url``, a bounded number);
* reading cookies from a response: the standard library's cookie jar builds a
  ``urllib`` request for every response only to find no ``Set-Cookie`` header in
  most; the clients' cookie store hands it only the responses that have one.

Everything else (hooks, auth, redirects, cookies sent, streaming) is httpx's own.  The
classes are made when the first client is (httpx is an optional dependency).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx
    from httpx._client import BaseClient as _ClientBase
else:
    _ClientBase = object

__all__ = ["async_host_http_client", "host_http_client"]

_SET_COOKIE = frozenset({b"set-cookie", b"set-cookie2"})
# Distinct request URLs kept per client; a test that makes more starts over.
_URLS_KEPT = 256


def host_http_client(**options: Any) -> httpx.Client:
    """An ``httpx.Client`` (options as its own) for the sync test client."""
    return _classes()[1](**options)


def async_host_http_client(**options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` (options as its own) for the async test client."""
    return _classes()[2](**options)


class _JoinedURLs:
    """Request URLs joined to one ``base_url``, by the string the test passed."""

    def __init__(self) -> None:
        self.base: httpx.URL | None = None
        self.urls: dict[str, httpx.URL] = {}

    def get(self, base: httpx.URL, url: str) -> httpx.URL | None:
        if base is not self.base:  # base_url was set anew: what was joined to the old
            self.base = base
            self.urls.clear()
        return self.urls.get(url)

    def keep(self, url: str, joined: httpx.URL) -> httpx.URL:
        if len(self.urls) >= _URLS_KEPT:
            self.urls.clear()
        self.urls[url] = joined
        return joined


class _HostClientParts(_ClientBase):
    """What both clients change: the cookie store and the URL join."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._joined = _JoinedURLs()
        self._host_cookies = _classes()[0](super().cookies)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._host_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._host_cookies = _classes()[0](cookies)

    def _merge_url(self, url: httpx.URL | str) -> httpx.URL:
        if not isinstance(url, str):
            return super()._merge_url(url)
        joined = self._joined.get(self.base_url, url)
        return joined if joined is not None else self._joined.keep(url, super()._merge_url(url))


@functools.cache
def _classes() -> tuple[type[httpx.Cookies], type[httpx.Client], type[httpx.AsyncClient]]:
    """The classes, made on first use: httpx is an optional dependency (``testing``)."""
    import httpx

    class HostCookies(httpx.Cookies):
        """httpx's cookie store, which skips the jar for a response that sets no cookie."""

        def extract_cookies(self, response: httpx.Response) -> None:
            # The jar reads nothing but these headers from a response, so a response
            # without them leaves it as it was.
            for name, _ in response.headers.raw:
                if name.lower() in _SET_COOKIE:
                    super().extract_cookies(response)
                    return

    class HostHTTPClient(_HostClientParts, httpx.Client):
        """``httpx.Client`` for the sync test client (see the module's docstring)."""

    class AsyncHostHTTPClient(_HostClientParts, httpx.AsyncClient):
        """``httpx.AsyncClient`` for the async test client (see the module's docstring)."""

    return HostCookies, HostHTTPClient, AsyncHostHTTPClient
