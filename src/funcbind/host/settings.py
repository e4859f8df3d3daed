"""The app's settings files: ``host.json`` and ``local.settings.json``.

Both are read once at start.  ``local.settings.json`` ``Values`` become environment
variables *before* any user code is imported (user modules often read settings at
import time); a variable already set in the environment wins, as with Core Tools.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..datetimes import parse_timespan
from ..errors import DecodeError, FuncbindError
from ..lenient_json import loads_lenient

__all__ = [
    "BODY_SIZE_SETTING",
    "DEFAULT_MAX_BODY_SIZE",
    "HOST_JSON",
    "LOCAL_SETTINGS_JSON",
    "BlobSettings",
    "CorsSettings",
    "HostSettings",
    "KeySettings",
    "LocalSettings",
    "QueueSettings",
    "SettingsError",
    "SingletonSettings",
    "apply_values",
    "load_host_settings",
    "load_local_settings",
]

HOST_JSON = "host.json"
LOCAL_SETTINGS_JSON = "local.settings.json"
DEFAULT_ROUTE_PREFIX = "api"
DEFAULT_MAX_BODY_SIZE = 100 * 1024 * 1024
# The app setting the Functions host reads to change its request body limit (bytes).
BODY_SIZE_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"


class SettingsError(FuncbindError):
    """A settings file is unreadable or holds a value of the wrong shape."""


@dataclass(frozen=True)
class QueueSettings:
    """``extensions.queues``: how queue triggers poll and retry, how messages are encoded.

    The defaults are the Functions host's.  ``new_batch_threshold`` None means half
    of ``batch_size``.
    """

    max_polling_interval: timedelta = timedelta(minutes=1)
    visibility_timeout: timedelta = timedelta(0)
    batch_size: int = 16
    max_dequeue_count: int = 5
    new_batch_threshold: int | None = None
    message_encoding: str = "base64"

    @property
    def batch_threshold(self) -> int:
        if self.new_batch_threshold is not None:
            return self.new_batch_threshold
        return self.batch_size // 2


@dataclass(frozen=True)
class BlobSettings:
    """``extensions.blobs``: failures before a blob is poison, and concurrent invocations."""

    poison_blob_threshold: int = 5
    max_degree_of_parallelism: int = 8


@dataclass(frozen=True)
class SingletonSettings:
    """``singleton``: the lease on a listener's lock blob (a timer fires on one instance
    only), and how often an instance without it tries to take it.  The defaults are the
    host's; a blob lease lasts 15 to 60 seconds."""

    listener_lock_period: timedelta = timedelta(seconds=60)
    listener_lock_recovery_polling_interval: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class HostSettings:
    """What the host takes from ``host.json``.

    ``functions`` is the allow-list (None: every function); ``function_timeout`` is
    None for no limit.
    """

    version: str = "2.0"
    route_prefix: str = DEFAULT_ROUTE_PREFIX
    functions: tuple[str, ...] | None = None
    function_timeout: timedelta | None = None
    queues: QueueSettings = field(default_factory=QueueSettings)
    blobs: BlobSettings = field(default_factory=BlobSettings)
    singleton: SingletonSettings = field(default_factory=SingletonSettings)
    found: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)
    notes: tuple[str, ...] = ()

    def allows(self, function_name: str) -> bool:
        if self.functions is None:
            return True
        folded = function_name.casefold()
        return any(name.casefold() == folded for name in self.functions)


@dataclass(frozen=True)
class CorsSettings:
    """``Host.CORS`` (comma-separated origins or ``*``) and ``Host.CORSCredentials``."""

    origins: tuple[str, ...]
    allow_credentials: bool = False

    @property
    def any_origin(self) -> bool:
        return "*" in self.origins

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin.rstrip("/").casefold() in self._folded

    @property
    def _folded(self) -> frozenset[str]:
        return frozenset(o.rstrip("/").casefold() for o in self.origins)


