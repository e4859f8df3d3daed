"""Function keys: who may call a function with ``authLevel`` function or admin.

As in the Functions host, a request presents a key in the ``code`` query parameter or
the ``x-functions-key`` header.  ``function`` level accepts the function's own key, the
default host key or the master key; ``admin`` level accepts only the master key.
Keys come from ``local.settings.json`` (``Keys``) or are generated once into
``APP/.funcbind/keys.json``, a folder that ignores itself in git.  The system keys of
extension webhooks (``eventgrid_extension``, ``blobs_extension``) are derived from the
master key, so they stay the same as long as it does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from ..errors import FuncbindError
from .settings import KeySettings

__all__ = [
    "ADMIN",
    "ANONYMOUS",
    "AUTH_LEVELS",
    "FUNCTION",
    "KEYS_FILE",
    "STATE_DIR",
    "KeyStore",
    "KeysError",
    "load_keys",
    "state_dir",
]

ANONYMOUS = "anonymous"
FUNCTION = "function"
ADMIN = "admin"
AUTH_LEVELS = (ANONYMOUS, FUNCTION, ADMIN)
# The host also knows "user" and "system"; locally they behave like admin.
_LEVEL_ALIASES = {"user": ADMIN, "system": ADMIN}

STATE_DIR = ".funcbind"
KEYS_FILE = "keys.json"


class KeysError(FuncbindError):
    """The keys file cannot be read or written."""


def normalize_auth_level(value: object) -> str | None:
    """The auth level named by function.json's ``authLevel`` (any case), or None."""
    if value is None:
        return FUNCTION  # the host's default when authLevel is left out
    if not isinstance(value, str):
        return None
    folded = value.casefold()
    if folded in AUTH_LEVELS:
        return folded
    return _LEVEL_ALIASES.get(folded)


class KeyStore:
    """The master key, the default host key and per-function keys."""

    __slots__ = (
        "_default",
        "_function_keys",
        "_master",
        "default",
        "functions",
        "master",
        "source",
    )

    def __init__(
        self,
        master: str,
        default: str,
        functions: Mapping[str, str] | None = None,
        source: str = "generated",
    ) -> None:
        self.master = master
        self.default = default
        self.functions: Mapping[str, str] = dict(functions or {})
        self.source = source
        self._master = master.encode()
        self._default = default.encode()
        self._function_keys = {
            name.casefold(): key.encode() for name, key in self.functions.items()
        }

    def authorize(self, level: str, function_name: str, presented: str | None) -> bool:
        """Whether ``presented`` grants ``level`` access to ``function_name``."""
        if level == ANONYMOUS:
            return True
        if not presented:
            return False
        given = presented.encode("utf-8", "surrogateescape")
        # Compare with every candidate so the time taken does not say which one matched.
        granted = hmac.compare_digest(given, self._master)
        if level == FUNCTION:
            granted |= hmac.compare_digest(given, self._default)
            own = self._function_keys.get(function_name.casefold())
            if own is not None:
                granted |= hmac.compare_digest(given, own)
        return granted

    def system_key(self, name: str) -> str:
        """The system key ``name`` (an extension's webhook key), derived from the master key."""
        digest = hmac.new(self._master, f"funcbind system key {name}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:24]).decode("ascii")

    def authorize_system(self, name: str, presented: str | None) -> bool:
        """Whether ``presented`` is the system key ``name`` or the master key."""
        if not presented:
            return False
        given = presented.encode("utf-8", "surrogateescape")
        granted = hmac.compare_digest(given, self._master)
        granted |= hmac.compare_digest(given, self.system_key(name).encode())
        return granted

    def key_for(self, level: str, function_name: str) -> str | None:
        """The key to show in a function's URL (None when none is needed)."""
        if level == ANONYMOUS:
            return None
        if level == ADMIN:
            return self.master
        for name, key in self.functions.items():
            if name.casefold() == function_name.casefold():
                return key
        return self.default


def load_keys(app_dir: Path, configured: KeySettings) -> KeyStore:
    """Keys from settings, else from ``APP/.funcbind/keys.json``, generated when missing."""
    master, default = configured.master, configured.default
    functions = dict(configured.functions)
    if master is not None and default is not None:
        return KeyStore(master, default, functions, source="local.settings.json")
    state = app_dir / STATE_DIR
    path = state / KEYS_FILE
    stored = _read_keys(path)
    wanted = {
        "master": stored.get("master") or secrets.token_urlsafe(32),
        "default": stored.get("default") or secrets.token_urlsafe(32),
    }
    if wanted != stored:
        _write_keys(state, path, wanted)
    source = str(path) if master is None and default is None else f"local.settings.json and {path}"
    return KeyStore(master or wanted["master"], default or wanted["default"], functions, source)


def _read_keys(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except (OSError, ValueError) as exc:
        raise KeysError(
            f"{path}: expected the JSON keys file funcbind wrote, got an error: {exc}; "
            "delete the file to generate new keys"
        ) from None
    if not isinstance(data, dict):
        raise KeysError(f"{path}: expected a JSON object; delete the file to generate new keys")
    return {name: value for name, value in data.items() if isinstance(value, str) and value}


def state_dir(app_dir: Path) -> Path:
    """``APP/.funcbind``, created with a ``.gitignore`` of ``*`` so that it never reaches git."""
    state = app_dir / STATE_DIR
    state.mkdir(exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text(
            "# Local state of funcbind run (generated keys, Azurite data): never commit.\n*\n"
        )
    return state


def _write_keys(state: Path, path: Path, keys: Mapping[str, str]) -> None:
    try:
        state_dir(state.parent)
        temporary = path.with_name(f".{KEYS_FILE}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(dict(keys), file, indent=2)
            file.write("\n")
        os.replace(temporary, path)
    except OSError as exc:
        raise KeysError(
            f"{path}: cannot store the generated keys ({exc.strerror or exc}); make the app "
            "folder writable, or set Keys.master and Keys.default in local.settings.json"
        ) from None
