#!/usr/bin/env bash
# Run the benchmark suites in benchmarks/ and print the azure.functions vs funcbind table.
# Usage: scripts/bench.sh [short|full] [benchmark files or folders] [more pytest arguments]
#   e.g. scripts/bench.sh short benchmarks/bench_queue.py -k timer
#   short  up to about a second per benchmark (the test command)
#   full   a few seconds per benchmark, steadier figures (the run command; the default)
# Benchmarks can read the mode from the bench_mode fixture (FUNCBIND_BENCH_MODE).
# Expects .venv from scripts/bootstrap.sh. Results: .bench/results.json, .bench/report.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=${1:-full}
if (($# > 0)); then shift; fi
case $mode in
    short) timing=(--benchmark-max-time=0.2 --benchmark-min-time=0.00005 --benchmark-min-rounds=5) ;;
    full) timing=(--benchmark-max-time=1.0 --benchmark-min-time=0.00005 --benchmark-min-rounds=20) ;;
    *)
        echo "bench: error: unknown mode '$mode' (expected short or full)" >&2
        exit 2
        ;;
esac

PY=.venv/bin/python
RESULTS=.bench/results.json
mkdir -p .bench
rm -f "$RESULTS"

# The whole benchmarks/ folder, unless the arguments name files or folders of it: then
# only those (pytest would otherwise run the folder and the files both).
where=(benchmarks)
for arg in "$@"; do
    if [[ $arg == benchmarks/* || $arg == ./benchmarks/* ]]; then
        where=()
        break
    fi
done

# Never under coverage, and with the garbage collector left on: the figures should match
# what a function app sees.
status=0
FUNCBIND_BENCH_MODE=$mode "$PY" -m pytest "${where[@]}" -q --benchmark-only --benchmark-warmup=on "${timing[@]}" \
    --benchmark-quiet --benchmark-json="$RESULTS" "$@" || status=$?
if ((status == 5)); then
    echo "bench: error: pytest collected no benchmarks in benchmarks/" >&2
    exit 1
elif ((status != 0)); then
    echo "bench: error: the benchmarks failed (pytest exit $status); see above" >&2
    exit "$status"
fi

echo
"$PY" -m benchmarks.report "$RESULTS" --json .bench/report.json
