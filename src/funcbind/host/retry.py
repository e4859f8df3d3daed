"""Retry policies: ``retry`` in function.json, ``@app.retry(...)`` in decorator apps.

As in the Functions host: ``fixedDelay`` (``maxRetryCount``, ``delayInterval``) and
``exponentialBackoff`` (``maxRetryCount``, ``minimumInterval``, ``maximumInterval``);
``maxRetryCount`` -1 retries without limit.  The host checks a policy when it loads the
function (a missing field or a minimum above the maximum fails the function) and
applies it to the triggers whose extensions honour function-level retries -- timer,
Event Hubs, Kafka, Cosmos DB -- when their listener fires them; queue and blob
triggers retry through their own dequeue count and receipts, HTTP not at all, and
admin calls (``POST /admin/functions/{name}``) run once.

Each attempt gets ``context.retry_context``: the retry count (0 on the first attempt),
the maximum, and the previous attempt's exception.  The console shows each retry with
the host's line: ``Waiting for `00:00:01` before retrying function execution. Next
attempt: '2'. Max retry count: '3'``.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..datetimes import parse_timespan
from ..errors import DecodeError, FuncbindError
from ..invoke import ExceptionInfo, RetryInfo
from .model import Failed, RetryPolicy
from .triggers.polling import pause

if TYPE_CHECKING:
    from .model import HostedFunction, Outcome
    from .runner import Runner

__all__ = [
    "RETRY_TRIGGERS",
    "RetryConfigError",
    "parse_retry",
    "run_with_retries",
]

# Trigger types whose extensions honour a function's retry policy in Functions 4.x.
RETRY_TRIGGERS = frozenset({"timerTrigger", "eventHubTrigger", "kafkaTrigger", "cosmosDBTrigger"})
_STRATEGIES = {
    "fixeddelay": "fixedDelay",
    "fixed_delay": "fixedDelay",
    "exponentialbackoff": "exponentialBackoff",
    "exponential_backoff": "exponentialBackoff",
}
# A decorator app names the fields in snake case; function.json in camel case.
_FIELDS = {
    "max_retry_count": "maxRetryCount",
    "delay_interval": "delayInterval",
    "minimum_interval": "minimumInterval",
    "maximum_interval": "maximumInterval",
}


class RetryConfigError(FuncbindError):
    """A retry policy the host would refuse (the function fails to load)."""


def parse_retry(raw: Any, where: str) -> RetryPolicy | None:
    """The checked policy of a function; ``where`` names the file and function."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise RetryConfigError(
            f'{where}: expected "retry" to be an object such as {{"strategy": "fixedDelay", '
            f'"maxRetryCount": 3, "delayInterval": "00:00:05"}}, got {raw!r}'
        )
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        fields[_FIELDS.get(str(key), str(key))] = value
    text = fields.get("strategy")
    strategy = _STRATEGIES.get(text.casefold()) if isinstance(text, str) else None
    if strategy is None:
        raise RetryConfigError(
            f"{where}: retry field 'strategy': expected fixedDelay or exponentialBackoff, "
            f"got {text!r}"
        )
    count = _count(fields.get("maxRetryCount"), where)
    if strategy == "fixedDelay":
        return RetryPolicy(strategy, count, delay=_interval(fields, "delayInterval", where))
    minimum = _interval(fields, "minimumInterval", where)
    maximum = _interval(fields, "maximumInterval", where)
    if minimum > maximum:
        raise RetryConfigError(
            f"{where}: retry field 'minimumInterval' ({fields['minimumInterval']}) is above "
            f"'maximumInterval' ({fields['maximumInterval']}); make the minimum the smaller"
        )
    return RetryPolicy(strategy, count, minimum=minimum, maximum=maximum)


def _count(value: Any, where: str) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value)
    if number is None or number < -1:
        raise RetryConfigError(
            f"{where}: retry field 'maxRetryCount': expected a whole number of retries (-1 "
            f'for no limit), got {value!r}; set it, such as "maxRetryCount": 3'
        )
    return number


def _interval(fields: Mapping[str, Any], name: str, where: str) -> float:
    value = fields.get(name)
    if not isinstance(value, str):
        raise RetryConfigError(
            f"{where}: retry field {name!r}: expected a time span 'hh:mm:ss', got {value!r}; "
            f'set it, such as "{name}": "00:00:05"'
        )
    try:
        seconds = parse_timespan(value.strip(), field=f"retry field {name!r}").total_seconds()
    except DecodeError as exc:
        raise RetryConfigError(f"{where}: {exc.message}") from None
    if seconds < 0:
        raise RetryConfigError(f"{where}: retry field {name!r}: expected a positive time span")
    return seconds


async def run_with_retries(
    runner: Runner,
    function: HostedFunction,
    inputs: Mapping[str, Any],
    metadata: Mapping[str, Any] | None,
    *,
    reason: str,
    new_id: Any,
    stopping: asyncio.Event | None = None,
) -> Outcome:
    """Run a trigger-fired invocation, retried by the function's policy when it fails.

    ``new_id()`` gives each attempt its invocation id (the host gives each its own).  A
    stop of the host ends the waiting between attempts: the last outcome is returned.
    """
    policy = function.retry if function.trigger_type in RETRY_TRIGGERS else None
    limit = 0 if policy is None else policy.max_retry_count
    context = RetryInfo(0, limit) if policy is not None else None
    attempt = 0
    while True:
        outcome = await runner.run(
            function, inputs, metadata, new_id(), retry_context=context, reason=reason
        )
        if policy is None or not isinstance(outcome, Failed) or not policy.allows(attempt + 1):
            return outcome
        attempt += 1
        delay = policy.delay_before(attempt)
        runner.console.line(
            f"Waiting for `{_timespan_text(delay)}` before retrying function execution. "
            f"Next attempt: '{attempt + 1}'. Max retry count: '{policy.max_retry_count}'",
            "warning",
        )
        if stopping is not None:
            if await pause(stopping, delay):
                return outcome
        else:
            await asyncio.sleep(delay)
        context = RetryInfo(attempt, limit, _exception_info(outcome.error))


def _exception_info(error: BaseException) -> ExceptionInfo:
    cause = error.__cause__ or error
    stack = "".join(traceback.format_exception(type(cause), cause, cause.__traceback__))
    return ExceptionInfo(
        message=f"{type(cause).__name__}: {cause}",
        source=type(cause).__module__,
        stack_trace=stack.rstrip(),
    )


def _timespan_text(seconds: float) -> str:
    """``hh:mm:ss`` (with ``.fffffff`` when needed), as .NET prints a TimeSpan."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    fraction = round((seconds - whole) * 10_000_000)
    return f"{text}.{fraction:07d}" if fraction else text
