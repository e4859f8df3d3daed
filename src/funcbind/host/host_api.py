"""The host's own endpoints, as the Functions host serves them.

* ``GET /`` -- the landing page (200, HTML), unless a function route serves ``/``;
  ``AzureWebJobsDisableHomepage=true`` makes it 204, as in the host.
* ``GET|POST /admin/host/ping`` -- 200 with an empty body, no key (a liveness probe).
* ``GET /admin/host/status`` -- the host's ``HostStatus``: ``id``, ``state``,
  ``version``, ``versionDetails``, ``processUptime``; the master key.
* ``GET /admin/functions`` and ``GET /admin/functions/{name}`` -- function metadata as
  the host's ``FunctionMetadataResponse``; the master key.
* ``/admin/warmup`` (any method) -- runs every ``warmupTrigger`` function and answers 200
  once they ended; no key, as the host maps it outside its key checks.

Errors answer the host's status codes with a JSON body naming what is wrong (the host
itself sends 401 and 404 with no body: a deliberate difference, docs/host.md).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from .. import __version__
from ..lenient_json import loads_lenient
from .http import JSON_HEADERS, Responder, Scope, key_needed, request_key
from .keys import ADMIN, KeyStore
from .model import HTTP_TRIGGER, HostedApp, HostedFunction, Outcome, new_invocation_id
from .runner import Runner
from .triggers.kinds import trigger_kind

__all__ = ["DISABLE_HOMEPAGE_SETTING", "WARMUP_TRIGGER", "HostEndpoints", "landing_page"]

WARMUP_TRIGGER = "warmupTrigger"
DISABLE_HOMEPAGE_SETTING = "AzureWebJobsDisableHomepage"
_FUNCTIONS = "/admin/functions"
_HTML = [(b"content-type", b"text/html; charset=utf-8")]
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Your Functions app is up and running</title>
</head><body><h1>Your Functions app is up and running</h1>
<p>Served locally by funcbind {version}. Function URLs and admin endpoints are listed on the
console of <code>funcbind run</code>.</p></body></html>
"""


async def landing_page(respond: Responder) -> None:
    """The host's home page; 204 when the app setting turns it off."""
    if os.environ.get(DISABLE_HOMEPAGE_SETTING, "").strip().lower() == "true":
        await respond.send(204, [], b"")
        return
    await respond.send(200, list(_HTML), _PAGE.format(version=__version__).encode())


class HostEndpoints:
    """The admin endpoints about the host itself (not ``POST /admin/functions/{name}``)."""

    def __init__(self, app: HostedApp, runner: Runner, keys: KeyStore | None) -> None:
        self.app = app
        self.runner = runner
        self.keys = keys
        self.started = time.monotonic()

    async def handle(self, scope: Scope, path: str, respond: Responder) -> bool:
        """Answer the request when it is for one of these endpoints; False otherwise."""
        folded = path.rstrip("/").casefold()
        method = scope["method"]
        if folded == "/admin/host/ping":
            if method not in ("GET", "HEAD", "POST"):
                return await _not_allowed(respond, method, "GET, POST")
            await respond.send(200, [], b"")
            return True
        if folded == "/admin/warmup":
            await self._warmup(respond)
            return True
        if folded == "/admin/host/status":
            if method not in ("GET", "HEAD"):
                return await _not_allowed(respond, method, "GET")
            if await self._refused(scope, respond):
                return True
            await _json(respond, self._status())
            return True
        if method not in ("GET", "HEAD"):
            return False  # POST /admin/functions/{name} is the admin app's
        if folded == _FUNCTIONS:
            if await self._refused(scope, respond):
                return True
            base = _base_url(scope)
            functions = sorted(self.app.functions.values(), key=lambda f: f.name.casefold())
            await _json(respond, [self._metadata(f, base) for f in functions])
            return True
        if folded.startswith(_FUNCTIONS + "/") and "/" not in folded[len(_FUNCTIONS) + 1 :]:
            if await self._refused(scope, respond):
                return True
            name = path.rstrip("/")[len(_FUNCTIONS) + 1 :]
            function = self.app.find(name)
            if function is None:
                await respond.error(404, f"function {name!r} does not exist")
                return True
            await _json(respond, self._metadata(function, _base_url(scope)))
            return True
        return False

    async def _refused(self, scope: Scope, respond: Responder) -> bool:
        """True after answering 401 when the request lacks the master key."""
        if self.keys is None:
            return False
        if self.keys.authorize(ADMIN, "", request_key(scope)):
            return False
        await respond.error(401, key_needed("this admin endpoint needs the master key"))
        return True

    def _status(self) -> dict[str, Any]:
        return {
            "id": self.app.host_id,
            "state": "Running",
            "version": __version__,
            "versionDetails": f"funcbind {__version__}",
            "processUptime": int((time.monotonic() - self.started) * 1000),
            "functionAppContentEditingState": "Unknown",
        }

    def _metadata(self, function: HostedFunction, base: str) -> dict[str, Any]:
        """One function as the host's FunctionMetadataResponse describes it."""
        plan = function.plan
        root = self.app.app_dir
        folder = root / function.name
        config_file = folder / "function.json"
        has_folder = folder.is_dir() and config_file.is_file()
        script = Path(plan.script_file) if plan.script_file else None
        return {
            "name": function.name,
            "script_root_path_href": f"{base}/admin/vfs/{function.name}/" if has_folder else None,
            "script_href": _vfs(base, root, script) if script is not None else None,
            "config_href": _vfs(base, root, config_file) if has_folder else None,
            "test_data_href": None,
            "href": f"{base}/admin/functions/{function.name}",
            "invoke_url_template": self._invoke_url(function, base),
            "language": "python",
            "config": _config(function, config_file if has_folder else None),
            "files": None,
            "test_data": None,
            "isDisabled": function.disabled,
            "isDirect": False,
            "isProxy": False,
        }

    def _invoke_url(self, function: HostedFunction, base: str) -> str | None:
        if function.trigger_type != HTTP_TRIGGER:
            return None
        url = base.rstrip("/")
        prefix = self.app.host_settings.route_prefix
        if prefix:
            url += f"/{prefix.rstrip('/')}"
        url += f"/{function.route_template or function.name}"
        return url.lower()  # the host lower-cases the template, parameters and all

    async def _warmup(self, respond: Responder) -> None:
        """Run every warm-up function, one after the other; 200 when all have ended."""
        for function in warmup_functions(self.app):
            call = warmup_call(self.runner, function)
            if call is not None:
                await call
        await respond.send(200, [], b"")


