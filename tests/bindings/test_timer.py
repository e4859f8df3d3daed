"""Timer trigger: TimerInfo decoding, against azure.functions on the same Datums."""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Optional

import azure.functions as func
import pytest
import wire_junk
from azure.functions import _abc as azure_abc
from azure.functions.meta import Datum as AzureDatum
from azure.functions.timer import TimerRequest as StockTimerRequest
from azure.functions.timer import TimerRequestConverter
from hypothesis import given
from hypothesis import strategies as st
from wire_junk import DEEP_ARRAY, DEEP_OBJECT

import funcbind
from funcbind import AnnotationError, DecodeError, FuncbindError, UnsupportedDatumError
from funcbind.bindings import generic, timer
from funcbind.bindings.timer import TimerRequest
from funcbind.registry import BUILTIN_MODULES, Registry
from funcbind.worker import WorkerRegistry

FIXTURES = Path(__file__).parent.parent / "fixtures" / "timer"
FIXTURE_NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))
DATETIME_FIELDS = ("last", "next", "last_updated")


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def load(name: str, datum_class: type = funcbind.Datum) -> Any:
    """The fixture's payload as the host sends it: compact JSON text in a json Datum."""
    payload = fixture(name)["payload"]
    return datum_class(json.dumps(payload["json"], separators=(",", ":")), payload["type"])


@pytest.fixture(scope="module")
def registry() -> Registry:
    registry = Registry()
    generic.register(registry)
    timer.register(registry)
    return registry


def decode(registry: Registry, datum: Any, annotation: Any = func.TimerRequest) -> Any:
    return registry.decoder("timerTrigger", annotation)(datum, {})


def test_builtin_modules_list_timer() -> None:
    assert "funcbind.bindings.timer" in BUILTIN_MODULES


def test_registration(registry: Registry) -> None:
    found = registry.get("timerTrigger")
    assert found is not None and found.trigger and found.directions == {"in"}


# -- differential ------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_decode_matches_azure_functions_on_the_same_datum(registry: Registry, name: str) -> None:
    datum = load(name, AzureDatum)
    stock = TimerRequestConverter.decode(datum, trigger_metadata={})
    ours = decode(registry, datum)
    assert isinstance(ours, func.TimerRequest)
    assert isinstance(ours, azure_abc.TimerRequest)
    assert isinstance(ours, type(stock))
    assert ours.past_due == stock.past_due
    assert ours.schedule == stock.schedule
    assert ours.schedule_status == stock.schedule_status


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_decode_gives_the_fixture_values(registry: Registry, name: str) -> None:
    expected = fixture(name)["expected"]
    request = decode(registry, load(name))
    assert request.past_due is expected["past_due"]
    for field in DATETIME_FIELDS:
        text = expected[field]
        assert getattr(request, field) == (None if text is None else datetime.fromisoformat(text))


def test_schedule_status_null(registry: Registry) -> None:
    datum = load("schedule_status_null", AzureDatum)
    stock = TimerRequestConverter.decode(datum, trigger_metadata={})
    ours = decode(registry, datum)
    assert ours.schedule_status == stock.schedule_status == {}
    assert ours.last is ours.next is ours.last_updated is None
    assert ours.schedule == {"AdjustForDST": True}


def test_schedule_status_is_kept_as_sent(registry: Registry) -> None:
    request = decode(registry, load("past_due_local_offset"))
    assert request.schedule_status["Next"] == "2024-06-19T06:00:00+02:00"
    assert request.next is not None
    assert request.next.utcoffset() is not None
    assert request.next.utcoffset().total_seconds() == 2 * 3600  # type: ignore[union-attr]


def test_datetimes_are_parsed_once(registry: Registry) -> None:
    request = decode(registry, load("schedule_status"))
    assert request.last is request.last
    assert request.last_updated is request.last_updated


