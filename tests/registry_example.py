"""The custom-binding plugin of docs/registry.md, installed the way a distribution installs it.

:func:`plugin_source` reads the one ``python`` block of the page that defines
``register(registry)``; :func:`install_plugin` writes it as ``csvrow_plugin.py`` beside a
``.dist-info`` folder whose ``entry_points.txt`` names it under ``funcbind.bindings``, so
whatever puts that folder on ``sys.path`` (this process, or a ``funcbind run`` subprocess
through ``PYTHONPATH``) finds the plugin through its real entry point.
"""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "registry.md"
MODULE = "csvrow_plugin"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def plugin_source() -> str:
    """The plugin module exactly as docs/registry.md shows it."""
    blocks = [b for b in _BLOCK.findall(DOC.read_text(encoding="utf-8")) if "def register(" in b]
    assert len(blocks) == 1, "docs/registry.md should show one plugin module"
    return blocks[0]


def counted_lines(source: str) -> int:
    """Lines of code: neither blank nor only a comment."""
    return sum(1 for line in source.splitlines() if line.strip() and line.strip()[0] != "#")


def install_plugin(directory: Path) -> Path:
    """Write the plugin and its distribution metadata under ``directory``; return it."""
    (directory / f"{MODULE}.py").write_text(plugin_source(), encoding="utf-8")
    metadata = directory / "csvrow_plugin-1.0.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: csvrow-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (metadata / "entry_points.txt").write_text(
        f"[funcbind.bindings]\ncsvrow = {MODULE}:register\n", encoding="utf-8"
    )
    return directory
