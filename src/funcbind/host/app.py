"""The app as the host serves it: settings applied, functions loaded, routes compiled.

:func:`load_hosted_app` does everything that happens once at start, in the order
that matters: read ``host.json`` and ``local.settings.json``, put ``Values`` into the
environment, only then import user code (through the function layer), compile every
HTTP route, compile each function's storage bindings (paths, connections) and its
trigger (queue, blob pattern, schedule), and load or generate the keys.  A function
that fails any step is recorded with its message; the others are served.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FuncbindError
from .keys import load_keys, normalize_auth_level
from .model import (
    HOST_ID_SETTING,
    HTTP_OUTPUT,
    HTTP_TRIGGER,
    MAX_HOST_ID_LENGTH,
    RETURN,
    SITE_NAME_SETTING,
    HostedApp,
    HostedFunction,
)
from .retry import RETRY_TRIGGERS, RetryConfigError, parse_retry
from .routes import Route, RouteError, Router, compile_route
from .settings import (
    BODY_SIZE_SETTING,
    DEFAULT_MAX_BODY_SIZE,
    HostSettings,
    SettingsError,
    apply_values,
    load_host_settings,
    load_local_settings,
)
from .triggers.kinds import trigger_kind

if TYPE_CHECKING:
    from ..function import FunctionPlan
    from ..registry import Registry

__all__ = ["load_hosted_app"]


def load_hosted_app(
    app_dir: str | Path,
    *,
    auth: bool = True,
    registry: Registry | None = None,
    max_body_size: int | None = None,
    environ: dict[str, str] | None = None,
) -> HostedApp:
    """Load an app for serving; raise SettingsError only when the settings are unusable.

    ``auth=False`` skips keys altogether (nothing is generated).  ``environ`` receives
    the app settings and is where connections and ``%Setting%`` are resolved (default:
    the process environment).
    """
    root = Path(app_dir).resolve()
    if not root.is_dir():
        raise SettingsError(f"{root}: expected a function app folder, got no such folder")
    host_settings = load_host_settings(root)
    local_settings = load_local_settings(root)
    env = os.environ if environ is None else environ
    kept = apply_values(local_settings.values, env)
    app = HostedApp(root, host_settings, local_settings, kept_environment=kept)
    app.max_body_size = _max_body_size(max_body_size, env)
    app.host_id = _host_id(root, env)
    if not host_settings.found:
        app.notes.append("no host.json: using the defaults (route prefix 'api')")
    app.notes.extend(host_settings.notes)
    app.notes.extend(local_settings.notes)

    from ..loader import APP_SCRIPT, SCRIPT_FILE_SETTING, load_app  # runs user code: last

    # The worker reads the v2 script's name from this app setting, as funcbind does.
    script_file = env.get(SCRIPT_FILE_SETTING) or APP_SCRIPT
    loaded = load_app(root, registry=registry, script_file=script_file)
    for name, error in loaded.errors.items():
        if host_settings.allows(name):
            app.errors[name] = _message(error)
    routes = []
    for name, plan in loaded.functions.items():
        if not host_settings.allows(name):
            continue
        try:
            hosted = _host_function(plan, host_settings, env)
            hosted.retry = parse_retry(plan.retry, _retry_source(plan))
        except RouteError as exc:
            app.errors[name] = f"function {name!r}: {exc.message}"
            continue
        except RetryConfigError as exc:
            app.errors[name] = exc.message
            continue
        if hosted.retry is not None and hosted.trigger_type not in RETRY_TRIGGERS:
            app.notes.append(
                f"function {name!r}: the host applies retry policies to timer, Event Hubs, "
                f"Kafka and Cosmos DB triggers only; {hosted.trigger_type} ignores it"
            )
        app.functions[name] = hosted
        if hosted.route is not None and not hosted.disabled:
            routes.append(hosted.route)
    if host_settings.functions is not None:
        known = {n.casefold() for n in [*loaded.functions, *loaded.errors]}
        missing = [n for n in host_settings.functions if n.casefold() not in known]
        if missing:
            app.notes.append(f"host.json lists functions that do not exist: {', '.join(missing)}")
    app.router = Router(routes)
    _report_route_clashes(app, routes)
    if auth:
        app.keys = load_keys(root, local_settings.keys)
    return app


def _retry_source(plan: FunctionPlan) -> str:
    """Where a function's retry policy is written, for the messages about it."""
    config = plan.directory / "function.json"
    if plan.directory.name == plan.name and config.is_file():
        return f"{config}, function {plan.name!r}"
    return f"{Path(plan.script_file).name}, function {plan.name!r} (@app.retry)"


