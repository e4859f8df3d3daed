"""Loading a function app: function.json folders and ``function_app.py`` decorator apps.

:func:`load_app` reads a whole app directory (both kinds may coexist) and compiles
each function into a :class:`~funcbind.function.FunctionPlan`; a broken function is
reported in ``LoadedApp.errors`` and the others still load.

User code is imported under a package private to the app,
``funcbind_app_<hash of the directory>``: a folder ``HttpHello`` becomes
``funcbind_app_<hash>.HttpHello`` and the decorator script
``funcbind_app_<hash>.function_app``, so two apps in one process never share a
function module, and relative imports between the app's files work.  While the app
is imported its directory is first on ``sys.path`` (absolute imports of the app's
own modules, ``import shared_code``, work as on Azure); the modules found there are
the app's own and are kept apart from those of any other app loaded in the process,
except third-party packages installed inside the directory (a ``.venv``,
``.python_packages``), which stay ordinary libraries.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import importlib
import importlib.machinery
import importlib.util
import inspect
import json
import sys
import threading
import traceback
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import FuncbindError, FunctionLoadError
from .function import FunctionPlan, compile_function, parse_bindings
from .lenient_json import loads_lenient
from .registry import Registry, default_registry

__all__ = [
    "APP_SCRIPT",
    "FUNCTION_JSON",
    "SCRIPT_FILE_SETTING",
    "LoadedApp",
    "app_package_name",
    "load_app",
    "load_function_app",
    "load_function_folder",
]

FUNCTION_JSON = "function.json"
APP_SCRIPT = "function_app.py"
# The app setting that names the decorator script instead of function_app.py (the
# worker's own name for it).
SCRIPT_FILE_SETTING = "PYTHON_SCRIPT_FILE_NAME"
DEFAULT_SCRIPT_FILE = "__init__.py"
DEFAULT_ENTRY_POINT = "main"


@dataclass
class LoadedApp:
    """The functions of one app directory: healthy ones compiled, broken ones explained.

    ``errors`` is keyed by function name; a problem with the decorator script as a
    whole (it fails to import, defines no ``FunctionApp``) is keyed by the script's
    file name, and a function name defined twice by ``"<name> (function_app.py)"``.
    """

    directory: Path
    registry: Registry
    package: str
    functions: dict[str, FunctionPlan] = field(default_factory=dict)
    errors: dict[str, FunctionLoadError] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def load_app(
    app_dir: str | Path, *, registry: Registry | None = None, script_file: str = APP_SCRIPT
) -> LoadedApp:
    """Load every function of an app directory.

    Function folders are the direct subdirectories holding a ``function.json``;
    ``script_file`` (``function_app.py``) is the decorator app, when present.  Only a
    missing directory raises; everything else lands in ``errors``.
    """
    directory = Path(app_dir).resolve()
    if not directory.is_dir():
        raise FunctionLoadError(f"expected an app directory, got {str(app_dir)!r} which is not one")
    registry = registry if registry is not None else default_registry(plugins=True)
    app = LoadedApp(directory=directory, registry=registry, package=app_package_name(directory))
    with _app_imports(directory) as package:
        for folder in sorted(directory.iterdir()):
            if not (folder / FUNCTION_JSON).is_file():
                continue
            try:
                app.functions[folder.name] = _load_folder(folder, package, registry)
            except FunctionLoadError as exc:
                app.errors[folder.name] = exc
        script = directory / script_file
        if Path(script_file).name != script_file or not script_file.endswith(".py"):
            app.errors[script_file] = FunctionLoadError(
                f"{SCRIPT_FILE_SETTING}: expected the file name of a .py file in the app "
                f"folder (like {APP_SCRIPT}), got {script_file!r}"
            )
        elif script.is_file():
            _load_decorator_app(script, package, registry, app)
        elif script_file != APP_SCRIPT:
            app.errors[script_file] = FunctionLoadError(
                f"{SCRIPT_FILE_SETTING} names {script_file!r} as the decorator script, but "
                f"the app folder {directory} has no such file; give the name of a .py file "
                f"in that folder, or remove the setting to use {APP_SCRIPT}"
            )
    return app


def load_function_folder(path: str | Path, *, registry: Registry | None = None) -> FunctionPlan:
    """Load one function folder (its parent is the app directory); raise on any problem."""
    folder = Path(path).resolve()
    if not (folder / FUNCTION_JSON).is_file():
        raise FunctionLoadError(
            f"expected a function folder holding {FUNCTION_JSON}, got {str(path)!r}"
        ).at(function=folder.name)
    registry = registry if registry is not None else default_registry(plugins=True)
    with _app_imports(folder.parent) as package:
        return _load_folder(folder, package, registry)


def app_package_name(directory: Path) -> str:
    """The private package the app's modules are imported under."""
    digest = hashlib.sha1(str(directory).encode(), usedforsecurity=False).hexdigest()[:12]
    return f"funcbind_app_{digest}"


