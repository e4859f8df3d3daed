"""Loading an app for serving: routes per function, clashes, auth levels, what cannot run."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from funcbind.host.app import load_hosted_app
from funcbind.host.model import HostedApp
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


DEV_STORAGE = {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}


def storage_app(root: Path) -> None:
    queue = {"name": "payload", "type": "queueTrigger", "direction": "in", "queueName": "Jobs"}
    blob_trigger = {
        "name": "payload",
        "type": "blobTrigger",
        "direction": "in",
        "path": "inbox/{name}.csv",
    }
    timer = {"name": "payload", "type": "timerTrigger", "direction": "in"}
    timer["schedule"] = "0 * * * * *"
    out_blob = {"name": "out", "type": "blob", "direction": "out", "path": "results/{name}"}
    cosmos = {"name": "doc", "type": "cosmosDB", "direction": "in"}
    function(root, "QueueOnly", [queue], PLAIN_CODE)
    function(root, "BlobTriggered", [blob_trigger], PLAIN_CODE)
    function(root, "Ticks", [timer], PLAIN_CODE)
    writes_blob = (
        "import azure.functions as f\n\ndef main(req, out: f.Out[str]):\n    return 'ok'\n"
    )
    function(root, "WritesBlob", [*http(), out_blob], writes_blob)
    function(root, "Cosmos", [*http(), cosmos], "def main(req, doc):\n    return 'ok'\n")


def test_storage_bindings_without_a_connection_setting(tmp_path: Path) -> None:
    storage_app(tmp_path)
    environ = {k: v for k, v in os.environ.items() if k != "AzureWebJobsStorage"}
    app = load_hosted_app(tmp_path, auth=False, environ=environ)
    queue_only = app.functions["QueueOnly"]
    # The admin endpoint can still run it (the call brings the payload); it cannot listen.
    assert queue_only.problem is None
    assert queue_only.listener_problem is not None
    assert "'AzureWebJobsStorage' is not set" in queue_only.listener_problem
    blob_problem = app.functions["BlobTriggered"].problem
    assert blob_problem is not None and "'AzureWebJobsStorage' is not set" in blob_problem
    problem = app.functions["WritesBlob"].problem
    assert problem is not None and problem.startswith("binding 'out' (blob): connection setting")
    cosmos_problem = app.functions["Cosmos"].problem
    assert cosmos_problem is not None and "not served by funcbind run" in cosmos_problem


def test_storage_bindings_and_triggers_compile_once(tmp_path: Path) -> None:
    storage_app(tmp_path)
    app = load_hosted_app(tmp_path, auth=False, environ={**os.environ, **DEV_STORAGE})
    assert all(
        f.problem is None and f.listener_problem is None
        for name, f in app.functions.items()
        if name != "Cosmos"
    )
    queue_only = app.functions["QueueOnly"]
    assert queue_only.trigger_config.queue == "jobs"  # queue names are lower-cased
    assert queue_only.trigger_detail == "queue jobs"
    blob = app.functions["BlobTriggered"].trigger_config
    assert (blob.pattern.container, blob.pattern.prefix) == ("inbox", "")
    assert blob.pattern.match("a.b.csv") == {"name": "a.b"}
    assert blob.pattern.match("a.txt") is None
    assert app.functions["Ticks"].trigger_detail == "schedule 0 * * * * *"
    storage = app.functions["WritesBlob"].storage
    assert storage is not None and not storage.inputs
    [output] = storage.outputs
    assert (output.name, output.template.text, output.setting) == (
        "out",
        "results/{name}",
        "AzureWebJobsStorage",
    )
    assert storage.needs_binding_data


BAD_STORAGE_BINDINGS = [
    ({"type": "blob", "direction": "out", "path": "results"}, "expected a blob path"),
    ({"type": "blob", "direction": "out"}, "expected 'path'"),
    ({"type": "blob", "direction": "in", "path": "Results/x"}, "expected a container name"),
    ({"type": "blob", "direction": "in", "path": "results/{id"}, "expected a closing '}'"),
    ({"type": "blob", "direction": "in", "path": "results/{a b}"}, "expected a name"),
    ({"type": "blob", "direction": "in", "path": "%NoSuchSetting%/x"}, "%NoSuchSetting%"),
    ({"type": "queue", "direction": "out", "queueName": "q"}, "expected a queue name"),
]


@pytest.mark.parametrize(("binding", "message"), BAD_STORAGE_BINDINGS)
def test_a_storage_binding_that_cannot_work_is_a_problem_of_its_function(
    tmp_path: Path, binding: dict[str, Any], message: str
) -> None:
    annotation = ": f.Out[str]" if binding["direction"] == "out" else ""
    code = f"import azure.functions as f\n\ndef main(req, other{annotation}):\n    return 'ok'\n"
    function(tmp_path, "F", [*http(), {"name": "other", **binding}], code)
    app = load_hosted_app(tmp_path, auth=False, environ={**os.environ, **DEV_STORAGE})
    problem = app.functions["F"].problem
    assert problem is not None and message in problem
    assert "binding 'other'" in problem


BAD_TRIGGERS = [
    ({"type": "queueTrigger", "queueName": "q"}, "expected a queue name of 3-56"),
    ({"type": "queueTrigger", "queueName": "jobs-{x}"}, "expected a fixed queue name"),
    ({"type": "timerTrigger", "schedule": "every minute"}, "six NCRONTAB fields"),
    ({"type": "timerTrigger", "schedule": "0 99 * * * *"}, "is not valid"),
    ({"type": "timerTrigger", "schedule": "%NoSchedule%"}, "%NoSchedule%"),
    ({"type": "timerTrigger", "schedule": "-00:00:05"}, "expected a positive time span"),
    ({"type": "timerTrigger", "schedule": "00:00:05", "useMonitor": "maybe"}, "useMonitor"),
]


@pytest.mark.parametrize(("trigger", "message"), BAD_TRIGGERS)
def test_a_trigger_that_cannot_listen_leaves_admin_calls_working(
    tmp_path: Path, trigger: dict[str, Any], message: str
) -> None:
    function(tmp_path, "F", [{"name": "payload", "direction": "in", **trigger}], PLAIN_CODE)
    app = load_hosted_app(tmp_path, auth=False, environ={**os.environ, **DEV_STORAGE})
    hosted = app.functions["F"]
    assert hosted.problem is None
    assert hosted.listener_problem is not None and message in hosted.listener_problem
    assert hosted.trigger_config is None


def test_a_blob_trigger_path_needs_a_fixed_container(tmp_path: Path) -> None:
    trigger = {"name": "payload", "type": "blobTrigger", "direction": "in", "path": "{c}/x"}
    function(tmp_path, "F", [trigger], PLAIN_CODE)
    app = load_hosted_app(tmp_path, auth=False, environ={**os.environ, **DEV_STORAGE})
    problem = app.functions["F"].problem
    assert problem is not None and "fixed container name" in problem


def test_host_id_comes_from_the_setting_or_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "My App_1"
    function(root, "F", http())
    assert load(root).host_id == "my-app-1"
    environ = {**os.environ, "AzureFunctionsWebHost__hostid": "Custom.Host"}
    assert load_hosted_app(root, auth=False, environ=environ).host_id == "custom-host"


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ("TEST-FUNCTIONS--", "test-functions"),
        ("TEST-FUNCTIONS-" + "X" * 60, "test-functions-xxxxxxxxxxxxxxxxx"),
        # The 32nd character is a '-': cut, then trimmed, as the host does.
        ("TEST-FUNCTIONS-XXXXXXXXXXXXXXXX-XXXX", "test-functions-xxxxxxxxxxxxxxxx"),
    ],
)
def test_host_id_from_the_site_name_as_the_host_derives_it(
    tmp_path: Path, site: str, expected: str
) -> None:
    root = tmp_path / "folder"
    function(root, "F", http())
    environ = {**os.environ, "WEBSITE_SITE_NAME": site}
    environ.pop("AzureFunctionsWebHost__hostid", None)
    assert load_hosted_app(root, auth=False, environ=environ).host_id == expected
    environ["AzureFunctionsWebHost__hostid"] = "explicit"
    assert load_hosted_app(root, auth=False, environ=environ).host_id == "explicit"


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