def _message(error: BaseException) -> str:
    return error.message if isinstance(error, FuncbindError) else f"{type(error).__name__}: {error}"


def _max_body_size(configured: int | None, env: Mapping[str, str]) -> int:
    if configured is not None:
        return configured
    text = env.get(BODY_SIZE_SETTING)
    if text is None:
        return DEFAULT_MAX_BODY_SIZE
    if not text.strip().isdigit():
        raise SettingsError(
            f"app setting {BODY_SIZE_SETTING}: expected a size in bytes, got {text!r}"
        )
    return int(text)


def _host_id(root: Path, env: Mapping[str, str]) -> str:
    """The host id: the app setting, else the site name (as the host derives it on App
    Service), else the app folder's name.  Every instance of one app must agree on it
    (locks and receipts are shared under it) and different apps must not; as in the host
    it is lower-case, at most 32 characters and ends in no '-'."""
    text = env.get(HOST_ID_SETTING) or env.get(SITE_NAME_SETTING) or root.name
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return cleaned[:MAX_HOST_ID_LENGTH].rstrip("-") or "funcbind"


def _host_function(
    plan: FunctionPlan, settings: HostSettings, env: Mapping[str, str]
) -> HostedFunction:
    from .storage_bindings import StorageConfigError, compile_storage

    trigger = plan.trigger
    disabled = plan.disabled or _truthy(env.get(f"AzureWebJobs.{plan.name}.Disabled"))
    hosted = HostedFunction(name=plan.name, plan=plan, trigger_type=trigger.type, disabled=disabled)
    try:
        hosted.storage = compile_storage(plan, env, settings.queues.message_encoding)
    except StorageConfigError as exc:
        hosted.problem = exc.message
    kind = trigger_kind(trigger.type)  # None for HTTP, which the ASGI app serves
    if kind is not None:
        try:
            hosted.trigger_config = kind.compile(plan, env)
            hosted.trigger_detail = kind.describe(hosted.trigger_config)
        except StorageConfigError as exc:
            # A trigger that cannot listen can still run through the admin endpoint, whose
            # call brings the payload -- unless that kind reads its input from storage.
            if kind.admin_reads_storage:
                hosted.problem = hosted.problem or exc.message
            else:
                hosted.listener_problem = exc.message
    if trigger.type != HTTP_TRIGGER:
        return hosted
    properties = trigger.properties
    template = properties.get("route")
    if template is None or template == "":
        template = plan.name
    if not isinstance(template, str):
        raise RouteError(f"expected the httpTrigger route to be a string, got {template!r}")
    methods = _methods(properties.get("methods"))
    level = normalize_auth_level(properties.get("authLevel"))
    if level is None:
        raise RouteError(
            f"expected authLevel to be anonymous, function or admin, got "
            f"{properties.get('authLevel')!r}"
        )
    hosted.route = compile_route(
        template, prefix=settings.route_prefix, methods=methods, target=hosted
    )
    hosted.route_template = template
    hosted.methods = methods
    hosted.auth_level = level
    outputs = [b for b in plan.bindings if b.type == HTTP_OUTPUT and b.direction == "out"]
    if outputs:
        hosted.response_binding = outputs[0].name
    elif plan.return_binding is not None and plan.return_binding.type == HTTP_OUTPUT:
        hosted.response_binding = RETURN
    return hosted


def _methods(raw: Any) -> tuple[str, ...] | None:
    if raw is None or raw == []:
        return None
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list | tuple) or not all(isinstance(m, str) and m for m in raw):
        raise RouteError(f"expected methods to be a list of HTTP method names, got {raw!r}")
    return tuple(dict.fromkeys(m.upper() for m in raw))


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "true")


def _report_route_clashes(app: HostedApp, routes: list[Route]) -> None:
    """Two functions on the same template with overlapping methods: the later is an error."""
    seen: dict[str, list[Route]] = {}
    clashing: set[str] = set()
    for route in routes:
        key = route.pattern.pattern.casefold()
        for earlier in seen.get(key, []):
            if route.methods is None or earlier.methods is None or route.methods & earlier.methods:
                late: HostedFunction = route.target  # type: ignore[assignment]
                first: HostedFunction = earlier.target  # type: ignore[assignment]
                app.errors[late.name] = (
                    f"function {late.name!r}: route {late.route_template!r} is already served "
                    f"by function {first.name!r} for the same methods"
                )
                del app.functions[late.name]
                clashing.add(late.name)
                break
        else:
            seen.setdefault(key, []).append(route)
    if clashing:
        app.router = Router(r for r in routes if getattr(r.target, "name", None) not in clashing)
