#!/usr/bin/env bash
# The main job of the README: serve the example app (examples/) with `funcbind run`, HTTP
# functions at http://127.0.0.1:7071/api/..., queue, blob and timer triggers listening, and
# Azurite (the local Azure Storage emulator, from npm) started for development storage when
# nothing listens on its ports. Sets itself up first (scripts/bootstrap.sh). Ctrl-C stops it.
# Arguments go to `funcbind run`: scripts/run.sh --port 8080 --verbose
# The full benchmark suite is scripts/bench.sh full.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/bootstrap.sh
exec .venv/bin/funcbind run examples "$@"
