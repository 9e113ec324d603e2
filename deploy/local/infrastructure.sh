#!/usr/bin/env bash
# Starts or stops the servers the integration tests and a local multi-process run need, on loopback only:
#   deploy/local/infrastructure.sh start [rabbitmq] [s3] [prometheus] [platform]   (rabbitmq and s3 when none is named)
#   deploy/local/infrastructure.sh stop [platform] [rabbitmq] [s3] [prometheus]    (what the same INFRA_DIR and ports started; all when none is named)
# Installs what is missing (rabbitmq-server and prometheus from Debian, s3rver from npm into $S3RVER_HOME). State
# lives in $INFRA_DIR. Prints the endpoints as environment assignments, e.g.
# SEMANTICMIM_RABBITMQ=amqp://guest:guest@127.0.0.1:5672/
#
# The broker serves its metrics (rabbitmq_prometheus, per queue) on 127.0.0.1:$RABBITMQ_PROMETHEUS_PORT. Prometheus
# scrapes, every $PROMETHEUS_SCRAPE_INTERVAL, that port (job "rabbitmq") and each entry of PROMETHEUS_TARGETS, a
# comma-separated list of [job=]host:port whose /metrics it reads, e.g.
#   PROMETHEUS_TARGETS="orchestrator=127.0.0.1:8092,shard=127.0.0.1:8085,target=127.0.0.1:8086" infrastructure.sh start prometheus
# Every series gets the labels namespace="$PROMETHEUS_NAMESPACE" and pod="JOB-I" (I: the address's place in its job),
# as the Prometheus Operator labels what a ServiceMonitor or PodMonitor scrapes with the pod's namespace and name, so
# the chart's dashboards work unchanged on a local run. PROMETHEUS_EXPORTERS lists [job=]host:port scraped with their
# own labels kept (honor_labels), as a cluster must scrape NVIDIA's DCGM exporter for the GPU panels.
# Starting it again while it runs rewrites the configuration and reloads it (new targets, same data).
#
# "platform" starts the five services, built with `dotnet build SemanticMIM.sln -c $PLATFORM_CONFIGURATION` (Release),
# on this broker and S3 server (bucket $PLATFORM_BUCKET): the orchestrator on 127.0.0.1:$PLATFORM_PORT (8081) and the
# shard, target, trainer and evaluator services on the next four ports, the trainer and evaluator as job agents that
# take the orchestrator's job requests from the broker. Logs and pids go to $INFRA_DIR/platform.
set -euo pipefail

INFRA_DIR="${INFRA_DIR:-/tmp/semanticmim-infra}"
RABBITMQ_PORT="${RABBITMQ_PORT:-5672}"
S3_PORT="${S3_PORT:-9000}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
PROMETHEUS_TARGETS="${PROMETHEUS_TARGETS:-}"
PROMETHEUS_EXPORTERS="${PROMETHEUS_EXPORTERS:-}"
PROMETHEUS_SCRAPE_INTERVAL="${PROMETHEUS_SCRAPE_INTERVAL:-1s}"
PROMETHEUS_NAMESPACE="${PROMETHEUS_NAMESPACE:-semanticmim}"
PLATFORM_CONFIGURATION="${PLATFORM_CONFIGURATION:-Release}"
PLATFORM_PORT="${PLATFORM_PORT:-8081}"
PLATFORM_BUCKET="${PLATFORM_BUCKET:-semanticmim}"
PLATFORM_SERVICES=(orchestrator shard target trainer evaluator)
S3RVER_VERSION="3.7.1"
# s3rver is installed once per machine (npm, then patched); each INFRA_DIR holds only a server's data, log and pid.
S3RVER_HOME="${S3RVER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/semanticmim/s3rver-$S3RVER_VERSION-atomic}"
# A node name of our own, so a broker the Debian package may have started (or another test run) is never ours.
RABBITMQ_NODE="${RABBITMQ_NODENAME:-semanticmim-$RABBITMQ_PORT@localhost}"
# Erlang distribution (node to node, and rabbitmqctl to node) on its own port: RABBITMQ_DIST_PORT, or next to AMQP's.
if [ -z "${RABBITMQ_DIST_PORT:-}" ]; then
  if [ "$RABBITMQ_PORT" -lt 64000 ]; then RABBITMQ_DIST_PORT=$((RABBITMQ_PORT + 1000)); else RABBITMQ_DIST_PORT=$((RABBITMQ_PORT - 1000)); fi
