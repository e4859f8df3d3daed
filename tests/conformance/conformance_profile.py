"""Hypothesis settings for the conformance suite, chosen by FUNCBIND_CONFORMANCE_PROFILE.

``ci`` (the default: what ./scripts/test.sh and the nox sessions run) generates
thousands of cases per binding; ``quick`` a few hundred, for an edit-and-run loop.  On
Python 3.13 the suite runs once, in the nox worker session (the real worker's generic
binding as the oracle), with the same profile as everywhere else.  The settings decorate
the conformance tests only (``@conformance_settings``): the rest of the suite keeps the
suite-wide profile of tests/conftest.py.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Generated cases per binding and direction, for each profile.  Each hypothesis example
# is a batch of BATCH cases: the engine's own work per example is most of the cost of a
# case, so batches run several times more cases in the same time.
CASES = {"ci": 2500, "quick": 200}
BATCH = 4
PROFILE = os.environ.get("FUNCBIND_CONFORMANCE_PROFILE", "ci")

for _name, _cases in CASES.items():
    settings.register_profile(
        f"funcbind-conformance-{_name}",
        max_examples=_cases // BATCH,
        deadline=None,  # a shared 2-core machine has slow moments; no timing assertions
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,  # CI starts from a fresh clone; locally, nothing stale to replay
    )

if PROFILE not in CASES:
    raise RuntimeError(
        f"FUNCBIND_CONFORMANCE_PROFILE: expected one of {', '.join(CASES)}, got {PROFILE!r}"
    )
conformance_settings = settings.get_profile(f"funcbind-conformance-{PROFILE}")
