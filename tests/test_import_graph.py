"""The house stays one-way: no import cycle in ``src/funcbind``, no trigger module that
imports a sibling trigger, no module over 600 lines.

Imports are read from the source with :mod:`ast`, not by importing.  Every import
counts, wherever it stands: at module level, inside a function (lazy: a heavy
dependency, or code that must run after the settings are applied) and under
``if TYPE_CHECKING:``.  A lazy import breaks the cycle for the interpreter, not for the
reader, who still has to hold both modules in mind to understand either.  What does not
count is the implicit import of the parent packages (``funcbind/__init__.py`` runs
before any submodule): that edge is Python's, not the code's.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

PACKAGE = "funcbind"
ROOT = Path(__file__).resolve().parents[1] / "src" / PACKAGE
TRIGGERS = f"{PACKAGE}.host.triggers"
# Modules of host/triggers/ that are not a trigger kind: the table and what kinds share.
TRIGGER_SUPPORT = frozenset({f"{TRIGGERS}.kinds", f"{TRIGGERS}.polling", TRIGGERS})
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imported(name: str, path: Path, known: Mapping[str, Path]) -> Iterator[str]:
    """Every funcbind module ``name`` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    yield existing(alias.name, known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                # ``from . import storage_io`` imports the module; ``from .x import Name``
                # imports module x.
                yield submodule if submodule in known else existing(base, known)


def existing(dotted: str, known: Mapping[str, Path]) -> str:
    assert dotted in known, f"import of {dotted!r}, which is not a module of {PACKAGE}"
    return dotted


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {target for target in imported(name, path, known) if target != name}
        for name, path in known.items()
    }


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as a
    list of its modules, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def a_path(graph: Mapping[str, set[str]], start: str, members: set[str]) -> list[str]:
    """One import chain from ``start`` back to itself inside a cycle, to name in a failure."""
    trail = [start]
    seen = {start}
    while True:
        step = sorted(t for t in graph[trail[-1]] if t in members)
        back = [t for t in step if t == start]
        if back and len(trail) > 1:
            return [*trail, start]
        fresh = [t for t in step if t not in seen]
        if not fresh:
            return [*trail, step[0]]
        trail.append(fresh[0])
        seen.add(fresh[0])


def test_the_graph_reader_finds_imports_of_every_kind() -> None:
    """The reader itself: lazy, TYPE_CHECKING and ``from . import`` forms all count."""
    graph = import_graph()
    assert f"{PACKAGE}.host.storage_io" in graph[f"{TRIGGERS}.queue"]  # from .. import x
    assert f"{PACKAGE}.host.runner" in graph[f"{TRIGGERS}.queue"]  # under TYPE_CHECKING
    assert f"{PACKAGE}.loader" in graph[f"{PACKAGE}.host.app"]  # inside a function
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_funcbind() -> None:
    graph = import_graph()
    found = cycles(graph)
    described = [" -> ".join(a_path(graph, group[0], set(group))) for group in found]
    assert not found, "import cycles (lazy and TYPE_CHECKING imports count):\n" + "\n".join(
        described
    )


def test_no_trigger_module_imports_a_sibling_trigger() -> None:
    graph = import_graph()
    kinds = {name for name in graph if name.startswith(TRIGGERS + ".")} - TRIGGER_SUPPORT
    assert {f"{TRIGGERS}.queue", f"{TRIGGERS}.blob", f"{TRIGGERS}.timer"} <= kinds
    for kind in sorted(kinds):
        siblings = sorted(graph[kind] & (kinds | {f"{TRIGGERS}.kinds"}))
        assert not siblings, f"{kind} imports {siblings}: trigger kinds stand side by side"


def test_only_the_kinds_table_imports_trigger_modules() -> None:
    graph = import_graph()
    kinds = {name for name in graph if name.startswith(TRIGGERS + ".")} - TRIGGER_SUPPORT
    importers = sorted(name for name, targets in graph.items() if targets & kinds)
    assert importers == [f"{TRIGGERS}.kinds"]


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_is_over_600_lines(name: str) -> None:
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by concept"
