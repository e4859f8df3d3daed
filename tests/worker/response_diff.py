"""Field-by-field comparison of protobuf messages, with documented improvements allowed.

:func:`leaves` flattens a message into ``{path: value}`` over the fields that are set
(``return_value.http.cookies[0].domain.value``, ``output_data[1].data.json``...), enum
values by name, so that two messages compare as two dicts and every difference has a
readable address.  :func:`compare` matches each difference against the improvements a
test declares; what no improvement explains is a failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

ABSENT = "<absent>"


def leaves(message: Any, prefix: str = "") -> dict[str, Any]:
    """Every set scalar of a message, keyed by its path."""
    return dict(_walk(message, prefix))


def _walk(message: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    for descriptor, value in message.ListFields():
        path = f"{prefix}{descriptor.name}"
        if _is_map(descriptor):
            value_field = descriptor.message_type.fields_by_name["value"]
            for key in sorted(value):
                yield from _leaf_or_walk(value_field, value[key], f"{path}[{key!r}]")
        elif descriptor.label == descriptor.LABEL_REPEATED:
            for index, item in enumerate(value):
                yield from _leaf_or_walk(descriptor, item, f"{path}[{index}]")
        else:
            yield from _leaf_or_walk(descriptor, value, path)


def _leaf_or_walk(descriptor: Any, value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if descriptor.message_type is not None:
        children = list(_walk(value, f"{path}."))
        # A message that is set but empty (NullableString() with no value) still counts.
        yield from children or [(path, "<empty message>")]
    elif descriptor.enum_type is not None:
        yield path, descriptor.enum_type.values_by_number[value].name
    else:
        yield path, value


def _is_map(descriptor: Any) -> bool:
    message_type = descriptor.message_type
    return message_type is not None and message_type.GetOptions().map_entry


@dataclass(frozen=True)
class Improvement:
    """A documented difference: in these invocations, at paths matching this pattern.

    ``id`` is the entry of docs/compatibility.md that explains it.
    """

    id: str
    invocations: frozenset[str]
    path_pattern: str

    def explains(self, invocation: str, path: str) -> bool:
        return invocation in self.invocations and re.fullmatch(self.path_pattern, path) is not None


@dataclass(frozen=True)
class Difference:
    invocation: str
    path: str
    stock: Any
    funcbind: Any
    improvement: str | None

    def __str__(self) -> str:
        why = f" (documented: {self.improvement})" if self.improvement else " (UNEXPLAINED)"
        return (
            f"{self.invocation}: {self.path}: stock {_show(self.stock)} vs funcbind "
            f"{_show(self.funcbind)}{why}"
        )


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return repr(value.decode("utf-8", "replace"))
    text = repr(value)
    return text if len(text) < 300 else text[:297] + "..."


def compare(
    stock: dict[str, Any],
    funcbind: dict[str, Any],
    improvements: Iterable[Improvement] = (),
) -> list[Difference]:
    """Differences between two sets of messages keyed by invocation (or step) name."""
    declared = list(improvements)
    differences = []
    for invocation in sorted(set(stock) | set(funcbind)):
        left = leaves(stock[invocation]) if invocation in stock else {}
        right = leaves(funcbind[invocation]) if invocation in funcbind else {}
        for path in sorted(set(left) | set(right)):
            before, after = left.get(path, ABSENT), right.get(path, ABSENT)
            if before == after:
                continue
            reason = next((i.id for i in declared if i.explains(invocation, path)), None)
            differences.append(Difference(invocation, path, before, after, reason))
    return differences
