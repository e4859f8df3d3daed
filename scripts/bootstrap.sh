#!/usr/bin/env bash
# Prepare a working copy: .venv (Python 3.11) with funcbind installed in editable mode and
# the dev and host extras, the test plugin distribution when it exists, and the npm packages
# when package-lock.json exists.
#
# Idempotent: a hash of everything that decides what gets installed is kept in
# .venv/.funcbind-stamp (and of package-lock.json in node_modules/.funcbind-stamp), and
# nothing is reinstalled while it still matches. Quiet on success; a failing step prints
# its output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
PY=$VENV/bin/python
STAMP=$VENV/.funcbind-stamp
NPM_STAMP=node_modules/.funcbind-stamp
PLUGIN_DIST=tests/plugin_dist

say() { echo "bootstrap: $*"; }
die() {
    echo "bootstrap: error: $*" >&2
    exit 1
}

# Run a step with its output captured; show the output only when the step fails.
quietly() {
    local what=$1 log status=0
    shift
    log=$(mktemp)
    "$@" >"$log" 2>&1 || status=$?
    if ((status != 0)); then
        echo "bootstrap: error: $what failed (exit $status). Last lines of its output:" >&2
        tail -n 80 "$log" >&2
        rm -f "$log"
        exit "$status"
    fi
    rm -f "$log"
}

# is_python CANDIDATE WANT: WANT is "3.11" for exactly that version, "3.10+" for at least 3.10.
is_python() {
    local check
    case $2 in
        3.11) check='sys.version_info[:2] == (3, 11)' ;;
        3.10+) check='sys.version_info[:2] >= (3, 10)' ;;
    esac
    [[ -n $1 && -x $1 ]] && "$1" -c "import sys; sys.exit(0 if $check else 1)" >/dev/null 2>&1
}

find_base_python() {
    local cand
    cand=$(command -v python3.11 || true)
    if is_python "$cand" 3.11; then
        echo "$cand"
        return
    fi
    if command -v pyenv >/dev/null 2>&1; then
        cand=$(pyenv which python3.11 2>/dev/null || true)
        if is_python "$cand" 3.11; then
            echo "$cand"
            return
        fi
    fi
    for cand in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.11*/bin/python3.11; do
        if is_python "$cand" 3.11; then
            echo "$cand"
            return
        fi
    done
    cand=$(command -v python3 || true)
    if is_python "$cand" 3.10+; then
        echo "$cand"
        return
    fi
    return 1
}

# hash_of LINE... : one hash over the given text lines and the files named "file:PATH".
hash_of() {
    local item
    for item in "$@"; do
        echo "== $item"
        if [[ $item == file:* && -f ${item#file:} ]]; then
            cat "${item#file:}"
        fi
    done | sha256sum | cut -d ' ' -f 1
}

# A venv copied or moved from elsewhere keeps scripts whose #! line points at the old
# place: rebuild it then, as when it is missing or broken.
if ! is_python "$PY" 3.10+ || [[ $(head -n 1 "$VENV/bin/pip" 2>/dev/null) != "#!$PWD/$VENV/bin/"* ]]; then
    base=$(find_base_python) || die "no Python 3.11 (or any Python >= 3.10) found; install one, e.g. 'pyenv install 3.11'"
    rm -rf "$VENV"
    quietly "creating $VENV with $base" "$base" -m venv "$VENV"
fi

want=$(hash_of "python: $("$PY" -c 'import sys; print(sys.version)')" \
    file:scripts/bootstrap.sh file:pyproject.toml file:setup.cfg \
    file:"$PLUGIN_DIST"/pyproject.toml file:"$PLUGIN_DIST"/setup.cfg file:"$PLUGIN_DIST"/setup.py)
if ! [[ -f $STAMP && $(<"$STAMP") == "$want" ]]; then
    say "installing into $VENV (Python $("$PY" -c 'import platform; print(platform.python_version())'))"
    rm -f "$STAMP"
    quietly "upgrading pip" "$PY" -m pip install --upgrade pip
    quietly "pip install -e .[dev,host]" "$PY" -m pip install -e '.[dev,host]'
    if [[ -d $PLUGIN_DIST ]]; then
        quietly "pip install -e $PLUGIN_DIST" "$PY" -m pip install -e "$PLUGIN_DIST"
    fi
    echo "$want" >"$STAMP"
fi

if [[ -f package-lock.json ]]; then
    want=$(hash_of file:package-lock.json)
    if ! [[ -f $NPM_STAMP && $(<"$NPM_STAMP") == "$want" ]]; then
        command -v npm >/dev/null 2>&1 || die "package-lock.json is present but npm is not installed"
        say "installing the npm packages of package-lock.json"
        quietly "npm ci" npm ci --no-audit --no-fund --loglevel=error
        echo "$want" >"$NPM_STAMP"
    fi
fi
