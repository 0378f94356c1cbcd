#!/usr/bin/env bash
# `make test`: the whole suite against real RabbitMQ and PostgreSQL, in two pytest
# processes: the nameko consumer tests (eventlet monkey-patched, folders named
# `consumers/`) and everything else (a patched process makes plain gRPC hang).
# Extra arguments go to both pytest runs (e.g. `make test ARGS="-x -k relay"`).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_venv

export PYTHONUNBUFFERED=1
status=0
say "generated gRPC code is current"
bash scripts/gen-protos.sh --check || status=1

mapfile -t consumer_dirs < <(find libs services gateway tests -type d -name consumers -path '*/tests/*' | sort)
say "tests (plain process)"
pytest -p no:pytest_nameko --ignore-glob='*/tests/consumers' "$@" || status=1
say "consumer tests (eventlet process): ${consumer_dirs[*]}"
pytest "${consumer_dirs[@]}" "$@" || status=1
exit $status
