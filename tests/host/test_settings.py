"""host.json and local.settings.json: shapes accepted, defaults, and errors that say why."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from funcbind.host.settings import (
    DEFAULT_MAX_BODY_SIZE,
    CorsSettings,
    HostSettings,
    SettingsError,
    apply_values,
    load_host_settings,
    load_local_settings,
)


def write(folder: Path, name: str, data: Any) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return folder


def test_missing_files_mean_defaults(tmp_path: Path) -> None:
    host = load_host_settings(tmp_path)
    assert host == HostSettings()
    assert (host.route_prefix, host.functions, host.function_timeout, host.found) == (
        "api",
        None,
        None,
        False,
    )
    local = load_local_settings(tmp_path)
    assert (local.values, local.local_http_port, local.cors, local.found) == ({}, None, None, False)
    assert DEFAULT_MAX_BODY_SIZE == 100 * 1024 * 1024


def test_host_json_fields(tmp_path: Path) -> None:
    write(
        tmp_path,
        "host.json",
        {
            "version": "2.0",
            "functionTimeout": "00:10:00",
            "functions": ["One", "two"],
            "Extensions": {"HTTP": {"routePrefix": "/v1/"}},
        },
    )
    host = load_host_settings(tmp_path)
    assert host.route_prefix == "v1"
    assert host.function_timeout == timedelta(minutes=10)
    assert host.allows("one") and host.allows("TWO") and not host.allows("three")


def test_host_json_with_a_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_bytes(b'\xef\xbb\xbf{"version": "2.0"}')
    assert load_host_settings(tmp_path).found


@pytest.mark.parametrize("timeout", ["-1", None])
def test_no_function_timeout(tmp_path: Path, timeout: str | None) -> None:
    write(tmp_path, "host.json", {"version": "2.0", "functionTimeout": timeout})
    assert load_host_settings(tmp_path).function_timeout is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{nope", "expected JSON, got a syntax error at line 1"),
        ("[]", "expected a JSON object, got list"),
        ({}, 'expected "version": "2.0"'),
        ({"version": "1.0"}, "got '1.0'"),
        ({"version": "2.0", "extensions": []}, "expected 'extensions' to be an object"),
        ({"version": "2.0", "extensions": {"http": {"routePrefix": 1}}}, "routePrefix"),
        ({"version": "2.0", "functions": "one"}, "list of function names"),
        ({"version": "2.0", "functionTimeout": "soon"}, "functionTimeout"),
        ({"version": "2.0", "functionTimeout": "00:00:00"}, "positive functionTimeout"),
        ({"version": "2.0", "functionTimeout": 5}, "functionTimeout"),
    ],
)
def test_host_json_errors(tmp_path: Path, content: Any, message: str) -> None:
    write(tmp_path, "host.json", content)
    with pytest.raises(SettingsError, match=r"host\.json") as info:
        load_host_settings(tmp_path)
    assert message in str(info.value)


def test_local_settings_fields(tmp_path: Path) -> None:
    write(
        tmp_path,
        "local.settings.json",
        {
            "IsEncrypted": False,
            "Values": {"A": "text", "N": 5, "B": True, "Z": None},
            "Host": {"LocalHttpPort": "7072", "CORS": "*", "CORSCredentials": False},
            "ConnectionStrings": {"Db": "Server=x"},
            "Keys": {"master": "m", "functions": {"f": "k"}},
        },
    )
    local = load_local_settings(tmp_path)
    assert local.values == {"A": "text", "N": "5", "B": "true"}
    assert local.local_http_port == 7072
    assert local.cors == CorsSettings(("*",), False)
    assert local.cors.allows("http://anything")
    assert local.connection_strings == {"Db": "Server=x"}
    assert (local.keys.master, local.keys.default, dict(local.keys.functions)) == (
        "m",
        None,
        {"f": "k"},
    )


def test_cors_origins_are_compared_without_case_or_trailing_slash() -> None:
    cors = CorsSettings(("http://A.example/", "http://b.example"))
    assert cors.allows("http://a.example")
    assert not cors.allows("http://c.example")
    assert not cors.any_origin


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"IsEncrypted": True}, "decrypt"),
        ({"Values": {"A": {"nested": 1}}}, "Values.A to be a string"),
        ({"Values": []}, "expected 'Values' to be an object"),
        ({"Host": {"LocalHttpPort": "x"}}, "LocalHttpPort as a number"),
        ({"Host": {"LocalHttpPort": 70000}}, "0..65535"),
        ({"Host": {"LocalHttpPort": True}}, "LocalHttpPort as a number"),
        ({"Host": {"CORS": ["a"]}}, "comma-separated"),
        ({"Host": {"CORS": "*", "CORSCredentials": "yes"}}, "CORSCredentials"),
        ({"Keys": {"master": ""}}, "Keys.master"),
        ({"Keys": {"functions": ["a"]}}, "Keys.functions"),
        ({"Keys": {"functions": {"f": 1}}}, "Keys.functions.f"),
    ],
)
def test_local_settings_errors(tmp_path: Path, content: Any, message: str) -> None:
    write(tmp_path, "local.settings.json", content)
    with pytest.raises(SettingsError, match=r"local\.settings\.json") as info:
        load_local_settings(tmp_path)
    assert message in str(info.value)


def test_apply_values_keeps_what_the_environment_already_has() -> None:
    environ = {"KEEP": "mine", "SAME": "v"}
    kept = apply_values({"KEEP": "theirs", "SAME": "v", "NEW": "n"}, environ)
    assert environ == {"KEEP": "mine", "SAME": "v", "NEW": "n"}
    assert kept == ["KEEP"]


def test_queue_and_blob_settings_default_to_the_hosts(tmp_path: Path) -> None:
    write(tmp_path, "host.json", {"version": "2.0"})
    host = load_host_settings(tmp_path)
    queues = host.queues
    assert queues.max_polling_interval == timedelta(minutes=1)
    assert queues.visibility_timeout == timedelta(0)
    assert (queues.batch_size, queues.batch_threshold, queues.max_dequeue_count) == (16, 8, 5)
    assert queues.message_encoding == "base64"
    assert (host.blobs.poison_blob_threshold, host.blobs.max_degree_of_parallelism) == (5, 8)


def test_queue_and_blob_settings(tmp_path: Path) -> None:
    extensions = {
        "queues": {
            "maxPollingInterval": 2000,  # a number is milliseconds, as the host reads it
            "visibilityTimeout": "00:00:30",
            "batchSize": 32,
            "newBatchThreshold": 3,
            "maxDequeueCount": 2,
            "messageEncoding": "None",
        },
        "blobs": {"poisonBlobThreshold": 1, "maxDegreeOfParallelism": 2},
    }
    write(tmp_path, "host.json", {"version": "2.0", "extensions": extensions})
    host = load_host_settings(tmp_path)
    queues = host.queues
    assert queues.max_polling_interval == timedelta(seconds=2)
    assert queues.visibility_timeout == timedelta(seconds=30)
    assert (queues.batch_size, queues.batch_threshold, queues.max_dequeue_count) == (32, 3, 2)
    assert queues.message_encoding == "none"
    assert (host.blobs.poison_blob_threshold, host.blobs.max_degree_of_parallelism) == (1, 2)


@pytest.mark.parametrize(
    ("queues", "message"),
    [
        ({"batchSize": 33}, "extensions.queues.batchSize as a whole number 1..32"),
        ({"batchSize": "16"}, "extensions.queues.batchSize"),
        ({"maxDequeueCount": 0}, "extensions.queues.maxDequeueCount"),
        ({"messageEncoding": "utf8"}, 'messageEncoding "base64" or "none", got \'utf8\''),
        ({"visibilityTimeout": "soon"}, "extensions.queues.visibilityTimeout"),
        ({"visibilityTimeout": 30}, 'extensions.queues.visibilityTimeout as "hh:mm:ss"'),
        ({"maxPollingInterval": "-00:00:01"}, "not to be negative"),
    ],
)
def test_bad_queue_settings_name_the_field(
    tmp_path: Path, queues: dict[str, Any], message: str
) -> None:
    write(tmp_path, "host.json", {"version": "2.0", "extensions": {"queues": queues}})
    with pytest.raises(SettingsError, match=message):
        load_host_settings(tmp_path)


# -- read as the host reads them ----------------------------------------------------------------


def test_comments_and_trailing_commas_load_as_in_the_host(tmp_path: Path) -> None:
    write(
        tmp_path,
        "host.json",
        """{
          // the schema version the host requires
          "version": "2.0",
          "extensions": {"http": {"routePrefix": "v1",},}, /* trailing commas too */
        }""",
    )
    write(
        tmp_path,
        "local.settings.json",
        '{"Values": {"A": "x", /* why */ }, // done\n "Host": {"LocalHttpPort": 7072,},}',
    )
    assert load_host_settings(tmp_path).route_prefix == "v1"
    local = load_local_settings(tmp_path)
    assert (dict(local.values), local.local_http_port) == ({"A": "x"}, 7072)


def test_a_syntax_error_still_names_the_files_own_line(tmp_path: Path) -> None:
    write(tmp_path, "host.json", '{\n  // comment\n  "version": "2.0"\n  "functions": []\n}')
    with pytest.raises(SettingsError, match=r"host\.json: .*line 4, column 3"):
        load_host_settings(tmp_path)


@pytest.mark.parametrize(
    ("file", "content", "note"),
    [
        (
            "host.json",
            {"version": "2.0", "functionTimout": "00:01:00"},
            "host.json: functionTimout is not a setting the host knows; did you mean "
            "'functionTimeout'?",
        ),
        (
            "host.json",
            {"version": "2.0", "extensions": {"queue": {}}},
            "host.json: extensions.queue is not a setting the host knows; did you mean 'queues'?",
        ),
        (
            "host.json",
            {"version": "2.0", "extensions": {"http": {"routeprefx": "x"}}},
            "host.json: extensions.http.routeprefx is not a setting the host knows; did you "
            "mean 'routePrefix'?",
        ),
        (
            "host.json",
            {"version": "2.0", "extensions": {"queues": {"maxDequeuCount": 2}}},
            "did you mean 'maxDequeueCount'?",
        ),
        (
            "host.json",
            {"version": "2.0", "zebra": 1},
            "host.json: zebra is not a setting the host knows; it is ignored",
        ),
        (
            "local.settings.json",
            {"Value": {"A": "1"}},
            "local.settings.json: Value is not a setting the host knows; did you mean 'Values'?",
        ),
        (
            "local.settings.json",
            {"Host": {"LocalHttpPrt": 7072}},
            "local.settings.json: Host.LocalHttpPrt is not a setting the host knows; did you "
            "mean 'LocalHttpPort'?",
        ),
    ],
)
def test_unknown_and_misspelt_settings_are_reported_with_the_closest_name(
    tmp_path: Path, file: str, content: Any, note: str
) -> None:
    write(tmp_path, file, content)
    settings = (
        load_host_settings(tmp_path) if file == "host.json" else load_local_settings(tmp_path)
    )
    assert len(settings.notes) == 1
    assert note in settings.notes[0]


def test_known_settings_in_any_case_and_unknown_extensions_are_not_reported(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        "host.json",
        {
            "version": "2.0",
            "logging": {},
            "FUNCTIONTIMEOUT": "00:01:00",
            "extensions": {"serviceBus": {}, "myOwnExtension": {}, "Queues": {"batchSize": 4}},
        },
    )
    write(tmp_path, "local.settings.json", {"IsEncrypted": False, "values": {}, "Host": {}})
    assert load_host_settings(tmp_path).notes == ()
    assert load_local_settings(tmp_path).notes == ()


def test_cors_any_origin_with_credentials_is_refused_at_load(tmp_path: Path) -> None:
    write(tmp_path, "local.settings.json", {"Host": {"CORS": "*", "CORSCredentials": True}})
    with pytest.raises(SettingsError) as info:
        load_local_settings(tmp_path)
    message = str(info.value)
    assert "local.settings.json" in message
    assert 'allows any origin ("*") while Host.CORSCredentials is true' in message
    assert "List the origins" in message


def test_cors_listed_origins_with_credentials_are_accepted(tmp_path: Path) -> None:
    write(
        tmp_path,
        "local.settings.json",
        {"Host": {"CORS": "http://a.example,*", "CORSCredentials": False}},
    )
    assert load_local_settings(tmp_path).cors == CorsSettings(("http://a.example", "*"), False)
    write(
        tmp_path,
        "local.settings.json",
        {"Host": {"CORS": "http://a.example", "CORSCredentials": True}},
    )
    assert load_local_settings(tmp_path).cors == CorsSettings(("http://a.example",), True)
