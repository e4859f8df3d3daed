#!/usr/bin/env bash
# The test command of the README, and what CI runs (.ci/run): set-up, then each quality gate
# in turn, stopping at the first that fails.
#   ruff check, ruff format --check, mypy --strict (src/), pytest on tests/ with coverage of
#   src/funcbind, the nox sessions tests-3.13 and worker-3.13, benchmarks in short mode + the
#   table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS

bash scripts/bootstrap.sh
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

# pytest, with "no tests collected" (exit 5) reported as the failure it is here.
run_pytest() {
    local status=0
    python -m pytest "$@" || status=$?
    if ((status == 5)); then
        echo "pytest collected no tests" >&2
    fi
    return "$status"
}

gate "ruff check" "Fix the findings above; 'ruff check --fix .' mends many of them." \
    ruff check .
gate "ruff format --check" "Run 'ruff format .' (from .venv/bin) and review the diff." \
    ruff format --check .
gate "mypy --strict" "Settings are in setup.cfg [mypy]; fix the type errors above." \
    mypy --strict
gate "pytest tests/ with coverage" "See the failures above." \
    run_pytest tests --cov --cov-report=term-missing:skip-covered

# Python-version matrix through nox (sessions from noxfile.py, versions from .python-version).
# The main .venv above is 3.11 (azure-functions 1.x); tests-3.13 runs the suite on 3.13
# (azure-functions 2.x) and worker-3.13 runs funcbind inside the real Python worker.
# FUNCBIND_NOX_SESSIONS picks others ("tests-3.10 tests-3.12 ...") or none (""). Venvs are
# reused between local runs (--reuse-venv=yes; installs still run and are quick when
# nothing changed); a fresh clone creates them, which is part of the measured time.
NOX_SESSIONS=${FUNCBIND_NOX_SESSIONS-tests-3.13 worker-3.13}
if [[ -n $NOX_SESSIONS ]]; then
    read -ra sessions <<<"$NOX_SESSIONS"
    gate "nox ${sessions[*]}" "Run 'nox -s <session>' to reproduce ('nox -R' skips installs)." \
        nox --reuse-venv=yes --error-on-missing-interpreters -s "${sessions[@]}"
fi

gate "benchmarks (short mode)" "The benchmarks check their results; see the failure above." \
    bash scripts/bench.sh short

echo
echo "All gates passed in $((SECONDS - started)) s."
