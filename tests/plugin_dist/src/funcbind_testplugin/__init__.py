"""A funcbind plugin used by the test suite: an ``echo`` binding type."""

from __future__ import annotations

from typing import Any

NOT_A_FUNCTION = 42


class EchoConverter:
    """Decodes any string datum into ``("echo", text)``; encodes str back."""

    directions = frozenset({"in", "out"})

    def decoder(self, spec: Any, binding: Any) -> Any:
        if spec.kind not in ("any", "class"):
            return None

        def decode(datum: Any, trigger_metadata: Any) -> Any:
            return ("echo", datum.value)

        return decode

    def encoder(self, spec: Any, binding: Any) -> Any:
        from funcbind import Datum

        return lambda value: Datum(str(value), "string")


def register(registry: Any) -> None:
    registry.register("echo", converter=EchoConverter(), trigger=True)


def register_raising(registry: Any) -> None:
    raise RuntimeError("this plugin always fails")
