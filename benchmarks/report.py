"""Print the azure.functions vs funcbind comparison from a pytest-benchmark JSON file.

    python -m benchmarks.report [.bench/results.json] [--json .bench/report.json]

One row per operation (a benchmark group, plus any parameters other than ``impl``): the
median time of each implementation, the speed-up (azure.functions median / funcbind
median) and, when benchmarks recorded ``extra_info["peak_bytes"]``, the peak memory of
each. An ``impl`` other than the two (a reference such as a bare ASGI app) gets a median
column of its own, and any other ``extra_info`` is listed under the table. The table is
markdown on stdout; the same data is written as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AZURE = "azure.functions"
FUNCBIND = "funcbind"
IMPLEMENTATIONS = (AZURE, FUNCBIND)

DEFAULT_RESULTS = Path(".bench/results.json")
DEFAULT_REPORT = Path(".bench/report.json")


class ReportError(Exception):
    """The results file cannot be turned into a report; the message says why."""


@dataclass(frozen=True)
class Measurement:
    """One benchmark's figures: median seconds per call and optional peak bytes."""

    benchmark: str
    median: float
    peak_bytes: int | None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    """One operation and its measurement for each implementation that has one."""

    operation: str
    by_impl: dict[str, Measurement] = field(default_factory=dict)

    @property
    def speedup(self) -> float | None:
        azure, ours = self.by_impl.get(AZURE), self.by_impl.get(FUNCBIND)
        if azure is None or ours is None or ours.median <= 0:
            return None
        return azure.median / ours.median


def collect_rows(benchmarks: list[dict[str, Any]]) -> list[Row]:
    """Pair the benchmarks of each operation, in the order pytest ran them."""
    rows: dict[str, Row] = {}
    for bench in benchmarks:
        name = str(bench.get("fullname") or bench.get("name"))
        params = dict(bench.get("params") or {})
        # A benchmark that does not take the ``impl`` fixture measures funcbind alone.
        impl_in_id = "impl" in params
        impl = params.pop("impl", FUNCBIND)
        if not isinstance(impl, str) or not impl:
            raise ReportError(
                f"{name}: expected the impl parameter to name an implementation "
                f"such as {AZURE!r} or {FUNCBIND!r}, got {impl!r}"
            )
        operation = bench.get("group") or str(bench.get("name", name)).split("[", 1)[0]
        if params:
            test_id = str(bench.get("param") or "")
            operation += f" [{_variant(test_id, impl if impl_in_id else None, params)}]"
        row = rows.setdefault(operation, Row(operation))
        if impl in row.by_impl:
            raise ReportError(
                f"{name} and {row.by_impl[impl].benchmark} both measure {impl} for "
                f"{operation!r}; give one of them its own benchmark group"
            )
        extra = dict(bench.get("extra_info") or {})
        peak = extra.pop("peak_bytes", None)
        row.by_impl[impl] = Measurement(
            benchmark=name,
            median=float(bench["stats"]["median"]),
            peak_bytes=None if peak is None else int(peak),
            extra=extra,
        )
    return list(rows.values())


def _variant(test_id: str, impl: str | None, params: dict[str, Any]) -> str:
    """The part of a test id that is not ``impl``: ``"funcbind-1MiB"`` gives ``"1MiB"``.

    pytest joins parameter ids with "-"; when the id is missing or ``impl`` cannot be cut
    out of it, the parameters are spelt out as ``key=value``.
    """
    if test_id and impl is None:
        return test_id
    if impl is not None:
        if test_id.startswith(f"{impl}-"):
            return test_id[len(impl) + 1 :]
        if test_id.endswith(f"-{impl}"):
            return test_id[: -len(impl) - 1]
        if f"-{impl}-" in test_id:
            return test_id.replace(f"-{impl}-", "-", 1)
    return ", ".join(f"{key}={value}" for key, value in params.items())


def implementations(rows: list[Row]) -> list[str]:
    """azure.functions and funcbind first, then any other implementation as first seen."""
    found = dict.fromkeys(IMPLEMENTATIONS)
    for row in rows:
        found.update(dict.fromkeys(row.by_impl))
    return list(found)


def geometric_mean_speedup(rows: list[Row]) -> float | None:
    ratios = [row.speedup for row in rows if row.speedup is not None]
    if not ratios:
        return None
    return math.exp(sum(math.log(ratio) for ratio in ratios) / len(ratios))


