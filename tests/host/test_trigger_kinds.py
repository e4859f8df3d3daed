"""Trigger kinds are plug-ins: one object in the table of triggers/kinds.py, and the app,
the listeners and the admin app use it -- compile, describe, listen, admin calls."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from funcbind.datum import Datum
from funcbind.function import FunctionPlan
from funcbind.host.app import load_hosted_app
from funcbind.host.asgi import HostApplication
from funcbind.host.console import Console
from funcbind.host.listeners import Listeners
from funcbind.host.model import HostedApp, HostedFunction, Outcome, Succeeded, new_invocation_id
from funcbind.host.runner import Runner
from funcbind.host.storage_bindings import StorageConfigError
from funcbind.host.triggers import kinds
from funcbind.invoke import invoke

pytestmark = pytest.mark.anyio

CODE = """\
def main(payload: str) -> None:
    if payload == "fail":
        raise ValueError("asked to fail")
"""


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


class ChimeListener:
    """Runs its function once with the configured word, then waits for the stop."""

    def __init__(self, function: HostedFunction, runner: Runner, outcomes: list[Outcome]) -> None:
        self.function = function
        self.runner = runner
        self.outcomes = outcomes

    async def run(self, stopping: asyncio.Event) -> None:
        word = Datum(self.function.trigger_config["word"], "string")
        inputs = {self.function.trigger_name: word}
        self.outcomes.append(
            await self.runner.run(self.function, inputs, None, new_invocation_id())
        )
        await stopping.wait()


class ChimeKind:
    """A made-up trigger kind: ``chimeTrigger`` with a ``word`` property."""

    binding_type = "chimeTrigger"
    admin_reads_storage = False

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    def compile(self, plan: FunctionPlan, settings: Mapping[str, str]) -> dict[str, str]:
        word = plan.trigger.properties.get("word")
        if not isinstance(word, str):
            raise StorageConfigError(f"binding {plan.trigger.name!r}: expected a word")
        return {"word": word}

    def describe(self, config: dict[str, str]) -> str:
        return f"chimes {config['word']!r}"

    def listener(
        self, app: HostedApp, function: HostedFunction, runner: Runner, console: Console
    ) -> ChimeListener:
        return ChimeListener(function, runner, self.outcomes)

    def admin_call(
        self, runner: Runner, function: HostedFunction, given: Any, invocation_id: str
    ) -> Awaitable[Outcome] | str:
        if not isinstance(given, str):
            return "expected a word as the input"
        inputs = {function.trigger_name: Datum(given.upper(), "string")}
        return runner.run(function, inputs, None, invocation_id)


def folder(root: Path, name: str, trigger: dict[str, Any]) -> None:
    (root / name).mkdir(parents=True)
    binding = {"name": "payload", "type": "chimeTrigger", "direction": "in", **trigger}
    (root / name / "function.json").write_text(json.dumps({"bindings": [binding]}))
    (root / name / "__init__.py").write_text(CODE)


@pytest.fixture
def chime(monkeypatch: pytest.MonkeyPatch) -> ChimeKind:
    kind = ChimeKind()
    monkeypatch.setitem(kinds.TRIGGER_KINDS, kind.binding_type, kind)  # type: ignore[arg-type]
    return kind


def test_the_table_holds_the_built_in_kinds() -> None:
    assert sorted(kinds.TRIGGER_KINDS) == [
        "blobTrigger",
        "eventGridTrigger",
        "queueTrigger",
        "timerTrigger",
        "warmupTrigger",
    ]
    for binding_type, kind in kinds.TRIGGER_KINDS.items():
        assert kind.binding_type == binding_type
    assert kinds.trigger_kind("httpTrigger") is None  # the ASGI app serves HTTP itself
    # Any other trigger: no local source, admin calls only, until a kind serves it.
    other = kinds.trigger_kind("serviceBusTrigger")
    assert other is not None and other.binding_type == "serviceBusTrigger"
    assert not other.admin_reads_storage


def test_a_kind_in_the_table_compiles_and_describes_its_trigger(
    tmp_path: Path, chime: ChimeKind
) -> None:
    folder(tmp_path, "Bell", {"word": "dong"})
    folder(tmp_path, "Mute", {})
    app = load_hosted_app(tmp_path, auth=False, environ=dict(os.environ))
    bell, mute = app.functions["Bell"], app.functions["Mute"]
    assert (bell.trigger_config, bell.trigger_detail) == ({"word": "dong"}, "chimes 'dong'")
    assert (bell.problem, bell.listener_problem) == (None, None)
    # A kind whose admin calls need no storage: the function still runs through admin.
    assert mute.listener_problem == "binding 'payload': expected a word"
    assert mute.problem is None


async def test_the_listeners_and_the_admin_app_go_through_the_kind(
    tmp_path: Path, chime: ChimeKind
) -> None:
    folder(tmp_path, "Bell", {"word": "dong"})
    folder(tmp_path, "Mute", {})
    app = load_hosted_app(tmp_path, auth=False, environ=dict(os.environ))
    runner = Runner(Console(Lines()), invoke, None)
    listeners = Listeners(app, runner, Console(Lines()))
    assert [listener.function.name for listener in listeners.items] == ["Bell"]
    await listeners.start()
    while not chime.outcomes:
        await asyncio.sleep(0.01)
    await listeners.stop()
    assert isinstance(chime.outcomes[0], Succeeded)

    application = HostApplication(app, console=Console(Lines()), auth=False)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
        refused = await client.post("/admin/functions/Mute", json={"input": 3})
        assert refused.status_code == 400
        assert refused.json()["error"] == "expected a word as the input"
        accepted = await client.post("/admin/functions/Mute", json={"input": "fail"})
        assert accepted.status_code == 202
        (task,) = application.admin.running
        await application.admin.drain()
    outcome = task.result()
    # The kind upper-cased the input: "FAIL" is not the word that fails.
    assert isinstance(outcome, Succeeded)
    assert outcome.invocation_id == accepted.json()["invocationId"]


@pytest.mark.parametrize("module", ["app", "asgi", "admin", "listeners", "console", "runner"])
def test_no_module_above_the_kinds_names_a_trigger_type(module: str) -> None:
    """Dispatch on trigger types happens in the kinds table only (HTTP aside: its name is
    model.HTTP_TRIGGER)."""
    path = Path(kinds.__file__).parents[1] / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    named = sorted(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[a-zA-Z]+Trigger", node.value)
    )
    assert not named, f"host/{module}.py names trigger types {named}; ask triggers.kinds"
