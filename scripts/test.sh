#!/usr/bin/env bash
# The test command of the README, and what CI runs (.ci/run): set-up, then each quality gate,
# stopping at the first that fails.
#   ruff check, ruff format --check, mypy --strict (src/) while the nox venvs are set up;
#   pytest on tests/ (Python 3.11, azure-functions 1.x); the nox sessions tests-3.13 and
#   worker-3.13 (azure-functions 2.x, the real worker) with line coverage of src/funcbind;
#   the benchmarks in short mode + the table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS

bash scripts/bootstrap.sh
echo "--> bootstrap done in $((SECONDS - started)) s"
export PATH="$PWD/.venv/bin:$PATH"

# gate NAME HINT COMMAND...: run one gate; on failure say which, and how to fix it.
gate() {
    local name=$1 hint=$2 status=0 t0=$SECONDS
    shift 2
    echo
    echo "==> $name"
    "$@" || status=$?
    if ((status != 0)); then
        echo >&2
        echo "FAILED: $name (exit $status). $hint" >&2
        exit 1
    fi
    echo "--> $name passed in $((SECONDS - t0)) s"
}

# lane_start NAME HINT COMMAND...: start a gate in the background, in a process group of its
# own, its output kept until lane_finish waits for it and prints it. One lane at a time.
lane_pid='' lane_name='' lane_hint='' lane_log='' lane_t0=0
lane_start() {
    lane_name=$1 lane_hint=$2 lane_t0=$SECONDS
    shift 2
    lane_log=$(mktemp)
    echo
    echo "==> $lane_name (started; runs alongside, its output follows when it ends)"
    setsid "$@" >"$lane_log" 2>&1 </dev/null &
    lane_pid=$!
}

lane_finish() {
    local status=0
    wait "$lane_pid" || status=$?
    lane_pid=''
    echo
    echo "==> $lane_name (output)"
    cat "$lane_log"
    rm -f "$lane_log"
    if ((status != 0)); then
        echo >&2
        echo "FAILED: $lane_name (exit $status). $lane_hint" >&2
        exit 1
    fi
    echo "--> $lane_name passed in $((SECONDS - lane_t0)) s"
}

# A failing gate ends the run: interrupt a lane still running (SIGINT, so that pytest stops
# the Azurite and hosts it started), and drop its output.
stop_lane() {
    if [[ -n $lane_pid ]]; then
        kill -INT -- "-$lane_pid" 2>/dev/null || true
        wait "$lane_pid" 2>/dev/null || true
        rm -f "$lane_log"
    fi
}
trap stop_lane EXIT

# pytest, with "no tests collected" (exit 5) reported as the failure it is here.
run_pytest() {
    local status=0
    python -m pytest "$@" || status=$?
    if ((status == 5)); then
        echo "pytest collected no tests" >&2
    fi
    return "$status"
}

# Python-version matrix through nox (sessions from noxfile.py, versions from .python-version).
# The main .venv above is 3.11 (azure-functions 1.x); tests-3.13 runs the suite on 3.13
# (azure-functions 2.x) and worker-3.13 runs funcbind inside the real Python worker, with the
# 3.13 conformance suite. FUNCBIND_NOX_SESSIONS picks others ("tests-3.10 tests-3.12 ...") or
# none (""). Venvs are reused between local runs (installs still run and are quick when
# nothing changed); a fresh clone creates them, which is part of the measured time.
NOX_SESSIONS=${FUNCBIND_NOX_SESSIONS-tests-3.13 worker-3.13}
read -ra sessions <<<"$NOX_SESSIONS"
nox_gate="nox ${sessions[*]:-}"
nox_hint="Run 'nox -s <session>' to reproduce ('nox -R' skips installs)."

# Coverage is measured in the nox sessions, on 3.13, where sys.monitoring makes it nearly
# free (noxfile.py: _coverage_args); worker-3.13 prints the report.
export FUNCBIND_COVERAGE=1
rm -f .coverage .coverage.*
# No pytest cache: a fresh clone has none to use.
export PYTEST_ADDOPTS="${PYTEST_ADDOPTS:+$PYTEST_ADDOPTS }-p no:cacheprovider"

# The nox venvs are created or updated first, alongside the lint gates: their editable
# installs rewrite src/funcbind.egg-info and the test plugin's, which the 3.11 suite reads
# (entry points), so no install may run while it does.
if ((${#sessions[@]})); then
    lane_start "nox installs" "$nox_hint" \
        nox --reuse-venv=yes --error-on-missing-interpreters --install-only -s "${sessions[@]}"
fi
gate "ruff check" "Fix the findings above; 'ruff check --fix .' mends many of them." \
    ruff check .
gate "ruff format --check" "Run 'ruff format .' (from .venv/bin) and review the diff." \
    ruff format --check .
gate "mypy --strict" "Settings are in setup.cfg [mypy]; fix the type errors above." \
    mypy --strict
nox_run=(nox --reuse-venv=yes --no-install --error-on-missing-interpreters -s "${sessions[@]}")
if ((${#sessions[@]})); then
    lane_finish
fi
# The 3.11 suite and the nox sessions run one after the other: run side by side on a loaded
# 2-core machine, two 3.13 host tests timed out stopping a 'funcbind run' after SIGINT.
gate "pytest tests/ (3.11)" "See the failures above." run_pytest tests
if ((${#sessions[@]})); then
    gate "$nox_gate" "$nox_hint" "${nox_run[@]}"
fi

gate "benchmarks (short mode)" "The benchmarks check their results; see the failure above." \
    bash scripts/bench.sh short

echo
echo "All gates passed in $((SECONDS - started)) s."
