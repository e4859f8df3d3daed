"""nox sessions: the test suite on every Python in .python-version, and the lint gates.

    nox -l                      # list sessions
    nox -s tests-3.13           # the suite on one version
    nox -s tests-3.10 -- -x -k registry   # arguments after -- go to pytest
    nox -s lint

Interpreters come from PATH (``python3.X``) or, failing that, from pyenv's versions folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PLUGIN_DIST = ROOT / "tests" / "plugin_dist"

nox.options.sessions = ["lint", "tests"]
nox.options.envdir = str(ROOT / ".nox")
nox.options.reuse_existing_virtualenvs = True


def _pinned_versions() -> list[str]:
    """The full versions in .python-version (one per line, pyenv's format)."""
    lines = (ROOT / ".python-version").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _make_pyenv_versions_findable(versions: list[str]) -> None:
    """Append each pinned pyenv version's bin folder to PATH, so ``python3.X`` resolves.

    Appended, not prepended: an interpreter already on PATH (a pyenv shim, a system
    Python) keeps precedence.
    """
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    folders = [pyenv_root / "versions" / v / "bin" for v in versions]
    extra = [str(folder) for folder in folders if folder.is_dir()]
    if extra:
        os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), *extra])


PINNED = _pinned_versions()
_make_pyenv_versions_findable(PINNED)
PYTHONS = [".".join(v.split(".")[:2]) for v in PINNED]


def _install(session: nox.Session) -> None:
    # The host extra too, so every version runs the same suite as the main .venv.
    session.install("-e", ".[dev,host]")
    if PLUGIN_DIST.is_dir():
        session.install("-e", str(PLUGIN_DIST))


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """pytest on tests/ (azure-functions resolves to 1.x up to 3.12 and 2.x on 3.13)."""
    _install(session)
    session.run("python", "-m", "pytest", *(session.posargs or ["tests", "-q"]))


@nox.session(python=PYTHONS[0])
def lint(session: nox.Session) -> None:
    """ruff (check and format) and mypy --strict, as in scripts/test.sh."""
    _install(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "--strict")
