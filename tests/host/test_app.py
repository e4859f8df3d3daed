"""Loading an app for serving: routes per function, clashes, auth levels, what cannot run."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from funcbind.host.app import HostedApp, load_hosted_app
from funcbind.host.routes import RouteMatch
from funcbind.host.settings import SettingsError

HTTP_CODE = "def main(req):\n    return 'ok'\n"
PLAIN_CODE = "def main(payload):\n    return None\n"


def function(root: Path, name: str, bindings: list[dict[str, Any]], code: str = HTTP_CODE) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "function.json").write_text(json.dumps({"bindings": bindings}))
    (folder / "__init__.py").write_text(code)


def http(**properties: Any) -> list[dict[str, Any]]:
    trigger = {"name": "req", "type": "httpTrigger", "direction": "in", **properties}
    return [trigger, {"name": "$return", "type": "http", "direction": "out"}]


def load(root: Path, **options: Any) -> HostedApp:
    return load_hosted_app(root, auth=False, environ=dict(os.environ), **options)


def test_route_defaults_to_the_function_name_and_auth_to_function(tmp_path: Path) -> None:
    function(tmp_path, "Plain", http())
    app = load(tmp_path)
    plain = app.functions["Plain"]
    assert (plain.route_template, plain.auth_level, plain.methods) == ("Plain", "function", None)
    assert plain.response_binding == "$return"
    found = app.router.match("GET", "/api/plain")
    assert isinstance(found, RouteMatch)
    assert found.route.target is plain
    assert app.find("PLAIN") is plain
    assert app.find("nope") is None


def test_a_bad_route_or_auth_level_fails_that_function_only(tmp_path: Path) -> None:
    function(tmp_path, "Good", http(authLevel="anonymous"))
    function(tmp_path, "BadRoute", http(route="items/{id:nonsense}"))
    function(tmp_path, "BadLevel", http(authLevel="everyone"))
    function(tmp_path, "BadMethods", http(methods="get,post"))
    app = load(tmp_path)
    assert sorted(app.functions) == ["BadMethods", "Good"]  # one method string is a list of one
    assert "unknown constraint 'nonsense'" in app.errors["BadRoute"]
    assert app.errors["BadRoute"].startswith("function 'BadRoute': route 'items/{id:nonsense}'")
    assert "expected authLevel to be anonymous, function or admin" in app.errors["BadLevel"]


def test_two_functions_on_one_route_and_method_clash(tmp_path: Path) -> None:
    function(tmp_path, "First", http(route="same", methods=["get"]))
    function(tmp_path, "Second", http(route="same", methods=["get", "post"]))
    function(tmp_path, "Third", http(route="same", methods=["delete"]))
    app = load(tmp_path)
    assert sorted(app.functions) == ["First", "Third"]
    assert "already served by function 'First'" in app.errors["Second"]
    found = app.router.match("POST", "/api/same")
    assert not isinstance(found, RouteMatch)


def test_what_needs_storage_or_an_unknown_service(tmp_path: Path) -> None:
    queue = {"name": "payload", "type": "queueTrigger", "direction": "in", "queueName": "q"}
    blob_trigger = {"name": "payload", "type": "blobTrigger", "direction": "in", "path": "c/{n}"}
    out_blob = {"name": "out", "type": "blob", "direction": "out", "path": "c/x"}
    cosmos = {"name": "doc", "type": "cosmosDB", "direction": "in"}
    function(tmp_path, "QueueOnly", [queue], PLAIN_CODE)
    function(tmp_path, "BlobTriggered", [blob_trigger], PLAIN_CODE)
    writes_blob = (
        "import azure.functions as f\n\ndef main(req, out: f.Out[str]):\n    return 'ok'\n"
    )
    function(tmp_path, "WritesBlob", [*http(), out_blob], writes_blob)
    function(tmp_path, "Cosmos", [*http(), cosmos], "def main(req, doc):\n    return 'ok'\n")
    app = load(tmp_path)
    assert app.functions["QueueOnly"].problem is None  # the payload comes with the call
    assert app.functions["BlobTriggered"].problem is not None
    assert app.functions["BlobTriggered"].problem.startswith("storage is not configured")
    problem = app.functions["WritesBlob"].problem
    assert problem is not None and "binding 'out' (blob)" in problem
    served = load(tmp_path, services=frozenset({"storage"}))
    assert served.functions["WritesBlob"].problem is None
    cosmos_problem = app.functions["Cosmos"].problem
    assert cosmos_problem is not None and "not served by funcbind run" in cosmos_problem


def test_disabled_by_function_json_or_app_setting(tmp_path: Path) -> None:
    function(tmp_path, "Off", http())
    function(tmp_path, "Setting", http())
    config = json.loads((tmp_path / "Off" / "function.json").read_text())
    (tmp_path / "Off" / "function.json").write_text(json.dumps({**config, "disabled": True}))
    environ = {**os.environ, "AzureWebJobs.Setting.Disabled": "True"}
    app = load_hosted_app(tmp_path, auth=False, environ=environ)
    assert app.functions["Off"].disabled and app.functions["Setting"].disabled
    assert app.router.match("GET", "/api/off") is None


def test_body_size_setting(tmp_path: Path) -> None:
    function(tmp_path, "F", http())
    assert load(tmp_path).max_body_size == 100 * 1024 * 1024
    assert load(tmp_path, max_body_size=10).max_body_size == 10
    environ = {**os.environ, "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": "2048"}
    assert load_hosted_app(tmp_path, auth=False, environ=environ).max_body_size == 2048
    environ["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"] = "big"
    with pytest.raises(SettingsError, match="FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"):
        load_hosted_app(tmp_path, auth=False, environ=environ)


def test_no_host_json_is_noted(tmp_path: Path) -> None:
    function(tmp_path, "F", http())
    assert any("no host.json" in note for note in load(tmp_path).notes)
