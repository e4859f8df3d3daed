"""What the console says when the host itself refuses an invocation before the call:
one line with the reason, no traceback (an unsafe value is the client's mistake)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from funcbind.datum import Datum
from funcbind.host.app import load_hosted_app
from funcbind.host.console import Console
from funcbind.host.model import Failed
from funcbind.host.runner import Runner
from funcbind.invoke import invoke

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Lines:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


async def test_an_unsafe_binding_value_is_one_console_line(tmp_path: Path) -> None:
    bindings = [
        {"name": "payload", "type": "customTrigger", "direction": "in"},
        {
            "name": "content",
            "type": "blob",
            "direction": "in",
            "path": "files/{name}",
            "connection": "AzureWebJobsStorage",
        },
    ]
    (tmp_path / "Reader").mkdir()
    (tmp_path / "Reader" / "function.json").write_text(json.dumps({"bindings": bindings}))
    (tmp_path / "Reader" / "__init__.py").write_text("def main(payload, content):\n    pass\n")
    environ = {**os.environ, "AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    app = load_hosted_app(tmp_path, auth=False, environ=environ)
    lines = Lines()
    runner = Runner(Console(lines), invoke, None)
    metadata = {"name": Datum("../escape", "string")}
    outcome = await runner.run(
        app.functions["Reader"], {"payload": Datum("x", "string")}, metadata, "id-1"
    )
    assert isinstance(outcome, Failed) and outcome.stage == "decode"
    assert "Traceback" not in lines.text
    assert len(lines.text.strip().splitlines()) == 1
    assert "Reader (id-1) failed after" in lines.text
    assert "binding 'content'" in lines.text
