#!/usr/bin/env bash
# Each Tandem package installs alone and passes its own tests there: the proof that the
# services don't lean on each other (issue 7, point 4).
#
#   scripts/check-isolated.sh                 every package
#   scripts/check-isolated.sh leads gateway   only these (plumbing protos leads sales
#                                             service_desk forecast notify gateway)
#   ISOLATED_JOBS=2 scripts/check-isolated.sh  two packages side by side (make test does)
#
# For each package: a fresh Python 3.11 venv with the package built as a wheel (not
# editable) and only what uv.lock says it depends on (`uv export --package`), plus the
# workspace's test tools (the root `dev` group, same pins) and the workspace members its
# `[dependency-groups] test` names (the gateway's tests start the services' gRPC servers).
# Then: the package imports from the venv, every undeclared sibling does NOT import, and
# its own tests pass (plain process, then its `consumers/` tests in an eventlet process,
# as scripts/test.sh runs them) against the RabbitMQ and PostgreSQL of the environment
# (TEST_POSTGRES_URL, TEST_AMQP_URL, TEST_RABBIT_MANAGEMENT_URL; see tandem_plumbing.testing).
# Downloads come from uv's cache; venvs live in a temp dir removed at the end
# (ISOLATED_KEEP=1 keeps it). Extra pytest arguments: ISOLATED_PYTEST_ARGS="-x -k relay".
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_uv

declare -A DIRS=([plumbing]=libs/plumbing [protos]=protos [leads]=services/leads [sales]=services/sales
  [service_desk]=services/service_desk [forecast]=services/forecast [notify]=services/notify [gateway]=gateway)
ALL=(plumbing protos leads sales service_desk forecast notify gateway)
packages=("$@")
[ ${#packages[@]} -eq 0 ] && packages=("${ALL[@]}")
for p in "${packages[@]}"; do
  [ -n "${DIRS[$p]:-}" ] || die "unknown package '$p' (one of: ${ALL[*]})"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tandem-isolated.XXXXXX")
if [ "${ISOLATED_KEEP:-0}" = 1 ]; then say "venvs kept in $work"; else trap 'rm -rf "$work"' EXIT; fi
read -r -a pytest_args <<<"${ISOLATED_PYTEST_ARGS:-}"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1

# The root pytest settings without `pythonpath` (it puts tests/ on sys.path, where the
# end-to-end harness lives) and `testpaths`: a package's tests must not reach either.
python3 - "$work/pytest.ini" <<'PY'
import sys, tomllib
opts = tomllib.load(open("pyproject.toml", "rb"))["tool"]["pytest"]["ini_options"]
lines = ["[pytest]"]
for key, value in opts.items():
    if key in ("pythonpath", "testpaths"):
        continue
    if isinstance(value, list):
        lines.append(f"{key} =" + "".join(f"\n    {v}" for v in value))
    else:
        lines.append(f"{key} = {value}")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY

# The test tools every package's tests use: the root dev group, pinned by the lock.
"$UV" export --frozen --only-group dev --no-emit-workspace --no-hashes --quiet -o "$work/test-tools.txt" \
  || die "uv export of the dev group failed"

# Workspace members named in a package's `[dependency-groups] test` (test-only dependencies).
test_members() {
  python3 - "$1/pyproject.toml" <<'PY'
import sys, tomllib
groups = tomllib.load(open(sys.argv[1], "rb")).get("dependency-groups", {})
for name in groups.get("test", []):
    if not name.startswith("tandem-"):
        sys.exit(f"{sys.argv[1]}: test group entry {name!r}: only workspace members go there; "
                 "test tools belong in the root dev group")
    print(name)
PY
}

# Module names of the workspace members, and which of them a venv can import.
MODULES="tandem_plumbing tandem.common.v1.ops_pb2 tandem_leads tandem_sales tandem_service_desk tandem_forecast tandem_notify tandem_gateway"
importable() {  # venv-python -> the importable modules, one a line, each found inside the venv
  "$1" - $MODULES <<'PY'
import importlib.util, sys
prefix = sys.prefix
for name in sys.argv[1:]:
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        spec = None
    if spec is None:
        continue
    if not (spec.origin or "").startswith(prefix):
        sys.exit(f"{name} imports from {spec.origin}, outside the venv {prefix}")
    print(name)
PY
}

# module -> the distribution that provides it
dist_of() { case $1 in tandem.*) echo tandem-protos;; *) echo "${1//_/-}";; esac; }

# uv caches the wheels it builds from the workspace's folders keyed by pyproject.toml, not by
# the code: rebuild every member each run, or a changed module would be tested as it was.
REFRESH=()
for d in "${DIRS[@]}"; do REFRESH+=(--refresh-package "$(sed -n 's/^name = "\(.*\)"/\1/p' "$d/pyproject.toml" | head -1)"); done

