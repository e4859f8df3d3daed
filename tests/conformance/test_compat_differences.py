"""Every entry of docs/compatibility.md is a test, and every test an entry.

- Differences in decoded and encoded values (the table in ``conformance_differences.py``)
  are shown by the fixture cases that name them; one test per id checks that.
- Differences in the rest of the worker protocol (annotation checks, trigger support,
  what encoding does to the value) have a test of their own here, ``test_<id>``.
- What the worker can be given: an input annotation is accepted only if the
  annotation-less decode delivers it.
"""

from __future__ import annotations

import json
import re
import sys
import typing
from pathlib import Path
from typing import Any, Optional

import azure.functions as func
import pytest
from azure.functions import meta
from conformance_compare import compare_case
from conformance_differences import BY_ID, DIFFERENCES
from conformance_support import FIXTURE_CASES, funcbind_binding, stock_binding

import funcbind

DOC = Path(__file__).resolve().parents[2] / "docs" / "compatibility.md"
_ENTRY = re.compile(r"^\| `([a-z0-9-]+)` \|", re.MULTILINE)


# The ids whose test lives in this module (the others are rules of conformance_differences).
_OWN_IDS = {
    "annotation-checks-never-raise",
    "output-annotations-beyond-the-stock-set",
    "blob-input-not-a-trigger",
    "http-response-left-unchanged",
    "http-empty-form-shared",
    "queue-no-metadata",
    "generic-no-implicit-output",
    "durable-codec-no-notices",
    "json-standard-library-results",
}


def documented_ids() -> list[str]:
    return _ENTRY.findall(DOC.read_text(encoding="utf-8"))


# -- the document and the tests agree --------------------------------------------------------


def test_every_documented_difference_has_a_test() -> None:
    ids = documented_ids()
    assert len(ids) == len(set(ids)), "an id is documented twice"
    module = sys.modules[__name__]
    missing = [
        i for i in ids if i not in BY_ID and not hasattr(module, "test_" + i.replace("-", "_"))
    ]
    assert not missing, f"documented without a test: {missing}"


def test_every_tested_difference_is_documented() -> None:
    ids = set(documented_ids())
    missing = (set(BY_ID) | _OWN_IDS) - ids
    assert not missing, f"not in docs/compatibility.md: {sorted(missing)}"
    module = sys.modules[__name__]
    assert all(hasattr(module, "test_" + i.replace("-", "_")) for i in _OWN_IDS)


@pytest.mark.parametrize("difference", [d.id for d in DIFFERENCES])
def test_difference_shows_in_the_corpus(difference: str) -> None:
    """Each rule is exercised: a fixture case names it and the comparison finds it."""
    cases = [case for case in FIXTURE_CASES if difference in case.differences]
    assert cases, f"no fixture case shows {difference}"
    for case in cases:
        found = {d for _, reason in compare_case(case) for d in reason or ()}
        assert difference in found, case.id


# -- the worker protocol beyond values ---------------------------------------------------------

# Annotations azure.functions' checks call issubclass() on, which raises for generics.
AWKWARD_ANNOTATIONS: list[Any] = [
    Optional[func.HttpRequest],
    typing.Union[str, None],
    list[str],
    typing.List[str],
    dict[str, int],
    typing.Any,
    func.Out[str],
    "str",
]
BINDINGS = ["httpTrigger", "http", "blob", "blobTrigger", "queueTrigger", "queue", "timerTrigger"]
DECODING = ["httpTrigger", "blob", "blobTrigger", "queueTrigger", "timerTrigger"]
PLAIN_ANNOTATIONS: list[Any] = [
    str,
    bytes,
    dict,
    int,
    list,
    func.HttpRequest,
    func.InputStream,
    func.QueueMessage,
    func.TimerRequest,
]
SAMPLE_DATUMS = {
    "httpTrigger": lambda: meta.Datum(
        value={
            "method": meta.Datum(value="GET", type="string"),
            "url": meta.Datum(value="http://localhost/api/x", type="string"),
            "headers": {},
            "query": {},
            "params": {},
            "body": meta.Datum(value=b"", type="bytes"),
        },
        type="http",
    ),
    "blob": lambda: meta.Datum(value=b"{}", type="bytes"),
    "blobTrigger": lambda: meta.Datum(value=b"{}", type="bytes"),
    "queueTrigger": lambda: meta.Datum(value='{"a": 1}', type="string"),
    "timerTrigger": lambda: meta.Datum(value='{"IsPastDue": true}', type="json"),
}


