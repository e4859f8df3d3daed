"""docs/registry.md's custom binding, run as written: small, and correct under a worker.

The plugin is installed through a real entry point (registry_example.py) and reached the
way a language worker reaches it: ``funcbind.get_binding_registry().get(name)``, then
``decode`` without an annotation and ``encode``.  tests/host/test_custom_binding.py runs
the same plugin under ``funcbind run``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from funcbind import Datum, Registry, UnsupportedDatumError, default_registry, worker
from funcbind.worker import WorkerBinding
from registry_example import MODULE, counted_lines, install_plugin, plugin_source


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The plugin on sys.path, and the process-wide worker registry rebuilt around it."""
    monkeypatch.syspath_prepend(str(install_plugin(tmp_path)))
    worker._reset_for_tests()
    try:
        yield tmp_path
    finally:
        worker._reset_for_tests()
        sys.modules.pop(MODULE, None)


def csv_row(name: str = "csvRow") -> WorkerBinding:
    binding = worker.get_binding_registry().get(name)
    assert binding is not None, f"{name} was not loaded from the plugin's entry point"
    return binding


def test_the_plugin_stays_within_20_lines() -> None:
    source = plugin_source()
    assert "def register(registry" in source
    assert counted_lines(source) <= 20


def test_the_plugin_is_found_through_its_entry_point(installed: Path) -> None:
    assert "csvrow" in Registry().load_plugins()
    assert {"csvRow", "csvRowTrigger"} <= set(default_registry(plugins=True))


def test_a_worker_decodes_without_an_annotation(installed: Path) -> None:
    binding = csv_row()
    assert binding.has_trigger_support() is False
    assert binding.has_implicit_output() is False
    # As a worker drives it: the check at function load, then decode without the annotation.
    assert binding.check_input_type_annotation(list[str]) is True
    assert binding.decode(Datum("a,b,c", "string"), trigger_metadata={}) == ["a", "b", "c"]


def test_decode_without_any_check_gives_what_no_annotation_asks_for(installed: Path) -> None:
    assert csv_row().decode(Datum("x,y", "string"), trigger_metadata=None) == ["x", "y"]


def test_the_trigger_receives_its_metadata_and_decodes_alike(installed: Path) -> None:
    trigger = csv_row("csvRowTrigger")
    assert trigger.has_trigger_support() is True
    assert trigger.check_output_type_annotation(list[str]) is False  # an input only
    metadata = {"sys": Datum("{}", "json")}
    assert trigger.decode(Datum("1,2", "string"), trigger_metadata=metadata) == ["1", "2"]


def test_unsupported_wire_data_is_what_workers_expect(installed: Path) -> None:
    binding = csv_row()
    binding.check_input_type_annotation(list[str])
    with pytest.raises(NotImplementedError) as caught:
        binding.decode(Datum(b"a,b", "bytes"), trigger_metadata={})
    assert isinstance(caught.value, UnsupportedDatumError)
    assert "expected string, got bytes" in str(caught.value)


def test_a_worker_encodes_a_returned_value(installed: Path) -> None:
    binding = csv_row()
    assert binding.check_output_type_annotation(list[str]) is True
    datum = binding.encode(["x", "y"], expected_type=list[str])
    assert (datum.value, datum.type) == ("x,y", "string")


def test_annotations_the_plugin_refuses_are_refused(installed: Path) -> None:
    binding = csv_row()
    assert binding.check_input_type_annotation(dict) is False
    assert binding.check_input_type_annotation(list[int]) is False
