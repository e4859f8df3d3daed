"""The pytest plugin for testing function apps (entry point ``pytest11``, name ``funcbind``).

Opt-in and light: importing it imports pytest and the standard library only, and it adds
no autouse fixture.  A test that asks for a fixture gets it:

- ``function_app``: a :class:`~funcbind.testing.FunctionAppClient` on the app named by
  ``@pytest.mark.funcbind_app("path", **options)``, else ``--funcbind-app PATH``, else
  the ini option ``funcbind_app`` (relative to the rootdir); closed after the test.
  With ``--funcbind-url URL`` its ``http`` client talks to a live ``funcbind run`` there
  instead: the same HTTP tests run against the real server.
- ``azurite``: the session's :class:`~funcbind.testing.AzuriteSession`, started.
- ``events``: the :mod:`funcbind.testing.events` module.

It starts nothing, except when the tests about to run need storage: when one of them is
marked ``@pytest.mark.azurite`` or asks for the ``azurite`` fixture, the session's Azurite
starts in the background as soon as collection ends, and boots while the first tests run.

When a test fails, the invocations it made are added to its report: outcome,
exception with traceback, and log records.  ``-p no:funcbind`` turns the plugin off.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

    from .client import FunctionAppClient
    from .storage import AzuriteSession

MARKER = "funcbind_app"
STORAGE_MARKER = "azurite"
_INVOCATIONS = "funcbind.testing.invocation"
_STORAGE = "funcbind.testing.storage"
_SHOWN = 5


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("funcbind", "testing Azure Functions apps with funcbind")
    group.addoption(
        "--funcbind-app",
        dest="funcbind_app",
        metavar="PATH",
        default=None,
        help="the function app folder the function_app fixture loads",
    )
    group.addoption(
        "--funcbind-url",
        dest="funcbind_url",
        metavar="URL",
        default=None,
        help="send the function_app fixture's HTTP requests to a live `funcbind run` at URL",
    )
    parser.addini(MARKER, "the function app folder the function_app fixture loads", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(path, **options): the function app (and FunctionAppClient options) the "
        "function_app fixture loads",
    )
    config.addinivalue_line(
        "markers",
        f"{STORAGE_MARKER}: the test needs development storage; the session's Azurite starts "
        "in the background once the tests are collected",
    )
    config.pluginmanager.register(_fixtures(), "funcbind-testing-fixtures")


@functools.cache
def _expected_before() -> pytest.StashKey[bool | None]:
    """What the shared Azurite session expected before this pytest session said."""
    import pytest

    return pytest.StashKey[bool | None]()


@functools.cache
def _deselected_storage() -> pytest.StashKey[bool]:
    """Where a session notes that tests marked as needing storage were deselected."""
    import pytest

    return pytest.StashKey[bool]()


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items and any(_needs_storage(item) for item in items):
        items[0].session.stash[_deselected_storage()] = True


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start Azurite in the background when a test about to run needs it: its boot
    (seconds) then overlaps the tests that run before.  When the tests say what they
    need (some are marked) and none of those run, clients do not start it on opening."""
    if session.config.option.collectonly:
        return
    needed = any(_needs_storage(item) for item in session.items)
    if not needed and not session.stash.get(_deselected_storage(), False):
        return  # no test is marked: the clients decide, as without pytest
    from .storage import AzuriteSession

    shared = AzuriteSession.shared()
    session.stash[_expected_before()] = shared.expected
    shared.expected = needed
    if needed:
        shared.starting()


