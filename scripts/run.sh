#!/usr/bin/env bash
# The main job of the README. Until the local host exists it benchmarks funcbind against
# azure.functions and prints the comparison table; later it serves examples/ with
# `funcbind run`. Sets itself up first (scripts/bootstrap.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/bootstrap.sh
exec bash scripts/bench.sh full "$@"
