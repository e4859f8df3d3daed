"""funcbind.invocation_logs: records tagged and collected per invocation."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from types import ModuleType

import pytest

from funcbind import invocation_logs


@pytest.fixture
def restore_factory() -> Iterator[None]:
    factory = logging.getLogRecordFactory()
    installed = invocation_logs._Installed.factory
    yield
    logging.setLogRecordFactory(factory)
    invocation_logs._Installed.factory = installed


def _second_copy() -> ModuleType:
    """The module loaded again under another name, as a re-import in one process does."""
    spec = importlib.util.spec_from_file_location(
        "funcbind_invocation_logs_copy", invocation_logs.__file__
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_records_are_collected_once_per_invocation(restore_factory: None) -> None:
    log = invocation_logs.InvocationLog("id-1", "fn")
    token = invocation_logs.enter(log)
    logging.getLogger("user").warning("inside")
    invocation_logs.end(log, token)
    logging.getLogger("user").warning("after")
    assert [r.getMessage() for r in log.records] == ["inside"]
    assert log.records[0].__dict__[invocation_logs.INVOCATION_ID_ATTR] == "id-1"


@pytest.mark.parametrize("outer_is_copy", [True, False])
def test_a_second_copy_of_the_module_still_collects(
    restore_factory: None, outer_is_copy: bool
) -> None:
    """Two copies chain their factories; whichever copy the invocation entered through
    collects its records, once, however the two are stacked."""
    copy = _second_copy()
    first, second = (invocation_logs, copy) if outer_is_copy else (copy, invocation_logs)
    first.install()
    second.install()  # wraps the first one's factory
    for module in (invocation_logs, copy):
        log = module.InvocationLog(f"id-{module.__name__}", "fn")
        token = module.enter(log)
        logging.getLogger("user").warning("inside")
        module.end(log, token)
        assert [r.getMessage() for r in log.records] == ["inside"], module.__name__
        assert log.records[0].__dict__[invocation_logs.INVOCATION_ID_ATTR] == log.invocation_id
