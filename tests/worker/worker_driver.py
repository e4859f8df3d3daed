"""Drive the real Python worker library (``azure-functions-runtime``) as the host would.

The host talks to a worker over one gRPC stream of ``StreamingMessage``s; the worker's
dispatcher hands each request to a coroutine of ``azure_functions_runtime.handle_event``
as an object with ``.name``, ``.request`` (the ``StreamingMessage``) and ``.properties``
(``{"host": ..., "protos": <the message classes>}``).  :func:`run_app` does exactly that,
in the host's order: worker init (which loads the binding registry with
``azure.functions.get_binding_registry()`` and indexes ``function_app.py``), function
metadata, one function load per function, then the invocations.

The library keeps module-level state (the indexed functions, the metadata, the binding
registry); :func:`run_app` starts each run from a clean slate so that two runs in one
process (stock registry, then funcbind's) do not see each other.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INVOCATIONS_FILE = Path(__file__).with_name("invocations.json")
APP_DIR = Path(__file__).with_name("app")
SCRIPT = "function_app.py"
SCRIPT_SETTING = "PYTHON_SCRIPT_FILE_NAME"

# What the host advertises in WorkerInitRequest.capabilities for a Python worker.
HOST_CAPABILITIES = {"RpcHttpBodyOnly": "true", "RawHttpBodyBytes": "true"}


@dataclass
class HostRequest:
    """The request object the worker's dispatcher passes to each handle_event coroutine."""

    name: str
    request: Any
    properties: dict[str, Any]


@dataclass
class Run:
    """Everything the worker answered during one run of the app."""

    init: Any
    metadata: Any
    loads: dict[str, Any] = field(default_factory=dict)
    invocations: dict[str, Any] = field(default_factory=dict)  # by invocation id

    @property
    def function_ids(self) -> dict[str, str]:
        return {fm.name: fm.function_id for fm in self.metadata.function_metadata_results}


def load_invocations(protos: Any, path: Path = INVOCATIONS_FILE) -> list[tuple[str, Any]]:
    """(function name, InvocationRequest) pairs from invocations.json (or ``path``).

    The requests are protobuf's JSON form of InvocationRequest, plus one convenience:
    a TypedData written ``{"bytes_utf8": "text"}`` carries the UTF-8 bytes of the text
    (protobuf JSON would want base64).
    """
    from google.protobuf import json_format

    cases = json.loads(path.read_text(encoding="utf-8"))
    requests = []
    for case in cases:
        request = _expand_utf8_bytes(case["request"])
        message = json_format.ParseDict(request, protos.InvocationRequest())
        requests.append((case["function"], message))
    return requests


def _expand_utf8_bytes(node: Any) -> Any:
    if isinstance(node, dict):
        if "bytes_utf8" in node:
            raw = node["bytes_utf8"].encode("utf-8")
            return {"bytes": base64.b64encode(raw).decode("ascii")}
        return {key: _expand_utf8_bytes(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_expand_utf8_bytes(item) for item in node]
    return node


def run_app(
    protos: Any,
    invocations: list[tuple[str, Any]],
    app_dir: Path = APP_DIR,
    script: str = SCRIPT,
) -> Run:
    """Run the whole host conversation for one app; returns the worker's answers.

    The app folder goes on ``sys.path`` for the run, as the worker's dispatcher puts it
    there before it calls the library; ``script`` is the app setting
    PYTHON_SCRIPT_FILE_NAME (the worker's default: function_app.py).
    """
    with app_in_place(app_dir, script):
        return asyncio.run(_converse(protos, invocations, app_dir))


@contextlib.contextmanager
def app_in_place(app_dir: Path = APP_DIR, script: str = SCRIPT) -> Iterator[None]:
    """The app folder on ``sys.path`` and PYTHON_SCRIPT_FILE_NAME set, for one run."""
    sys.path.insert(0, str(app_dir))
    sys.modules.pop(Path(script).stem, None)  # another test's app of the same name
    previous = os.environ.get(SCRIPT_SETTING)
    os.environ[SCRIPT_SETTING] = script
    try:
        yield
    finally:
        sys.path.remove(str(app_dir))
        sys.modules.pop(Path(script).stem, None)
        if previous is None:
            del os.environ[SCRIPT_SETTING]
        else:
            os.environ[SCRIPT_SETTING] = previous


def reset_worker_state() -> None:
    """Forget what a previous run indexed and loaded (module globals of the library)."""
    from azure_functions_runtime import functions, handle_event
    from azure_functions_runtime.bindings import meta

    handle_event._functions = functions.Registry()
    handle_event._metadata_result = None
    meta.BINDING_REGISTRY = None


async def _converse(protos: Any, invocations: list[tuple[str, Any]], app_dir: Path) -> Run:
    worker = await start_worker(protos, app_dir)
    for function_name, invocation in invocations:
        message = worker.invocation(function_name, invocation)
        worker.run.invocations[message.invocation_id] = await worker.invoke(message)
    return worker.run


@dataclass
class LoadedWorker:
    """The worker library after init, metadata and every function load: ready to invoke."""

    run: Run
    protos: Any
    properties: dict[str, Any]

    def invocation(self, function_name: str, invocation: Any) -> Any:
        """A copy of an InvocationRequest addressed to the function's id in this run."""
        message = self.protos.InvocationRequest()
        message.CopyFrom(invocation)
        ids = self.run.function_ids
        message.function_id = ids.get(function_name, f"<unknown function {function_name}>")
        return message

    async def invoke(self, message: Any) -> Any:
        """One InvocationRequest through the library's handler; its InvocationResponse."""
        from azure_functions_runtime import handle_event

        return await handle_event.invocation_request(
            HostRequest(
                "invocation_request",
                self.protos.StreamingMessage(invocation_request=message),
                self.properties,
            )
        )


async def start_worker(protos: Any, app_dir: Path) -> LoadedWorker:
    """Worker init, function metadata and one load per function, from a clean slate.

    The app folder must be on ``sys.path`` and PYTHON_SCRIPT_FILE_NAME set (as
    :func:`run_app` does); the binding registry is whatever
    ``azure.functions.get_binding_registry()`` returns during worker init.
    """
    from azure_functions_runtime import handle_event

    reset_worker_state()
    properties = {"host": "127.0.0.1", "protos": protos}

    def request(name: str, **content: Any) -> HostRequest:
        return HostRequest(name, protos.StreamingMessage(**content), properties)

    init = await handle_event.worker_init_request(
        request(
            "worker_init_request",
            worker_init_request=protos.WorkerInitRequest(
                host_version="4.1040.0",
                capabilities=HOST_CAPABILITIES,
                worker_directory=str(app_dir),
                function_app_directory=str(app_dir),
            ),
        )
    )
    metadata = await handle_event.functions_metadata_request(
        request(
            "functions_metadata_request",
            functions_metadata_request=protos.FunctionsMetadataRequest(
                function_app_directory=str(app_dir)
            ),
        )
    )
    run = Run(init=init, metadata=metadata)
    for function_metadata in metadata.function_metadata_results:
        run.loads[function_metadata.name] = await handle_event.function_load_request(
            request(
                "function_load_request",
                function_load_request=protos.FunctionLoadRequest(
                    function_id=function_metadata.function_id, metadata=function_metadata
                ),
            )
        )
    return LoadedWorker(run, protos, properties)