def test_missing_fields_match_azure_functions(registry: Registry) -> None:
    datum = AzureDatum("{}", "json")
    stock = TimerRequestConverter.decode(datum, trigger_metadata={})
    ours = decode(registry, datum)
    assert (ours.past_due, ours.schedule, ours.schedule_status) == (
        stock.past_due,
        stock.schedule,
        stock.schedule_status,
    )
    assert ours.past_due is False


def test_null_is_past_due_is_false(registry: Registry) -> None:
    # Difference: azure.functions hands the null on as past_due=None.
    datum = AzureDatum('{"IsPastDue": null}', "json")
    assert TimerRequestConverter.decode(datum, trigger_metadata={}).past_due is None
    assert decode(registry, datum).past_due is False


@pytest.mark.parametrize("kind", ["string", "bytes"])
def test_payload_as_string_or_bytes(registry: Registry, kind: str) -> None:
    # Difference: azure.functions accepts only a json Datum.
    text = '{"IsPastDue": true}'
    value = text if kind == "string" else text.encode()
    with pytest.raises(NotImplementedError):
        TimerRequestConverter.decode(AzureDatum(value, kind), trigger_metadata={})
    assert decode(registry, funcbind.Datum(value, kind)).past_due is True


def test_model_keyword_constructor_matches_azure_functions() -> None:
    status = {"Last": "2024-06-18T09:10:00+00:00"}
    ours = TimerRequest(past_due=True, schedule_status=status, schedule={"AdjustForDST": False})
    stock = StockTimerRequest(
        past_due=True, schedule_status=status, schedule={"AdjustForDST": False}
    )
    assert (ours.past_due, ours.schedule, ours.schedule_status) == (
        stock.past_due,
        stock.schedule,
        stock.schedule_status,
    )
    assert ours.last is not None and ours.last.year == 2024
    empty = TimerRequest()
    assert (empty.past_due, empty.schedule, empty.schedule_status, empty.next) == (
        False,
        {},
        {},
        None,
    )


def test_to_dict_matches_azure_functions_2(registry: Registry) -> None:
    datum = load("schedule_status", AzureDatum)
    stock = TimerRequestConverter.decode(datum, trigger_metadata={})
    if not hasattr(stock, "to_dict"):
        pytest.skip("to_dict() arrived in azure-functions 2.x")
    ours = decode(registry, datum)
    assert ours.to_dict() == stock.to_dict()
    assert ours.to_json() == stock.to_json()


def test_repr(registry: Registry) -> None:
    text = repr(decode(registry, load("schedule_status")))
    assert "past_due=False" in text
    assert "2024-06-18T09:15:00+00:00" in text


# -- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["[]", '"timer"', "42", "null", "true"])
def test_json_that_is_not_an_object(registry: Registry, text: str) -> None:
    # Difference: azure.functions fails with AttributeError ('list' has no 'get').
    with pytest.raises(AttributeError):
        TimerRequestConverter.decode(AzureDatum(text, "json"), trigger_metadata={})
    with pytest.raises(DecodeError, match="expected a JSON object") as info:
        decode(registry, funcbind.Datum(text, "json"))
    assert "timerTrigger" in str(info.value)


@given(
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(),
        st.lists(st.integers(), max_size=3),
    )
)
def test_any_json_that_is_not_an_object(value: Any) -> None:
    registry = Registry()
    timer.register(registry)
    with pytest.raises(DecodeError, match=r"timerTrigger.*expected a JSON object"):
        decode(registry, funcbind.Datum(json.dumps(value), "json"))


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"IsPastDue": "yes"}, "IsPastDue"),
        ({"IsPastDue": 1}, "IsPastDue"),
        ({"Schedule": "0 */5 * * * *"}, "Schedule"),
        ({"ScheduleStatus": ["2024-06-18T09:10:00Z"]}, "ScheduleStatus"),
        ({"ScheduleStatus": "2024-06-18T09:10:00Z"}, "ScheduleStatus"),
    ],
)
def test_fields_of_the_wrong_type_are_named(
    registry: Registry, payload: dict[str, Any], field: str
) -> None:
    # Difference: azure.functions hands such values on unchecked.
    stock = TimerRequestConverter.decode(
        AzureDatum(json.dumps(payload), "json"), trigger_metadata={}
    )
    handed_on = {"IsPastDue": stock.past_due, "Schedule": stock.schedule}
    assert handed_on.get(field, stock.schedule_status) == payload[field]
    with pytest.raises(DecodeError, match=f"field '{field}'"):
        decode(registry, funcbind.Datum(json.dumps(payload), "json"))


