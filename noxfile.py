"""nox sessions: the test suite on every Python in .python-version, the real worker, lint.

    nox -l                      # list sessions
    nox -s tests-3.13           # the suite on one version
    nox -s tests-3.10 -- -x -k registry   # arguments after -- go to pytest
    nox -s worker-3.13          # funcbind inside the real Python worker (tests/worker)
    nox -s lint
    nox -R -s tests-3.13        # rerun in the existing venv without reinstalling

Interpreters come from PATH (``python3.X``) or, failing that, from pyenv's versions folder.
The conformance suite's size follows FUNCBIND_CONFORMANCE_PROFILE (ci, quick;
tests/conformance/conformance_profile.py), passed through to every session.  On 3.13 it runs
in worker-3.13 only (see ``tests``).  FUNCBIND_COVERAGE=1 (./scripts/test.sh) measures
coverage (see ``_coverage_args``).
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PLUGIN_DIST = ROOT / "tests" / "plugin_dist"

nox.options.sessions = ["lint", "tests", "worker"]
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


def _coverage_args(session: nox.Session, *, report: bool) -> list[str]:
    """pytest-cov's arguments when FUNCBIND_COVERAGE=1, else none.

    Line coverage of src/funcbind over the 3.13 sessions, through sys.monitoring
    (COVERAGE_CORE=sysmon): on 3.13 it costs next to nothing, where 3.11's tracer made
    the suite several times slower.  Each session adds to one data file, which
    ./scripts/test.sh clears first; the session that reports prints the whole.
    """
    if os.environ.get("FUNCBIND_COVERAGE") != "1":
        return []
    if isinstance(session.python, str) and tuple(map(int, session.python.split("."))) >= (3, 12):
        session.env["COVERAGE_CORE"] = "sysmon"
    shown = "term-missing:skip-covered" if report else ""
    return ["--cov", "--cov-append", f"--cov-report={shown}"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """pytest on tests/ (azure-functions resolves to 1.x up to 3.12 and 2.x on 3.13).

    On the worker's Python the conformance suite is left to worker-3.13, which runs it
    with the worker's own generic binding as the oracle: the same cases twice on the
    same Python and azure.functions would test nothing more.
    """
    _install(session)
    default = ["tests", "-q"]
    if session.python == WORKER_PYTHON:
        default.append("--ignore=tests/conformance")
    pytest_args = session.posargs or [*default, *_coverage_args(session, report=False)]
    session.run("python", "-m", "pytest", *pytest_args)


# The real worker library runs on Python 3.13 and later only.  Pinned: the tests drive its
# request handlers, which are internal API.  azure-functions-runtime-v1 is installed for
# the generated gRPC classes it ships (tests/worker/rpc_protos.py loads them); protobuf
# ~=5.29 is what those generated files were built and tested with (their dev extra).
WORKER_PYTHON = "3.13"
WORKER_PACKAGES = [
    "azure-functions>=2,<3",
    "azure-functions-runtime==1.3.0",
    "azure-functions-runtime-v1==1.2.0",
    "protobuf~=5.29.0",
    # Durable Functions apps in tests/worker/app_durable import it.
    "azure-functions-durable",
]


@nox.session(python=[WORKER_PYTHON])
def worker(session: nox.Session) -> None:
    """tests/worker (funcbind inside the real worker) and tests/conformance, on 3.13.

    The conformance suite of 3.13 runs here (tests-3.13 leaves it out), because only here
    is the worker's own generic binding installed, its reference for ``generic``.
    """
    session.install("-e", ".[dev]", *WORKER_PACKAGES)
    session.env["FUNCBIND_REQUIRE_WORKER"] = "1"  # a broken install fails, never skips
    default = ["tests/worker", "tests/conformance", "-q", *_coverage_args(session, report=True)]
    session.run("python", "-m", "pytest", *(session.posargs or default))
    if not session.posargs:
        # Whole invocations through the real worker, stock registry vs funcbind's: the
        # figure users on Azure see (benchmarks/worker_invocations.py; prints a table,
        # checks that both sides answered alike, asserts nothing on time).
        session.run("python", "-m", "benchmarks.worker_invocations")


@nox.session(python=PYTHONS[0])
def lint(session: nox.Session) -> None:
    """ruff (check and format) and mypy --strict, as in scripts/test.sh."""
    _install(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "--strict")
