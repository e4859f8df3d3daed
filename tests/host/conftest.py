"""Fixtures for the host tests (the server runner itself is in hostrunner.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hostrunner import WEBAPP, RunningHost


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the test apps' non-HTTP functions record their invocations."""
    return tmp_path_factory.mktemp("invocations")


@pytest.fixture(scope="module")
def webapp(out_dir: Path) -> Iterator[RunningHost]:
    host = RunningHost(WEBAPP, "--max-body-size", "65536", env={"FUNCBIND_TEST_OUT": str(out_dir)})
    try:
        yield host
    finally:
        host.stop()
