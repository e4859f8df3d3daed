"""The documented differences of the Event Hubs and Service Bus bindings, as rules.

Appended to ``conformance_differences.DIFFERENCES``; each id is a row of
docs/compatibility.md and is shown by at least one fixture case.
"""

from __future__ import annotations

from typing import Any

from conformance_compare import Difference, Mismatch, funcbind_clear, stock_error_mentions
from conformance_support import DECODE, ENCODE, is_clear_error

_EVENT_HUB_IN = frozenset({"eventHubTrigger"})
_SERVICE_BUS_IN = frozenset({"serviceBusTrigger"})
_NEVER_SENT = "force_persistence"  # raises NotImplementedError on both sides
_TIME_PARSE_ERRORS = ("does not match format", "unconverted data remains", "invalid literal")


def _clear_field_error(m: Mismatch) -> bool:
    return any(
        is_clear_error(outcome.error, m.binding) and "field" in str(outcome.error)
        for outcome in m.ours.values()
    )


def _lazy_metadata(m: Mismatch) -> bool:
    """azure.functions converts every field while decoding; funcbind when one is read,
    so a malformed field fails only there, with an error naming it."""
    return (
        m.member == DECODE
        and m.stock_error is not None
        and m.funcbind_ok()
        and _clear_field_error(m)
    )


def _time_shapes(m: Mismatch) -> bool:
    """Datetimes (any offset, US dates with a space) and time spans (days, fractions,
    hours past 23, a sign) that azure.functions' strptime formats refuse parse here."""
    return (
        m.member == DECODE
        and stock_error_mentions(m, *_TIME_PARSE_ERRORS)
        and m.funcbind_ok()
        and all(outcome.ok for key, outcome in m.ours.items() if not key.endswith(_NEVER_SENT))
    )


def _batch_items(m: Mismatch) -> int | None:
    """How many bodies the case's batch payload holds."""
    data = m.case.data or {}
    if "items" in data:
        return len(data["items"])
    if data.get("type") == "json" and isinstance(data.get("json"), list):
        return len(data["json"])
    return None


def _metadata_entries(m: Mismatch, name: str) -> int | None:
    spec = (m.case.metadata or {}).get(name) or {}
    found = spec.get("json") if isinstance(spec, dict) else None
    return len(found) if isinstance(found, list) else None


def _event_hub_batch_size(m: Mismatch) -> bool:
    """One event per body; azure.functions fails the batch when SystemPropertiesArray
    has another length (an entry missing fails only that event's properties)."""
    bodies, entries = _batch_items(m), _metadata_entries(m, "SystemPropertiesArray")
    return (
        m.member == DECODE
        and stock_error_mentions(m, "mismatched")
        and m.funcbind_ok()
        and bodies is not None
        and entries != bodies
        and m.ours.get("len()") is not None
        and m.ours["len()"].value == bodies
    )


def _service_bus_batch_size(m: Mismatch) -> bool:
    """One message per body; azure.functions counts UserPropertiesArray instead: it
    fails when that has more entries and drops the bodies past it when fewer."""
    bodies, entries = _batch_items(m), _metadata_entries(m, "UserPropertiesArray")
    if bodies is None or entries is None or bodies == entries:
        return False
    ours_len = m.ours.get("len()")
    if ours_len is None or ours_len.value != bodies:
        return False
    if m.member == DECODE:
        return stock_error_mentions(m, "index out of range") and m.funcbind_ok()
    if m.member == "len()":
        return m.stock_ok() and m.stock.value == entries  # type: ignore[union-attr]
    return False


def _wire(m: Mismatch) -> Any:
    return m.stock.value if m.stock is not None and m.stock.ok else None


def _event_hub_bool(m: Mismatch) -> bool:
    stock = _wire(m)
    return (
        m.member == ENCODE
        and isinstance(stock, tuple)
        and stock[0] == "int"
        and isinstance(stock[1], bool)
        and m.funcbind_ok()
        and m.funcbind.value == ("int", int(stock[1]))  # type: ignore[union-attr]
    )


def _event_hub_more_values(m: Mismatch) -> bool:
    return (
        m.member == ENCODE
        and _wire(m) == ("nothing",)
        and m.case.value() is not None
        and m.funcbind_ok()
        and m.funcbind.value != ("nothing",)  # type: ignore[union-attr]
    )


def _event_hub_unsendable(m: Mismatch) -> bool:
    return (
        m.member == ENCODE
        and _wire(m) == ("nothing",)
        and m.case.value() is not None
        and isinstance(m.funcbind_error, NotImplementedError)
        and funcbind_clear(m)
    )


def _service_bus_more_values(m: Mismatch) -> bool:
    return m.member == ENCODE and isinstance(m.stock_error, NotImplementedError) and m.funcbind_ok()


# Order matters: a rule is tried before the ones below it (the batch sizes before laziness).
MESSAGING_DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "eventhub-batch-size",
        _EVENT_HUB_IN,
        "a batch has one event per body; a SystemPropertiesArray of another length fails "
        "only the properties of an event without an entry, not the decode",
        _event_hub_batch_size,
    ),
    Difference(
        "eventhub-lazy-metadata",
        _EVENT_HUB_IN,
        "trigger metadata is read on access: a malformed field fails when read, naming "
        "binding, field and index, instead of failing the decode",
        _lazy_metadata,
    ),
    Difference(
        "eventhub-datetime-shapes",
        _EVENT_HUB_IN,
        "enqueued times with any offset, US dates and naive times parse; azure.functions raises",
        _time_shapes,
    ),
    Difference(
        "eventhub-output-bool-as-int",
        frozenset({"eventHub"}),
        "True/False are sent as the int 1/0; azure.functions hands the bool to the int field",
        _event_hub_bool,
    ),
    Difference(
        "eventhub-output-more-values",
        frozenset({"eventHub"}),
        "float, dict, bytearray and memoryview are sent; azure.functions silently sends nothing",
        _event_hub_more_values,
    ),
    Difference(
        "eventhub-output-unsendable",
        frozenset({"eventHub"}),
        "a value that cannot be sent raises (a NotImplementedError); azure.functions "
        "silently sends nothing",
        _event_hub_unsendable,
    ),
    Difference(
        "servicebus-batch-size",
        _SERVICE_BUS_IN,
        "a batch has one message per body; azure.functions counts UserPropertiesArray, "
        "failing when it is longer and dropping bodies when it is shorter",
        _service_bus_batch_size,
    ),
    Difference(
        "servicebus-lazy-metadata",
        _SERVICE_BUS_IN,
        "message properties are read on access: a malformed one (non-JSON UserProperties, "
        "a bad count) fails when read, naming binding, field and index",
        _lazy_metadata,
    ),
    Difference(
        "servicebus-time-shapes",
        _SERVICE_BUS_IN,
        "datetimes with any offset and US dates, time spans with days, fractions or a sign "
        "parse; azure.functions raises",
        _time_shapes,
    ),
    Difference(
        "servicebus-output-more-values",
        frozenset({"serviceBus"}),
        "None (nothing sent), bytearray, memoryview, dict and list (JSON) are outputs; "
        "azure.functions raises NotImplementedError",
        _service_bus_more_values,
    ),
)