# The host sends all three keys; that shape takes a shorter path through the decoder,
# with the same checks and the same answers.
_EVERY_KEY = {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": None, "IsPastDue": False}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("IsPastDue", "yes"),
        ("IsPastDue", 1),
        ("Schedule", "0 */5 * * * *"),
        ("ScheduleStatus", ["2024-06-18T09:10:00Z"]),
    ],
)
def test_fields_of_the_wrong_type_are_named_when_every_key_is_sent(
    registry: Registry, field: str, value: Any
) -> None:
    payload = {**_EVERY_KEY, field: value}
    with pytest.raises(DecodeError, match=f"field '{field}'"):
        decode(registry, funcbind.Datum(json.dumps(payload), "json"))


def test_every_key_sent_as_null(registry: Registry) -> None:
    text = '{"Schedule": null, "ScheduleStatus": null, "IsPastDue": null}'
    request = decode(registry, funcbind.Datum(text, "json"))
    assert (request.past_due, request.schedule, request.schedule_status) == (False, {}, {})
    stock = TimerRequestConverter.decode(AzureDatum(text, "json"), trigger_metadata={})
    assert (stock.schedule, stock.schedule_status) == (request.schedule, request.schedule_status)


def test_fields_are_read_only_like_azure_functions(registry: Registry) -> None:
    request = decode(registry, load("schedule_status"))
    for name in ("past_due", "schedule", "schedule_status"):
        with pytest.raises(AttributeError):
            setattr(request, name, None)


@pytest.mark.parametrize(
    ("status", "field", "shown"),
    [
        ({"Last": "not a date"}, "last", "not a date"),
        ({"Next": 1718701800}, "next", "int 1718701800"),
        ({"LastUpdated": "2024-13-01T00:00:00Z"}, "last_updated", "2024-13-01"),
    ],
)
def test_bad_timestamps_fail_when_read(
    registry: Registry, status: dict[str, Any], field: str, shown: str
) -> None:
    request = decode(registry, funcbind.Datum(json.dumps({"ScheduleStatus": status}), "json"))
    assert request.past_due is False  # decoding succeeded; the field fails on access
    key = {"last": "Last", "next": "Next", "last_updated": "LastUpdated"}[field]
    with pytest.raises(DecodeError, match=f"'ScheduleStatus.{key}'") as info:
        getattr(request, field)
    assert shown in str(info.value)


def test_invalid_json(registry: Registry) -> None:
    with pytest.raises(DecodeError, match="invalid JSON"):
        decode(registry, funcbind.Datum("{not json", "json"))


def test_deeply_nested_json_is_a_decode_error(registry: Registry) -> None:
    # Difference: azure.functions lets a RecursionError escape.
    with pytest.raises(RecursionError):
        TimerRequestConverter.decode(AzureDatum(DEEP_ARRAY, "json"), trigger_metadata={})
    binding = WorkerRegistry(registry).get("timerTrigger")
    assert binding is not None
    for datum in (
        funcbind.Datum(DEEP_ARRAY, "json"),
        funcbind.Datum(DEEP_OBJECT, "string"),
        funcbind.Datum(memoryview(DEEP_ARRAY.encode()), "bytes"),
    ):
        with pytest.raises(DecodeError, match="expected TimerInfo as JSON text, got invalid JSON"):
            binding.decode(datum, trigger_metadata={})
        with pytest.raises(DecodeError, match="got invalid JSON"):
            decode(registry, datum, dict)