# -- function.json folders -----------------------------------------------------


def _load_folder(folder: Path, package: str, registry: Registry) -> FunctionPlan:
    name = folder.name
    config = _read_function_json(folder / FUNCTION_JSON, name)
    script_name = _string_field(config, "scriptFile", DEFAULT_SCRIPT_FILE, name)
    entry_point = _string_field(config, "entryPoint", DEFAULT_ENTRY_POINT, name)
    disabled = _disabled_field(config, name)
    if "bindings" not in config:
        raise FunctionLoadError(
            f'{FUNCTION_JSON} has no "bindings" list; declare at least the trigger'
        ).at(function=name)
    bindings = parse_bindings(config["bindings"], function=name)

    script = (folder / script_name).resolve()
    if not script.is_file():
        raise FunctionLoadError(
            f"scriptFile {script_name!r} not found in {folder}; create it or set "
            f'"scriptFile" in {FUNCTION_JSON}'
        ).at(function=name)
    module_name = _module_name(script, folder.parent, package, name)
    try:
        module = _import(module_name, script)
    except FunctionLoadError as exc:
        raise exc.at(function=name) from exc.__cause__
    function = _entry_point(module, entry_point, script_name, name)
    try:
        return compile_function(
            function,
            bindings,
            name=name,
            registry=registry,
            directory=folder,
            script_file=str(script),
            entry_point=entry_point,
            disabled=disabled,
            retry=config.get("retry"),
        )
    except FunctionLoadError:
        raise
    except FuncbindError as exc:
        raise FunctionLoadError(exc.message).at(function=name) from exc


