"""The admin app: ``POST /admin/functions/{name}`` runs a non-HTTP function.

A small ASGI app of its own, mounted by the host's app at ``/admin/``; it shares the
request helpers of :mod:`funcbind.host.http` (keys, JSON errors, body limits) with the
function routes.  As in the Functions host, the body is ``{"input": ...}``; the
trigger's kind (:mod:`funcbind.host.triggers.kinds`) turns the input into the trigger's
payload (for a blob trigger: the path ``container/name`` of the blob to read), and the
call answers 202 at once while the function runs in the background, storage bindings
included.  The master key is required (unless auth is off).  The host's other endpoints
(ping, status, function metadata, warm-up) are :mod:`funcbind.host.host_api`'s.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from .host_api import HostEndpoints
from .http import JSON_HEADERS, Receive, Responder, Scope, key_needed, request_key, request_path
from .keys import ADMIN, KeyStore
from .model import HostedApp, HostedFunction, Outcome, new_invocation_id
from .mounted import MountedApp
from .runner import Runner
from .triggers.kinds import trigger_kind
from .triggers.polling import wait_unless

__all__ = ["AdminApp"]

_FUNCTIONS = "/admin/functions/"
_EXAMPLE = '{"input": "..."}'


class AdminApp(MountedApp):
    """The ``/admin/...`` endpoints; keeps track of the invocations it starts.

    ``keys`` None means auth is off.
    """

    def __init__(self, app: HostedApp, runner: Runner, *, keys: KeyStore | None) -> None:
        super().__init__(app, runner, keys=keys)
        self.running: set[asyncio.Task[Any]] = set()
        self._abandoned = asyncio.Event()
        # ping, status, function metadata, warm-up: the host's own endpoints.
        self.host_api = HostEndpoints(app, runner, keys)

    async def handle(self, scope: Scope, receive: Receive, respond: Responder) -> None:
        path = request_path(scope)
        folded = path.rstrip("/").casefold()
        method = scope["method"]
        if await self.host_api.handle(scope, path, respond):
            return
        if not folded.startswith(_FUNCTIONS) or "/" in folded[len(_FUNCTIONS) :]:
            await respond.error(404, f"no admin endpoint at {path}")
            return
        if method != "POST":
            await respond.error(
                405, f"{method} is not allowed here; allowed: GET, POST", [(b"allow", b"GET, POST")]
            )
            return
        if self.keys is not None and not self.keys.authorize(ADMIN, "", request_key(scope)):
            await respond.error(401, key_needed("the admin API needs the master key"))
            return
        name = path.rstrip("/")[len(_FUNCTIONS) :]
        function = self.app.find(name)
        if function is None or function.disabled:
            state = "is disabled" if function is not None else "does not exist"
            await respond.error(404, f"function {name!r} {state}")
            return
        if function.is_http:
            await respond.error(
                400,
                f"function {function.name!r} is HTTP-triggered; call it at its URL instead",
            )
            return
        body = await self.call_body(function, scope, receive, respond)
        if body is None:
            return
        try:
            given = _input(body)
        except ValueError as exc:
            await respond.error(400, str(exc))
            return
        invocation_id = new_invocation_id()
        call = self._call(function, given, invocation_id)
        if isinstance(call, str):
            await respond.error(400, call)
            return
        task = asyncio.ensure_future(call)
        self.running.add(task)
        task.add_done_callback(self._finished(function, invocation_id))
        body = json.dumps({"invocationId": invocation_id}).encode()
        await respond.send(202, list(JSON_HEADERS), body)

    def _call(
        self, function: HostedFunction, given: Any, invocation_id: str
    ) -> Awaitable[Outcome | None] | str:
        """The invocation to start for an admin input, or why the input cannot be used."""
        kind = trigger_kind(function.trigger_type)
        if kind is None:
            return f"function {function.name!r} has no trigger an admin call can start"
        return kind.admin_call(self.runner, function, given, invocation_id)

    def _finished(self, function: HostedFunction, invocation_id: str) -> Callable[..., None]:
        def done(task: asyncio.Task[Any]) -> None:
            self.running.discard(task)
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                self.runner.console.invocation(
                    function.name, invocation_id, f"could not be run: {exc!r}", "error"
                )

        return done

    async def drain(self) -> None:
        """Wait for every invocation started here (at shutdown), unless abandoned."""
        while self.running and not self._abandoned.is_set():
            await wait_unless(list(self.running), self._abandoned)

    def abandon(self) -> None:
        """Cancel every invocation started here (a forced stop); :meth:`drain` waits no more."""
        self._abandoned.set()
        for task in list(self.running):
            task.cancel()


def _input(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ValueError(f"expected a JSON body such as {_EXAMPLE}, got: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object such as {_EXAMPLE}, got {body[:60]!r}")
    return data.get("input")