@pytest.mark.parametrize(
    "datum", [funcbind.Datum(1, "int"), funcbind.Datum(None, None), funcbind.Datum(2.0, "double")]
)
def test_unsupported_payload_kinds(registry: Registry, datum: Any) -> None:
    with pytest.raises(UnsupportedDatumError, match="timerTrigger") as info:
        decode(registry, datum)
    assert isinstance(info.value, NotImplementedError)


def test_optional_annotation_accepts_null(registry: Registry) -> None:
    assert decode(registry, funcbind.Datum(None, None), Optional[func.TimerRequest]) is None


# -- annotations and the worker protocol ---------------------------------------------


def test_plain_annotations_get_the_payload(registry: Registry) -> None:
    datum = load("schedule_status")
    assert decode(registry, datum, dict) == fixture("schedule_status")["payload"]["json"]
    assert decode(registry, datum, str) == datum.value
    assert decode(registry, datum, bytes) == datum.value.encode()


@pytest.mark.parametrize("annotation", [func.QueueMessage, func.HttpRequest, int, list[str]])
def test_unrelated_annotations_are_rejected(registry: Registry, annotation: Any) -> None:
    with pytest.raises(AnnotationError, match="TimerRequest"):
        registry.decoder("timerTrigger", annotation)


def test_worker_protocol(registry: Registry) -> None:
    binding = WorkerRegistry(registry).get("timerTrigger")
    assert binding is not None
    assert binding.has_trigger_support()
    assert binding.check_input_type_annotation(func.TimerRequest)
    assert binding.check_input_type_annotation(azure_abc.TimerRequest)
    assert not binding.check_input_type_annotation(func.QueueMessage)
    assert not binding.check_output_type_annotation(func.TimerRequest)
    request = binding.decode(load("past_due_local_offset", AzureDatum), trigger_metadata={})
    assert isinstance(request, func.TimerRequest)
    assert request.past_due is True


# -- hypothesis: junk ----------------------------------------------------------------

_JUNK_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.datetimes().map(datetime.isoformat),
    st.lists(st.integers(), max_size=2),
)
_SCHEDULE_STATUS = st.fixed_dictionaries(
    {}, optional=dict.fromkeys(("Last", "Next", "LastUpdated"), _JUNK_VALUE)
)
_TIMER_INFO = st.fixed_dictionaries(
    {},
    optional={
        "IsPastDue": _JUNK_VALUE,
        "Schedule": st.one_of(_JUNK_VALUE, st.dictionaries(st.text(max_size=5), _JUNK_VALUE)),
        "ScheduleStatus": st.one_of(_JUNK_VALUE, _SCHEDULE_STATUS),
    },
)


@given(
    payload=st.one_of(
        wire_junk.wire_datums(),
        _TIMER_INFO.map(lambda info: funcbind.Datum(json.dumps(info), "json")),
    ),
    pytype=st.sampled_from([None, dict, str, bytes, Optional[dict]]),
)
def test_junk_through_the_worker_facade_is_only_ever_a_funcbind_error(
    payload: funcbind.Datum, pytype: Any
) -> None:
    registry = Registry()
    generic.register(registry)
    timer.register(registry)
    binding = WorkerRegistry(registry).get("timerTrigger")
    assert binding is not None
    try:
        decoded = binding.decode(payload, trigger_metadata={}, pytype=pytype)
    except FuncbindError:
        return
    if pytype is not None:
        return
    members = ("past_due", "schedule", "schedule_status", *DATETIME_FIELDS)
    wire_junk.read_every_member(
        {
            **{member: partial(getattr, decoded, member) for member in members},
            "repr": partial(repr, decoded),
        }
    )
