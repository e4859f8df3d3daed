"""Blob input annotations: at least what azure.functions accepts, alike in every path.

``blob`` and ``blobTrigger`` take ``str`` and ``bytes`` (azure.functions' check accepts
them), and ``Optional[bytes]``, ``bytes | None``, ``Optional[str]`` for an input blob that
may be missing (its decode gives None).  The same answer comes from the worker facade
(``check_input_type_annotation``, then ``decode`` with ``pytype``) and from funcbind's own
function loader.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, Optional

import azure.functions as func
import pytest

from funcbind import Datum, default_registry
from funcbind.loader import load_app
from funcbind.worker import WorkerRegistry

PLAIN: list[Any] = [str, bytes]
MAY_BE_MISSING: list[Any] = [Optional[bytes], bytes | None, Optional[str], str | None]
CONTENT = Datum(b"caf\xc3\xa9", "bytes")
MISSING = Datum(None, None)
EXPECTED = {bytes: b"caf\xc3\xa9", str: "café"}


def plain_type(annotation: Any) -> type:
    return bytes if annotation in (bytes, Optional[bytes], bytes | None) else str


@pytest.fixture(scope="module")
def worker() -> WorkerRegistry:
    return WorkerRegistry(default_registry())


@pytest.mark.parametrize("binding", ["blob", "blobTrigger"])
@pytest.mark.parametrize("annotation", PLAIN)
def test_the_stock_accepts_str_and_bytes_and_so_does_funcbind(
    worker: WorkerRegistry, binding: str, annotation: Any
) -> None:
    stock = func.get_binding_registry().get(binding)
    assert stock.check_input_type_annotation(annotation) is True
    ours = worker.get(binding)
    assert ours is not None
    assert ours.check_input_type_annotation(annotation) is True
    assert ours.decode(CONTENT, trigger_metadata={}, pytype=annotation) == EXPECTED[annotation]


@pytest.mark.parametrize("binding", ["blob", "blobTrigger"])
@pytest.mark.parametrize("annotation", MAY_BE_MISSING)
def test_an_input_blob_that_may_be_missing_through_the_facade(
    worker: WorkerRegistry, binding: str, annotation: Any
) -> None:
    ours = worker.get(binding)
    assert ours is not None
    assert ours.check_input_type_annotation(annotation) is True
    decoded = ours.decode(CONTENT, trigger_metadata={}, pytype=annotation)
    assert decoded == EXPECTED[plain_type(annotation)]
    assert ours.decode(MISSING, trigger_metadata={}, pytype=annotation) is None
    assert ours.decode(MISSING, trigger_metadata={}) is None  # no annotation: None as well


def _app(tmp_path: Path, annotation: str) -> Path:
    """An app with an HTTP function reading an input blob, and a blob-triggered one."""
    folders = {
        "ReadsBlob": [
            {"type": "httpTrigger", "direction": "in", "name": "req"},
            {"type": "http", "direction": "out", "name": "$return"},
            {"type": "blob", "direction": "in", "name": "data", "path": "c/{name}"},
        ],
        "OnBlob": [{"type": "blobTrigger", "direction": "in", "name": "data", "path": "c/{n}"}],
    }
    for folder, bindings in folders.items():
        directory = tmp_path / folder
        directory.mkdir(parents=True)
        (directory / "function.json").write_text(json.dumps({"bindings": bindings}))
        parameters = "req: func.HttpRequest, " if folder == "ReadsBlob" else ""
        (directory / "__init__.py").write_text(
            textwrap.dedent(
                f"""\
                from typing import Optional

                import azure.functions as func


                def main({parameters}data: {annotation}) -> None:
                    return None
                """
            )
        )
    (tmp_path / "host.json").write_text('{"version": "2.0"}')
    return tmp_path


@pytest.mark.parametrize(
    "annotation", ["str", "bytes", "Optional[bytes]", "bytes | None", "Optional[str]"]
)
def test_function_loading_accepts_them_alike(tmp_path: Path, annotation: str) -> None:
    app = load_app(_app(tmp_path, annotation), registry=default_registry())
    assert app.errors == {}
    expected = EXPECTED[bytes if annotation.startswith(("bytes", "Optional[bytes")) else str]
    for name in ("ReadsBlob", "OnBlob"):
        [param] = [p for p in app.functions[name].params if p.name == "data"]
        assert param.decoder is not None
        assert param.decoder(CONTENT, {} if name == "OnBlob" else None) == expected
        if "None" in annotation or "Optional" in annotation:
            assert param.decoder(MISSING, None) is None
