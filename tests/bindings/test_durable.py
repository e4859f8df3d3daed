"""Durable Functions bindings: contexts, the activity JSON conventions, the client."""

from __future__ import annotations

import json
from typing import Any, Optional

import azure.functions as func
import pytest
from azure.functions import _durable_functions as stock_codec
from azure.functions.meta import Datum as AzureDatum
from hypothesis import given
from hypothesis import strategies as st

import funcbind
from funcbind import DecodeError, EncodeError, UnsupportedDatumError, UnsupportedValueError
from funcbind.bindings import durable
from funcbind.registry import BindingSpec, Registry

NAMES = ("orchestrationTrigger", "entityTrigger", "activityTrigger", "durableClient")


@pytest.fixture(autouse=True)
def _stock_notices_done(monkeypatch: pytest.MonkeyPatch) -> None:
    # azure.functions' codec warns once per process (docs/compatibility.md,
    # durable-codec-no-notices); the comparisons here are about values.
    monkeypatch.setattr(stock_codec, "_no_expected_type_notice_emitted", True)
    monkeypatch.setattr(stock_codec, "_loose_codec_notice_emitted", True)


@pytest.fixture
def registry() -> Registry:
    made = Registry()
    durable.register(made)
    return made


class Money:
    """A class with the Durable to_json/from_json protocol (module: this test module)."""

    def __init__(self, amount: int, currency: str) -> None:
        self.amount = amount
        self.currency = currency

    @staticmethod
    def to_json(money: Money) -> dict[str, Any]:
        return {"amount": money.amount, "currency": money.currency}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Money:
        return Money(data["amount"], data["currency"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]


def _activity_decoder(registry: Registry, name: str = "payment") -> Any:
    return registry.decoder("activityTrigger", Any, BindingSpec("activityTrigger", name))


# -- registration and annotations ----------------------------------------------------------


def test_the_default_registry_serves_every_durable_name_natively() -> None:
    registry = funcbind.default_registry()
    for name in NAMES:
        registration = registry.get(name)
        assert registration is not None, name
        assert type(registration.converter).__module__ == durable.__name__
    assert registry.get("durableClient").trigger is False  # type: ignore[union-attr]
    assert not registry.get("durableClient").implicit_output  # type: ignore[union-attr]
    for name in NAMES[:3]:
        assert registry.get(name).trigger and registry.get(name).implicit_output  # type: ignore[union-attr]


@pytest.mark.parametrize("annotation", [str, dict, int, list, Money, Any, Optional[int], None])
def test_activity_inputs_of_any_annotation_load(annotation: Any) -> None:
    """azure.functions accepts every annotation on an activity input; so do we (the
    issue: dict and int were refused at load)."""
    binding = funcbind.get_binding_registry().get("activityTrigger")
    assert binding is not None
    assert binding.check_input_type_annotation(annotation) is True
    assert binding.check_output_type_annotation(annotation) is True


def test_context_annotations() -> None:
    registry = funcbind.get_binding_registry()
    orchestration, entity = registry.get("orchestrationTrigger"), registry.get("entityTrigger")
    assert orchestration is not None and entity is not None
    assert orchestration.check_input_type_annotation(func.OrchestrationContext)
    assert entity.check_input_type_annotation(func.EntityContext)
    assert not orchestration.check_input_type_annotation(func.EntityContext)
    assert not entity.check_input_type_annotation(func.OrchestrationContext)
    assert not orchestration.check_input_type_annotation(dict)
    client = registry.get("durableClient")
    assert client is not None
    assert client.check_input_type_annotation(str) and client.check_input_type_annotation(bytes)
    assert not client.check_input_type_annotation(dict)


# -- orchestration and entity contexts ---------------------------------------------------------

STATE = '{"history": [], "input": "\\"Tokyo\\"", "instanceId": "abc", "isReplaying": false}'


@pytest.mark.parametrize(
    ("name", "stock_class"),
    [("orchestrationTrigger", func.OrchestrationContext), ("entityTrigger", func.EntityContext)],
)
@pytest.mark.parametrize("payload", [STATE, STATE.encode(), bytearray(STATE.encode())])
def test_contexts_hold_the_text_as_sent(name: str, stock_class: type, payload: Any) -> None:
    binding = funcbind.get_binding_registry().get(name)
    assert binding is not None
    context = binding.decode(AzureDatum(payload, "json"), trigger_metadata={})
    assert isinstance(context, stock_class)
    assert context.body == str(context) == STATE
    stock = (
        func.get_binding_registry().get(name).decode(AzureDatum(STATE, "json"), trigger_metadata={})
    )
    assert repr(context) == repr(stock)


def test_context_errors_name_the_binding(registry: Registry) -> None:
    decode = registry.decoder(
        "orchestrationTrigger",
        func.OrchestrationContext,
        BindingSpec("orchestrationTrigger", "ctx"),
    )
    with pytest.raises(DecodeError, match=r"'orchestrationTrigger' \('ctx'\).*not UTF-8"):
        decode(funcbind.Datum(b"\xff", "bytes"), {})
    with pytest.raises(UnsupportedDatumError, match=r"'orchestrationTrigger' \('ctx'\).*None"):
        decode(funcbind.Datum(None, None), {})


def test_state_goes_back_as_json(registry: Registry) -> None:
    encode = registry.encoder("orchestrationTrigger", Any)
    assert encode('{"isDone": true}') == funcbind.Datum('{"isDone": true}', "json")
    assert encode({"isDone": True}) == funcbind.Datum('{"isDone": true}', "json")
    with pytest.raises(UnsupportedValueError, match="orchestrationTrigger"):
        encode({1, 2})


# -- activities --------------------------------------------------------------------------------


def test_custom_objects_round_trip(registry: Registry) -> None:
    encode = registry.encoder("activityTrigger", Any)
    sent = encode([Money(5, "EUR"), {"fee": Money(1, "EUR")}])
    assert sent is not None and sent.type == "json"
    assert sent.value == stock_codec.df_dumps([Money(5, "EUR"), {"fee": Money(1, "EUR")}])
    received = _activity_decoder(registry)(funcbind.Datum(sent.value, "json"), {})
    assert received == [Money(5, "EUR"), {"fee": Money(1, "EUR")}]


def test_input_that_is_not_json_is_the_text(registry: Registry) -> None:
    assert _activity_decoder(registry)(funcbind.Datum("Tokyo", "string"), {}) == "Tokyo"


@pytest.mark.parametrize(
    ("envelope", "reason"),
    [
        ({"__class__": "Money", "__module__": "no_such_module", "__data__": {}}, "not imported"),
        ({"__class__": "Nope", "__module__": __name__, "__data__": {}}, "has no class 'Nope'"),
        ({"__class__": "Money", "__module__": __name__, "__data__": {}}, "KeyError"),
    ],
)
def test_inputs_that_cannot_be_rebuilt_fail_naming_binding_and_parameter(
    registry: Registry, envelope: dict[str, Any], reason: str
) -> None:
    with pytest.raises(DecodeError) as raised:
        _activity_decoder(registry)(funcbind.Datum(json.dumps(envelope), "json"), {})
    message = str(raised.value)
    assert "binding 'activityTrigger' ('payment')" in message
    assert reason in message
    located = raised.value.at(function="pay", parameter="payment")
    assert str(located).startswith("function 'pay', parameter 'payment': binding")


def test_wire_kinds_other_than_text_are_unsupported(registry: Registry) -> None:
    with pytest.raises(UnsupportedDatumError, match="wire type 'bytes'"):
        _activity_decoder(registry)(funcbind.Datum(b"1", "bytes"), {})


def test_results_that_are_not_json_fail_clearly(registry: Registry) -> None:
    encode = registry.encoder("activityTrigger", Any, BindingSpec("activityTrigger", "payment"))
    with pytest.raises(EncodeError, match=r"'activityTrigger' \('payment'\).*to_json"):
        encode(object())


@pytest.mark.parametrize("strict", ["1", "true", " YES "])
def test_strict_typing_follows_the_environment_as_azure_functions_does(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, strict: str
) -> None:
    monkeypatch.setenv(durable.STRICT_SETTING, strict)
    nested = {"fee": Money(1, "EUR")}
    with pytest.raises(TypeError):
        stock_codec.df_dumps(nested)
    with pytest.raises(EncodeError):
        registry.encoder("activityTrigger", Any)(nested)
    top = registry.encoder("activityTrigger", Any)(Money(2, "USD"))
    assert top is not None and top.value == stock_codec.df_dumps(Money(2, "USD"))
    with pytest.raises(DecodeError, match="strict"):
        _activity_decoder(registry)(funcbind.Datum(top.value, "json"), {})
    plain = '[{"__class__": "Money", "__module__": "x", "__data__": 1}]'
    assert durable.loads(plain) == stock_codec.df_loads(plain)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(value=JSON, ensure_ascii=st.booleans(), escaped=st.booleans())
def test_loads_and_dumps_equal_the_stock_codec(
    value: Any, ensure_ascii: bool, escaped: bool
) -> None:
    text = json.dumps(value, ensure_ascii=ensure_ascii)
    if escaped:
        text = text.replace("_", "\\u005f") if "\\" not in text else text
    assert durable.loads(text) == stock_codec.df_loads(text)
    assert durable.dumps(value) == stock_codec.df_dumps(value)


# -- the client ----------------------------------------------------------------------------------


def test_the_client_configuration_passes_through() -> None:
    binding = funcbind.get_binding_registry().get("durableClient")
    assert binding is not None
    config = '{"taskHubName": "hub"}'
    for kind in ("string", "json"):
        assert binding.decode(AzureDatum(config, kind), trigger_metadata=None) == config
    assert binding.decode(None, trigger_metadata=None) is None  # type: ignore[arg-type]
    with pytest.raises(UnsupportedDatumError, match="durableClient"):
        binding.decode(AzureDatum(1, "int"), trigger_metadata=None)


def test_client_outputs_the_worker_could_not_write_fail_here() -> None:
    binding = funcbind.get_binding_registry().get("durableClient")
    assert binding is not None
    assert binding.encode({"a": 1}).type == "dict"
    with pytest.raises(UnsupportedValueError, match="JSON-serialisable dict"):
        binding.encode({"a": b"bytes"})


def test_strict_typing_reads_a_replaced_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The setting is read through the public mapping, so an os.environ replaced by a
    plain mapping is read too."""
    assert durable.strict_typing() is False
    monkeypatch.setenv(durable.STRICT_SETTING, "yes")
    assert durable.strict_typing() is True
    monkeypatch.setattr(durable.os, "environ", {durable.STRICT_SETTING: "0"})
    assert durable.strict_typing() is False
    monkeypatch.setattr(durable.os, "environ", {durable.STRICT_SETTING: "True"})
    assert durable.strict_typing() is True


class _RecordingEnviron(dict[str, str]):
    """An environment that records the names looked up in it."""

    def __init__(self, **values: str) -> None:
        super().__init__(values)
        self.asked: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.append(key)
        return super().get(key, default)


@pytest.mark.parametrize("strict", ["", "1"])
def test_plain_payloads_do_not_read_the_setting(
    monkeypatch: pytest.MonkeyPatch, strict: str
) -> None:
    """Its lookup costs more than a small payload's parse; plain JSON comes out the same
    under either typing, so only a payload that could differ asks."""
    envelope = stock_codec.df_dumps(Money(5, "EUR"))
    environ = _RecordingEnviron(**{durable.STRICT_SETTING: strict})
    monkeypatch.setattr(durable.os, "environ", environ)
    assert durable.loads('{"amount": 5, "tags": ["a"]}') == {"amount": 5, "tags": ["a"]}
    assert durable.dumps({"amount": 5, "tags": ["a"]}) == '{"amount": 5, "tags": ["a"]}'
    assert environ.asked == []
    if strict:
        with pytest.raises(TypeError, match="strict"):
            durable.loads(envelope)
        with pytest.raises(TypeError):
            durable.dumps([Money(5, "EUR")])
    else:
        assert durable.loads(envelope) == Money(5, "EUR")
        assert durable.dumps([Money(5, "EUR")]) == f"[{envelope}]"
    assert environ.asked == [durable.STRICT_SETTING] * 2


def test_a_json_value_with_to_json_is_an_envelope_under_strict_typing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A dict subclass with to_json is plain JSON to the loose codec, an envelope to the
    strict one: the shortcut for plain values must not take it."""

    class Priced(dict[str, int]):
        @staticmethod
        def to_json(value: Priced) -> dict[str, int]:
            return {"total": sum(value.values())}

    value = Priced(a=1, b=2)
    assert durable.dumps(value) == stock_codec.df_dumps(value) == '{"a": 1, "b": 2}'
    monkeypatch.setenv(durable.STRICT_SETTING, "1")
    assert durable.dumps(value) == stock_codec.df_dumps(value)
    assert '"__data__": {"total": 3}' in durable.dumps(value)


# -- funcbind's own pipeline: the return value goes back on the trigger --------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_an_activity_returns_on_its_trigger_without_a_return_binding() -> None:
    from funcbind.function import compile_function, parse_bindings
    from funcbind.invoke import invoke

    def pay(payment: dict) -> Money:  # type: ignore[type-arg]
        return Money(payment["amount"], "EUR")

    plan = compile_function(
        pay,
        parse_bindings(
            [{"name": "payment", "type": "activityTrigger", "direction": "in"}], function="pay"
        ),
        name="pay",
        registry=funcbind.default_registry(),
        directory="/apps/durable/pay",
    )
    result = await invoke(plan, {"payment": funcbind.Datum('{"amount": 5}', "json")})
    assert result.ok, result.error
    assert result.return_value == funcbind.Datum(stock_codec.df_dumps(Money(5, "EUR")), "json")