fi
# The broker's metrics (rabbitmq_prometheus): RABBITMQ_PROMETHEUS_PORT, or 10020 from AMQP's (5672 gives the usual 15692).
if [ -z "${RABBITMQ_PROMETHEUS_PORT:-}" ]; then
  if [ "$RABBITMQ_PORT" -le 55515 ]; then RABBITMQ_PROMETHEUS_PORT=$((RABBITMQ_PORT + 10020)); else RABBITMQ_PROMETHEUS_PORT=$((RABBITMQ_PORT - 10020)); fi
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
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $RABBITMQ_PROMETHEUS_PORT
prometheus.return_per_object_metrics = true
CONF
  # The services dashboard shows queue depths and consumers from rabbitmq_prometheus (shipped with the broker).
  echo '[rabbitmq_prometheus].' > "$dir/enabled_plugins"
  mkdir -p "$dir/mnesia" "$dir/log"
  # Run as root, Debian's rabbitmq-server drops to the rabbitmq user, which must own its data and logs.
  if [ "$(id -u)" -eq 0 ] && id rabbitmq >/dev/null 2>&1; then chown -R rabbitmq:rabbitmq "$dir"; fi
  if rabbitmq-diagnostics -q -n "$RABBITMQ_NODE" ping >/dev/null 2>&1; then
    echo "rabbitmq node $RABBITMQ_NODE already running" >&2
  else
    epmd -address 127.0.0.1 -daemon
    RABBITMQ_NODENAME="$RABBITMQ_NODE" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_MNESIA_BASE="$dir/mnesia" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
      RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_DIST_PORT="$RABBITMQ_DIST_PORT" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" rabbitmq-server -detached
    wait_for 60 "rabbitmq" rabbitmq-diagnostics -q -n "$RABBITMQ_NODE" ping
    rabbitmqctl -q -n "$RABBITMQ_NODE" await_startup
  fi
  echo "SEMANTICMIM_RABBITMQ=amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT/"
  echo "SEMANTICMIM_RABBITMQ_METRICS=http://127.0.0.1:$RABBITMQ_PROMETHEUS_PORT/metrics"
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

# The scrape configuration: job "rabbitmq" (this script's broker), every [job=]host:port of PROMETHEUS_TARGETS (job
# "semanticmim" when unnamed) labelled namespace="$PROMETHEUS_NAMESPACE" and pod="JOB-I", and every entry of
# PROMETHEUS_EXPORTERS with honor_labels (its series keep the namespace and pod they name).
prometheus_config() {
  local -A jobs=() honor=()
  local order=() entry job address list variable
  jobs[rabbitmq]="127.0.0.1:$RABBITMQ_PROMETHEUS_PORT"
  order+=(rabbitmq)
  for variable in PROMETHEUS_TARGETS PROMETHEUS_EXPORTERS; do
    IFS=',' read -r -a entries <<< "${!variable}"
    for entry in "${entries[@]}"; do
      entry="${entry// /}"
      [ -z "$entry" ] && continue
      if [[ "$entry" == *=* ]]; then job="${entry%%=*}"; address="${entry#*=}"; else job=semanticmim; address="$entry"; fi
      if ! [[ "$job" =~ ^[A-Za-z_][A-Za-z0-9_-]*$ && "$address" =~ ^[A-Za-z0-9._-]+:[0-9]+$ ]]; then
        echo "$variable: '$entry' is not [job=]host:port" >&2; return 2
      fi
      [ "$variable" = PROMETHEUS_EXPORTERS ] && honor[$job]=1
      if [ -n "${jobs[$job]:-}" ]; then jobs[$job]+=" $address"; else jobs[$job]="$address"; order+=("$job"); fi
    done
  done
  cat <<CONF
global:
  scrape_interval: $PROMETHEUS_SCRAPE_INTERVAL
  scrape_timeout: $PROMETHEUS_SCRAPE_INTERVAL
  evaluation_interval: $PROMETHEUS_SCRAPE_INTERVAL
scrape_configs:
CONF
  for job in "${order[@]}"; do
    printf "  - job_name: '%s'\n    metrics_path: /metrics\n" "$job"
    if [ -n "${honor[$job]:-}" ]; then
      list=""
      for address in ${jobs[$job]}; do list+="${list:+, }'$address'"; done
      printf "    honor_labels: true\n    static_configs:\n      - targets: [%s]\n" "$list"
      continue
    fi
    printf "    static_configs:\n"
    local index=0
    for address in ${jobs[$job]}; do
      printf "      - targets: ['%s']\n        labels:\n          namespace: '%s'\n          pod: '%s-%d'\n" \
        "$address" "$PROMETHEUS_NAMESPACE" "$job" "$index"
      index=$((index + 1))
    done
  done
}

http_ok() ( # http_ok PORT PATH: whether 127.0.0.1:PORT answers GET PATH with 200 (bash only: curl may be missing)
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  read -r status <&3 || true
  [[ "$status" == *" 200 "* ]]
)

