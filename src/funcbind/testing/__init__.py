"""Testing function apps: the host in your test's process, realistic events, direct calls.

- :class:`FunctionAppClient` (and :class:`AsyncFunctionAppClient`) load an app exactly
  as ``funcbind run`` does and serve it in-process: HTTP through ``httpx`` with no
  socket, any trigger through :meth:`~FunctionAppClient.invoke`, storage on a real
  Azurite, the real trigger listeners in :meth:`~FunctionAppClient.listening`.
  Each invocation is an :class:`Invocation`.
- :mod:`funcbind.testing.events`: builders of the payload and metadata the host sends.
- :func:`call`, :func:`http_request`, ...: call the user's function yourself with
  objects made by the real converters.
- ``funcbind.testing.pytest_plugin`` (registered through ``pytest11``): the fixtures
  ``function_app``, ``azurite`` and ``events``.

Importing this package is light: each name loads its module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import events
    from .client import AsyncFunctionAppClient, FunctionAppClient
    from .direct import (
        CallError,
        acall,
        call,
        http_request,
        input_stream,
        queue_message,
        timer_request,
    )
    from .invocation import Invocation
    from .storage import AzuriteSession

__all__ = [
    "AsyncFunctionAppClient",
    "AzuriteSession",
    "CallError",
    "FunctionAppClient",
    "Invocation",
    "acall",
    "call",
    "events",
    "http_request",
    "input_stream",
    "queue_message",
    "timer_request",
]

_HOMES = {
    "AsyncFunctionAppClient": "client",
    "FunctionAppClient": "client",
    "Invocation": "invocation",
    "AzuriteSession": "storage",
    "CallError": "direct",
    "acall": "direct",
    "call": "direct",
    "http_request": "direct",
    "input_stream": "direct",
    "queue_message": "direct",
    "timer_request": "direct",
}


def __getattr__(name: str) -> Any:
    if name == "events":
        return importlib.import_module(f"{__name__}.events")
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
