"""AzuriteSession: Azurite in memory, started in the background, stopped even mid-start.

A stand-in executable (a shell script, through ``FUNCBIND_AZURITE``) plays Azurite here:
what these tests check is the session's handling of the process, not Azurite.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from funcbind.host.azurite import AzuriteError
from funcbind.testing import AzuriteSession

pytest_plugins = ["pytester"]

LISTENING = "".join(
    f"echo 'Azurite {name} service is successfully listening at http://127.0.0.1:{port}'\n"
    for name, port in (("Blob", 41001), ("Queue", 41002), ("Table", 41003))
)


@pytest.fixture
def fake_azurite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Install a script as Azurite; it writes its pid and arguments to a file first."""

    def install(body: str) -> Path:
        record = tmp_path / "record"
        script = tmp_path / "azurite"
        script.write_text(f'#!/bin/sh\necho "$$ $*" > {record}\n{body}exec sleep 30\n')
        script.chmod(0o755)
        monkeypatch.setenv("FUNCBIND_AZURITE", str(script))
        return record

    return install


def _pid_and_arguments(record: Path) -> tuple[int, list[str]]:
    deadline = time.monotonic() + 10
    while not record.exists() or not record.read_text().strip():
        assert time.monotonic() < deadline, "the stand-in Azurite never ran"
        time.sleep(0.01)
    pid, *arguments = record.read_text().split()
    return int(pid), arguments


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_it_runs_in_memory_and_stops(fake_azurite: Callable[[str], Path]) -> None:
    record = fake_azurite(LISTENING)
    session = AzuriteSession()
    azurite = session.starting().result(timeout=10)
    assert session.start() is azurite and azurite.running()
    pid, arguments = _pid_and_arguments(record)
    assert "--inMemoryPersistence" in arguments and "--location" not in arguments
    assert arguments[arguments.index("--blobPort") + 1] == str(session.ports["blob"])
    session.stop()
    assert not session.started and _gone(pid)


def test_a_stop_while_it_starts_ends_it_at_once(fake_azurite: Callable[[str], Path]) -> None:
    record = fake_azurite("")  # never says it listens
    session = AzuriteSession()
    future = session.starting()
    pid, _ = _pid_and_arguments(record)
    began = time.monotonic()
    session.stop()
    assert time.monotonic() - began < 5  # not the 60 s a start may wait
    assert _gone(pid)
    assert isinstance(future.exception(timeout=5), AzuriteError)
    assert not session.started


def test_it_starts_again_after_a_stop(fake_azurite: Callable[[str], Path]) -> None:
    fake_azurite(LISTENING)
    session = AzuriteSession()
    first = session.start()
    session.stop()
    second = session.start()
    assert second is not first and second.running()
    session.stop()


STORAGE_SUITE = """
import pytest
from funcbind.testing import AzuriteSession

def test_first_without_storage():
    shared = AzuriteSession.shared()
    print("EXPECTED", shared.expected, "STARTING", shared._starting is not None)

@pytest.mark.azurite
def test_marked():
    assert AzuriteSession.shared().start().running()
"""


@pytest.mark.parametrize(
    ("arguments", "printed", "outcome"),
    [
        ((), "EXPECTED True STARTING True", {"passed": 2}),
        (("-m", "not azurite"), "EXPECTED False STARTING False", {"passed": 1, "deselected": 1}),
    ],
    ids=["a marked test runs", "marked tests deselected"],
)
def test_the_plugin_starts_azurite_as_collection_ends_if_a_test_needs_it(
    pytester: pytest.Pytester,
    fake_azurite: Callable[[str], Path],
    arguments: tuple[str, ...],
    printed: str,
    outcome: dict[str, int],
) -> None:
    fake_azurite(LISTENING)
    pytester.makepyfile(test_storage=STORAGE_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", *arguments)
    result.assert_outcomes(**outcome)
    result.stdout.fnmatch_lines([f"*{printed}*"])
