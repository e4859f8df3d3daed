"""The extension webhooks: ``/runtime/webhooks/{extension}?functionName=NAME``.

A small ASGI app of its own, mounted by the host's app, sharing the request helpers of
:mod:`funcbind.host.http`.  As in the Functions host, the caller presents the
extension's system key (``eventgrid_extension`` for Event Grid) or the master key, in
``?code=`` or the ``x-functions-key`` header; a wrong or missing key is a 401, an
extension no trigger kind has or a function it does not serve a 404.  The trigger kind
(:func:`funcbind.host.triggers.kinds.webhook_kind`) handles the request itself.
"""

from __future__ import annotations

from .http import (
    Receive,
    Responder,
    Scope,
    key_needed,
    parse_query,
    presented_key,
    read_headers,
    request_path,
)
from .mounted import MountedApp
from .triggers.kinds import webhook_kind

__all__ = ["PREFIX", "WebhookApp"]

PREFIX = "/runtime/webhooks/"


class WebhookApp(MountedApp):
    """The ``/runtime/webhooks/...`` endpoints.  ``keys`` None means auth is off."""

    async def handle(self, scope: Scope, receive: Receive, respond: Responder) -> None:
        path = request_path(scope).rstrip("/")
        extension = path[len(PREFIX) :]
        kind = webhook_kind(extension) if extension and "/" not in extension else None
        if kind is None:
            await respond.error(404, f"no extension webhook at {path}")
            return
        headers, key = read_headers(scope)
        query = parse_query(scope.get("query_string", b""))
        if self.keys is not None and not self.keys.authorize_system(
            kind.system_key, presented_key(key, query)
        ):
            await respond.error(
                401, key_needed(f"the {extension} webhook needs the {kind.system_key!r} key")
            )
            return
        given = query.get("functionName")
        name = given.value if given is not None else ""
        function = kind.webhook_function(self.app, name) if name else None
        if function is None or function.disabled:
            served = sorted(
                f.name
                for f in self.app.functions.values()
                if kind.webhook_function(self.app, f.name)
            )
            await respond.error(
                404,
                f"cannot find function {name!r} for the {extension} webhook; functions it "
                f"serves: [{', '.join(served)}]",
            )
            return
        body = await self.call_body(function, scope, receive, respond)
        if body is None:
            return
        texts = {name: datum.value for name, datum in headers.items()}
        status, extra, content = await kind.deliver(
            self.runner, function, scope["method"], texts, body
        )
        await respond.send(status, extra, content)
