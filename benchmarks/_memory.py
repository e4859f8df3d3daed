"""Peak-memory measurement for benchmarks, kept outside the timed loop."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

__all__ = ["peak_memory"]


def peak_memory(fn: Callable[[], object]) -> int:
    """Peak bytes allocated while ``fn()`` runs once, above what was live before the call.

    What ``fn`` returns is kept until the measurement ends, so it counts. Call this after
    the timed benchmark has run, so that imports and caches are already warm and do not
    show up as the operation's memory.
    """
    gc.collect()
    already_tracing = tracemalloc.is_tracing()
    if not already_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        if not already_tracing:
            tracemalloc.stop()
    return max(0, peak - before)
