"""Registry: resolving (binding type, annotation), as workers do it for each parameter."""

from __future__ import annotations

from typing import Any

import azure.functions as func
import pytest

from funcbind.registry import default_registry
from funcbind.worker import WorkerRegistry

STOCK = func.get_binding_registry()
OURS = WorkerRegistry(default_registry())


def stock_lookup() -> bool:
    binding = STOCK.get("queueTrigger")
    return bool(binding.check_input_type_annotation(func.QueueMessage))


def funcbind_lookup() -> bool:
    binding = OURS.get("queueTrigger")
    assert binding is not None
    return binding.check_input_type_annotation(func.QueueMessage)


LOOKUPS = {"azure.functions": stock_lookup, "funcbind": funcbind_lookup}


@pytest.mark.benchmark(group="registry: get + check_input_type_annotation")
def test_lookup_and_check(benchmark: Any, impl: str) -> None:
    lookup = LOOKUPS[impl]
    if impl == "funcbind" and OURS.get("queueTrigger") is None:
        pytest.skip("the queue binding has not been registered yet")
    assert benchmark(lookup) is True


@pytest.mark.benchmark(group="registry: compiled decoder lookup (cached)")
def test_cached_compiled_lookup(benchmark: Any) -> None:
    registry = default_registry()
    registry.decoder("custom", dict)
    decoder = benchmark(registry.decoder, "custom", dict)
    assert decoder is registry.decoder("custom", dict)
