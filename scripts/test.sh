#!/usr/bin/env bash
# `make test`: the whole suite against real RabbitMQ and PostgreSQL.
#  1. the generated gRPC code is current;
#  2. every package (plumbing, protos, each service, the gateway) installs ALONE into a fresh
#     venv and passes its own tests there (scripts/check-isolated.sh, two packages side by
#     side; ISOLATED_JOBS=1 for one at a time): each package's tests run once, and that run
#     is also the proof that no service leans on another;
#  3. the cross-package tests under tests/ (integration, end to end over HTTP across the
#     processes `make run` starts, fuzzing, deploy and compatibility checks) in the
#     workspace venv.
# Tests run in two pytest processes each time: the nameko consumer tests (eventlet
# monkey-patched, folders named `consumers/`) and everything else (a patched process makes
# plain gRPC hang). Extra arguments go to every pytest run, split on spaces
# (e.g. `make test ARGS="-x -k relay"`). TEST_PACKAGES="leads gateway" limits step 2;
# TEST_PACKAGES=none skips it.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_venv

export PYTHONUNBUFFERED=1
status=0
say "generated gRPC code is current"
bash scripts/gen-protos.sh --check || status=1

packages=${TEST_PACKAGES:-}
if [ "$packages" != none ]; then
  say "each package alone, with its own tests"
  # shellcheck disable=SC2086  # a list of package names
  ISOLATED_JOBS=${ISOLATED_JOBS:-2} ISOLATED_PYTEST_ARGS="$*" bash scripts/check-isolated.sh $packages || status=1
fi

mapfile -t consumer_dirs < <(find tests -type d -name consumers | sort)
say "cross-package tests (plain process)"
pytest -p no:pytest_nameko --ignore-glob='*/tests/consumers' --ignore-glob='tests/*/consumers' tests "$@" || status=1
if [ ${#consumer_dirs[@]} -gt 0 ]; then
  say "cross-package consumer tests (eventlet process): ${consumer_dirs[*]}"
  pytest "${consumer_dirs[@]}" "$@" || status=1
fi
exit $status
