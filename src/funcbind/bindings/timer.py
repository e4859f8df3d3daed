"""Timers: the ``timerTrigger`` input.

The host sends the timer's state as one JSON object, ``{"Schedule": {...},
"ScheduleStatus": {"Last", "Next", "LastUpdated"} or null, "IsPastDue": bool}``.  It is
decoded into :class:`TimerRequest`, an ``azure.functions.TimerRequest`` that keeps
``schedule`` and ``schedule_status`` as the host sent them and adds the three
timestamps as datetimes, parsed when first read.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Any

from azure.functions.timer import TimerRequest as StockTimerRequest

from .._typing import TypeSpec
from ..datetimes import parse_datetime
from ..datum import JSON_ERRORS, DatumLike, json_error, json_loads
from ..errors import DecodeError, UnsupportedDatumError, describe
from ..registry import BindingSpec, Decoder, Registry
from ._common import Metadata
from .generic import GenericConverter

__all__ = ["TimerRequest", "TimerTriggerConverter", "register"]

TRIGGER = "timerTrigger"

_PAYLOAD_TYPES = frozenset({"json", "string", "bytes", "stream"})
_WHERE = f"binding {TRIGGER!r}"
_EXPECTED_JSON = "TimerInfo as JSON text"
_GENERIC = GenericConverter()


def register(registry: Registry) -> None:
    registry.register(TRIGGER, converter=TimerTriggerConverter(), trigger=True)


class TimerRequest(StockTimerRequest):
    """A timer invocation: ``past_due``, ``schedule``, ``schedule_status`` and datetimes.

    An instance of ``azure.functions.TimerRequest`` and of the class azure.functions'
    own converter returns (``azure.functions.timer.TimerRequest``).

    ``schedule_status`` is the host's dict, its timestamps still text (as in
    azure.functions); ``last``, ``next`` and ``last_updated`` are those timestamps as
    datetimes, aware when the host sent an offset, None when there is no status.  A
    timestamp that cannot be parsed raises :class:`DecodeError` when it is read.
    """

    __slots__ = ("_datetimes", "_past_due", "_schedule", "_schedule_status")

    def __init__(
        self,
        *,
        past_due: bool = False,
        schedule_status: dict[str, Any] | None = None,
        schedule: dict[str, Any] | None = None,
    ) -> None:
        # Same keywords as azure.functions.TimerRequest, so tests can build one; the
        # base __init__ is not called because these slots replace its attributes.
        # (The decoder builds instances without this call.)
        self._past_due = past_due
        self._schedule_status = schedule_status if schedule_status else {}
        self._schedule = schedule if schedule else {}
        self._datetimes: dict[str, datetime | None] | None = None

    # The three plain fields are read on every invocation: a property over attrgetter
    # reads the slot without a Python frame, and stays read-only like the stock one.
    past_due = property(
        attrgetter("_past_due"),
        doc="True when this run is late (a missed schedule caught up, or a slow host).",
    )
    schedule = property(
        attrgetter("_schedule"),
        doc='The host\'s ``Schedule`` object, e.g. ``{"AdjustForDST": true}``.',
    )
    schedule_status = property(
        attrgetter("_schedule_status"),
        doc="The host's ``ScheduleStatus`` object as sent; ``{}`` when it sent none.",
    )

    @property
    def last(self) -> datetime | None:
        """When the timer last fired (``ScheduleStatus.Last``), or None."""
        return self._status_datetime("Last")

    @property
    def next(self) -> datetime | None:
        """When the timer is due next (``ScheduleStatus.Next``), or None."""
        return self._status_datetime("Next")

    @property
    def last_updated(self) -> datetime | None:
        """When the host last saved the status (``ScheduleStatus.LastUpdated``), or None."""
        return self._status_datetime("LastUpdated")

    def _status_datetime(self, key: str) -> datetime | None:
        parsed = self._datetimes
        if parsed is None:
            parsed = self._datetimes = {}
        elif key in parsed:
            return parsed[key]
        value = parsed[key] = self._parse_status_datetime(key)
        return value

    def _parse_status_datetime(self, key: str) -> datetime | None:
        text = self._schedule_status.get(key)
        if text is None or text == "":
            return None
        field = f"ScheduleStatus.{key}"
        if not isinstance(text, str):
            raise _field_error(field, "a datetime string", describe(text))
        try:
            return parse_datetime(text)
        except DecodeError as exc:
            # exc.message already reads "expected <formats>, got '<text>'".
            raise DecodeError(f"binding {TRIGGER!r}: field {field!r}: {exc.message}") from None

    def __repr__(self) -> str:
        return (
            f"<funcbind TimerRequest past_due={self._past_due!r} "
            f"next={self._schedule_status.get('Next')!r} at 0x{id(self):x}>"
        )


def _field_error(field: str, expected: str, got: str) -> DecodeError:
    return DecodeError(f"binding {TRIGGER!r}: field {field!r}: expected {expected}, got {got}")


_new_instance = object.__new__


def _checked_fields(info: Any) -> tuple[bool, Any, Any]:
    """``IsPastDue``, ``Schedule`` and ``ScheduleStatus`` of any parsed TimerInfo.

    Missing keys and null ``IsPastDue`` read as the defaults; fields of the wrong type raise.
    """
    if type(info) is not dict:
        raise DecodeError(
            f"{_WHERE}: expected a JSON object (TimerInfo with Schedule, "
            f"ScheduleStatus and IsPastDue), got {describe(info)}"
        )
    past_due = info.get("IsPastDue", False)
    schedule = info.get("Schedule")
    status = info.get("ScheduleStatus")
    if past_due is None:
        past_due = False
    elif type(past_due) is not bool:
        raise _field_error("IsPastDue", "true or false", describe(past_due))
    if schedule is not None and type(schedule) is not dict:
        raise _field_error("Schedule", "a JSON object or null", describe(schedule))
    if status is not None and type(status) is not dict:
        raise _field_error("ScheduleStatus", "a JSON object or null", describe(status))
    return past_due, schedule, status


class TimerTriggerConverter:
    """``timerTrigger``: the TimerRequest model, or the payload for plain annotations."""

    directions = frozenset({"in"})
    model = TimerRequest  # what decode() without an annotation gives (worker facade)
    accepted_inputs = (
        "azure.functions.TimerRequest (the default), or the payload as dict, str or "
        "bytes (and Optional of them)"
    )

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        if spec.kind == "any" or spec.satisfied_by(TimerRequest):
            return _model_decoder(spec.optional)
        # The payload itself, for those who want the JSON as text or as a dict; other
        # plain types cannot hold a TimerInfo object.
        if spec.is_class(str, bytes) or spec.subclass_of(dict):
            return _GENERIC.decoder(spec, binding)
        return None


def _model_decoder(optional: bool) -> Decoder:
    def decode_timer(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
        kind = datum.type
        value = datum.value
        if kind in _PAYLOAD_TYPES and value is not None:
            try:
                info = json_loads(value)
            except JSON_ERRORS as exc:
                raise json_error(exc, _WHERE, expected=_EXPECTED_JSON) from exc
            # What the host sends (all three keys, of the right types) passes with three
            # lookups and no call: with them this decode costs little more than the parse.
            try:
                past_due = info["IsPastDue"]
                schedule = info["Schedule"]
                status = info["ScheduleStatus"]
            except (KeyError, TypeError):  # a key missing, or not a JSON object at all
                past_due, schedule, status = _checked_fields(info)
            else:
                if (
                    type(past_due) is not bool
                    or (schedule is not None and type(schedule) is not dict)
                    or (status is not None and type(status) is not dict)
                ):
                    past_due, schedule, status = _checked_fields(info)
            # No __init__ call: the slots are set directly.
            request: TimerRequest = _new_instance(TimerRequest)
            request._past_due = past_due
            request._schedule_status = status if status else {}
            request._schedule = schedule if schedule else {}
            request._datetimes = None
            return request
        if optional and (kind is None or value is None):
            return None
        raise UnsupportedDatumError(
            f"binding {TRIGGER!r}: expected TimerInfo as json, got wire type {kind!r}"
        )

    return decode_timer
