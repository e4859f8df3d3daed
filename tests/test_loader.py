"""Loading apps: function.json folders, function_app.py, and keeping apps apart (funcbind.loader).

The fixture apps under tests/fixtures/apps use custom binding types only (served by
the generic converter), so loading is tested apart from the binding families.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funcbind import FunctionLoadError, Registry
from funcbind.bindings import generic
from funcbind.loader import app_package_name, load_app, load_function_folder

APPS = Path(__file__).parent / "fixtures" / "apps"


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    generic.register(registry)
    return registry


def errors_of(app_dir: Path, registry: Registry) -> dict[str, str]:
    app = load_app(app_dir, registry=registry)
    return {name: str(error) for name, error in app.errors.items()}


# -- a valid app with both programming models ------------------------------------------------


def test_mixed_app_loads_folders_and_decorated_functions(registry: Registry) -> None:
    app = load_app(APPS / "mixed", registry=registry)
    assert app.errors == {}
    assert app.ok
    assert sorted(app.functions) == ["Custom", "Disabled", "Echo", "decorated", "from_blueprint"]
    assert app.directory == (APPS / "mixed").resolve()
    assert app.registry is registry


def test_folder_defaults_and_properties(registry: Registry) -> None:
    plan = load_app(APPS / "mixed", registry=registry).functions["Echo"]
    assert plan.name == "Echo"
    assert plan.directory == (APPS / "mixed" / "Echo").resolve()
    assert plan.script_file == str((APPS / "mixed" / "Echo" / "__init__.py").resolve())
    assert plan.entry_point == "main"
    assert not plan.disabled and not plan.is_async
    assert plan.trigger.type == "customTrigger"
    assert plan.trigger.data_type == "string"
    assert plan.trigger.properties == {"source": "tests"}
    # Absolute imports of the app's own packages and relative imports inside a function.
    assert plan.function(item="x") == "mixed:x!"


def test_custom_script_file_and_entry_point(registry: Registry) -> None:
    plan = load_app(APPS / "mixed", registry=registry).functions["Custom"]
    assert plan.entry_point == "go"
    assert plan.script_file.endswith("run.py")
    assert plan.function.__name__ == "go"
    assert plan.context_parameter == "context"


def test_disabled_is_reported_not_dropped(registry: Registry) -> None:
    assert load_app(APPS / "mixed", registry=registry).functions["Disabled"].disabled


def test_decorated_functions_and_blueprints(registry: Registry) -> None:
    app = load_app(APPS / "mixed", registry=registry)
    decorated = app.functions["decorated"]
    assert decorated.entry_point == "decorated_function"
    assert decorated.directory == app.directory
    assert decorated.script_file == str(app.directory / "function_app.py")
    assert decorated.trigger.name == "item"
    assert decorated.trigger.direction == "in"  # the decorators' "IN" enum, as function.json says
    assert decorated.trigger.data_type == "string"
    assert decorated.return_binding is not None and decorated.return_binding.type == "custom"
    assert decorated.function(item="abc") == "cba"

    blueprint = app.functions["from_blueprint"]
    assert [(b.name, b.direction) for b in blueprint.bindings] == [("out", "out"), ("item", "in")]
    assert list(blueprint.outputs) == ["out"]


def test_modules_live_in_the_apps_private_package(registry: Registry) -> None:
    app = load_app(APPS / "mixed", registry=registry)
    package = app_package_name(app.directory)
    assert app.package == package
    assert app.functions["Echo"].function.__module__ == f"{package}.Echo"
    assert app.functions["Custom"].function.__module__ == f"{package}.Custom.run"
    assert app.functions["decorated"].function.__module__ == f"{package}.function_app"
    assert str(app.directory) not in sys.path  # only while importing


def test_load_function_folder(registry: Registry) -> None:
    plan = load_function_folder(APPS / "mixed" / "Echo", registry=registry)
    assert plan.name == "Echo"
    assert plan.function(item="y") == "mixed:y!"


def test_load_function_folder_raises(registry: Registry) -> None:
    with pytest.raises(FunctionLoadError, match="function 'Unbound': parameter 'extra' has no"):
        load_function_folder(APPS / "broken" / "Unbound", registry=registry)
    with pytest.raises(
        FunctionLoadError, match=r"expected a function folder holding function\.json"
    ):
        load_function_folder(APPS / "mixed" / "shared_code", registry=registry)


def test_default_registry_is_used_without_one() -> None:
    app = load_app(APPS / "mixed")
    assert "generic" in app.registry
    assert app.ok


def test_a_missing_app_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(FunctionLoadError, match="expected an app directory"):
        load_app(tmp_path / "nope")


def test_an_empty_directory_is_an_empty_app(tmp_path: Path, registry: Registry) -> None:
    app = load_app(tmp_path, registry=registry)
    assert app.functions == {} and app.errors == {}


# -- broken functions are reported, the others load --------------------------------------------

BROKEN = {
    "BadJson": "function.json is not valid JSON: Expecting value at line 1, column 15",
    "NotObject": "function.json: expected a JSON object at the top level, got list",
    "NoBindings": 'function.json has no "bindings" list; declare at least the trigger',
    "MissingScript": "scriptFile '__init__.py' not found in ",
    "ImportFails": (
        "importing __init__.py failed: ModuleNotFoundError: No module named "
        "'funcbind_no_such_module_xyz' (at "
    ),
    "RaisesOnImport": "importing __init__.py failed: KeyError: ",
    "NoEntry": (
        "entryPoint 'main' not found in __init__.py; functions defined there: handler, other; "
        'define def main(...) there or set "entryPoint" in function.json'
    ),
    "NotCallable": "entryPoint 'main' in __init__.py must be a function, got int",
    "Unbound": "parameter 'extra' has no binding",
    "Outside": "scriptFile must be inside the app directory",
    "NotPython": "expected scriptFile to be a Python file (.py), got 'NotPython/index.js'",
    "BadDisabled": "function.json: expected \"disabled\" to be true or false, got 'maybe'",
    "BadEntryPoint": 'function.json: expected "entryPoint" to be a non-empty string, got 7',
}


def test_each_broken_function_is_explained(registry: Registry) -> None:
    app = load_app(APPS / "broken", registry=registry)
    assert list(app.functions) == ["Good"]
    assert set(app.errors) == {*BROKEN, "function_app.py"}
    for name, expected in BROKEN.items():
        message = str(app.errors[name])
        assert message.startswith(f"function {name!r}: "), message
        assert expected in message, message
    assert not app.ok


def test_import_errors_point_at_the_users_line(registry: Registry) -> None:
    errors = errors_of(APPS / "broken", registry)
    assert errors["ImportFails"].endswith("ImportFails/__init__.py:1)")
    assert errors["RaisesOnImport"].endswith("RaisesOnImport/__init__.py:3)")
    app = load_app(APPS / "broken", registry=registry)
    assert isinstance(app.errors["ImportFails"].__cause__, ModuleNotFoundError)


def test_syntax_errors_point_at_the_line(tmp_path: Path, registry: Registry) -> None:
    folder = tmp_path / "Broken"
    folder.mkdir()
    (folder / "function.json").write_text(
        '{"bindings": [{"name": "item", "type": "customTrigger", "direction": "in"}]}'
    )
    (folder / "__init__.py").write_text("import os\n\ndef main(:\n    pass\n")
    message = errors_of(tmp_path, registry)["Broken"]
    assert "importing __init__.py failed: SyntaxError: " in message
    assert message.endswith("__init__.py:3)")


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=60) | st.text(max_size=60).map(str.encode))
def test_any_function_json_bytes_load_or_are_explained(content: bytes) -> None:
    registry = Registry()
    generic.register(registry)
    with tempfile.TemporaryDirectory() as app_dir:
        folder = Path(app_dir) / "Fuzzed"
        folder.mkdir()
        (folder / "function.json").write_bytes(content)
        (folder / "__init__.py").write_text("def main(item):\n    pass\n")
        app = load_app(app_dir, registry=registry)
    assert set(app.functions) | set(app.errors) == {"Fuzzed"}
    if app.errors:
        assert str(app.errors["Fuzzed"]).startswith("function 'Fuzzed': ")


def test_a_byte_order_mark_is_accepted(tmp_path: Path, registry: Registry) -> None:
    folder = tmp_path / "Bom"
    folder.mkdir()
    (folder / "function.json").write_bytes(
        b'\xef\xbb\xbf{"bindings": [{"name": "item", "type": "customTrigger", "direction": "in"}]}'
    )
    (folder / "__init__.py").write_text("def main(item):\n    pass\n")
    assert load_app(tmp_path, registry=registry).ok


def test_a_script_without_function_app(registry: Registry) -> None:
    assert errors_of(APPS / "broken", registry)["function_app.py"] == (
        "function_app.py defines no azure.functions.FunctionApp; create one at module level "
        "(app = func.FunctionApp()) and decorate the functions with it"
    )


def test_a_script_that_fails_to_import(registry: Registry) -> None:
    message = errors_of(APPS / "v2_import_error", registry)["function_app.py"]
    assert message.startswith(
        "importing function_app.py failed: RuntimeError: the app's configuration is missing (at "
    )
    assert message.endswith("function_app.py:5)")


def test_two_function_apps_in_one_script(registry: Registry) -> None:
    message = errors_of(APPS / "v2_two_apps", registry)["function_app.py"]
    assert "defines 2 FunctionApp instances (app, other); keep one" in message


def test_the_decorators_own_checks_are_reported(registry: Registry) -> None:
    message = errors_of(APPS / "v2_no_trigger", registry)["function_app.py"]
    assert message.startswith("function_app.py: Function lonely does not have a trigger")


def test_one_bad_decorated_function_does_not_stop_the_others(registry: Registry) -> None:
    app = load_app(APPS / "v2_partly_broken", registry=registry)
    assert list(app.functions) == ["healthy"]
    assert str(app.errors["mismatched"]) == (
        "function 'mismatched': parameter 'message' has no binding; add a binding named "
        "'message' or remove the parameter (only 'context' needs no binding)"
    )


def test_a_name_used_by_a_folder_and_a_decorated_function(registry: Registry) -> None:
    app = load_app(APPS / "v2_duplicate", registry=registry)
    assert app.functions["same"].function(item="") == "folder"
    assert "the name is already used by the function folder 'same'" in str(
        app.errors["same (function_app.py)"]
    )


# -- keeping apps apart ------------------------------------------------------------------------


def test_two_apps_with_the_same_module_names_stay_apart(registry: Registry) -> None:
    app_a = load_app(APPS / "twin_a", registry=registry)
    app_b = load_app(APPS / "twin_b", registry=registry)
    assert app_a.package != app_b.package
    assert app_a.functions["Hello"].function(item="") == "a"
    assert app_a.functions["hello_v2"].function(item="") == "a"
    assert app_b.functions["Hello"].function(item="") == "b"
    assert app_b.functions["hello_v2"].function(item="") == "b"
    # Each app's own 'shared' is reachable through its package; the last loaded owns the name.
    assert sys.modules[f"{app_a.package}.shared"].WHO == "a"
    assert sys.modules[f"{app_b.package}.shared"].WHO == "b"
    assert sys.modules["shared"].WHO == "b"
    # Loading A again imports A's own module again, not B's.
    again = load_app(APPS / "twin_a", registry=registry)
    assert again.functions["Hello"].function(item="") == "a"
    assert sys.modules["shared"].WHO == "a"


def test_reloading_reads_edited_code(tmp_path: Path, registry: Registry) -> None:
    app_dir = tmp_path / "app"
    shutil.copytree(APPS / "twin_a", app_dir)
    first = load_app(app_dir, registry=registry)
    (app_dir / "Hello" / "__init__.py").write_text(
        "def main(item: str) -> str:\n    return 'edited'\n"
    )
    (app_dir / "shared.py").write_text('WHO = "edited too"\n')
    second = load_app(app_dir, registry=registry)
    assert first.functions["Hello"].function(item="") == "a"
    assert second.functions["Hello"].function(item="") == "edited"
    assert second.functions["hello_v2"].function(item="") == "edited too"


@pytest.mark.parametrize(
    ("library", "stays_on_path"),
    [
        (".venv/lib/python3.11/site-packages", False),  # func init / VS Code
        (".python_packages/lib/site-packages", False),  # Azure's deployment layout
        ("vendor/dist-packages", False),
        ("libs", True),  # any other sys.path entry nested in the app directory
    ],
)
def test_packages_installed_inside_the_app_are_not_its_code(
    tmp_path: Path,
    registry: Registry,
    library: str,
    stays_on_path: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app_dir = tmp_path / "app"
    shutil.copytree(APPS / "twin_a", app_dir)
    site = app_dir / library
    site.mkdir(parents=True)
    module_name = f"thirdparty_{tmp_path.name.replace('-', '_')}"
    (site / f"{module_name}.py").write_text("class Model:\n    pass\n")
    forget = "" if stays_on_path else f"sys.path.remove({str(site)!r})\n"
    (app_dir / "shared.py").write_text(
        f"import sys\nsys.path.append({str(site)!r})\nimport {module_name}\n{forget}WHO = 'a'\n"
    )
    monkeypatch.setattr(sys, "path", list(sys.path))

    first = load_app(app_dir, registry=registry)
    library_module = sys.modules[module_name]
    second = load_app(app_dir, registry=registry)

    assert first.ok and second.ok
    # Imported once, never executed again: the reload keeps the very module object (and
    # so the identity of its classes), and the module is not taken into the app's package.
    assert sys.modules[module_name] is library_module
    assert f"{first.package}.{module_name}" not in sys.modules
    # The app's own module is still the app's.
    assert f"{first.package}.shared" in sys.modules
    del sys.modules[module_name]


# -- read as the host reads them ----------------------------------------------------------------


def test_function_json_with_comments_and_trailing_commas(
    tmp_path: Path, registry: Registry
) -> None:
    folder = tmp_path / "Commented"
    folder.mkdir()
    (folder / "function.json").write_text(
        '{\n  // the one binding\n  "bindings": [\n    {"name": "item", "type": "customTrigger",'
        ' "direction": "in",}, /* trailing */\n  ],\n}'
    )
    (folder / "__init__.py").write_text("def main(item):\n    pass\n")
    app = load_app(tmp_path, registry=registry)
    assert app.ok, app.errors
    assert set(app.functions) == {"Commented"}


def _v2_script(folder: Path, name: str) -> None:
    (folder / name).write_text(
        "import azure.functions as func\n"
        "app = func.FunctionApp()\n\n"
        "@app.route(route='hi')\n"
        "def hi(req: func.HttpRequest) -> str:\n"
        "    return 'hi'\n"
    )


def test_the_script_file_setting_names_the_decorator_script(tmp_path: Path) -> None:
    _v2_script(tmp_path, "main_app.py")
    assert set(load_app(tmp_path, script_file="main_app.py").functions) == {"hi"}
    assert load_app(tmp_path).functions == {}  # function_app.py is the default


@pytest.mark.parametrize(
    ("script_file", "message"),
    [
        ("missing.py", "names 'missing.py' as the decorator script, but the app folder"),
        ("sub/app.py", "expected the file name of a .py file in the app folder"),
        ("app.txt", "expected the file name of a .py file in the app folder"),
    ],
)
def test_a_script_file_setting_that_names_no_script(
    tmp_path: Path, registry: Registry, script_file: str, message: str
) -> None:
    app = load_app(tmp_path, registry=registry, script_file=script_file)
    assert message in str(app.errors[script_file])
    assert "PYTHON_SCRIPT_FILE_NAME" in str(app.errors[script_file])
