"""What the apps mounted below the host's app share: the admin app (``/admin/``) and the
extension webhooks (``/runtime/webhooks/``).

Each is an ASGI app of its own over the host's loaded app, runner and keys (None: auth
is off), answering through a :class:`~funcbind.host.http.Responder` of its own that the
host's app forwards.  A malformed request answers 400, a client that left is given
nothing, and a function that cannot run answers 500 before its body is read.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from .http import BadRequest, ClientGone, Receive, Responder, Scope, Send, read_body
from .keys import KeyStore
from .model import HostedApp, HostedFunction
from .runner import Runner

__all__ = ["MountedApp"]


class MountedApp(ABC):
    """An ASGI app the host's app mounts at a path prefix; :meth:`handle` serves a request."""

    def __init__(self, app: HostedApp, runner: Runner, *, keys: KeyStore | None) -> None:
        self.app = app
        self.runner = runner
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        respond = Responder(send)
        try:
            await self.handle(scope, receive, respond)
        except BadRequest as exc:
            await respond.error(400, str(exc))
        except ClientGone:
            return

    @abstractmethod
    async def handle(self, scope: Scope, receive: Receive, respond: Responder) -> None:
        """Answer one request through ``respond``."""

    async def call_body(
        self, function: HostedFunction, scope: Scope, receive: Receive, respond: Responder
    ) -> bytes | None:
        """The body of a request that calls ``function``; None once answered: 500 when
        the function cannot run, 413 when the body is over the app's limit."""
        if function.problem is not None:
            await respond.error(500, f"function {function.name!r} cannot run: {function.problem}")
            return None
        return await read_body(scope, receive, respond, self.app.max_body_size)
