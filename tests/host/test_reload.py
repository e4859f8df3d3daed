"""``funcbind run --reload`` on the real host over HTTP: an edit is served without a
restart, a version that fails to load leaves the last good one serving, and the keys and
the socket stay."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from hostrunner import RunningHost

# Liveness bound only: the edit is expected within a second; this just stops a hung test.
LIVENESS = 20.0

APP = """
import azure.functions as func

from helpers import greeting

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.route(route="hello", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(greeting() + " VERSION")
"""


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


@pytest.fixture()
def app_dir(tmp_path: Path) -> Path:
    write(tmp_path / "host.json", '{"version": "2.0"}')
    write(
        tmp_path / "local.settings.json",
        '{"Values": {"FUNCTIONS_WORKER_RUNTIME": "python"},'
        ' "Keys": {"master": "reload-master", "default": "reload-default"}}',
    )
    write(tmp_path / "helpers.py", "def greeting() -> str:\n    return 'hello'\n")
    write(tmp_path / "function_app.py", APP.replace("VERSION", "v1"))
    return tmp_path


@pytest.fixture()
def host(app_dir: Path) -> Iterator[RunningHost]:
    # Bytecode is written, as on a user's machine: an edit of the same size within the
    # same second as the last one must not be served from the stale cached bytecode.
    running = RunningHost(app_dir, "--reload", env={"PYTHONDONTWRITEBYTECODE": ""})
    try:
        yield running
    finally:
        running.stop()


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + LIVENESS
    while not check():
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.05)


def test_reload_keeps_the_last_good_version(host: RunningHost, app_dir: Path) -> None:
    key = {"x-functions-key": "reload-default"}
    with httpx.Client(base_url=host.url, timeout=10, headers=key) as http:
        assert http.get("/api/hello").text == "hello v1"

        write(app_dir / "function_app.py", APP.replace("VERSION", "v2"))
        eventually(lambda: http.get("/api/hello").text == "hello v2", "version 2")

        # A helper module the app imports is executed afresh as well.
        write(app_dir / "helpers.py", "def greeting() -> str:\n    return 'hi'\n")
        eventually(lambda: http.get("/api/hello").text == "hi v2", "the edited helper")

        write(app_dir / "function_app.py", APP.replace("VERSION", "v3") + "\ndef broken(:\n")
        host.wait_for(r"reload: the new version failed to load", LIVENESS)
        assert any("SyntaxError" in line for line in host.lines if "reload:" in line)
        served = http.get("/api/hello")
        assert (served.status_code, served.text) == (200, "hi v2")
        # The keys stayed: the master key still opens the app.
        assert http.get("/api/hello", headers={"x-functions-key": "reload-master"}).text == "hi v2"

        write(app_dir / "function_app.py", APP.replace("VERSION", "v4"))
        eventually(lambda: http.get("/api/hello").text == "hi v4", "version 4 after the fix")
    assert host.process.poll() is None  # one process throughout: a debugger stays attached


def test_reload_watches_code_not_settings(app_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import sys

    from funcbind.host.reload import Reloader

    monkeypatch.setitem(sys.modules, "watchfiles", None)  # import watchfiles fails
    reloader = Reloader.__new__(Reloader)
    reloader.app_dir = app_dir
    (app_dir / "node_modules").mkdir()

    async def first_change() -> set[Path]:
        stopping = asyncio.Event()
        changes = reloader._changes(stopping)
        waiting = asyncio.ensure_future(changes.__anext__())
        await asyncio.sleep(0.3)
        write(app_dir / "node_modules" / "ignored.py", "")
        write(app_dir / "notes.txt", "not code")
        write(app_dir / "local.settings.json", '{"Values": {}}')
        write(app_dir / "host.json", '{"version": "2.0"}')
        write(app_dir / "helpers.py", "def greeting() -> str:\n    return 'polled'\n")
        found = await asyncio.wait_for(waiting, LIVENESS)
        stopping.set()
        return found

    assert asyncio.run(first_change()) == {app_dir / "helpers.py"}
