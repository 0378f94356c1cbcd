#!/usr/bin/env bash
# `make run`: install what is missing, migrate, start every process under honcho.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

export CRM_DATA_DIR=${CRM_DATA_DIR:-$ROOT/data}
export AMQP_URI=${AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}
export GATEWAY_PORT=${GATEWAY_PORT:-8080}
export PYTHONUNBUFFERED=1
mkdir -p "$CRM_DATA_DIR"
ensure_service_token

ensure_venv
ensure_broker

port_open 127.0.0.1 "$GATEWAY_PORT" && die "port $GATEWAY_PORT is taken: set GATEWAY_PORT to a free one"

say "migrating databases and declaring queues"
pids=()
for cmd in tandem-gateway tandem-leads tandem-sales tandem-service-desk tandem-forecast tandem-notify; do
  # Human lines (whatever LOG_FORMAT the processes use): read below and by whoever opens the file.
  LOG_FORMAT=text "$cmd" setup >"$CRM_DATA_DIR/${cmd#tandem-}-setup.log" 2>&1 & pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed=1; done
if [ $failed = 1 ]; then
  tail -n 20 "$CRM_DATA_DIR"/*-setup.log >&2
  die "setup failed (logs in $CRM_DATA_DIR/*-setup.log)"
fi
grep -h "admin" "$CRM_DATA_DIR/gateway-setup.log" | sed 's/^.*tandem_gateway[^:]*: /    /' >&2 || true

url="http://127.0.0.1:$GATEWAY_PORT"
banner() {
  for _ in $(seq 1 600); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url/readyz" 2>/dev/null; then
      local login="the admin from CRM_ADMIN_EMAIL / CRM_ADMIN_PASSWORD"
      [ -f "$CRM_DATA_DIR/admin-credentials.txt" ] && [ -z "${CRM_ADMIN_EMAIL:-}" ] && login="the admin in $CRM_DATA_DIR/admin-credentials.txt"
      printf '\n\033[1mTandem is ready at %s\033[0m  (API %s/api/v1, docs %s/docs)\n' "$url" "$url" "$url"
      printf 'Log in as %s:\n  curl -s %s/api/v1/auth/token -H "Content-Type: application/json" -d '"'"'{"email":"...","password":"..."}'"'"'\nCtrl-C stops everything.\n\n' "$login" "$url"
      return
    fi
    sleep 0.5
  done
  echo "Tandem did not become ready within 5 minutes: see the logs above ($url/readyz)" >&2
}
banner &
exec honcho -f deploy/Procfile start