def _significant(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_time(seconds: float) -> str:
    """A duration in the largest unit that keeps it at or above 1: ``412 ns``, ``1.23 ms``."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{_significant(seconds / scale)} {unit}"
    return f"{_significant(seconds / 1e-9)} ns"


def format_bytes(count: int) -> str:
    """A size in binary units: ``512 B``, ``1.50 KiB``, ``12.3 MiB``."""
    if count < 1024:
        return f"{count} B"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{_significant(value)} {unit}"


def format_speedup(ratio: float | None) -> str:
    return "—" if ratio is None else f"{_significant(ratio)}×"


def _table(header: list[str], lines: list[list[str]], numeric_from: int = 1) -> str:
    """A markdown table padded to read well as plain text; figures right-aligned.

    Columns from index ``numeric_from`` on hold figures.
    """
    widths = [
        max(3, *(len(text) for text in column)) for column in zip(header, *lines, strict=True)
    ]

    def render(cells: list[str]) -> str:
        padded = [
            text.rjust(width) if i >= numeric_from else text.ljust(width)
            for i, (text, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [
        "-" * (width + 1) + ":" if i >= numeric_from else "-" * (width + 2)
        for i, width in enumerate(widths)
    ]
    return "\n".join([render(header), "|" + "|".join(rule) + "|", *map(render, lines)])


def markdown_table(rows: list[Row]) -> str:
    """The comparison: medians, the speed-up, then peak memory where recorded."""
    impls = implementations(rows)
    references = impls[len(IMPLEMENTATIONS) :]
    recorded = {impl for row in rows for impl, m in row.by_impl.items() if m.peak_bytes is not None}
    # Memory columns for both sides as soon as any benchmark records memory, plus references.
    with_memory = [i for i in impls if i in IMPLEMENTATIONS or i in recorded] if recorded else []

    header = [
        "operation",
        f"{AZURE} median",
        f"{FUNCBIND} median",
        "speed-up",
        *(f"{impl} median" for impl in references),
        *(f"{impl} peak memory" for impl in with_memory),
    ]
    lines = []
    for row in rows:
        found = [row.by_impl.get(impl) for impl in impls]
        medians = ["—" if m is None else format_time(m.median) for m in found]
        peaks = [row.by_impl.get(impl) for impl in with_memory]
        lines.append(
            [
                row.operation,
                *medians[: len(IMPLEMENTATIONS)],
                format_speedup(row.speedup),
                *medians[len(IMPLEMENTATIONS) :],
                *(
                    "—" if m is None or m.peak_bytes is None else format_bytes(m.peak_bytes)
                    for m in peaks
                ),
            ]
        )
    return _table(header, lines)


def extra_table(rows: list[Row]) -> str | None:
    """Other figures from ``extra_info``; the sides of a row with equal figures share a line."""
    lines = []
    for row in rows:
        sides: dict[str, list[str]] = {}
        for impl, found in row.by_impl.items():
            if found.extra:
                figures = ", ".join(f"{key}={value}" for key, value in found.extra.items())
                sides.setdefault(figures, []).append(impl)
        lines += [[row.operation, " & ".join(impls), figures] for figures, impls in sides.items()]
    if not lines:
        return None
    return _table(["operation", "implementation", "figures"], lines, numeric_from=3)


def report_data(rows: list[Row], results: dict[str, Any], source: Path) -> dict[str, Any]:
    """The JSON form of the report: seconds and bytes, no formatting."""
    machine = results.get("machine_info") or {}
    return {
        "source": str(source),
        "datetime": results.get("datetime"),
        "python": machine.get("python_version"),
        "cpu": (machine.get("cpu") or {}).get("brand_raw"),
        "operations": [
            {
                "operation": row.operation,
                "speedup": row.speedup,
                "results": {
                    impl: {
                        "benchmark": found.benchmark,
                        "median_s": found.median,
                        "peak_bytes": found.peak_bytes,
                        **({"extra_info": found.extra} if found.extra else {}),
                    }
                    for impl, found in row.by_impl.items()
                },
            }
            for row in rows
        ],
        "geometric_mean_speedup": geometric_mean_speedup(rows),
    }


def load_results(path: Path) -> dict[str, Any]:
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(
            f"{path} does not exist; run the benchmarks with --benchmark-json={path} first"
        ) from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path} is not pytest-benchmark JSON: {exc}") from None
    if not isinstance(results, dict) or not results.get("benchmarks"):
        raise ReportError(f"{path} holds no benchmark results")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.report",
        description="Print the azure.functions vs funcbind benchmark comparison.",
    )
    parser.add_argument(
        "results",
        nargs="?",
        type=Path,
        default=DEFAULT_RESULTS,
        help=f"pytest-benchmark JSON (default: {DEFAULT_RESULTS})",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_REPORT,
        dest="json_out",
        help=f"where to write the report as JSON (default: {DEFAULT_REPORT})",
    )
    args = parser.parse_args(argv)
    try:
        results = load_results(args.results)
        rows = collect_rows(results["benchmarks"])
    except ReportError as exc:
        print(f"benchmarks.report: error: {exc}", file=sys.stderr)
        return 1

    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    data = report_data(rows, results, args.results)
    args.json_out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")

    machine = results.get("machine_info") or {}
    python = machine.get("python_version", "?")
    cpu = (machine.get("cpu") or {}).get("brand_raw", "unknown CPU")
    print(f"Benchmark medians, Python {python} on {cpu}; speed-up = {AZURE} / {FUNCBIND}.")
    print(f"JSON parser on both sides: {machine.get('json_parser', 'not recorded')}.\n")
    print(markdown_table(rows))
    extra = extra_table(rows)
    if extra is not None:
        print(f"\nOther figures the benchmarks recorded:\n\n{extra}")
    mean = geometric_mean_speedup(rows)
    if mean is not None:
        compared = sum(row.speedup is not None for row in rows)
        print(f"\nGeometric mean speed-up, {compared} operation(s) compared: {mean:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
