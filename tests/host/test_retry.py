"""Retry policies at load (function.json ``retry``, ``@app.retry``) and between attempts;
the console's two formats."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from funcbind.host.app import load_hosted_app
from funcbind.host.console import Console
from funcbind.host.model import HostedApp, RetryPolicy
from funcbind.host.retry import RetryConfigError, parse_retry

TIMER = {"name": "timer", "type": "timerTrigger", "direction": "in", "schedule": "0 0 * * * *"}


def timer_function(root: Path, name: str, retry: Any, trigger: dict[str, Any] = TIMER) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "function.json").write_text(json.dumps({"bindings": [trigger], "retry": retry}))
    (folder / "__init__.py").write_text(f"def main({trigger['name']}):\n    return None\n")


def load(root: Path) -> HostedApp:
    return load_hosted_app(root, auth=False, environ=dict(os.environ))


def test_function_json_policies_load(tmp_path: Path) -> None:
    timer_function(
        tmp_path,
        "Fixed",
        {"strategy": "fixedDelay", "maxRetryCount": 4, "delayInterval": "00:00:10"},
    )
    timer_function(
        tmp_path,
        "Backoff",
        {
            "strategy": "exponentialBackoff",
            "maxRetryCount": -1,
            "minimumInterval": "00:00:02",
            "maximumInterval": "00:00:15",
        },
    )
    app = load(tmp_path)
    assert app.functions["Fixed"].retry == RetryPolicy("fixedDelay", 4, delay=10.0)
    backoff = app.functions["Backoff"].retry
    assert backoff is not None and backoff.allows(1000)  # -1: no limit


def test_exponential_backoff_doubles_without_jitter() -> None:
    policy = RetryPolicy("exponentialBackoff", 5, minimum=2.0, maximum=15.0)
    assert [policy.delay_before(n) for n in (1, 2, 3, 4, 5)] == [2.0, 4.0, 8.0, 15.0, 15.0]
    assert policy.allows(5) and not policy.allows(6)
    assert RetryPolicy("fixedDelay", 1, delay=3.0).delay_before(7) == 3.0


@pytest.mark.parametrize(
    ("retry", "says"),
    [
        (
            {"strategy": "sometimes", "maxRetryCount": 1},
            "expected fixedDelay or exponentialBackoff",
        ),
        ({"strategy": "fixedDelay", "delayInterval": "00:00:01"}, "'maxRetryCount'"),
        ({"strategy": "fixedDelay", "maxRetryCount": -2, "delayInterval": "1"}, "-1 for no limit"),
        ({"strategy": "fixedDelay", "maxRetryCount": 1}, "'delayInterval'"),
        ({"strategy": "fixedDelay", "maxRetryCount": 1, "delayInterval": "soon"}, "delayInterval"),
        (
            {
                "strategy": "exponentialBackoff",
                "maxRetryCount": 1,
                "minimumInterval": "00:01:00",
                "maximumInterval": "00:00:01",
            },
            "is above 'maximumInterval'",
        ),
        ("fixedDelay", 'expected "retry" to be an object'),
    ],
)
def test_a_bad_policy_fails_the_function_with_a_sentence(
    tmp_path: Path, retry: Any, says: str
) -> None:
    timer_function(tmp_path, "Bad", retry)
    timer_function(tmp_path, "Good", None)
    app = load(tmp_path)
    assert sorted(app.functions) == ["Good"]
    message = app.errors["Bad"]
    assert says in message
    assert "function.json, function 'Bad'" in message  # the file and the function


def test_decorator_fields_are_read_in_snake_case() -> None:
    policy = parse_retry(
        {
            "strategy": "exponential_backoff",
            "max_retry_count": "3",
            "minimum_interval": "00:00:01",
            "maximum_interval": "00:00:04",
        },
        "function_app.py, function 'f' (@app.retry)",
    )
    assert policy == RetryPolicy("exponentialBackoff", 3, minimum=1.0, maximum=4.0)
    with pytest.raises(RetryConfigError, match=r"function_app\.py, function 'f'"):
        parse_retry(
            {"strategy": "fixed_delay", "max_retry_count": "x"}, "function_app.py, function 'f'"
        )


def test_a_policy_on_a_trigger_that_ignores_it_is_noted(tmp_path: Path) -> None:
    queue = {"name": "msg", "type": "queueTrigger", "direction": "in", "queueName": "jobs"}
    timer_function(
        tmp_path, "Job", {"strategy": "fixedDelay", "maxRetryCount": 2, "delayInterval": "1"}, queue
    )
    app = load(tmp_path)
    assert "Job" in app.functions
    assert any("queueTrigger ignores it" in note for note in app.notes)


# -- the console's formats ------------------------------------------------------------------


def test_the_host_format_prints_core_tools_lines() -> None:
    out = io.StringIO()
    console = Console(out, log_format="host")
    console.executing("hello", "id-1", "because")
    console.invocation_done("hello", "id-1", 0.0123, None)
    console.invocation_done("hello", "id-2", 0.5, ValueError("bad"))
    text = out.getvalue()
    assert "] Executing 'Functions.hello' (Reason='because', Id=id-1)\n" in text
    assert "] Executed 'Functions.hello' (Succeeded, Id=id-1, Duration=12ms)\n" in text
    assert "] Executed 'Functions.hello' (Failed, Id=id-2, Duration=500ms)\n" in text
    assert "Exception while executing function: Functions.hello. ValueError: bad" in text


def test_log_format_funcbind_keeps_the_prefixed_lines() -> None:
    out = io.StringIO()
    console = Console(out, verbose=True, log_format="funcbind")
    console.executing("hello", "id-1", "because")
    console.invocation_done("hello", "id-1", 0.0123, None)
    text = out.getvalue()
    assert "hello (id-1) executing" in text and "hello (id-1) succeeded in 12.3 ms" in text
    assert "Executing 'Functions" not in text
    with pytest.raises(ValueError, match="expected a log format"):
        Console(out, log_format="fancy")