start_prometheus() {
  if ! command -v prometheus >/dev/null 2>&1; then
    echo "installing prometheus" >&2
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    # The Debian package may start a server on every interface (port 9090): replace it with ours.
    sudo_if_needed invoke-rc.d prometheus stop >/dev/null 2>&1 || true
  fi
  local dir="$INFRA_DIR/prometheus"
  mkdir -p "$dir/data"
  prometheus_config > "$dir/prometheus.yml.new"
  mv "$dir/prometheus.yml.new" "$dir/prometheus.yml"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "prometheus already running: reloading its configuration" >&2
    kill -HUP "$(cat "$dir/pid")"
  else
    nohup prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
      --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --storage.tsdb.retention.time=1d > "$dir/log" 2>&1 &
    echo $! > "$dir/pid"
    wait_for 60 "prometheus" http_ok "$PROMETHEUS_PORT" /-/ready
  fi
  echo "SEMANTICMIM_PROMETHEUS=http://127.0.0.1:$PROMETHEUS_PORT"
}

start_platform() {
  local root dir="$INFRA_DIR/platform" index=0 name dll port
  root="$(cd "$(dirname "$0")/../.." && pwd)"
  mkdir -p "$dir"
  for name in "${PLATFORM_SERVICES[@]}"; do
    port=$((PLATFORM_PORT + index)); index=$((index + 1))
    dll="$root/services/${name^}/bin/$PLATFORM_CONFIGURATION/net10.0/semanticmim-$name.dll"
    if [ ! -f "$dll" ]; then echo "$dll is missing: run dotnet build SemanticMIM.sln -c $PLATFORM_CONFIGURATION" >&2; return 1; fi
    if [ -f "$dir/$name.pid" ] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
      echo "$name already running" >&2
    else
      (cd "$(dirname "$dll")" && exec env Bus__Transport=rabbitmq Bus__RabbitMq="amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT/" \
        Storage__Kind=s3 Storage__Endpoint="http://127.0.0.1:$S3_PORT" Storage__AccessKey=S3RVER Storage__SecretKey=S3RVER \
        Storage__Bucket="$PLATFORM_BUCKET" Cache__Folder="$dir/cache-$name" ASPNETCORE_URLS="http://127.0.0.1:$port" \
        nohup dotnet "$dll" > "$dir/$name.log" 2>&1) &
      echo $! > "$dir/$name.pid"
    fi
  done
  index=0
  for name in "${PLATFORM_SERVICES[@]}"; do
    port=$((PLATFORM_PORT + index)); index=$((index + 1))
    wait_for 120 "$name (log: $dir/$name.log)" http_ok "$port" /health/ready
    echo "SEMANTICMIM_${name^^}=http://127.0.0.1:$port"
  done
}

stop_platform() {
  local dir="$INFRA_DIR/platform" name pid
  for name in "${PLATFORM_SERVICES[@]}"; do
    [ -f "$dir/$name.pid" ] || continue
    pid="$(cat "$dir/$name.pid")"
    # SIGTERM: a job agent records its running job as interrupted, and the next agent resumes it.
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    rm -f "$dir/$name.pid"
  done
}

stop_rabbitmq() {
  if command -v rabbitmqctl >/dev/null 2>&1 && rabbitmq-diagnostics -q -n "$RABBITMQ_NODE" ping >/dev/null 2>&1; then
    rabbitmqctl -q -n "$RABBITMQ_NODE" stop || true
  fi
  # epmd serves every node on this machine: stop it only when no node is left.
  if ! epmd -names 2>/dev/null | grep -q '^name '; then
    epmd -kill >/dev/null 2>&1 || true
  fi
}

stop_s3() {
  local pid_file="$INFRA_DIR/s3rver/pid"
  if [ -f "$pid_file" ]; then
    kill "$(cat "$pid_file")" 2>/dev/null || true
    rm -f "$pid_file"
  fi
}

stop_prometheus() {
  local pid_file="$INFRA_DIR/prometheus/pid" pid
  if [ -f "$pid_file" ]; then
    pid="$(cat "$pid_file")"
    kill "$pid" 2>/dev/null || true
    # It writes its head block on the way out: give it a moment before the caller deletes INFRA_DIR.
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
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
        prometheus) start_prometheus ;;
        platform) start_platform ;;
        *) echo "unknown service '$service' (rabbitmq, s3, prometheus, platform)" >&2; exit 2 ;;
      esac
    done
    ;;
  stop)
    services=("$@")
    [ ${#services[@]} -eq 0 ] && services=(platform prometheus s3 rabbitmq)
    for service in "${services[@]}"; do
      case "$service" in
        rabbitmq) stop_rabbitmq ;;
        s3) stop_s3 ;;
        prometheus) stop_prometheus ;;
        platform) stop_platform ;;
        *) echo "unknown service '$service' (rabbitmq, s3, prometheus, platform)" >&2; exit 2 ;;
      esac
    done
    ;;
  *) echo "usage: $0 start [rabbitmq] [s3] [prometheus] [platform] | stop [platform] [rabbitmq] [s3] [prometheus]" >&2; exit 2 ;;
esac
