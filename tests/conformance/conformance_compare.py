"""Running one conformance case and judging its mismatches.

:func:`compare_case` observes a case through both implementations
(``conformance_support.observe``), collects every :class:`Mismatch`, and asks the
documented differences (``conformance_differences.DIFFERENCES``) to explain each.
Where azure.functions failed and funcbind got further, what funcbind does must still
be clear: a funcbind error naming the binding, or what the standard library raises.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance_support import (
    DECODE,
    ENCODE,
    INSTANCE,
    Case,
    Outcome,
    funcbind_binding,
    is_clear_error,
    observe,
    same,
    stock_binding,
)


@dataclass(frozen=True)
class Mismatch:
    binding: str
    member: str
    stock: Outcome | None  # None: not observed (that side failed to decode or encode)
    funcbind: Outcome | None
    case: Case
    ours: dict[str, Outcome] = field(default_factory=dict, compare=False)  # all observations

    def __str__(self) -> str:
        return (
            f"{self.binding} {self.case.id!r}, {self.member}:\n"
            f"    azure.functions: {self.stock!r}\n    funcbind:        {self.funcbind!r}"
        )

    @property
    def stock_error(self) -> BaseException | None:
        return None if self.stock is None else self.stock.error

    @property
    def funcbind_error(self) -> BaseException | None:
        return None if self.funcbind is None else self.funcbind.error

    def stock_ok(self) -> bool:
        return self.stock is not None and self.stock.ok

    def funcbind_ok(self) -> bool:
        return self.funcbind is not None and self.funcbind.ok


@dataclass(frozen=True)
class Difference:
    """``explains`` judges one mismatch; ``normalise`` (wire-level differences that can
    combine) rewrites the stock wire form the documented way, or gives None."""

    id: str
    bindings: frozenset[str]
    summary: str
    explains: Callable[[Mismatch], bool]
    normalise: Callable[[Any, Any], Any] | None = None


def stock_error_mentions(m: Mismatch, *texts: str) -> bool:
    return m.stock_error is not None and any(t in str(m.stock_error) for t in texts)


def funcbind_clear(m: Mismatch) -> bool:
    return is_clear_error(m.funcbind_error, m.binding)


def metadata_spec(m: Mismatch, name: str) -> Any:
    return (m.case.metadata or {}).get(name)


def dicts_differ_only_where(m: Mismatch, allowed: Callable[[str, Any, Any], bool]) -> bool:
    """For ``to_dict()``/``to_json()``: the same keys, and every differing value allowed."""
    if not (m.stock_ok() and m.funcbind_ok()):
        return False
    stock, ours = m.stock.value, m.funcbind.value  # type: ignore[union-attr]
    if m.member == "to_json()":
        stock, ours = json.loads(stock), json.loads(ours)
    if not isinstance(stock, dict) or not isinstance(ours, dict) or stock.keys() != ours.keys():
        return False
    return all(stock[k] == ours[k] or allowed(k, stock[k], ours[k]) for k in stock)


def explain(mismatch: Mismatch) -> frozenset[str] | None:
    """The ids of the documented differences that explain a mismatch, or None."""
    from conformance_differences import DIFFERENCES

    applicable = [d for d in DIFFERENCES if mismatch.binding in d.bindings]
    for difference in applicable:
        if difference.explains(mismatch):
            return frozenset({difference.id})
    if not (mismatch.stock_ok() and mismatch.funcbind_ok()):
        return None
    stock, ours = mismatch.stock.value, mismatch.funcbind.value  # type: ignore[union-attr]
    used = set()
    for difference in applicable:
        if difference.normalise is None:
            continue
        rewritten = difference.normalise(stock, ours)
        if rewritten is not None and rewritten != stock:
            stock = rewritten
            used.add(difference.id)
    if used and same(Outcome(value=stock), Outcome(value=ours)):
        return frozenset(used)
    return None


# -- running one case -------------------------------------------------------------------------


def compare_case(case: Case) -> list[tuple[Mismatch, frozenset[str] | None]]:
    """Run a case through both implementations; each mismatch with its explanation."""
    stock = observe(stock_binding(case.binding), case)
    ours = observe(funcbind_binding(case.binding), case)
    found: list[Mismatch] = []
    key = DECODE if case.direction == "in" else ENCODE
    stock_top, our_top = stock[key], ours[key]
    if not stock_top.ok and not our_top.ok:
        # Both refuse: funcbind must say why, clearly.
        if not is_clear_error(our_top.error, case.binding):
            found.append(Mismatch(case.binding, key, stock_top, our_top, case, ours))
    elif not same(stock_top, our_top):
        found.append(Mismatch(case.binding, key, stock_top, our_top, case, ours))
    for member in [m for m in ours if m != key]:
        outcome = ours[member]
        if member == INSTANCE:
            if outcome.value is not True:
                found.append(Mismatch(case.binding, member, None, outcome, case, ours))
        elif member in stock:
            if not same(stock[member], outcome):
                found.append(Mismatch(case.binding, member, stock[member], outcome, case, ours))
        elif not outcome.ok and not _acceptable_error(member, outcome.error, case.binding):
            # azure.functions did not get this far; a failure here must still be clear.
            found.append(Mismatch(case.binding, member, None, outcome, case, ours))
    return [(mismatch, explain(mismatch)) for mismatch in found]


def _acceptable_error(member: str, error: BaseException | None, binding: str) -> bool:
    """A clear funcbind error, or what the standard library (and azure.functions) raises
    for the operation: a ValueError from get_json(), UnsupportedOperation from the io
    methods a read-only stream does not have."""
    if member == "get_json()" and isinstance(error, ValueError):
        return True  # JSONDecodeError, or UnicodeDecodeError for bytes that are not UTF-8
    if isinstance(error, io.UnsupportedOperation):
        return True
    return is_clear_error(error, binding)


def unexplained(case: Case) -> list[Mismatch]:
    return [mismatch for mismatch, reason in compare_case(case) if reason is None]
