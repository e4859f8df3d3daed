"""The pytest plugin: fixtures on request only, the same user tests in-process and against
a live ``funcbind run``, failed tests that show their invocations."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Imported here, so that the in-process runs below share these modules rather than
# import them afresh each time (pytester forgets what a run imported): faster, and one
# log-record factory for the whole process.
import funcbind.invoke
import funcbind.testing.client  # noqa: F401

pytest_plugins = ["pytester"]

HERE = Path(__file__).parent
EXAMPLES = HERE.parents[1] / "examples"
APP = HERE / "apps" / "clientapp"
USER_SUITE = (HERE / "user_suite.py").read_text()
PASSED_BY_USER_SUITE = 7


MARKED = f"""
import pytest

@pytest.mark.funcbind_app({str(APP)!r}, settings={{"GREETING": "from the marker"}})
def test_marked(function_app):
    assert function_app.http.get("/api/setting").text == "from the marker"

@pytest.mark.funcbind_app({str(APP)!r})
def test_fails(function_app):
    function_app.http.get("/api/setings")
    function_app.http.get("/api/raises", params={{"who": "Zoe"}})
    assert function_app.invocations[-1].ok
"""


@pytest.fixture
def user_tests(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_user=USER_SUITE)
    return pytester


def test_in_process_with_the_app_from_the_ini_file_or_a_marker(user_tests: pytest.Pytester) -> None:
    user_tests.makeini(f"[pytest]\nfuncbind_app = {EXAMPLES}\n")
    user_tests.makepyfile(test_marked=MARKED)
    result = user_tests.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=PASSED_BY_USER_SUITE + 1, failed=1)
    # The failed test shows its invocation: outcome, traceback, logs.
    result.stdout.fnmatch_lines(
        [
            "*funcbind: requests no route served*",
            "GET /api/setings: no function serves it; the app's routes:",
            "  * /api/setting (setting)",
            "*funcbind: the last 1 failed invocation(s) of this test*",
            "<Invocation 'raises' failed at call: RuntimeError in *",
            "*RuntimeError: boom",
            "*WARNING  root: about to fail for Zoe",
        ]
    )


@pytest.fixture
def live_host() -> Iterator[str]:
    """``funcbind run examples`` on a free port, no keys, no Azurite (HTTP only)."""
    src = Path(sys.modules["funcbind"].__file__ or "").resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "funcbind", "run", str(EXAMPLES), "--port", "0"]
    process = subprocess.Popen(
        [*command, "--no-auth", "--no-azurite"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                yield found[1]
                break
        else:
            raise AssertionError("funcbind run did not start:\n" + "".join(seen))
    finally:
        process.terminate()
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


def test_the_same_user_tests_pass_against_a_live_funcbind_run(
    user_tests: pytest.Pytester, live_host: str
) -> None:
    result = user_tests.runpytest_inprocess(
        "--funcbind-app", str(EXAMPLES), "--funcbind-url", live_host, "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=PASSED_BY_USER_SUITE)


def test_without_an_app_the_fixture_says_how_to_name_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_none="def test_x(function_app):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mark the test @pytest.mark.funcbind_app('path/to/app')*"])


@pytest.mark.azurite
def test_an_azurite_left_running_is_stopped_and_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_leaves="""
        from funcbind.testing import AzuriteSession

        def test_starts_one():
            session = AzuriteSession()
            session.start()
            print("PID", session.pid)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1)
    found = re.search(r"PID (\d+)", result.stdout.str())
    assert found is not None
    pid = int(found[1])
    result.stdout.fnmatch_lines([f"funcbind: an AzuriteSession (Azurite pid {pid}) was still*"])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_an_equality_on_an_invocation_shows_it() -> None:
    from funcbind.testing.invocation import Invocation
    from funcbind.testing.pytest_plugin import pytest_assertrepr_compare

    failed = Invocation("job", "id-1", 0.002, error=ValueError("bad"), stage="call")
    lines = pytest_assertrepr_compare(None, "==", failed, None)  # type: ignore[arg-type]
    assert (
        lines[0]
        == "<Invocation 'job' failed at call: ValueError in 2.0 ms, 0 log record(s)> == None"
    )
    assert "  error (call): bad" in lines and "  logs: none" in lines
    assert pytest_assertrepr_compare(None, "==", 1, 2) is None  # type: ignore[arg-type]


def test_the_plugin_imports_nothing_heavy(tmp_path: Path) -> None:
    code = "import funcbind.testing.pytest_plugin"
    found = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stderr
    modules = {line.rsplit("|", 1)[1].strip() for line in found.splitlines() if "|" in line}
    heavy = {"httpx", "azure.functions", "funcbind.host", "funcbind.testing.client", "uvicorn"}
    assert not modules & heavy
