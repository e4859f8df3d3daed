"""funcbind as the binding registry of the real Python worker, end to end.

The worker library ``azure-functions-runtime`` (Python 3.13+) runs the v2 app in
``app/`` through the host's request flow (worker init, function metadata, function
load, invocations; see ``worker_driver.py``) twice: with the stock registry, and with
``azure.functions.get_binding_registry`` patched to return funcbind's, which is how the
worker picks a registry up (``bindings/meta.py: load_binding_registry``).  Every
response of the second run must equal the first field by field, except where
docs/compatibility.md documents an improvement.

Runs in the nox session ``worker-3.13``, which installs the worker library and the
generated message classes; elsewhere the tests skip, unless FUNCBIND_REQUIRE_WORKER is
set (the session sets it, so a broken install fails instead of skipping).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions
import pytest
import response_diff
import rpc_protos
import worker_driver
from response_diff import Difference, Improvement

import funcbind
import funcbind.worker
from funcbind import Datum

HERE = Path(__file__).parent
IMPROVED_APP = HERE / "app_improved"


def _load_protos() -> Any:
    try:
        import azure_functions_runtime  # noqa: F401

        return rpc_protos.load()
    except (ImportError, rpc_protos.ProtosUnavailable) as exc:
        reason = (
            f"the real worker is not installed here ({exc}); `nox -s worker-3.13` runs these "
            "tests with azure-functions-runtime and the generated protobuf classes"
        )
        if os.environ.get("FUNCBIND_REQUIRE_WORKER"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason, allow_module_level=True)


PROTOS = _load_protos()


@pytest.fixture(scope="module")
def protos() -> Any:
    return PROTOS


@pytest.fixture(scope="module")
def invocations(protos: Any) -> list[tuple[str, Any]]:
    return worker_driver.load_invocations(protos)


def run_with_funcbind(
    protos: Any,
    invocations: list[tuple[str, Any]],
    app_dir: Path = worker_driver.APP_DIR,
    script: str = worker_driver.SCRIPT,
) -> worker_driver.Run:
    """One run with ``azure.functions.get_binding_registry`` returning funcbind's registry."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(azure.functions, "get_binding_registry", funcbind.get_binding_registry)
        run = worker_driver.run_app(protos, invocations, app_dir, script)
        from azure_functions_runtime.bindings import meta

        # The worker really held funcbind's registry during the run.
        assert meta.BINDING_REGISTRY is funcbind.get_binding_registry()
    return run


@pytest.fixture(scope="module")
def stock_run(protos: Any, invocations: list[tuple[str, Any]]) -> worker_driver.Run:
    run = worker_driver.run_app(protos, invocations)
    from azure_functions_runtime.bindings import meta

    assert meta.BINDING_REGISTRY is azure.functions.get_binding_registry()
    return run


@pytest.fixture(scope="module")
def funcbind_run(protos: Any, invocations: list[tuple[str, Any]]) -> worker_driver.Run:
    return run_with_funcbind(protos, invocations)


# The improvements this app shows, each an entry of docs/compatibility.md (by its id).
IMPROVEMENTS = [
    # The stock worker turns the "" of an unset Morsel attribute into a present empty
    # NullableString; funcbind's cookies leave unset attributes out.
    Improvement(
        "http-cookie-unset-attributes",
        frozenset({"http-cookies"}),
        r"return_value\.http\.cookies\[\d+\]\.(domain|path)\.value",
    ),
    # azure.functions raises on a datetime with a non-UTC offset; funcbind keeps it.
    Improvement(
        "queue-datetime-shapes",
        frozenset({"queue-trigger-offset"}),
        r"result\.(status|exception\..*)|return_value\..*",
    ),
]


def responses(run: worker_driver.Run) -> dict[str, Any]:
    """Every answer of a run, keyed by step: init, metadata, loads, invocations."""
    answers: dict[str, Any] = {"worker_init": run.init, "functions_metadata": run.metadata}
    answers.update((f"load {name}", response) for name, response in run.loads.items())
    answers.update(run.invocations)
    return answers


