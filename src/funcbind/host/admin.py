"""The admin endpoints: ``POST /admin/functions/{name}`` runs a non-HTTP function.

As in the Functions host, the body is ``{"input": ...}``; the input becomes the
trigger's payload (for a blob trigger: the path ``container/name`` of the blob to
read) and the call answers 202 at once while the function runs in the background,
storage bindings included.  The master key is required (unless auth is off).  ``GET
/admin/host/status`` answers ``{"state": "Running"}`` for health checks.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..datum import Datum
from .keys import ADMIN

if TYPE_CHECKING:
    from .app import HostedFunction
    from .asgi import HostApplication, Receive, Scope, _Responder

__all__ = ["AdminInvoker", "trigger_payload"]

_FUNCTIONS = "/admin/functions/"
_STATUS = "/admin/host/status"
_ACCEPTED = [(b"content-type", b"application/json; charset=utf-8")]

Metadata = dict[str, Datum] | None
_EXAMPLE = '{"input": "..."}'


class AdminInvoker:
    """Handles ``/admin/...`` requests and keeps track of the invocations it starts."""

    def __init__(self, host: HostApplication) -> None:
        self.host = host
        self.running: set[asyncio.Task[Any]] = set()
        self._abandoned = asyncio.Event()

    async def handle(self, scope: Scope, receive: Receive, respond: _Responder, path: str) -> None:
        from .asgi import KEY_HEADER, KEY_QUERY, new_invocation_id, parse_query, read_headers

        folded = path.rstrip("/").casefold()
        method = scope["method"]
        if folded == _STATUS:
            if method not in ("GET", "HEAD"):
                await respond.error(405, f"{method} is not allowed here", [(b"allow", b"GET")])
                return
            await respond.send(200, list(_ACCEPTED), b'{"state": "Running"}')
            return
        if not folded.startswith(_FUNCTIONS) or "/" in folded[len(_FUNCTIONS) :]:
            await respond.error(404, f"no admin endpoint at {path}")
            return
        if method != "POST":
            await respond.error(
                405, f"{method} is not allowed here; allowed: POST", [(b"allow", b"POST")]
            )
            return
        keys = self.host.keys
        if keys is not None:
            _, key = read_headers(scope)
            if key is None:
                code = parse_query(scope.get("query_string", b"")).get(KEY_QUERY)
                key = code.value if code is not None else None
            if not keys.authorize(ADMIN, "", key):
                await respond.error(
                    401,
                    f"the admin API needs the master key: pass it in the '{KEY_HEADER}' "
                    f"header or the '{KEY_QUERY}' query parameter",
                )
                return
        name = path.rstrip("/")[len(_FUNCTIONS) :]
        function = self.host.app.find(name)
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
        if function.problem is not None:
            await respond.error(500, f"function {function.name!r} cannot run: {function.problem}")
            return
        body = await self.host.read_body(scope, receive, respond)
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
        await respond.send(202, list(_ACCEPTED), body)

    def _finished(self, function: HostedFunction, invocation_id: str) -> Callable[..., None]:
        def done(task: asyncio.Task[Any]) -> None:
            self.running.discard(task)
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                self.host.console.invocation(
                    function.name, invocation_id, f"could not be run: {exc!r}", "error"
                )

        return done

    def _call(
        self, function: HostedFunction, given: Any, invocation_id: str
    ) -> Coroutine[Any, Any, Any] | str:
        """The invocation to start for an admin input, or why the input cannot be used."""
        if function.trigger_type == "blobTrigger":
            problem = _blob_input_problem(function, given)
            if problem is not None:
                return problem
            return self._blob(function, given.partition("/")[2], invocation_id)
        payload, metadata = trigger_payload(function.trigger_type, given)
        data = None
        if function.trigger_type == "queueTrigger" and metadata is not None:
            from .queue_trigger import queue_binding_data

            data = queue_binding_data(function, metadata, metadata["QueueTrigger"].value)
        return self.host.run(
            function, {function.trigger_name: payload}, metadata, invocation_id, data=data
        )

    async def _blob(self, function: HostedFunction, name: str, invocation_id: str) -> None:
        from .blob_trigger import run_for_blob

        result = await run_for_blob(self.host.runner, function, name, invocation_id)
        if result is None:
            config = function.trigger_config
            self.host.console.invocation(
                function.name,
                invocation_id,
                f"could not be run: blob {config.pattern.container}/{name} does not exist",
                "error",
            )

    async def drain(self) -> None:
        """Wait for every invocation started here (at shutdown), unless abandoned."""
        from .listeners import wait_unless

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


def _blob_input_problem(function: HostedFunction, given: Any) -> str | None:
    """Why an admin input cannot name a blob for this blob trigger, or None."""
    config = function.trigger_config
    example = f'{{"input": "{config.pattern.container}/<blob name>"}}'
    if not isinstance(given, str):
        return f"expected the path of a blob as the input, such as {example}"
    container, _, name = given.partition("/")
    if container != config.pattern.container or config.pattern.match(name) is None:
        return (
            f"expected a blob path matching the trigger path {config.pattern.text!r}, got {given!r}"
        )
    return None


def trigger_payload(trigger_type: str, given: Any) -> tuple[Datum, Metadata]:
    """The trigger Datum (and metadata) the host would send for an admin-invoked input."""
    builder = _BUILDERS.get(trigger_type)
    if builder is not None:
        return builder(given)
    return _plain(given), None


def _plain(given: Any) -> Datum:
    if given is None:
        return Datum(None, None)
    if isinstance(given, str):
        return Datum(given, "string")
    return Datum(json.dumps(given), "json")


def _iso(moment: datetime) -> Datum:
    return Datum(json.dumps(moment.isoformat()), "json")


def _timer(given: Any) -> tuple[Datum, Metadata]:
    # The host ignores the input for timers and reports a run that is not past due.
    info = {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": None, "IsPastDue": False}
    return Datum(json.dumps(info), "json"), None


def _queue(given: Any) -> tuple[Datum, Metadata]:
    payload = _plain("" if given is None else given)
    now = datetime.now(timezone.utc)
    message_id = str(uuid.uuid4())
    text = payload.value if payload.type == "string" else str(payload.value)
    metadata = {
        "Id": Datum(message_id, "string"),
        "PopReceipt": Datum(str(uuid.uuid4()), "string"),
        "DequeueCount": Datum("1", "json"),
        "InsertionTime": _iso(now),
        "NextVisibleTime": _iso(now + timedelta(minutes=10)),
        "ExpirationTime": _iso(now + timedelta(days=7)),
        "QueueTrigger": Datum(text, "string"),
    }
    return payload, metadata


_BUILDERS: dict[str, Callable[[Any], tuple[Datum, Metadata]]] = {
    "timerTrigger": _timer,
    "queueTrigger": _queue,
}
