"""The command line: arguments, ``funcbind check``, start-up errors."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hostrunner import SETTINGS_APP, SRC, WEBAPP

from funcbind.__main__ import main
from funcbind.host.cli import DEFAULT_HOST, bind, build_parser, check
from funcbind.host.console import Console


def funcbind(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "funcbind", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=120,
        check=False,
    )


class Lines:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_run_arguments_and_defaults() -> None:
    args = build_parser().parse_args(["run", "app"])
    assert (args.app_dir, args.host, args.port, args.auth, args.verbose) == (
        Path("app"),
        DEFAULT_HOST,
        None,
        True,
        False,
    )
    assert DEFAULT_HOST == "127.0.0.1"  # loopback unless asked otherwise
    args = build_parser().parse_args(
        ["run", "app", "--host", "0.0.0.0", "--port", "8080", "--no-auth", "--verbose"]
    )
    assert (args.host, args.port, args.auth, args.verbose) == ("0.0.0.0", 8080, False, True)
    assert build_parser().parse_args(["run", "a", "--max-body-size", "10"]).max_body_size == 10


@pytest.mark.parametrize(
    "argv",
    [["run"], ["run", "a", "--port", "x"], ["run", "a", "--port", "70000"], ["serve", "a"]],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: funcbind" in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "run" in capsys.readouterr().err


def test_check_passes_on_a_healthy_app(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(SETTINGS_APP, root)
    lines = Lines()
    assert check(root, Console(lines)) == 0
    assert "http://localhost:7123/kept" in lines.text  # Host.LocalHttpPort
    assert "4 function(s) loaded." in lines.text
    assert not (root / ".funcbind").exists()  # check generates no keys


def test_check_fails_and_names_the_broken_function() -> None:
    result = funcbind("check", str(WEBAPP))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Broken: function 'Broken': importing __init__.py failed" in result.stdout
    assert "1 function(s) failed to load." in result.stdout
    assert "hello" in result.stdout


def test_a_missing_app_folder_is_an_error(tmp_path: Path) -> None:
    lines = Lines()
    assert check(tmp_path / "nope", Console(lines)) == 1
    assert "expected a function app folder" in lines.text


def test_run_reports_a_port_in_use(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(SETTINGS_APP, root)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = funcbind("run", str(root), "--port", str(port), "--no-auth")
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stdout
    assert "pass another --port" in result.stdout


def test_python_dash_m_and_version() -> None:
    result = funcbind("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("funcbind ")


def test_bad_settings_stop_the_start_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text('{"version": "3.0"}')
    result = funcbind("run", str(tmp_path))
    assert result.returncode == 1
    assert 'expected "version": "2.0"' in result.stdout


def test_the_listening_socket_names_tcp_so_asyncio_sets_nodelay() -> None:
    # Without TCP_NODELAY every keep-alive response waits for a delayed ACK (~40 ms).
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


def test_the_host_modules_import_no_server() -> None:
    code = "import funcbind.host.cli, funcbind.host.asgi, funcbind.__main__"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=True,
    )
    modules = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "funcbind.host.asgi" in modules
    assert not {name for name in modules if name.split(".")[0] in ("uvicorn", "h11", "httpx")}