def differences(stock: worker_driver.Run, candidate: worker_driver.Run) -> list[Difference]:
    return response_diff.compare(responses(stock), responses(candidate), IMPROVEMENTS)


def _report(found: list[Difference]) -> str:
    return "\n".join(str(difference) for difference in found)


# -- the comparison ---------------------------------------------------------------------


def test_the_stock_run_succeeds_everywhere_it_should(
    stock_run: worker_driver.Run, invocations: list[tuple[str, Any]]
) -> None:
    """The baseline is meaningful: every function indexed, loaded and ran."""
    success = "Success"
    assert _status(stock_run.init) == success
    assert _status(stock_run.metadata) == success
    assert len(stock_run.metadata.function_metadata_results) >= 10
    assert {_status(load) for load in stock_run.loads.values()} == {success}
    failed = {
        invocation_id
        for invocation_id, response in stock_run.invocations.items()
        if _status(response) != success
    }
    assert failed == {"queue-trigger-offset"}  # the one azure.functions cannot read
    assert len(stock_run.invocations) == len(invocations)


def test_funcbind_answers_like_the_stock_registry(
    stock_run: worker_driver.Run, funcbind_run: worker_driver.Run
) -> None:
    found = differences(stock_run, funcbind_run)
    unexplained = [d for d in found if d.improvement is None]
    assert not unexplained, "funcbind differs from azure.functions:\n" + _report(found)
    # Each declared improvement still shows: a regression to the stock behaviour is seen.
    assert {d.improvement for d in found} == {i.id for i in IMPROVEMENTS}, _report(found)


def test_every_function_and_invocation_succeeds_with_funcbind(
    funcbind_run: worker_driver.Run,
) -> None:
    statuses = [_status(funcbind_run.init), _status(funcbind_run.metadata)]
    statuses += [_status(r) for r in funcbind_run.loads.values()]
    statuses += [_status(r) for r in funcbind_run.invocations.values()]
    assert set(statuses) == {"Success"}


def test_the_decoded_values_reach_the_responses(funcbind_run: worker_driver.Run) -> None:
    """Spot checks that the comparison compares something: what the functions saw."""
    report = _http_json(funcbind_run.invocations["http-post-form"])
    assert report["form"] == {"a": ["1", "3"], "b": ["two words"], "c": ["é"]}
    assert report["route_params"] == {"who": "form"}
    message = json.loads(
        funcbind_run.invocations["queue-trigger-bytes-7-digits"].return_value.string
    )
    assert message["insertion_time"] == "2018-08-07T23:17:57.461050+00:00"
    assert message["dequeue_count"] == 3
    blob = _http_json(funcbind_run.invocations["blob-input-bytes"])
    assert blob["rest"] == "HEADrest of the blob"
    queued = funcbind_run.invocations["queue-output-list"].output_data[0].data.json
    assert json.loads(queued) == ["first", "second é", "third"]


def test_the_row_families_reach_the_responses(funcbind_run: worker_driver.Run) -> None:
    """Cosmos DB, SQL and MySQL: the decoded rows and the encoded outputs went through."""
    invocations = funcbind_run.invocations
    audit = json.loads(invocations["cosmos-trigger-batch"].output_data[0].data.json)
    assert [document["id"] for document in audit] == ["audit-order-1042", "audit-order-1043"]
    assert audit[0]["report"]["is_stock_list"] is True
    assert audit[0]["report"]["rows"][0][0] == "Document"
    with_null = json.loads(invocations["cosmos-trigger-string-null"].output_data[0].data.json)
    assert with_null[0]["report"]["rows"][1] is None
    report = _http_json(invocations["sql-input-rows"])
    assert [row for _, row in report["rows"]][1] == {
        "ProductId": 7,
        "Name": "Gadget é",
        "Cost": 100,
    }
    seen = json.loads(invocations["sql-input-rows"].output_data[0].data.json)
    assert seen == [{"ProductId": 1}, {"ProductId": 7}]
    summary = json.loads(invocations["mysql-trigger-changes"].return_value.json)
    assert summary[0]["operations"] == [0, 1, 2]
    changes = invocations["sql-trigger-changes"].output_data[0].data
    assert json.loads(changes.string)[2]["Operation"] == 2


