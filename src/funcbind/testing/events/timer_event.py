"""Timer ticks as the host sends them to a ``timerTrigger`` (WIRE.md §5)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from ...datum import Datum
from .event import Event, EventKind, utc_now

__all__ = ["KIND", "timer"]


def timer(
    *,
    past_due: bool = False,
    last: datetime | None = None,
    next: datetime | None = None,  # noqa: A002 - ScheduleStatus.Next
    last_updated: datetime | None = None,
    schedule_status: bool = True,
) -> Event:
    """A timer tick: ``IsPastDue`` and the ``ScheduleStatus`` (None with
    ``schedule_status=False``, as for a timer without a monitor).

    The status defaults to a five-minute schedule: the last run five minutes ago, the
    next one now.
    """
    status = None
    if schedule_status:
        now = utc_now()
        upcoming = next or now
        previous = last or upcoming - timedelta(minutes=5)
        status = {
            "Last": previous.isoformat(),
            "Next": upcoming.isoformat(),
            "LastUpdated": (last_updated or previous).isoformat(),
        }
    info = {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": status, "IsPastDue": past_due}
    payload = Datum(json.dumps(info), "json")
    return Event("timer", "timerTrigger", payload, {}, admin_input="")


KIND = EventKind("timer", "timerTrigger", timer, "a timer tick (timerTrigger)")