# One package: install, import check, tests. Writes "<result>|<install s>|<tests s>" to
# $work/<p>.result; output goes to stdout/stderr (a log file when packages run side by side).
seconds_since() { python3 -c "import time; print(f'{time.time() - $1:.1f}')"; }
check_one() {
  local p=$1 dir dist venv t0 t1 members declared found leak module d in_declared in_found ok
  local -a package_flags consumer_dirs
  dir=${DIRS[$p]}
  dist=$(sed -n 's/^name = "\(.*\)"/\1/p' "$dir/pyproject.toml" | head -1)
  venv="$work/$p"
  say "$p ($dist): fresh venv"
  t0=$(date +%s.%N)
  members=$(test_members "$dir") || { echo "bad test group||" >"$work/$p.result"; return 1; }
  package_flags=(--package "$dist")
  for m in $members; do package_flags+=(--package "$m"); done
  if ! "$UV" export --frozen "${package_flags[@]}" --no-dev --no-editable --no-hashes --quiet -o "$work/$p.txt" \
    || ! "$UV" venv --quiet --python 3.11 "$venv" \
    || ! "$UV" pip install --quiet --no-sources "${REFRESH[@]}" --python "$venv/bin/python" \
      -r "$work/$p.txt" -r "$work/test-tools.txt"; then
    echo "install failed||" >"$work/$p.result"; return 1
  fi
  local install_s; install_s=$(seconds_since "$t0")

  # The package and its declared workspace dependencies import from the venv; nothing else does.
  declared=$(sed -n 's|^\./||p' "$work/$p.txt" | while read -r d; do sed -n 's/^name = "\(.*\)"/\1/p' "$d/pyproject.toml" | head -1; done)
  found=$(importable "$venv/bin/python") || { echo "imports leak|$install_s|" >"$work/$p.result"; return 1; }
  leak=0
  for module in $MODULES; do
    d=$(dist_of "$module")
    in_declared=0; grep -qx "$d" <<<"$declared" && in_declared=1
    in_found=0; grep -qx "$module" <<<"$found" && in_found=1
    if [ $in_declared != $in_found ]; then
      echo "  $module: declared=$in_declared importable=$in_found" >&2; leak=1
    fi
  done
  echo "  installed: $(echo $declared)" >&2
  [ $leak = 0 ] || { echo "imports differ from declared|$install_s|" >"$work/$p.result"; return 1; }

  t1=$(date +%s.%N)
  ok=1
  # Each pytest run has its own base temp dir: runs side by side must not rotate each
  # other's /tmp/pytest-of-<user>/pytest-N away.
  if [ -d "$dir/tests" ]; then
    mapfile -t consumer_dirs < <(find "$dir/tests" -type d -name consumers | sort)
    say "$p: tests (plain process)"
    "$venv/bin/pytest" -c "$work/pytest.ini" --rootdir "$ROOT" --basetemp "$work/$p-tmp" -p no:cacheprovider \
      -p no:pytest_nameko --ignore-glob='*/tests/consumers' -q "${pytest_args[@]}" "$dir/tests" || ok=0
    if [ ${#consumer_dirs[@]} -gt 0 ]; then
      say "$p: consumer tests (eventlet process)"
      "$venv/bin/pytest" -c "$work/pytest.ini" --rootdir "$ROOT" --basetemp "$work/$p-tmp-consumers" \
        -p no:cacheprovider -q "${pytest_args[@]}" "${consumer_dirs[@]}" || ok=0
    fi
  else
    # No tests of its own (protos): every generated module imports with the pinned runtime.
    say "$p: import every generated module"
    (cd "$dir" && find tandem -name '*_pb2*.py' | sed 's|/|.|g; s|\.py$||' | sort) \
      | "$venv/bin/python" -c 'import importlib, sys; [importlib.import_module(m.strip()) for m in sys.stdin]; print("  imported")' \
      || ok=0
  fi
  if [ $ok = 1 ]; then echo "ok|$install_s|$(seconds_since "$t1")" >"$work/$p.result"
  else echo "tests failed|$install_s|$(seconds_since "$t1")" >"$work/$p.result"; return 1; fi
}

# ISOLATED_JOBS packages at a time (default 1: one after another, output as it comes); side
# by side, each package's output is shown whole when it ends. The longest first.
jobs=${ISOLATED_JOBS:-1}
if [ "$jobs" -le 1 ] || [ ${#packages[@]} -le 1 ]; then
  for p in "${packages[@]}"; do check_one "$p" || true; done
else
  mapfile -t order < <(for p in gateway plumbing forecast sales leads notify service_desk protos; do
    for q in "${packages[@]}"; do [ "$q" = "$p" ] && echo "$p"; done; done)
  declare -A PID
  running=0
  show() { say "---- $1 ----"; cat "$work/$1.log" >&2; }
  for p in "${order[@]}"; do
    if [ $running -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
    check_one "$p" >"$work/$p.log" 2>&1 &
    PID[$p]=$!
    running=$((running + 1))
  done
  for p in "${order[@]}"; do wait "${PID[$p]}" || true; show "$p"; done
fi

declare -A RESULT INSTALL_S TEST_S
status=0
for p in "${packages[@]}"; do
  IFS='|' read -r RESULT[$p] INSTALL_S[$p] TEST_S[$p] <"$work/$p.result" 2>/dev/null || RESULT[$p]="not run"
  [ "${RESULT[$p]}" = ok ] || status=1
done

say "isolated installs (seconds: install, tests)"
for p in "${packages[@]}"; do
  printf '  %-13s %-30s %6s %7s\n' "$p" "${RESULT[$p]:-not run}" "${INSTALL_S[$p]:--}" "${TEST_S[$p]:--}" >&2
done
exit $status