@dataclass(frozen=True)
class KeySettings:
    """Keys set in ``local.settings.json`` under ``Keys`` (funcbind's own section).

    ``{"master": "...", "default": "...", "functions": {"name": "..."}}``; each part is
    optional and a missing master or default key is generated once.
    """

    master: str | None = None
    default: str | None = None
    functions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LocalSettings:
    """What the host takes from ``local.settings.json``."""

    values: Mapping[str, str] = field(default_factory=dict)
    local_http_port: int | None = None
    cors: CorsSettings | None = None
    keys: KeySettings = field(default_factory=KeySettings)
    connection_strings: Mapping[str, str] = field(default_factory=dict)
    found: bool = False
    notes: tuple[str, ...] = ()


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        data = loads_lenient(text)  # the host accepts comments and trailing commas
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{path}: expected JSON, got a syntax error at line {exc.lineno}, "
            f"column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def _section(data: Mapping[str, Any], name: str, path: Path) -> dict[str, Any]:
    """A JSON object member, looked up case-insensitively as the host does."""
    value = _get(data, name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SettingsError(f"{path}: expected {name!r} to be an object, got {_kind(value)}")
    return value


def _get(data: Mapping[str, Any], name: str) -> Any:
    if name in data:
        return data[name]
    folded = name.casefold()
    for key, value in data.items():
        if key.casefold() == folded:
            return value
    return None


# The names the host knows, for telling a misspelt setting from one funcbind merely ignores.
# Extension sections are open-ended (every extension adds one), so under "extensions" only
# a near miss of a known section is reported.
_HOST_JSON_NAMES = (
    "version", "aggregator", "concurrency", "customHandler", "extensionBundle", "extensions",
    "functions", "functionTimeout", "healthMonitor", "logging", "managedDependency", "retry",
    "singleton", "telemetryMode", "watchDirectories", "watchFiles",
)  # fmt: skip
_EXTENSION_SECTIONS = (
    "blobs", "cosmosDB", "durableTask", "eventGrid", "eventHubs", "http", "kafka", "mcp",
    "queues", "rabbitMQ", "sendGrid", "serviceBus", "sql", "tables",
)  # fmt: skip
_SECTION_NAMES = {
    "http": ("routePrefix", "maxOutstandingRequests", "maxConcurrentRequests",
             "dynamicThrottlesEnabled", "hsts", "customHeaders"),
    "queues": ("maxPollingInterval", "visibilityTimeout", "batchSize", "maxDequeueCount",
               "newBatchThreshold", "messageEncoding"),
    "blobs": ("maxDegreeOfParallelism", "poisonBlobThreshold"),
}  # fmt: skip
_SINGLETON_NAMES = ("lockPeriod", "listenerLockPeriod", "listenerLockRecoveryPollingInterval",
                    "lockAcquisitionTimeout", "lockAcquisitionPollingInterval")  # fmt: skip
_LOCAL_SETTINGS_NAMES = ("IsEncrypted", "Values", "Host", "ConnectionStrings", "Keys")
_LOCAL_HOST_NAMES = ("LocalHttpPort", "CORS", "CORSCredentials")


def unknown_names(
    section: Mapping[str, Any],
    known: tuple[str, ...],
    where: str,
    *,
    near_misses_only: bool = False,
) -> list[str]:
    """One sentence per key of ``section`` that is not in ``known`` (case-insensitive).

    A key close to a known name gets that name as the likely fix.  With
    ``near_misses_only`` a key with no close known name is accepted silently.
    """
    folded = {name.casefold(): name for name in known}
    notes = []
    for key in section:
        if key.casefold() in folded:
            continue
        close = difflib.get_close_matches(key.casefold(), folded, n=1, cutoff=0.75)
        prefix = f"{where}.{key}" if where else key
        if close:
            notes.append(
                f"{prefix} is not a setting the host knows; did you mean {folded[close[0]]!r}?"
            )
        elif not near_misses_only:
            notes.append(f"{prefix} is not a setting the host knows; it is ignored")
    return notes


def _kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), f"{type(value).__name__} {value!r}"
    )


def load_host_settings(app_dir: Path) -> HostSettings:
    """Read ``APP/host.json``; a missing file means the defaults."""
    path = app_dir / HOST_JSON
    data = _read_json(path)
    if data is None:
        return HostSettings()
    version = _get(data, "version")
    if version != "2.0":
        raise SettingsError(
            f'{path}: expected "version": "2.0" (the Functions v2+ schema), got '
            f"{'nothing' if version is None else repr(version)}"
        )
    extensions = _section(data, "extensions", path)
    http = _section(extensions, "http", path)
    prefix = _get(http, "routePrefix")
    if prefix is None:
        prefix = DEFAULT_ROUTE_PREFIX
    elif not isinstance(prefix, str):
        raise SettingsError(
            f"{path}: expected extensions.http.routePrefix to be a string, got {_kind(prefix)}"
        )
    functions = _get(data, "functions")
    if functions is not None and (
        not isinstance(functions, list) or not all(isinstance(f, str) for f in functions)
    ):
        raise SettingsError(
            f'{path}: expected "functions" to be a list of function names, got {_kind(functions)}'
        )
    notes = unknown_names(data, _HOST_JSON_NAMES, "")
    notes += unknown_names(extensions, _EXTENSION_SECTIONS, "extensions", near_misses_only=True)
    for name, known in _SECTION_NAMES.items():
        notes += unknown_names(_section(extensions, name, path), known, f"extensions.{name}")
    singleton = _section(data, "singleton", path)
    notes += unknown_names(singleton, _SINGLETON_NAMES, "singleton")
    return HostSettings(
        version=version,
        route_prefix=prefix.strip("/"),
        functions=None if functions is None else tuple(functions),
        function_timeout=_timeout(_get(data, "functionTimeout"), path),
        queues=_queue_settings(_section(extensions, "queues", path), path),
        blobs=_blob_settings(_section(extensions, "blobs", path), path),
        singleton=_singleton_settings(singleton, path),
        found=True,
        raw=data,
        notes=tuple(f"{path.name}: {note}" for note in notes),
    )


