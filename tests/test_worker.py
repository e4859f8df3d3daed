"""The worker-protocol facade (funcbind.worker), as language workers drive it."""

from __future__ import annotations

import json
import typing
from typing import Any

import azure.functions as func
import pytest

import funcbind
from funcbind import Datum, Registry, UnsupportedDatumError, UnsupportedValueError
from funcbind.registry import default_registry
from funcbind.worker import WorkerBinding, WorkerRegistry, get_binding_registry

WORKER_METHODS = (
    "has_trigger_support",
    "has_implicit_output",
    "check_input_type_annotation",
    "check_output_type_annotation",
    "decode",
    "encode",
)


@pytest.fixture
def worker() -> WorkerRegistry:
    return WorkerRegistry(default_registry())


def test_get_binding_registry_is_one_shared_object() -> None:
    assert get_binding_registry() is get_binding_registry()
    assert funcbind.get_binding_registry is get_binding_registry


def test_every_builtin_name_has_the_worker_surface(worker: WorkerRegistry) -> None:
    for name in worker.registry:
        binding = worker.get(name)
        assert binding is not None
        for method in WORKER_METHODS:
            assert callable(getattr(binding, method)), (name, method)
        assert isinstance(binding.has_trigger_support(), bool)
        assert isinstance(binding.has_implicit_output(), bool)


def test_unknown_names_are_none(worker: WorkerRegistry) -> None:
    assert worker.get("surelyNotABinding") is None
    assert worker.get("surelyNotABinding") is None


def test_get_returns_the_same_binding_object(worker: WorkerRegistry) -> None:
    assert worker.get("generic") is worker.get("generic")


def test_the_shared_registry_loads_installed_plugins() -> None:
    echo = get_binding_registry().get("echo")
    assert echo is not None
    assert echo.has_trigger_support() is True


BAD_ANNOTATIONS: list[Any] = [
    3,
    "str",
    typing.TypeVar("T"),
    list[set[int]],
    func.Out[func.Out[str]],
    typing.Literal["x"],
    object(),
    None,
]


@pytest.mark.parametrize("annotation", BAD_ANNOTATIONS)
def test_annotation_checks_return_bool_and_never_raise(
    worker: WorkerRegistry, annotation: Any
) -> None:
    for name in worker.registry:
        binding = worker.get(name)
        assert binding is not None
        assert isinstance(binding.check_input_type_annotation(annotation), bool)
        assert isinstance(binding.check_output_type_annotation(annotation), bool)


def test_generic_checks(worker: WorkerRegistry) -> None:
    generic = worker.get("generic")
    assert generic is not None
    assert generic.check_input_type_annotation(str)
    assert generic.check_input_type_annotation(typing.Optional[bytes])
    assert generic.check_input_type_annotation(list[str])
    assert not generic.check_input_type_annotation(set[int])
    assert generic.check_output_type_annotation(bytearray)
    assert not generic.check_output_type_annotation(set)
    assert not generic.has_trigger_support()
    assert not generic.has_implicit_output()
    assert not generic.has_implicit_output("generic")  # workers pass the name for generic


def test_decode_accepts_pytype_and_other_datum_classes(worker: WorkerRegistry) -> None:
    generic = worker.get("generic")
    assert generic is not None
    theirs = func.meta.Datum('{"a": 1}', "json")
    assert generic.decode(theirs, trigger_metadata={}) == '{"a": 1}'
    assert generic.decode(theirs, trigger_metadata={}, pytype=dict) == {"a": 1}
    assert generic.decode(theirs, trigger_metadata=None, pytype=dict) == {"a": 1}


def test_unsupported_data_is_also_not_implemented(worker: WorkerRegistry) -> None:
    generic = worker.get("generic")
    assert generic is not None
    with pytest.raises(NotImplementedError) as info:
        generic.decode(Datum({"method": Datum("GET", "string")}, "http"), trigger_metadata={})
    assert isinstance(info.value, UnsupportedDatumError)
    assert "'http'" in str(info.value)
    with pytest.raises(NotImplementedError) as encode_info:
        generic.encode(object(), expected_type=None)
    assert isinstance(encode_info.value, UnsupportedValueError)
    assert str(encode_info.value).startswith("binding 'generic': expected str")


def test_trigger_metadata_only_reaches_trigger_converters() -> None:
    seen: list[Any] = []

    class Recorder:
        directions = frozenset({"in"})

        def decoder(self, spec: Any, binding: Any) -> Any:
            return lambda datum, metadata: seen.append(metadata)

    registry = Registry()
    registry.register("plain", converter=Recorder())
    registry.register("plainTrigger", converter=Recorder(), trigger=True)
    worker = WorkerRegistry(registry)
    metadata = {"Id": Datum("1", "string")}
    worker.get("plain").decode(Datum("x", "string"), trigger_metadata=metadata)  # type: ignore[union-attr]
    worker.get("plainTrigger").decode(Datum("x", "string"), trigger_metadata=metadata)  # type: ignore[union-attr]
    assert seen == [None, metadata]
    assert not worker.get("plain").check_output_type_annotation(str)  # type: ignore[union-attr]


