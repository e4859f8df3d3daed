"""Fixtures shared by the benchmark suites; the convention is in benchmarks/README.md."""

from __future__ import annotations

import os

import pytest

from benchmarks._json_parser import use_funcbinds_parser_in_azure_functions
from benchmarks.report import IMPLEMENTATIONS

# Both sides parse JSON with the same parser (before any benchmark module imports a
# converter); the report prints its name from machine_info.
JSON_PARSER = use_funcbinds_parser_in_azure_functions()


def pytest_report_header() -> str:
    return f"JSON parser on both sides: {JSON_PARSER}"


def pytest_benchmark_update_machine_info(machine_info: dict[str, object]) -> None:
    machine_info["json_parser"] = JSON_PARSER


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
