"""The Functions gRPC message classes, taken from a published package without its baggage.

``azure-functions-runtime-v1`` ships generated modules for ``FunctionRpc.proto`` (and the
``shared/NullableTypes`` and ``identity/ClaimsIdentityRpc`` files it imports) in a
top-level package named ``tests.protos``.  Importing that package would run its
``__init__``, which imports ``grpc``, and would put a second ``tests`` package beside
ours.  Instead the three generated files are loaded from their paths under a private
package name whose parents are empty module objects: no ``__init__`` runs, ``grpc`` is
never imported, and ``sys.modules["tests"]`` is never touched.

The result is a namespace shaped like the ``protos`` module the workers receive in
``request.properties["protos"]``: the FunctionRpc messages and the nullable types.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import types
from pathlib import Path
from typing import Any

DISTRIBUTION = "azure-functions-runtime-v1"
PRIVATE_PACKAGE = "_funcbind_worker_protos"

# Where the generated files sit inside the distribution, relative to its root.
_PROTOS_DIR = "tests/protos"
_SUBPACKAGES = ("shared", "identity")
_MODULES = ("shared.NullableTypes_pb2", "identity.ClaimsIdentityRpc_pb2", "FunctionRpc_pb2")

_loaded: types.SimpleNamespace | None = None


class ProtosUnavailable(RuntimeError):
    """The generated modules cannot be loaded here (package or protobuf missing)."""


def protos_dir() -> Path:
    """The folder of the generated modules inside the installed distribution."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ProtosUnavailable(f"{DISTRIBUTION} is not installed") from None
    folder = Path(str(dist.locate_file(_PROTOS_DIR)))
    if not (folder / "FunctionRpc_pb2.py").is_file():
        raise ProtosUnavailable(f"{DISTRIBUTION} has no {_PROTOS_DIR}/FunctionRpc_pb2.py")
    return folder


def load() -> types.SimpleNamespace:
    """The message classes as one namespace (loaded once per process)."""
    global _loaded
    if _loaded is not None:
        return _loaded
    try:
        import google.protobuf  # noqa: F401 - the generated code needs it
    except ImportError:
        raise ProtosUnavailable("protobuf is not installed") from None
    folder = protos_dir()
    # Empty package objects stand in for the distribution's packages, so the relative
    # imports inside the generated files ("from .shared import ...") resolve to files
    # in the same folder and no __init__.py is executed.
    for name, path in ((PRIVATE_PACKAGE, folder), *_subpackages(folder)):
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [str(path)]
            package.__package__ = name
            sys.modules[name] = package
    modules = [importlib.import_module(f"{PRIVATE_PACKAGE}.{name}") for name in _MODULES]
    exported: dict[str, Any] = {}
    for module in modules:
        exported.update(
            (name, value) for name, value in vars(module).items() if not name.startswith("_")
        )
    _loaded = types.SimpleNamespace(**exported)
    return _loaded


def _subpackages(folder: Path) -> list[tuple[str, Path]]:
    return [(f"{PRIVATE_PACKAGE}.{name}", folder / name) for name in _SUBPACKAGES]
