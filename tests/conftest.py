"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from funcbind.host.azurite import Azurite
from funcbind.testing.storage import AzuriteSession

# Hypothesis' default 200 ms deadline per example is a wall-time assertion, and on a
# shared 2-core machine a slow moment fails it; the suite asserts on results, never on time.
settings.register_profile("funcbind", deadline=None)
# In CI no example database: a fresh clone has nothing to replay, and writing one costs time.
settings.register_profile("funcbind-ci", settings.get_profile("funcbind"), database=None)
settings.load_profile("funcbind-ci" if os.environ.get("CI") else "funcbind")


@pytest.fixture(scope="session")
def azurite() -> Azurite:
    """One real Azurite for the session, on free loopback ports, telemetry off.

    The same one the test clients of funcbind.testing use (``AzuriteSession.shared()``),
    stopped when the session ends.  Tests that use it get a fresh container or queue name
    of their own rather than a fresh emulator: starting Azurite takes seconds.
    """
    return AzuriteSession.shared().start()