def _stock_check(binding: str, method: str, annotation: Any) -> Any:
    try:
        return getattr(stock_binding(binding), method)(annotation)
    except Exception as exc:
        return exc


def test_annotation_checks_never_raise() -> None:
    raised_in_stock = 0
    for binding in BINDINGS:
        ours = funcbind_binding(binding)
        for annotation in AWKWARD_ANNOTATIONS:
            for method in ("check_input_type_annotation", "check_output_type_annotation"):
                if not hasattr(stock_binding(binding), method):
                    continue
                stock = _stock_check(binding, method, annotation)
                raised_in_stock += isinstance(stock, Exception)
                assert isinstance(getattr(ours, method)(annotation), bool)
    assert raised_in_stock > 10  # the stock checks do raise on these


def test_annotation_checks_accept_what_azure_functions_accepts() -> None:
    plain: list[Any] = [
        str,
        bytes,
        bytearray,
        int,
        dict,
        func.HttpRequest,
        func.HttpResponse,
        func.InputStream,
        func.QueueMessage,
        func.TimerRequest,
    ]
    for binding in BINDINGS:
        ours = funcbind_binding(binding)
        for annotation in plain:
            for method in ("check_input_type_annotation", "check_output_type_annotation"):
                if not hasattr(stock_binding(binding), method):
                    continue
                if binding == "blobTrigger" and method == "check_output_type_annotation":
                    continue  # a trigger is never an output (docs/bindings/blob.md, 12)
                if _stock_check(binding, method, annotation) is True:
                    assert getattr(ours, method)(annotation), (binding, method, annotation)


def test_output_annotations_beyond_the_stock_set() -> None:
    """Outputs azure.functions refuses at load and funcbind encodes (reachable through a
    real worker: its encode dispatches on the value; see tests/worker)."""
    accepted = {
        "http": [bytes, dict, list, type(None)],
        "queue": [dict],
        "blob": [memoryview],
    }
    for binding, outputs in accepted.items():
        for annotation in outputs:
            assert _stock_check(binding, "check_output_type_annotation", annotation) is not True
            assert funcbind_binding(binding).check_output_type_annotation(annotation)


def test_blob_input_not_a_trigger() -> None:
    assert stock_binding("blob").has_trigger_support() is True
    assert funcbind_binding("blob").has_trigger_support() is False
    assert funcbind_binding("blobTrigger").has_trigger_support() is True


def test_http_response_left_unchanged() -> None:
    """azure.functions' encode pops Set-Cookie headers and adds content-type to the
    response object itself; funcbind leaves the function's response as it was."""

    def response() -> func.HttpResponse:
        made = func.HttpResponse("x", headers={"X-A": "1"})
        made.headers.add("Set-Cookie", "a=1")
        return made

    stock_response, our_response = response(), response()
    before = sorted(our_response.headers.items())
    stock_binding("http").encode(stock_response, expected_type=None)
    funcbind_binding("http").encode(our_response, expected_type=None)
    assert sorted(stock_response.headers.items()) != before
    assert sorted(our_response.headers.items()) == before


def test_http_empty_form_shared() -> None:
    """A request whose content type is not a form has an empty form and files: equal on
    both sides, but funcbind hands every such request the same unchangeable pair."""

    def json_request() -> meta.Datum:
        text = {"content-type": meta.Datum("application/json", "string")}
        fields = {"method": meta.Datum("POST", "string"), "headers": text, "query": {}}
        fields["url"] = meta.Datum("https://example.com/api/orders", "string")
        fields["params"] = {}
        fields["body"] = meta.Datum(b"{}", "bytes")
        return meta.Datum(fields, "http")

    stock = [stock_binding("httpTrigger").decode(json_request(), trigger_metadata={}) for _ in "ab"]
    ours = [
        funcbind_binding("httpTrigger").decode(json_request(), trigger_metadata={}) for _ in "ab"
    ]
    assert ours[0].form == stock[0].form and ours[0].files == stock[0].files
    assert len(ours[0].form) == len(ours[0].files) == 0
    assert stock[0].form is not stock[1].form
    assert ours[0].form is ours[1].form and ours[0].files is ours[1].files
    with pytest.raises(TypeError):
        ours[0].form["a"] = "b"


