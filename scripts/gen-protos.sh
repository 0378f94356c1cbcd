#!/usr/bin/env bash
# Regenerate all Python gRPC code from protos/. The generated files sit beside
# their .proto so that `tandem/x/v1/x.proto` becomes `tandem.x.v1.x_pb2`.
# With --check, fail (exit 1) when the committed generated code is stale.
set -euo pipefail
cd "$(dirname "$0")/../protos"
out=.
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
fi
mapfile -t files < <(find tandem -name '*.proto' | sort)
python -m grpc_tools.protoc -I . --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" "${files[@]}"
if [ "${1:-}" = "--check" ]; then
  stale=0
  for f in "${files[@]}"; do
    base=${f%.proto}
    for suffix in _pb2.py _pb2.pyi _pb2_grpc.py; do
      if ! cmp -s "$out/$base$suffix" "$base$suffix"; then
        echo "stale generated code: protos/$base$suffix (run: make protos)" >&2; stale=1
      fi
    done
  done
  exit $stale
fi
echo "generated code for ${#files[@]} proto file(s)"
