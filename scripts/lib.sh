# Shared by run.sh, test.sh and .ci/run. Sourced, not executed.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# uv from PATH, or a private copy under .tools/ (a fresh machine has only python3).
ensure_uv() {
  if command -v uv >/dev/null 2>&1; then UV=$(command -v uv); return; fi
  UV="$ROOT/.tools/bin/uv"
  [ -x "$UV" ] && return
  command -v python3.11 >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 || die "Python 3.11 is required (apt-get install -y python3)"
  say "installing uv into .tools/ (once)"
  python3 -m venv "$ROOT/.tools" 2>/dev/null || die "python3 -m venv failed: apt-get install -y python3-venv"
  "$ROOT/.tools/bin/pip" install -q uv || die "could not install uv from PyPI"
}

# The workspace's virtual environment, exactly as uv.lock says (a no-op when current).
ensure_venv() {
  ensure_uv
  "$UV" sync --frozen --quiet --python 3.11 || die "uv sync failed"
  export PATH="$ROOT/.venv/bin:$PATH"
}

# host and port of an amqp:// URI
amqp_host_port() {
  python3 - "$1" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or 5672)
PY
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {  # host port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do port_open "$1" "$2" && return 0; sleep 0.1; done
  return 1
}

# RabbitMQ at $AMQP_URI: start a local one when none answers and it is installed.
ensure_broker() {
  local host port
  read -r host port < <(amqp_host_port "$AMQP_URI")
  port_open "$host" "$port" && return 0
  case "$host" in 127.*|localhost|::1) ;; *) die "no RabbitMQ answers at $host:$port (AMQP_URI)";; esac
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    die "no RabbitMQ answers at $host:$port and none is installed.
Install and start one:   sudo apt-get install -y rabbitmq-server && sudo rabbitmq-server -detached
or point AMQP_URI at a running broker (amqp://user:pass@host:5672/vhost)."
  fi
  say "starting RabbitMQ (rabbitmq-server -detached)"
  rabbitmq-server -detached >/dev/null 2>&1 || sudo -n rabbitmq-server -detached >/dev/null 2>&1 || die "could not start rabbitmq-server"
  wait_port "$host" "$port" 60 || die "RabbitMQ did not open $host:$port within 60 s"
}

# SERVICE_TOKEN for every process (the gRPC shared secret, see service_auth.py): as given,
# else generated once into $CRM_DATA_DIR/service-token (0600) and reused from there.
ensure_service_token() {
  [ -n "${SERVICE_TOKEN:-}" ] && { export SERVICE_TOKEN; return; }
  local file="$CRM_DATA_DIR/service-token"
  if [ ! -s "$file" ]; then
    (umask 077 && python3 -c "import secrets; print(secrets.token_urlsafe(48))" >"$file.tmp") && mv "$file.tmp" "$file"
  fi
  chmod 600 "$file"  # also when it existed with a looser mode
  SERVICE_TOKEN=$(cat "$file")
  export SERVICE_TOKEN
}