def test_the_improvements_are_documented() -> None:
    doc = (HERE.parents[1] / "docs" / "compatibility.md").read_text(encoding="utf-8")
    for improvement in IMPROVEMENTS:
        assert f"| `{improvement.id}` |" in doc, improvement.id


def _status(response: Any) -> str:
    return str(
        response.result.DESCRIPTOR.fields_by_name["status"]
        .enum_type.values_by_number[response.result.status]
        .name
    )


def _http_json(response: Any) -> Any:
    return json.loads(response.return_value.http.body.bytes)


# -- the comparison catches a broken registry protocol ----------------------------------


def _never_a_trigger(self: funcbind.worker.WorkerBinding) -> bool:
    return False


def _decode_without_metadata(
    original: Callable[..., Any],
) -> Callable[..., Any]:
    def decode(self: Any, data: Any, *, trigger_metadata: Any = None, pytype: Any = None) -> Any:
        return original(self, data, trigger_metadata=None, pytype=pytype)

    return decode


def _encode_as_json_text(original: Callable[..., Any]) -> Callable[..., Any]:
    def encode(self: Any, obj: Any, *, expected_type: Any = None) -> Any:
        datum = original(self, obj, expected_type=expected_type)
        if datum is not None and datum.type == "string":
            return Datum(json.dumps(datum.value), "json")
        return datum

    return encode


def _refuse_every_output_annotation(self: Any, pytype: Any) -> bool:
    return False


BREAKAGES: dict[str, Callable[[], tuple[str, Any]]] = {
    "has_trigger_support says no": lambda: ("has_trigger_support", _never_a_trigger),
    "decode drops trigger metadata": lambda: (
        "decode",
        _decode_without_metadata(funcbind.worker.WorkerBinding.decode),
    ),
    "encode sends strings as json": lambda: (
        "encode",
        _encode_as_json_text(funcbind.worker.WorkerBinding.encode),
    ),
    "check_output_type_annotation refuses": lambda: (
        "check_output_type_annotation",
        _refuse_every_output_annotation,
    ),
}


@pytest.fixture
def fresh_worker_registry() -> Iterator[None]:
    # The process-wide registry memoises WorkerBindings; start and end with a new one.
    funcbind.worker._reset_for_tests()
    yield
    funcbind.worker._reset_for_tests()