def test_queue_no_metadata() -> None:
    """Workers always pass a mapping, but a direct call may pass None: azure.functions
    raises, funcbind gives a message whose metadata fields are None."""
    datum = meta.Datum(value="hi", type="string")
    with pytest.raises(NotImplementedError):
        stock_binding("queueTrigger").decode(datum, trigger_metadata=None)
    message = funcbind_binding("queueTrigger").decode(datum, trigger_metadata=None)
    assert (message.id, message.get_body()) == (None, b"hi")


def test_generic_no_implicit_output() -> None:
    """The worker's generic binding claims the return value of any binding type it
    serves; funcbind's never does.  Through a worker this is not observable: the worker
    asks a registry only about the binding types of the function, and funcbind answers
    None for the ones it does not know, so the worker's own generic binding decides."""
    assert stock_binding("generic").has_implicit_output("someBinding") is True
    assert funcbind_binding("generic").has_implicit_output() is False
    assert funcbind.get_binding_registry().get("someBinding") is None


def test_json_standard_library_results() -> None:
    """funcbind's JSON values are the standard library's, with msgspec (installed with
    funcbind) or without it; so are azure.functions' when orjson is not installed."""
    import json
    import math

    from funcbind import datum as funcbind_datum

    text = '{"n": NaN, "id": 123456789012345678901234567890, "s": "\\ud800", "k": 1, "k": 2}'
    expected = json.loads(text)
    request = meta.Datum(
        type="http",
        value={
            "method": meta.Datum(type="string", value="POST"),
            "url": meta.Datum(type="string", value="https://app/api/x"),
            "headers": {},
            "query": {},
            "params": {},
            "body": meta.Datum(type="bytes", value=text.encode()),
        },
    )
    funcbind_datum.json_loads("0")  # resolve the parser before turning it off below
    for fast in (funcbind_datum._fast_decode, None):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(funcbind_datum, "_fast_decode", fast)
            parsed = funcbind_binding("httpTrigger").decode(request, trigger_metadata={}).get_json()
            assert math.isnan(parsed.pop("n")) and math.isnan(expected["n"])
            assert parsed == {k: v for k, v in expected.items() if k != "n"}
    try:
        import orjson
    except ImportError:
        return
    with pytest.raises(ValueError):
        orjson.loads(text)  # what azure.functions parses with once orjson is installed


# -- what the worker can be given -------------------------------------------------------------


@pytest.mark.parametrize("binding", DECODING)
@pytest.mark.parametrize("annotation", PLAIN_ANNOTATIONS)
def test_an_accepted_input_annotation_is_delivered_without_pytype(
    binding: str, annotation: Any
) -> None:
    """Workers call decode() without the annotation: accepting one that the binding's
    model does not satisfy would load a function that then fails on every call.  Exactly
    str and bytes are the exception: workers never decode those through the binding (their
    generic binding does), and a caller that asks about them passes pytype."""
    ours = funcbind_binding(binding)
    if not ours.check_input_type_annotation(annotation):
        return
    datum = SAMPLE_DATUMS[binding]
    if annotation in (str, bytes):
        decoded = ours.decode(datum(), trigger_metadata={}, pytype=annotation)
        assert isinstance(decoded, annotation)
        return
    assert isinstance(ours.decode(datum(), trigger_metadata={}), annotation)


def test_durable_codec_no_notices(recwarn: pytest.WarningsRecorder) -> None:
    """azure.functions' Durable codec warns once per process on its first untyped parse
    and its first rebuilt object; funcbind's conventions never warn."""
    import conformance_durable  # noqa: F401 - the envelope's class lives there
    from azure.functions import _durable_functions as stock_codec

    envelope = json.dumps(
        {
            "__class__": "DurablePoint",
            "__module__": "conformance_durable",
            "__data__": {"x": 1, "y": 2},
        }
    )
    datum = meta.Datum(value=envelope, type="json")
    ours = funcbind_binding("activityTrigger").decode(datum, trigger_metadata={})
    assert not recwarn.list
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stock_codec, "_no_expected_type_notice_emitted", False)
        patch.setattr(stock_codec, "_loose_codec_notice_emitted", False)
        with pytest.warns(DeprecationWarning) as notices:
            stock = stock_binding("activityTrigger").decode(datum, trigger_metadata={})
    assert len(notices) == 2
    assert stock == ours
