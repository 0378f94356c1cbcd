#!/usr/bin/env bash
# The gRPC contracts may not break what was released (issue 7, point 5): `buf lint`, then
# `buf breaking` against the newest release image under protos/releases/ (rules: protos/buf.yaml),
# then the event schemas against every release's copies (tests/integration/test_event_schemas.py).
#
#   scripts/check-protos-breaking.sh [PROTOS_DIR]   default: protos/ of this checkout
#
# buf comes from the npm registry, pinned, installed once into .tools/ (never globally).
# Exit 3 when buf cannot be installed (no npm, or the registry does not answer).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUF_VERSION=1.75.0
protos=$(cd "${1:-$ROOT/protos}" && pwd) || die "no such directory: ${1:-}"

buf="$ROOT/.tools/buf-$BUF_VERSION/node_modules/.bin/buf"
if [ ! -x "$buf" ]; then
  command -v npm >/dev/null 2>&1 || { echo "error: npm is needed to install buf (apt-get install -y npm)" >&2; exit 3; }
  say "installing buf $BUF_VERSION from the npm registry into .tools/ (once)"
  npm install --prefix "$ROOT/.tools/buf-$BUF_VERSION" --no-save --no-package-lock --no-audit --no-fund --silent \
    "@bufbuild/buf@$BUF_VERSION" >&2 && [ -x "$buf" ] \
    || { echo "error: could not install @bufbuild/buf@$BUF_VERSION from the npm registry" >&2; exit 3; }
fi

release=$(find "$protos/releases" -mindepth 1 -maxdepth 1 -type d -name 'v*' -printf '%f\n' 2>/dev/null | sort -V | tail -1)
[ -n "$release" ] && [ -f "$protos/releases/$release/protos.binpb" ] || die "no release image under $protos/releases/"

cd "$protos"
status=0
say "buf lint ($protos)"
"$buf" lint || status=1
say "buf breaking against release $release"
"$buf" breaking --against "releases/$release/protos.binpb" || status=1
if [ "$protos" = "$ROOT/protos" ]; then
  say "event schemas against every release"
  "$ROOT/.venv/bin/pytest" -p no:pytest_nameko -q --no-header -p no:cacheprovider -m "not e2e" \
    "$ROOT/tests/integration/test_event_schemas.py" || status=1
fi
[ $status = 0 ] && say "protos and event schemas: no breaking change against $release"
exit $status
