"""What funcbind imports when it loads is what setup.cfg declares it needs.

A module imported at module level by ``src/funcbind`` (outside ``TYPE_CHECKING``) must
come from a distribution in ``install_requires``: relying on another package to bring
it along breaks when that package stops doing so.  Imports inside functions are the
optional extras (the storage SDKs, the host's server) and are left to those.
"""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "funcbind"


def install_requires() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["install_requires"].splitlines()
    return [re.split(r"[\s<>=!~;\[]", line.strip())[0] for line in lines if line.strip()]


def module_level_imports(path: Path) -> set[str]:
    """Absolute module names imported by statements at the top of a module."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def third_party_imports() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for name in module_level_imports(path):
            top = name.partition(".")[0]
            if top in sys.stdlib_module_names or top in ("__future__", "funcbind"):
                continue
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def declared_files() -> set[Path]:
    files: set[Path] = set()
    for name in install_requires():
        distribution = importlib.metadata.distribution(name)
        files.update(
            Path(str(distribution.locate_file(f))).resolve() for f in distribution.files or ()
        )
    return files


def test_every_module_level_import_is_a_declared_dependency() -> None:
    declared = declared_files()
    undeclared = {}
    for name, importers in third_party_imports().items():
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        if Path(spec.origin).resolve() not in declared:
            undeclared[name] = importers
    assert undeclared == {}


def test_the_check_sees_the_imports_it_is_about() -> None:
    imports = third_party_imports()
    assert "werkzeug.datastructures" in imports
    assert "azure.functions" in imports