def _timeout(value: Any, path: Path) -> timedelta | None:
    if value is None or value in ("-1", -1):
        return None
    if not isinstance(value, str):
        raise SettingsError(
            f'{path}: expected functionTimeout as "hh:mm:ss" or "-1", got {_kind(value)}'
        )
    try:
        span = parse_timespan(value)
    except DecodeError as exc:
        raise SettingsError(f"{path}: functionTimeout: {exc.message}") from None
    if span <= timedelta(0):
        raise SettingsError(
            f'{path}: expected a positive functionTimeout (or "-1" for none), got {value!r}'
        )
    return span


def _queue_settings(section: Mapping[str, Any], path: Path) -> QueueSettings:
    defaults = QueueSettings()
    where = "extensions.queues"
    encoding = _get(section, "messageEncoding")
    if encoding is None:
        encoding = defaults.message_encoding
    elif not isinstance(encoding, str) or encoding.lower() not in ("base64", "none"):
        raise SettingsError(
            f'{path}: expected {where}.messageEncoding "base64" or "none", got {encoding!r}'
        )
    batch_size = _whole(section, "batchSize", defaults.batch_size, 1, 32, where, path)
    threshold = _get(section, "newBatchThreshold")
    return QueueSettings(
        max_polling_interval=_span(
            section, "maxPollingInterval", defaults.max_polling_interval, where, path, millis=True
        ),
        visibility_timeout=_span(
            section, "visibilityTimeout", defaults.visibility_timeout, where, path
        ),
        batch_size=batch_size,
        max_dequeue_count=_whole(
            section, "maxDequeueCount", defaults.max_dequeue_count, 1, 10_000, where, path
        ),
        new_batch_threshold=None
        if threshold is None
        else _whole(section, "newBatchThreshold", 0, 0, 10_000, where, path),
        message_encoding=encoding.lower(),
    )


def _blob_settings(section: Mapping[str, Any], path: Path) -> BlobSettings:
    defaults = BlobSettings()
    where = "extensions.blobs"
    return BlobSettings(
        poison_blob_threshold=_whole(
            section, "poisonBlobThreshold", defaults.poison_blob_threshold, 1, 10_000, where, path
        ),
        max_degree_of_parallelism=_whole(
            section,
            "maxDegreeOfParallelism",
            defaults.max_degree_of_parallelism,
            1,
            1_000,
            where,
            path,
        ),
    )


def _singleton_settings(section: Mapping[str, Any], path: Path) -> SingletonSettings:
    defaults = SingletonSettings()
    period = _span(section, "listenerLockPeriod", defaults.listener_lock_period, "singleton", path)
    if not timedelta(seconds=15) <= period <= timedelta(seconds=60):
        raise SettingsError(
            f"{path}: expected singleton.listenerLockPeriod from 00:00:15 to 00:01:00 (a blob "
            f"lease lasts 15 to 60 seconds), got {_get(section, 'listenerLockPeriod')!r}"
        )
    recovery = _span(
        section,
        "listenerLockRecoveryPollingInterval",
        defaults.listener_lock_recovery_polling_interval,
        "singleton",
        path,
    )
    if recovery < timedelta(seconds=1):
        raise SettingsError(
            f"{path}: expected singleton.listenerLockRecoveryPollingInterval of at least "
            f"00:00:01, got {_get(section, 'listenerLockRecoveryPollingInterval')!r}"
        )
    return SingletonSettings(period, recovery)