@pytest.mark.usefixtures("fresh_worker_registry")
@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_broken_registry_protocol_is_detected(
    breakage: str,
    stock_run: worker_driver.Run,
    protos: Any,
    invocations: list[tuple[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    method, replacement = BREAKAGES[breakage]()
    monkeypatch.setattr(funcbind.worker.WorkerBinding, method, replacement)
    broken = run_with_funcbind(protos, invocations)
    unexplained = [d for d in differences(stock_run, broken) if d.improvement is None]
    assert unexplained, f"breaking {method} went unnoticed"


# -- improvements the worker lets through: functions the stock registry cannot load -------


def _http_request(protos: Any, invocation_id: str, path: str, body: bytes = b"") -> Any:
    http = protos.RpcHttp(method="POST", url=f"http://localhost:7071/api/{path}")
    if body:
        http.body.bytes = body
    return protos.InvocationRequest(
        invocation_id=invocation_id,
        input_data=[protos.ParameterBinding(name="req", data=protos.TypedData(http=http))],
    )


def _trigger_request(protos: Any, invocation_id: str, name: str, data: Any) -> Any:
    return protos.InvocationRequest(
        invocation_id=invocation_id,
        input_data=[protos.ParameterBinding(name=name, data=data)],
    )


@dataclass(frozen=True)
class ImprovedFunction:
    """One script of app_improved/: its function, a request, and what the answer holds."""

    script: str
    function: str
    request: Callable[[Any], Any]
    observe: Callable[[Any], Any]
    expected: Any


IMPROVED = {
    "output-annotations-beyond-the-stock-set (-> dict)": ImprovedFunction(
        "improved_as_json.py",
        "as_json",
        lambda p: _http_request(p, "as-json", "as-json"),
        lambda r: (r.return_value.http.status_code, json.loads(r.return_value.http.body.bytes)),
        ("200", {"method": "POST", "query": {}}),
    ),
    "output-annotations-beyond-the-stock-set (-> bytes)": ImprovedFunction(
        "improved_as_bytes.py",
        "as_bytes",
        lambda p: _http_request(p, "as-bytes", "as-bytes"),
        lambda r: (r.return_value.http.headers["content-type"], r.return_value.http.body.bytes),
        ("application/octet-stream", b"\x00\x01raw"),
    ),
    "output-annotations-beyond-the-stock-set (-> None)": ImprovedFunction(
        "improved_nothing.py",
        "nothing",
        lambda p: _http_request(p, "nothing", "nothing"),
        lambda r: r.HasField("return_value"),
        False,
    ),
    "output-annotations-beyond-the-stock-set (Out[dict])": ImprovedFunction(
        "improved_to_queue.py",
        "to_queue",
        lambda p: _http_request(p, "to-queue", "to-queue", b'{"x": 1}'),
        lambda r: (r.output_data[0].data.json, r.return_value.string),
        ('{"x": 1}', "queued"),
    ),
    "output-annotations-beyond-the-stock-set (Out[memoryview])": ImprovedFunction(
        "improved_save_view.py",
        "save_view",
        lambda p: _http_request(p, "view", "view/v.bin", b"\x00view"),
        lambda r: (r.output_data[0].data.bytes, r.return_value.string),
        (b"\x00view", "saved"),
    ),
}

# Input annotations other than the binding's model: the worker decodes without the
# annotation, so a registry must refuse them at load or deliver them.
PLAIN_INPUTS = {
    "queueTrigger: dict": ImprovedFunction(
        "improved_total.py",
        "total",
        lambda p: _trigger_request(
            p, "total", "order", p.TypedData(string='{"amounts": [1, 2, 3]}')
        ),
        lambda r: r.return_value.string,
        "6",
    ),
    "timerTrigger: dict": ImprovedFunction(
        "improved_tick_dict.py",
        "tick_dict",
        lambda p: _trigger_request(
            p, "tick", "timer", p.TypedData(json='{"Schedule": {}, "IsPastDue": true}')
        ),
        lambda r: r.output_data[0].data.string,
        "True",
    ),
}


def _run_improved(
    protos: Any, case: ImprovedFunction, registry: str
) -> tuple[worker_driver.Run, Any]:
    requests = [(case.function, case.request(protos))]
    if registry == "stock":
        run = worker_driver.run_app(protos, requests, IMPROVED_APP, case.script)
    else:
        run = run_with_funcbind(protos, requests, IMPROVED_APP, case.script)
    return run, next(iter(run.invocations.values()))


@pytest.mark.parametrize("name", list(IMPROVED))
def test_functions_the_stock_registry_refuses_run_with_funcbind(name: str, protos: Any) -> None:
    case = IMPROVED[name]
    stock, _ = _run_improved(protos, case, "stock")
    assert _status(stock.init) == "Failure"
    assert "FunctionLoadError" in stock.init.result.exception.message
    with_funcbind, response = _run_improved(protos, case, "funcbind")
    assert _status(with_funcbind.init) == "Success", with_funcbind.init.result.exception.message
    assert _status(response) == "Success", response.result.exception.message
    assert case.observe(response) == case.expected


@pytest.mark.parametrize("name", list(PLAIN_INPUTS))
def test_an_input_annotation_loads_only_if_it_is_delivered(name: str, protos: Any) -> None:
    """Refused at load (as by the stock registry), or delivered: never loaded and then
    failed on every call."""
    case = PLAIN_INPUTS[name]
    stock, _ = _run_improved(protos, case, "stock")
    assert _status(stock.init) == "Failure"
    with_funcbind, response = _run_improved(protos, case, "funcbind")
    if _status(with_funcbind.init) == "Failure":
        assert "FunctionLoadError" in with_funcbind.init.result.exception.message
        return
    assert _status(response) == "Success", response.result.exception.message
    assert case.observe(response) == case.expected


def test_the_app_can_plug_funcbind_in_itself(
    protos: Any,
    invocations: list[tuple[str, Any]],
    funcbind_run: worker_driver.Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The recipe of docs/compatibility.md, run by the app: no patch from outside."""
    from azure_functions_runtime.bindings import meta

    monkeypatch.setenv("FUNCBIND_WORKER_REGISTRY", "1")
    # The app replaces azure.functions.get_binding_registry; put it back afterwards.
    monkeypatch.setattr(
        azure.functions, "get_binding_registry", azure.functions.get_binding_registry
    )
    plugged = worker_driver.run_app(protos, invocations)
    assert meta.BINDING_REGISTRY is funcbind.get_binding_registry()
    found = response_diff.compare(responses(funcbind_run), responses(plugged))
    assert not found, _report(found)


def test_event_grid_and_kafka_values_reach_the_responses(funcbind_run: worker_driver.Run) -> None:
    """What the Event Grid and Kafka functions saw, through funcbind's converters."""
    forwarded = json.loads(funcbind_run.invocations["eventgrid-event"].output_data[0].data.json)
    assert forwarded["id"] == "seen-00010001-0001-0001-0001-000100010001"
    assert forwarded["eventTime"] == "2017-07-14T23:10:27.768966+00:00"
    assert forwarded["data"]["class"] == "EventGridEvent"
    cloud = json.loads(funcbind_run.invocations["eventgrid-cloud-event"].output_data[0].data.json)
    assert cloud["data"]["class"] == "CloudEvent"
    assert list(cloud["data"]["extension_attrs"]) == ["traceparent"]
    record = json.loads(funcbind_run.invocations["kafka-record"].return_value.string)
    assert (record["key"], record["offset"], record["partition"]) == ("user-1", 42, 3)
    batch = json.loads(funcbind_run.invocations["kafka-batch"].return_value.string)
    assert [(r["key"], r["offset"], r["headers"]) for r in batch] == [
        ("user-1", 42, [{"Key": "trace", "Value": "YWJj"}]),
        (None, 43, []),
    ]


def test_the_messaging_functions_report_what_they_decoded(
    funcbind_run: worker_driver.Run,
) -> None:
    """Spot checks for the Event Hubs and Service Bus functions (compared field by field
    with the stock run above)."""
    events = json.loads(funcbind_run.invocations["eventhub-batch"].return_value.string)
    assert [event["sequence_number"] for event in events] == [5000, 5001]
    assert [event["offset"] for event in events] == [0, 4096]  # int in a batch, as the stock
    assert events[1]["body"] == "second é"
    assert events[0]["iothub_metadata"] == {"connection-device-id": "sensor-0"}
    iothub = funcbind_run.invocations["eventhub-batch-iothub-json"].return_value.string
    assert json.loads(iothub)[1]["body"] == '{"device-status": "good2"}'
    order = json.loads(funcbind_run.invocations["servicebus-message"].return_value.string)
    assert (order["delivery_count"], order["time_to_live"]) == (2, "23:59:59")
    assert order["enqueued_time_utc"] == "2024-06-18T09:15:27.461050+00:00"
    assert order["user_properties"]["priority"] == 2
