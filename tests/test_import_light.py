"""``import funcbind`` stays light: no storage SDK, server, HTTP client or protobuf."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Each costs 100-200 ms to import; funcbind imports them on first use only.
HEAVY = ("azure.storage", "uvicorn", "starlette", "httpx", "croniter", "grpc", "google.protobuf")


def imported_modules(code: str, cwd: Path) -> list[str]:
    """The modules a fresh interpreter imports to run ``code``, from ``-X importtime``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )
    assert proc.returncode == 0, f"{code!r} failed:\n{proc.stderr[-2000:]}"
    # Lines read "import time: <self us> | <cumulative us> | <indent><module>".
    return [
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    ]


def test_import_funcbind_pulls_in_nothing_heavy(tmp_path: Path) -> None:
    modules = imported_modules("import funcbind", cwd=tmp_path)
    assert "funcbind" in modules
    heavy = sorted(
        name for name in modules if any(name == h or name.startswith(h + ".") for h in HEAVY)
    )
    assert not heavy, f"import funcbind imported {heavy}; import these on first use instead"