def test_encode_returns_a_datum_workers_accept(worker: WorkerRegistry) -> None:
    generic = worker.get("generic")
    assert generic is not None
    text = generic.encode("abc", expected_type=str)
    assert text == Datum("abc", "string")
    payload = b"abc"
    assert generic.encode(payload, expected_type=bytes).value is payload
    assert generic.encode(True, expected_type=None) == Datum(1, "int")


@pytest.mark.parametrize("buffer", [bytearray(b"abc"), memoryview(b"abc")])
def test_binary_buffers_become_bytes_for_the_workers(
    worker: WorkerRegistry, buffer: bytearray | memoryview
) -> None:
    # The workers hand the value to TypedData(bytes=...), which accepts bytes only.
    generic = worker.get("generic")
    assert generic is not None
    datum = generic.encode(buffer, expected_type=None)
    assert datum == Datum(b"abc", "bytes")
    assert type(datum.value) is bytes


def test_nothing_is_a_null_datum_for_the_workers(worker: WorkerRegistry) -> None:
    # datum_as_proto reads .type of what encode returns; None itself would crash it.
    generic = worker.get("generic")
    assert generic is not None
    datum = generic.encode(None, expected_type=None)
    assert (datum.type, datum.value) == (None, None)


def test_http_bodies_become_bytes_for_the_workers(worker: WorkerRegistry) -> None:
    http = worker.get("http")
    assert http is not None
    datum = http.encode(bytearray(b"<p>hi</p>"), expected_type=bytes)
    assert datum.type == "http"
    body = datum.value["body"]
    assert type(body.value) is bytes
    assert body.value == b"<p>hi</p>"


@pytest.mark.parametrize(
    ("binding", "annotation", "accepted"),
    [
        ("httpTrigger", func.HttpRequest, True),
        ("httpTrigger", typing.Optional[func.HttpRequest], True),
        ("blobTrigger", func.InputStream, True),
        ("queueTrigger", func.QueueMessage, True),
        ("timerTrigger", func.TimerRequest, True),
        # funcbind's own functions may take these, but a worker calls decode() without
        # the annotation and would hand over the model instead:
        ("queueTrigger", dict, False),
        ("timerTrigger", dict, False),
    ],
)
def test_workers_are_offered_only_what_decode_without_pytype_gives(
    worker: WorkerRegistry, binding: str, annotation: Any, accepted: bool
) -> None:
    found = worker.get(binding)
    assert found is not None
    assert found.check_input_type_annotation(annotation) is accepted
    # ... while funcbind's own function layer still compiles them.
    assert worker.registry.decoder(binding, annotation) is not None


# -- converters without a model (funcbind.converter): decode for the checked annotation ------


class _RowsConverter:
    """The docs' first csvRow example: list[str] only, so no annotation is refused."""

    directions = frozenset({"in"})

    def decoder(self, spec: Any, binding: Any) -> Any:
        if not spec.items_subclass_of(str):
            return None
        return lambda datum, metadata: datum.value.split(",")


class _ShapedConverter:
    """Decodes differently per annotation: text without one, parsed JSON for dict."""

    directions = frozenset({"in"})

    def decoder(self, spec: Any, binding: Any) -> Any:
        if spec.kind == "any":
            return lambda datum, metadata: datum.value
        if spec.is_class(dict):
            return lambda datum, metadata: dict(json.loads(datum.value))
        return None


def _facade(converter: object) -> WorkerBinding:
    registry = Registry()
    registry.register("custom", converter=converter)
    binding = WorkerRegistry(registry).get("custom")
    assert binding is not None
    return binding


def test_a_converter_that_refuses_no_annotation_decodes_for_the_checked_one() -> None:
    binding = _facade(_RowsConverter())
    assert binding.check_input_type_annotation(list[str]) is True
    assert binding.decode(Datum("a,b", "string"), trigger_metadata={}) == ["a", "b"]


def test_a_converter_that_accepts_no_annotation_decodes_for_it_whatever_was_checked() -> None:
    """As before the checked annotation counted: an answer that does not depend on which
    functions loaded before."""
    binding = _facade(_ShapedConverter())
    assert binding.check_input_type_annotation(dict) is True
    assert binding.decode(Datum('{"a": 1}', "string")) == '{"a": 1}'


def test_without_any_annotation_to_go_by_the_error_is_what_workers_expect() -> None:
    binding = _facade(_RowsConverter())
    for _ in range(2):
        with pytest.raises(UnsupportedDatumError, match="annotate the parameter") as caught:
            binding.decode(Datum("a,b", "string"), trigger_metadata={})
        assert isinstance(caught.value, NotImplementedError)
        assert "does not accept no annotation" in str(caught.value)


def test_two_annotations_of_such_a_converter_are_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    binding = _facade(_RowsConverter())
    with caplog.at_level("WARNING", logger="funcbind.worker"):
        assert binding.check_input_type_annotation(list[str]) is True
        assert binding.check_input_type_annotation(typing.List[str]) is True  # the same shape
        assert binding.decode(Datum("a,b", "string")) == ["a", "b"]
        assert caplog.records == []
        assert binding.check_input_type_annotation(typing.Optional[list[str]]) is True
        assert binding.decode(Datum("a,b", "string")) == ["a", "b"]  # the first one's
    [record] = caplog.records
    message = record.getMessage()
    assert "binding 'custom'" in message
    assert "annotated list[str] and list[str] | None" in message
    assert "what the first, list[str], asks for" in message
