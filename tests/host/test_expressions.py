"""Binding expressions: templates compiled once, rendered per invocation, unsafe values
refused; blob trigger path patterns; %AppSetting% references."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcbind.datum import Datum
from funcbind.host.expressions import (
    BindingData,
    BindingExpressionError,
    BlobPathPattern,
    PathTemplate,
    TemplateError,
    UnsafeValueError,
    format_datetime,
    substitute_app_settings,
)


def render(template: str, values: dict[str, object] | None = None, **options: object) -> str:
    return PathTemplate(template, "binding 'x'").render(BindingData(values, **options))  # type: ignore[arg-type]


def test_a_template_is_parsed_once_into_literals_and_expressions() -> None:
    template = PathTemplate("out/{order.id}-{rand-guid:N}.json", "here")
    assert template.names == {"order", "rand-guid"}
    assert not template.is_static
    assert PathTemplate("out/fixed.txt", "here").is_static
    assert PathTemplate("out/fixed.txt", "here").render(None) == "out/fixed.txt"


def test_values_come_from_metadata_datums_case_insensitively() -> None:
    metadata = {"Name": Datum("report.txt", "string"), "DequeueCount": Datum("3", "json")}
    assert render("c/{name}-{dequeuecount}", metadata) == "c/report.txt-3"


def test_json_payload_properties_with_dot_paths() -> None:
    payload = {"order": {"id": 7, "Customer": {"name": "ann"}}, "ok": True, "rate": 1.5}
    text = render("c/{order.id}/{ORDER.customer.NAME}-{ok}-{rate}", payload=lambda: payload)
    assert text == "c/7/ann-True-1.5"


def test_values_win_over_the_payload_unless_the_payload_comes_first() -> None:
    values = {"id": Datum("metadata-id", "string")}
    payload = {"id": "payload-id"}
    assert render("c/{id}", values, payload=lambda: payload) == "c/metadata-id"
    assert render("c/{id}", values, payload=lambda: payload, payload_first=True) == "c/payload-id"


def test_the_payload_is_parsed_at_most_once_and_only_when_needed() -> None:
    calls = []

    def payload() -> dict[str, str]:
        calls.append(1)
        return {"a": "x", "b": "y"}

    data = BindingData({"route": "r"}, payload=payload)
    PathTemplate("c/{route}", "here").render(data)
    assert calls == []
    PathTemplate("c/{a}/{b}", "here").render(data)
    assert calls == [1]


def test_a_payload_that_is_not_json_offers_no_names() -> None:
    def broken() -> object:
        raise ValueError("not JSON")

    with pytest.raises(BindingExpressionError, match=r"no value for \{id\}"):
        render("c/{id}", payload=broken)


@pytest.mark.parametrize(
    ("template", "values", "message"),
    [
        ("c/{missing}", {}, r"no value for \{missing\}"),
        ("c/{order.id}", {"order": Datum('{"no": 1}', "json")}, "order has no property 'id'"),
        ("c/{order}", {"order": Datum('{"id": 1}', "json")}, "must be text or a number"),
        ("c/{n}", {"n": None}, "must be text or a number"),
        ("c/{rand-guid:X}", {}, "expected a GUID format"),
        ("c/{sys.nothing}", {}, "expected sys.UtcNow"),
    ],
)
def test_missing_or_unusable_values(template: str, values: dict[str, object], message: str) -> None:
    with pytest.raises(BindingExpressionError, match=message):
        render(template, values)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("c/{name", "expected a closing '}'"),
        ("c/{a{b}}", "expected a closing '}'"),
        ("c/{}", "expected a name"),
        ("c/{a b}", "expected a name"),
        ("c/{a..b}", "expected a name"),
    ],
)
def test_malformed_templates_are_load_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message) as info:
        PathTemplate(text, "binding 'out' (blob)")
    assert info.value.message.startswith("binding 'out' (blob): ")


UNSAFE = ["..", ".", "a/b", "../up", "a\\b", "x\x00y", "tab\there", "new\nline", "a..b", "\x7f"]


@pytest.mark.parametrize("value", UNSAFE)
def test_unsafe_values_are_refused(value: str) -> None:
    with pytest.raises(UnsafeValueError, match="could leave its path segment"):
        render("c/{name}.txt", {"name": value})


@given(st.text(min_size=1))
def test_a_value_is_used_verbatim_or_refused(value: str) -> None:
    unsafe = (
        "/" in value
        or "\\" in value
        or ".." in value
        or value == "."
        or re.search(r"[\x00-\x1f\x7f]", value) is not None
    )
    try:
        text = render("c/{v}/end", {"v": value})
    except UnsafeValueError:
        assert unsafe
    else:
        assert not unsafe
        assert text == f"c/{value}/end"


def test_trusted_captures_may_hold_folders_but_no_dot_segments() -> None:
    values = {"name": "2024/06/pixel"}
    assert render("out/{name}.png", values, trusted=["NAME"]) == "out/2024/06/pixel.png"
    with pytest.raises(UnsafeValueError):
        render("out/{name}", values)  # not trusted: no '/'
    for bad in ("a/../b", "a//b", "/a", "a/./b"):
        with pytest.raises(UnsafeValueError):
            render("out/{name}", {"name": bad}, trusted=["name"])


def test_rand_guid_formats_and_a_new_guid_each_time() -> None:
    plain = render("{rand-guid}")
    assert uuid.UUID(plain).version == 4
    assert render("{rand-guid}") != plain
    assert re.fullmatch(r"[0-9a-f]{32}", render("{rand-guid:N}"))
    assert re.fullmatch(r"\{[0-9a-f-]{36}\}", render("{rand-guid:B}"))
    assert re.fullmatch(r"\([0-9a-f-]{36}\)", render("{rand-guid:p}"))


def test_datetime_is_the_invocation_time_in_utc_unless_the_data_has_one() -> None:
    data = BindingData()
    first = PathTemplate("{DateTime}", "here").render(data)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", first)
    assert PathTemplate("{DateTime}/{datetime}", "here").render(data) == f"{first}/{first}"
    assert PathTemplate("{sys.UtcNow:yyyy}", "here").render(data) == first[:4]
    assert render("{DateTime}", {"DateTime": "given"}) == "given"
    moment = {"when": Datum('"2024-06-18T09:15:27.1234567+00:00"', "json")}
    assert render("{when:yyyy-MM-dd}", moment) == "2024-06-18"


def test_sys_method_name() -> None:
    assert render("{sys.MethodName}", function_name="hello") == "hello"


def test_dotnet_datetime_formats() -> None:
    moment = datetime(2024, 3, 5, 14, 7, 9, 123456, tzinfo=timezone.utc)
    assert format_datetime(moment, "yyyy-MM-ddTHH-mm-ssZ") == "2024-03-05T14-07-09Z"
    assert format_datetime(moment, "yy/M/d h:m:s tt") == "24/3/5 2:7:9 PM"
    assert format_datetime(moment, "HH:mm:ss.fff 'at' \\Z") == "14:07:09.123 at Z"
    assert format_datetime(moment, "fffffff") == "1234560"


def test_app_settings_are_substituted() -> None:
    settings = {"CONTAINER": "files", "Q": "jobs"}
    assert substitute_app_settings("%CONTAINER%/{name}", settings, "w") == "files/{name}"
    assert substitute_app_settings("%Q%-%Q%", settings, "w") == "jobs-jobs"
    assert substitute_app_settings("100% sure", settings, "w") == "100% sure"
    with pytest.raises(TemplateError, match="app setting %MISSING%, which is not set"):
        substitute_app_settings("%MISSING%/x", settings, "binding 'b'")


# -- blob trigger patterns -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "blob", "expected"),
    [
        ("input/{name}", "a/b/c.txt", {"name": "a/b/c.txt"}),
        ("input/{name}.csv", "a.b.csv", {"name": "a.b"}),
        ("input/{name}.csv", "a.txt", None),
        ("input/{name}.{extension}", "foo.bar.txt", {"name": "foo", "extension": "bar.txt"}),
        (
            "input/foo/{name}.{extension}",
            "foo/skip/bar.txt",
            {"name": "skip/bar", "extension": "txt"},
        ),
        (
            "input/{name}/foo/{skip}.{ext}",
            "name/foo/skip/bar.txt",
            {"name": "name", "skip": "skip/bar", "ext": "txt"},
        ),
        ("input/{name}.-/{other}", "foo.-/bar.txt", {"name": "foo", "other": "bar.txt"}),
        ("input/{name}.-/", "foo.bar.-/txt", None),
        ("input", "anything", {"name": "anything"}),
    ],
)
def test_blob_trigger_patterns_match_as_the_host_does(
    pattern: str, blob: str, expected: dict[str, str] | None
) -> None:
    compiled = BlobPathPattern(pattern, "here")
    assert compiled.container == "input"
    assert compiled.match(blob) == expected


def test_a_pattern_lists_from_its_fixed_prefix() -> None:
    assert BlobPathPattern("c/images/{name}.png", "here").prefix == "images/"
    assert BlobPathPattern("c/{name}", "here").prefix == ""


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{c}/x", "fixed container name"),
        ("c/{a}{a}", "appears twice"),
        ("c/{a.b}", "plain names"),
        ("c/{DateTime:yyyy}", "plain names"),
        ("c/{open", "closing"),
    ],
)
def test_bad_blob_trigger_patterns(pattern: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        BlobPathPattern(pattern, "here")