def _read_function_json(path: Path, name: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # editors on Windows add a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise FunctionLoadError(f"cannot read {FUNCTION_JSON}: {exc}").at(function=name) from exc
    try:
        config = loads_lenient(text)  # the host accepts comments and trailing commas
    except json.JSONDecodeError as exc:
        raise FunctionLoadError(
            f"{FUNCTION_JSON} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ).at(function=name) from exc
    if not isinstance(config, dict):
        raise FunctionLoadError(
            f"{FUNCTION_JSON}: expected a JSON object at the top level, got {type(config).__name__}"
        ).at(function=name)
    return config


def _string_field(config: Mapping[str, Any], key: str, default: str, name: str) -> str:
    value = config.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str) or not value:
        raise FunctionLoadError(
            f'{FUNCTION_JSON}: expected "{key}" to be a non-empty string, got {value!r}'
        ).at(function=name)
    return value


def _disabled_field(config: Mapping[str, Any], name: str) -> bool:
    value = config.get("disabled", False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise FunctionLoadError(
        f'{FUNCTION_JSON}: expected "disabled" to be true or false, got {value!r}'
    ).at(function=name)


def _module_name(script: Path, app_dir: Path, package: str, name: str) -> str:
    try:
        relative = script.relative_to(app_dir)
    except ValueError:
        raise FunctionLoadError(
            f"scriptFile must be inside the app directory {app_dir}, got {script}"
        ).at(function=name) from None
    if script.suffix != ".py":
        raise FunctionLoadError(
            f"expected scriptFile to be a Python file (.py), got {relative.as_posix()!r}"
        ).at(function=name)
    parts = [*relative.parent.parts, relative.stem]
    if parts[-1] == "__init__":
        parts.pop()
    bad = [part for part in parts if not part or "." in part]
    if bad:
        raise FunctionLoadError(
            f"cannot import {relative.as_posix()!r}: folder and file names on the way to "
            f"a script cannot contain '.', got {bad[0]!r}"
        ).at(function=name)
    return ".".join([package, *parts])


def _import(module_name: str, script: Path) -> types.ModuleType:
    # Always read the code afresh: a reload of the app must see edited files.
    for loaded in [m for m in sys.modules if m == module_name or m.startswith(module_name + ".")]:
        del sys.modules[loaded]
    try:
        return importlib.import_module(module_name)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise FunctionLoadError(
            f"importing {script.name} failed: {type(exc).__name__}: {exc}{_where(exc, script)}"
        ) from exc


def _where(exc: BaseException, script: Path) -> str:
    """The innermost line of the app's own code in a traceback, as ' (at file:line)'."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" (at {exc.filename}:{exc.lineno})"
    app_frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename).is_relative_to(script.parent)
        or Path(frame.filename).resolve().is_relative_to(script.parent)
    ]
    if not app_frames:
        return ""
    frame = app_frames[-1]
    return f" (at {frame.filename}:{frame.lineno})"


def _entry_point(module: types.ModuleType, entry_point: str, script: str, name: str) -> Any:
    function = getattr(module, entry_point, None)
    if function is None:
        defined = sorted(
            attr
            for attr, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module.__name__
        )
        found = f"; functions defined there: {', '.join(defined)}" if defined else ""
        raise FunctionLoadError(
            f"entryPoint {entry_point!r} not found in {script}{found}; define "
            f'def {entry_point}(...) there or set "entryPoint" in {FUNCTION_JSON}'
        ).at(function=name)
    if not callable(function):
        raise FunctionLoadError(
            f"entryPoint {entry_point!r} in {script} must be a function, got "
            f"{type(function).__name__}"
        ).at(function=name)
    return function


# -- function_app.py --------------------------------------------------------------


def _load_decorator_app(script: Path, package: str, registry: Registry, app: LoadedApp) -> None:
    import azure.functions

    key = script.name
    try:
        module = _import(f"{package}.{script.stem}", script)
    except FunctionLoadError as exc:
        app.errors[key] = exc
        return
    registers = [
        (attr, value)
        for attr, value in vars(module).items()
        if isinstance(value, azure.functions.FunctionRegister)
    ]
    if not registers:
        app.errors[key] = FunctionLoadError(
            f"{key} defines no azure.functions.FunctionApp; create one at module level "
            "(app = func.FunctionApp()) and decorate the functions with it"
        )
        return
    if len(registers) > 1:
        names = ", ".join(attr for attr, _ in registers)
        app.errors[key] = FunctionLoadError(
            f"{key} defines {len(registers)} FunctionApp instances ({names}); keep one and "
            "add the other functions to it through a Blueprint and register_functions()"
        )
        return
    _add_functions(registers[0][1], script, registry, app)


def load_function_app(
    function_app: Any, script: str | Path, *, registry: Registry | None = None
) -> LoadedApp:
    """Compile the functions of a ``FunctionApp`` object the caller already imported.

    Unlike :func:`load_app` nothing is imported: the plans call the very functions the
    object holds (what a test that patches the user's module needs).  ``script`` is the
    file that defines the object; its folder is the app directory.
    """
    path = Path(script).resolve()
    registry = registry if registry is not None else default_registry(plugins=True)
    app = LoadedApp(directory=path.parent, registry=registry, package=app_package_name(path.parent))
    _add_functions(function_app, path, registry, app)
    return app


def _add_functions(function_app: Any, script: Path, registry: Registry, app: LoadedApp) -> None:
    try:
        functions = function_app.get_functions()
    except Exception as exc:  # the decorators' own checks: no trigger, duplicate names
        app.errors[script.name] = FunctionLoadError(f"{script.name}: {exc}")
        return
    for function in functions:
        _add_decorated(function, script, registry, app)


def _add_decorated(function: Any, script: Path, registry: Registry, app: LoadedApp) -> None:
    name = function.get_function_name()
    if name in app.functions or name in app.errors:
        app.errors[f"{name} ({script.name})"] = FunctionLoadError(
            f"the name is already used by the function folder {name!r}; rename one of them "
            "(@app.function_name(name=...) for the decorated one)"
        ).at(function=name)
        return
    user_function = function.get_user_function()
    trigger = function.get_trigger()
    try:
        raw_bindings = [_plain(binding.get_dict_repr()) for binding in function.get_bindings()]
        bindings = parse_bindings(raw_bindings, function=name)
        app.functions[name] = compile_function(
            user_function,
            bindings,
            name=name,
            registry=registry,
            directory=app.directory,
            script_file=str(script),
            entry_point=getattr(user_function, "__name__", name),
            trigger_name=trigger.name if trigger is not None else None,
            retry=_retry_setting(function),
        )
    except FunctionLoadError as exc:
        app.errors[name] = exc
    except FuncbindError as exc:
        app.errors[name] = FunctionLoadError(exc.message).at(function=name)


def _retry_setting(function: Any) -> dict[str, Any] | None:
    """The @app.retry(...) policy of a decorated function, its fields as the decorator
    names them (``strategy``, ``max_retry_count``, ``delay_interval``, ...)."""
    settings = getattr(function, "get_settings_dict", None)
    found = settings("retry_policy") if settings is not None else None
    if not found:
        return None
    return {k: _plain(v) for k, v in found.items() if k != "setting_name"}


def _plain(value: Any) -> Any:
    """Decorator binding dicts hold enums; turn them into the strings function.json has."""
    if isinstance(value, enum.Enum):
        inner = value.value
        return inner if isinstance(inner, str) else value.name.lower()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# -- keeping apps apart in sys.modules ---------------------------------------------

_import_lock = threading.RLock()
# The modules each app imported by absolute name from its own directory (``shared``).
_app_modules: dict[str, dict[str, types.ModuleType]] = {}


@contextmanager
def _app_imports(directory: Path) -> Iterator[str]:
    """Import user code of one app: its package, its directory on sys.path, its modules.

    Modules another app imported from its own directory are hidden for the duration,
    so ``import shared`` finds this app's ``shared.py``; afterwards this app's modules
    stay in ``sys.modules`` (the most recently loaded app wins a name) and the app's
    package keeps them as ``<package>.<name>`` too.
    """
    package = app_package_name(directory)
    with _import_lock:
        _ensure_package(package, directory)
        hidden = _hide_app_modules(package)
        before = set(sys.modules)
        path_entry = str(directory)
        sys.path.insert(0, path_entry)
        importlib.invalidate_caches()
        try:
            yield package
        finally:
            with contextlib.suppress(ValueError):  # user code may have removed it
                sys.path.remove(path_entry)
            own = _new_app_modules(before, directory, package)
            _app_modules[package] = own
            for name, module in own.items():
                sys.modules.setdefault(f"{package}.{name}", module)
            for name, module in hidden.items():
                sys.modules.setdefault(name, module)


def _ensure_package(package: str, directory: Path) -> None:
    existing = sys.modules.get(package)
    if existing is not None and list(getattr(existing, "__path__", [])) == [str(directory)]:
        return
    spec = importlib.machinery.ModuleSpec(package, None, is_package=True)
    spec.submodule_search_locations = [str(directory)]
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module


def _hide_app_modules(package: str) -> dict[str, types.ModuleType]:
    hidden: dict[str, types.ModuleType] = {}
    for owner, modules in _app_modules.items():
        for name, module in modules.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
                if owner != package:  # this app's own are imported afresh
                    hidden[name] = module
    return hidden


def _new_app_modules(
    before: set[str], directory: Path, package: str
) -> dict[str, types.ModuleType]:
    own = {}
    foreign = _library_paths(directory)
    for name in set(sys.modules) - before:
        if name == package or name.startswith(package + "."):
            continue
        module = sys.modules.get(name)
        if module is None:
            continue
        origin = getattr(module, "__file__", None)
        # A namespace package has no file, only directories.
        places = [origin] if origin else list(getattr(module, "__path__", None) or [])
        if places and all(_is_app_code(Path(place), directory, foreign) for place in places):
            own[name] = module
    return own


# Where installers put packages; a path through one of these is a library, never app code.
_LIBRARY_DIRS = frozenset({"site-packages", "dist-packages"})


def _library_paths(directory: Path) -> list[Path]:
    """The sys.path entries nested inside the app directory (a .venv, .python_packages).

    Modules found through them are third-party packages that happen to live in the app's
    folder: re-executing them on every reload would give their classes new identities
    and break extension modules that refuse a second initialisation.
    """
    nested = []
    for entry in sys.path:
        if not entry:
            continue
        try:
            path = Path(entry).resolve()
        except (OSError, ValueError):
            continue
        if path != directory and path.is_relative_to(directory):
            nested.append(path)
    return nested


def _is_app_code(path: Path, directory: Path, foreign: list[Path]) -> bool:
    try:
        resolved = path.resolve()
    except OSError:
        return False
    if not resolved.is_relative_to(directory):
        return False
    if _LIBRARY_DIRS.intersection(resolved.relative_to(directory).parts):
        return False
    return not any(resolved.is_relative_to(library) for library in foreign)