def _whole(
    section: Mapping[str, Any], name: str, default: int, low: int, high: int, where: str, path: Path
) -> int:
    value = _get(section, name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(
            f"{path}: expected {where}.{name} as a whole number {low}..{high}, got {_kind(value)}"
        )
    return value


def _span(
    section: Mapping[str, Any],
    name: str,
    default: timedelta,
    where: str,
    path: Path,
    *,
    millis: bool = False,
) -> timedelta:
    """A TimeSpan setting ("hh:mm:ss"); a bare number is milliseconds where the host allows."""
    value = _get(section, name)
    if value is None:
        return default
    if millis and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return timedelta(milliseconds=value)
    if not isinstance(value, str):
        raise SettingsError(f'{path}: expected {where}.{name} as "hh:mm:ss", got {_kind(value)}')
    try:
        span = parse_timespan(value)
    except DecodeError as exc:
        raise SettingsError(f"{path}: {where}.{name}: {exc.message}") from None
    if span < timedelta(0):
        raise SettingsError(f"{path}: expected {where}.{name} not to be negative, got {value!r}")
    return span


def load_local_settings(app_dir: Path) -> LocalSettings:
    """Read ``APP/local.settings.json``; a missing file means no settings."""
    path = app_dir / LOCAL_SETTINGS_JSON
    data = _read_json(path)
    if data is None:
        return LocalSettings()
    if _get(data, "IsEncrypted") is True:
        raise SettingsError(
            f"{path}: the file is encrypted (IsEncrypted: true); decrypt it with "
            "'func settings decrypt' first"
        )
    host = _section(data, "Host", path)
    port = _get(host, "LocalHttpPort")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int | str)):
        raise SettingsError(f"{path}: expected Host.LocalHttpPort as a number, got {_kind(port)}")
    if isinstance(port, str):
        if not port.isdigit():
            raise SettingsError(f"{path}: expected Host.LocalHttpPort as a number, got {port!r}")
        port = int(port)
    if port is not None and not 0 <= port <= 65535:
        raise SettingsError(f"{path}: expected Host.LocalHttpPort in 0..65535, got {port}")
    return LocalSettings(
        values=_string_map(_section(data, "Values", path), "Values", path),
        local_http_port=port,
        cors=_cors(host, path),
        keys=_keys(_section(data, "Keys", path), path),
        connection_strings=_string_map(
            _section(data, "ConnectionStrings", path), "ConnectionStrings", path
        ),
        found=True,
        notes=tuple(
            f"{path.name}: {note}"
            for note in [
                *unknown_names(data, _LOCAL_SETTINGS_NAMES, ""),
                *unknown_names(host, _LOCAL_HOST_NAMES, "Host"),
            ]
        ),
    )


def _string_map(section: Mapping[str, Any], name: str, path: Path) -> dict[str, str]:
    """App settings as strings: numbers and booleans as their JSON text, nulls left out."""
    values = {}
    for key, value in section.items():
        if value is None:
            continue
        if isinstance(value, dict | list):
            raise SettingsError(
                f"{path}: expected {name}.{key} to be a string, number or boolean, "
                f"got {_kind(value)}"
            )
        values[key] = value if isinstance(value, str) else json.dumps(value)
    return values


def _cors(host: Mapping[str, Any], path: Path) -> CorsSettings | None:
    origins = _get(host, "CORS")
    if origins is None or origins == "":
        return None
    if not isinstance(origins, str):
        raise SettingsError(
            f"{path}: expected Host.CORS as a comma-separated string of origins, "
            f"got {_kind(origins)}"
        )
    credentials = _get(host, "CORSCredentials")
    if credentials is not None and not isinstance(credentials, bool):
        raise SettingsError(
            f"{path}: expected Host.CORSCredentials to be true or false, got {_kind(credentials)}"
        )
    parsed = tuple(o.strip() for o in origins.split(",") if o.strip())
    if credentials and "*" in parsed:
        # The CORS protocol forbids it, and the host's ASP.NET Core CORS policy refuses it
        # at start; reflecting any origin with credentials would let every site act as
        # the signed-in user.
        raise SettingsError(
            f'{path}: Host.CORS allows any origin ("*") while Host.CORSCredentials is '
            "true; browsers refuse credentials for a wildcard origin and the host refuses "
            'this at start. List the origins that may send credentials instead of "*", '
            "or set CORSCredentials to false"
        )
    return CorsSettings(parsed, bool(credentials)) if parsed else None


def _keys(section: Mapping[str, Any], path: Path) -> KeySettings:
    def key(value: Any, where: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value or not value.isprintable():
            raise SettingsError(f"{path}: expected {where} to be a non-empty string")
        return value

    functions = _get(section, "functions") or {}
    if not isinstance(functions, dict):
        raise SettingsError(
            f"{path}: expected Keys.functions to be an object of function name to key, "
            f"got {_kind(functions)}"
        )
    return KeySettings(
        master=key(_get(section, "master"), "Keys.master"),
        default=key(_get(section, "default"), "Keys.default"),
        functions={
            name: value
            for name, raw in functions.items()
            if (value := key(raw, f"Keys.functions.{name}")) is not None
        },
    )


def apply_values(
    values: Mapping[str, str], environ: MutableMapping[str, str] | None = None
) -> list[str]:
    """Put app settings into the environment; return the names already set there (kept)."""
    target = os.environ if environ is None else environ
    skipped = []
    for name, value in values.items():
        if name in target:
            if target[name] != value:
                skipped.append(name)
            continue
        target[name] = value
    return skipped