def warmup_functions(app: HostedApp) -> list[HostedFunction]:
    """The app's enabled warm-up functions that can run."""
    return [
        f
        for f in app.functions.values()
        if f.trigger_type == WARMUP_TRIGGER and not f.disabled and f.problem is None
    ]


def warmup_call(runner: Runner, function: HostedFunction) -> Awaitable[Outcome | None] | None:
    kind = trigger_kind(function.trigger_type)
    if kind is None:
        return None
    call = kind.admin_call(runner, function, None, new_invocation_id())
    return None if isinstance(call, str) else call


async def _not_allowed(respond: Responder, method: str, allowed: str) -> bool:
    await respond.error(
        405, f"{method} is not allowed here; allowed: {allowed}", [(b"allow", allowed.encode())]
    )
    return True


async def _json(respond: Responder, value: Any) -> None:
    await respond.send(200, list(JSON_HEADERS), json.dumps(value).encode())


def _base_url(scope: Scope) -> str:
    headers = dict(scope.get("headers") or ())
    host = headers.get(b"host")
    if host:
        authority = host.decode("latin-1")
    else:
        server = scope.get("server")
        authority = f"{server[0]}:{server[1]}" if server else "localhost"
    return f"{scope.get('scheme', 'http')}://{authority}"


def _vfs(base: str, root: Path, file: Path) -> str:
    """The host's virtual file system URL of an app file."""
    try:
        relative = file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = file.name
    return f"{base}/admin/vfs/{relative}"


def _config(function: HostedFunction, config_file: Path | None) -> dict[str, Any]:
    """function.json as written, else the metadata the host builds for indexed functions."""
    if config_file is not None:
        try:
            loaded = loads_lenient(config_file.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            return {}  # as the host: an unreadable function.json is an empty object
        return loaded if isinstance(loaded, dict) else {}
    plan = function.plan
    bindings = []
    for binding in plan.bindings:
        raw: dict[str, Any] = {"name": binding.name, "type": binding.type}
        raw["direction"] = binding.direction
        if binding.data_type is not None:
            raw["dataType"] = binding.data_type
        raw.update(binding.properties)
        bindings.append(raw)
    return {
        "name": function.name,
        "entryPoint": plan.entry_point,
        "scriptFile": Path(plan.script_file).name if plan.script_file else None,
        "language": "python",
        "functionDirectory": str(plan.directory),
        "bindings": bindings,
    }
