#!/usr/bin/env bash
# Starts or stops the servers the integration tests and a local multi-process run need, on loopback only:
#   deploy/local/infrastructure.sh start [rabbitmq] [s3]    (both when none is named)
#   deploy/local/infrastructure.sh stop                     (stops what the same INFRA_DIR and ports started)
# Installs what is missing (rabbitmq-server from Debian, s3rver from npm into $S3RVER_HOME). State lives in $INFRA_DIR.
# Prints the endpoints as environment assignments, e.g. SEMANTICMIM_RABBITMQ=amqp://guest:guest@127.0.0.1:5672/
set -euo pipefail

INFRA_DIR="${INFRA_DIR:-/tmp/semanticmim-infra}"
RABBITMQ_PORT="${RABBITMQ_PORT:-5672}"
S3_PORT="${S3_PORT:-9000}"
S3RVER_VERSION="3.7.1"
# s3rver is installed once per machine (npm, then patched); each INFRA_DIR holds only a server's data, log and pid.
S3RVER_HOME="${S3RVER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/semanticmim/s3rver-$S3RVER_VERSION-atomic}"
# A node name of our own, so a broker the Debian package may have started (or another test run) is never ours.
RABBITMQ_NODE="${RABBITMQ_NODENAME:-semanticmim-$RABBITMQ_PORT@localhost}"
# Erlang distribution (node to node, and rabbitmqctl to node) on its own port: RABBITMQ_DIST_PORT, or next to AMQP's.
if [ -z "${RABBITMQ_DIST_PORT:-}" ]; then
  if [ "$RABBITMQ_PORT" -lt 64000 ]; then RABBITMQ_DIST_PORT=$((RABBITMQ_PORT + 1000)); else RABBITMQ_DIST_PORT=$((RABBITMQ_PORT - 1000)); fi
fi
# Keep epmd and the command-line tools' own Erlang nodes on loopback too.
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
mkdir -p "$INFRA_DIR"

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "$what did not become ready" >&2; return 1; fi
    sleep 0.5
  done
}

start_rabbitmq() {
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "installing rabbitmq-server" >&2
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
    # The Debian package may start a server bound to every interface: replace it with ours.
    sudo_if_needed rabbitmqctl stop >/dev/null 2>&1 || true
  fi
  local dir="$INFRA_DIR/rabbitmq"
  mkdir -p "$dir"
  cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RABBITMQ_PORT
loopback_users = none
CONF
  mkdir -p "$dir/mnesia" "$dir/log"
  # Run as root, Debian's rabbitmq-server drops to the rabbitmq user, which must own its data and logs.
  if [ "$(id -u)" -eq 0 ] && id rabbitmq >/dev/null 2>&1; then chown -R rabbitmq:rabbitmq "$dir"; fi
  if rabbitmq-diagnostics -q -n "$RABBITMQ_NODE" ping >/dev/null 2>&1; then
    echo "rabbitmq node $RABBITMQ_NODE already running" >&2
  else
    epmd -address 127.0.0.1 -daemon
    RABBITMQ_NODENAME="$RABBITMQ_NODE" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_MNESIA_BASE="$dir/mnesia" \
      RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_DIST_PORT="$RABBITMQ_DIST_PORT" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" rabbitmq-server -detached
    wait_for 60 "rabbitmq" rabbitmq-diagnostics -q -n "$RABBITMQ_NODE" ping
    rabbitmqctl -q -n "$RABBITMQ_NODE" await_startup
  fi
  echo "SEMANTICMIM_RABBITMQ=amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT/"
}

start_s3() {
  local home="$S3RVER_HOME" dir="$INFRA_DIR/s3rver"
  if [ ! -f "$home/installed" ]; then
    echo "installing s3rver $S3RVER_VERSION into $home" >&2
    rm -rf "$home" && mkdir -p "$home"
    npm install --prefix "$home" --no-audit --no-fund --silent "s3rver@$S3RVER_VERSION" >/dev/null
    # s3rver answers listings in a namespace the Minio SDK does not recognise (environment.md): fix it.
    grep -rl 'http://doc.s3.amazonaws.com/2006-03-01/' "$home/node_modules/s3rver/lib" \
      | xargs -r sed -i 's#http://doc.s3.amazonaws.com/2006-03-01/#http://s3.amazonaws.com/doc/2006-03-01/#g'
    # ... and replaces objects in place, which readers can see half-written: make it atomic.
    node "$(dirname "$0")/s3rver-atomic.js" "$home/node_modules/s3rver/lib/stores/filesystem.js"
    touch "$home/installed"
  fi
  mkdir -p "$dir"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "s3rver already running" >&2
  else
    mkdir -p "$INFRA_DIR/s3-data"
    nohup "$home/node_modules/.bin/s3rver" -d "$INFRA_DIR/s3-data" -a 127.0.0.1 -p "$S3_PORT" -s > "$dir/log" 2>&1 &
    echo $! > "$dir/pid"
    wait_for 30 "s3rver" bash -c "exec 3<>/dev/tcp/127.0.0.1/$S3_PORT"
  fi
  echo "SEMANTICMIM_S3=http://127.0.0.1:$S3_PORT"
}

stop_all() {
  if command -v rabbitmqctl >/dev/null 2>&1 && rabbitmq-diagnostics -q -n "$RABBITMQ_NODE" ping >/dev/null 2>&1; then
    rabbitmqctl -q -n "$RABBITMQ_NODE" stop || true
  fi
  # epmd serves every node on this machine: stop it only when no node is left.
  if ! epmd -names 2>/dev/null | grep -q '^name '; then
    epmd -kill >/dev/null 2>&1 || true
  fi
  local pid_file="$INFRA_DIR/s3rver/pid"
  if [ -f "$pid_file" ]; then
    kill "$(cat "$pid_file")" 2>/dev/null || true
    rm -f "$pid_file"
  fi
}

command="${1:-}"
shift || true
case "$command" in
  start)
    services=("$@")
    [ ${#services[@]} -eq 0 ] && services=(rabbitmq s3)
    for service in "${services[@]}"; do
      case "$service" in
        rabbitmq) start_rabbitmq ;;
        s3) start_s3 ;;
        *) echo "unknown service '$service' (rabbitmq, s3)" >&2; exit 2 ;;
      esac
    done
    ;;
  stop) stop_all ;;
  *) echo "usage: $0 start [rabbitmq] [s3] | stop" >&2; exit 2 ;;
esac