def _needs_storage(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return item.get_closest_marker(STORAGE_MARKER) is not None or "azurite" in fixtures


def _fixtures() -> object:
    """The fixtures and the report wrapper: they need pytest's decorators, and this module
    imports pytest only when pytest itself runs it (funcbind does not depend on pytest)."""
    import pytest

    class Fixtures:
        @pytest.fixture(scope="session")
        def azurite(self) -> AzuriteSession:
            """The session's Azurite (free loopback ports, data in memory), started."""
            from .storage import AzuriteSession

            session = AzuriteSession.shared()
            session.start()
            return session

        @pytest.fixture
        def events(self) -> ModuleType:
            """The event builders, :mod:`funcbind.testing.events`."""
            from . import events as module

            return module

        @pytest.fixture
        def function_app(self, request: pytest.FixtureRequest) -> Iterator[FunctionAppClient]:
            """A :class:`~funcbind.testing.FunctionAppClient` on the configured app."""
            from .client import FunctionAppClient

            path, options = _app_of(request)
            url = request.config.getoption("funcbind_url")
            if url:
                options = {**options, "base_url": url}
            with FunctionAppClient(path, **options) as client:
                yield client

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_makereport(
            self, item: pytest.Item, call: pytest.CallInfo[None]
        ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
            report = yield
            if report.failed and call.when != "setup":
                _add_invocations(report)
            return report

    return Fixtures()


def _app_of(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any]]:
    marker = request.node.get_closest_marker(MARKER)
    config = request.config
    if marker is not None:
        if not marker.args:
            raise _usage_error(
                f"@pytest.mark.{MARKER}(...) needs the app folder as its first argument"
            )
        base = Path(str(request.node.path)).parent
        return base / str(marker.args[0]), dict(marker.kwargs)
    option = config.getoption("funcbind_app")
    if option:
        return Path(option), {}
    ini = config.getini(MARKER)
    if ini:
        return config.rootpath / str(ini), {}
    raise _usage_error(
        "the function_app fixture needs an app: mark the test "
        f"@pytest.mark.{MARKER}('path/to/app'), pass --funcbind-app PATH, or set "
        f"{MARKER} = path/to/app in the pytest ini file"
    )


# -- what a failed test shows --------------------------------------------------------


def pytest_runtest_setup(item: pytest.Item) -> None:
    module = sys.modules.get(_INVOCATIONS)
    if module is not None:
        module.recent_invocations(clear=True)


def _add_invocations(report: pytest.TestReport) -> None:
    module = sys.modules.get(_INVOCATIONS)
    if module is None:
        return
    notes = module.recent_notes()
    if notes:
        report.sections.append(("funcbind: requests no route served", "\n".join(notes)))
    made = module.recent_invocations()
    if not made:
        return
    failed = [invocation for invocation in made if not invocation.ok]
    shown = (failed or made)[-_SHOWN:]
    which = "failed " if failed else ""
    text = "\n\n".join(invocation.describe() for invocation in shown)
    report.sections.append(
        (f"funcbind: the last {len(shown)} {which}invocation(s) of this test", text)
    )


def pytest_assertrepr_compare(config: pytest.Config, op: str, left: object, right: object) -> Any:
    module = sys.modules.get(_INVOCATIONS)
    if module is None:
        return None
    described = [
        side.describe().splitlines()
        for side in (left, right)
        if isinstance(side, module.Invocation)
    ]
    if not described:
        return None
    return [f"{left!r} {op} {right!r}", *(line for lines in described for line in lines)]


def _usage_error(message: str) -> Exception:
    import pytest

    return pytest.UsageError(message)


@functools.cache
def _shared_before() -> pytest.StashKey[object]:
    """Where a session keeps the shared Azurite session that existed when it started."""
    import pytest

    return pytest.StashKey[object]()


def pytest_sessionstart(session: pytest.Session) -> None:
    module = sys.modules.get(_STORAGE)
    shared = module.AzuriteSession._shared if module is not None else None
    session.stash[_shared_before()] = shared


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the shared Azurite this session started (not one an outer session owns, as
    when pytest runs inside pytest), and any other a test started and left running --
    saying so."""
    module = sys.modules.get(_STORAGE)
    if module is None:
        return
    sessions = module.AzuriteSession
    before = session.stash.get(_shared_before(), None)
    shared = sessions._shared
    if shared is not None and _expected_before() in session.stash:
        shared.expected = session.stash[_expected_before()]
    if shared is not None and shared is not before:
        shared.stop()
    if before is not None:
        return  # an inner session: what runs belongs to the outer one
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for left in sessions.still_running():
        pid = left.pid
        left.stop()
        if reporter is not None:
            reporter.write_line(
                f"funcbind: an AzuriteSession (Azurite pid {pid}) was still running at the "
                "end of the tests; it is stopped now (call its stop(), or use the azurite "
                "fixture)",
                yellow=True,
            )
