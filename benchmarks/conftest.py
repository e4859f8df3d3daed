"""Fixtures shared by the benchmark suites; the convention is in benchmarks/README.md."""

from __future__ import annotations

import os

import pytest

from benchmarks.report import IMPLEMENTATIONS


@pytest.fixture(params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest) -> str:
    """The side of a comparison being measured: ``"azure.functions"`` or ``"funcbind"``."""
    value: str = request.param
    return value


@pytest.fixture(scope="session")
def bench_mode() -> str:
    """``"short"`` under the test command, ``"full"`` under the run command and by default.

    For benchmarks whose one round is a whole workload (a load test): size the workload by
    it, so that a short run stays at about a second per benchmark.
    """
    return os.environ.get("FUNCBIND_BENCH_MODE", "full")
