"""docs/registry.md's custom binding under the real ``funcbind run``.

The plugin is installed through its entry point (tests/registry_example.py) on the
subprocess's ``PYTHONPATH``; the app's function is triggered by its ``csvRowTrigger`` and
invoked through the admin endpoint, as the host invokes a non-HTTP function.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostrunner import APPS, SRC, RunningHost

from registry_example import install_plugin


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("csv-invocations")


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory, out_dir: Path) -> Iterator[RunningHost]:
    plugin = install_plugin(tmp_path_factory.mktemp("csvrow-plugin"))
    app = tmp_path_factory.mktemp("csvrow-app") / "app"
    shutil.copytree(APPS / "custom_binding", app)
    path = os.pathsep.join([str(plugin), str(SRC)])
    env = {"PYTHONPATH": path, "FUNCBIND_TEST_OUT": str(out_dir)}
    running = RunningHost(app, "--no-auth", "--log-format", "funcbind", env=env)
    try:
        yield running
    finally:
        running.stop()


def invoke(host: RunningHost, given: Any) -> str:
    response = httpx.post(f"{host.url}/admin/functions/CsvRows", json={"input": given}, timeout=30)
    assert response.status_code == 202, response.text
    invocation_id: str = response.json()["invocationId"]
    return invocation_id


def read_when_written(path: Path, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} was never written"
        time.sleep(0.05)
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_plugin_trigger_is_listed(host: RunningHost) -> None:
    host.wait_for(r"CsvRows\s+csvRowTrigger \(no local source: invoke through the admin endpoint\)")


def test_the_plugin_decodes_the_trigger_payload(host: RunningHost, out_dir: Path) -> None:
    invocation_id = invoke(host, "a,b,c")
    assert read_when_written(out_dir / f"{invocation_id}.json") == ["a", "b", "c"]


def test_data_the_plugin_does_not_handle_fails_the_invocation_by_name(
    host: RunningHost, out_dir: Path
) -> None:
    invocation_id = invoke(host, {"not": "csv"})
    host.wait_for(
        rf"CsvRows \({invocation_id}\) failed .*UnsupportedDatumError: function 'CsvRows', "
        r"parameter 'rows', binding 'csvRowTrigger': 'rows': expected string, got json"
    )
    assert not (out_dir / f"{invocation_id}.json").exists()
