#!/usr/bin/env bash
# Runs Conveyor without Docker, as native processes, in the topology of docker-compose.yml: a
# private redis-server (AOF on, data under .local/), HAProxy on LB_PORT (default 8080) balancing
# APIS api instances (default 2, on the ports just above), WORKERS clustered workers (default 1)
# on loopback sharing a random CLUSTER_SECRET kept in .local/, and sysmon on SYSMON_PORT (5984,
# actions with SYSMON_TOKEN). `down` stops exactly what `up` started (by its pid files), nothing else.
#
#   scripts/local.sh up [--api N] [--workers M]   build if needed, start, print the URLs
#   scripts/local.sh scale api=N | worker=M       start or stop (draining) instances
#   scripts/local.sh status                       what runs, by pid
#   scripts/local.sh logs [name]                  follow the logs (all, or e.g. worker-2)
#   scripts/local.sh down                         stop it all (workers drain first)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$root/.local"
# the ports `up` chose are remembered, so `status` and `down` find the same processes
[ -f "$state/ports" ] && . "$state/ports"
redis_port="${LOCAL_REDIS_PORT:-${redis_port:-6380}}"
api_port="${LB_PORT:-${API_PORT:-${api_port:-8080}}}"
apis="${APIS:-${apis:-2}}"
sysmon_port="${SYSMON_PORT:-${sysmon_port:-5984}}"
export QUARKUS_ANALYTICS_DISABLED=true

say() { printf '[local] %s\n' "$*"; }
die() { printf '[local] error: %s\n' "$*" >&2; exit 1; }

. "$root/scripts/lib/setup.sh"

# what a fresh machine lacks is installed (as root on Debian), else named in one line
prerequisites() {
  ensure_programs redis-server:redis-server redis-cli:redis-tools curl:curl haproxy:haproxy
  find_jdk || die "no JDK 21 or newer found: install one (e.g. Temurin 21) and set JAVA_HOME"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

build_if_needed() {
  if [ ! -f "$root/api/target/quarkus-app/quarkus-run.jar" ] || [ ! -f "$root/worker/target/quarkus-app/quarkus-run.jar" ] \
    || [ ! -f "$root/sysmon/target/quarkus-app/quarkus-run.jar" ]; then
    say "building the services (./mvnw -B -q package -DskipTests)"
    (cd "$root" && ./mvnw -B -q package -DskipTests)
  fi
}

start_redis() {
  if alive "$state/redis.pid"; then say "redis already running (pid $(cat "$state/redis.pid"))"; return; fi
  mkdir -p "$state/redis"
  say "starting redis-server on 127.0.0.1:$redis_port (AOF, data in .local/redis)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$state/redis" \
    --appendonly yes --appendfsync everysec --save "" \
    --daemonize yes --pidfile "$state/redis.pid" --logfile "$state/redis.log"
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return; sleep 0.1; done
  die "redis-server did not answer; see .local/redis.log"
}

cluster_secret() { # one random secret per checkout, kept in .local/ (the cluster's members must share it)
  [ -s "$state/cluster-secret" ] || (umask 077; head -c 24 /dev/urandom | base64 >"$state/cluster-secret")
  cat "$state/cluster-secret"
}

start_service() { # name jar [env...]
  local name="$1" jar="$2"; shift 2
  if alive "$state/$name.pid"; then say "$name already running (pid $(cat "$state/$name.pid"))"; return; fi
  say "starting $name"
  env "$@" REDIS_URL="redis://127.0.0.1:$redis_port" \
    CLUSTER_BIND_ADDR="${CLUSTER_BIND_ADDR:-127.0.0.1}" CLUSTER_PORT="${CLUSTER_PORT:-7800}" \
    CLUSTER_SECRET="$(cluster_secret)" \
    nohup "$JAVA_HOME/bin/java" -Xmx256m -jar "$jar" >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
}

wait_ready() { # name url
  for _ in $(seq 150); do
    curl -fs "$2" >/dev/null 2>&1 && { say "$1 ready"; return; }
    alive "$state/$1.pid" || die "$1 exited; see .local/$1.log"
    sleep 0.2
  done
  die "$1 not ready after 30 s; see .local/$1.log"
}

write_haproxy_config() { # server lines
  local cfg="$state/haproxy.cfg"
  awk -v bind="127.0.0.1:$api_port" -v errors="$root/haproxy/errors" -v servers="$1" '
    { gsub(/@LB_BIND@/, bind); gsub(/@ERRORS@/, errors) }
    /@SERVERS@/ { printf "%s", servers; next }
    { print }' "$root/haproxy/local.cfg.in" >"$cfg"
  haproxy -c -q -f "$cfg" || die "haproxy rejects $cfg"
}

start_haproxy() { # server lines
  if alive "$state/haproxy.pid"; then say "haproxy already running (pid $(cat "$state/haproxy.pid"))"; return; fi
  local cfg="$state/haproxy.cfg"
  write_haproxy_config "$1"
  say "starting haproxy on 127.0.0.1:$api_port in front of $apis api(s)"
  nohup haproxy -db -f "$cfg" >"$state/haproxy.log" 2>&1 &
  echo $! >"$state/haproxy.pid"
}

start_api() { # n
  start_service "api-$1" "$root/api/target/quarkus-app/quarkus-run.jar" \
    QUARKUS_HTTP_PORT="$((api_port + $1))" QUARKUS_HTTP_HOST=127.0.0.1 NODE_NAME="api-$1@local"
}

start_sysmon() {
  start_service sysmon "$root/sysmon/target/quarkus-app/quarkus-run.jar" \
    SYSMON_PORT="$sysmon_port" QUARKUS_HTTP_HOST=127.0.0.1 NODE_NAME="sysmon@local" \
    SYSMON_TOKEN="${SYSMON_TOKEN:-}"
}

start_worker() { # n
  start_service "worker-$1" "$root/worker/target/quarkus-app/quarkus-run.jar" \
    QUARKUS_HTTP_PORT=0 QUARKUS_HTTP_HOST=127.0.0.1 NODE_NAME="worker-$1@local"
}

server_lines() { # one haproxy server line per api
  for n in $(seq "$apis"); do printf '    server api-%s 127.0.0.1:%s check\n' "$n" "$((api_port + n))"; done
}

save_ports() {
  printf 'redis_port=%s\napi_port=%s\napis=%s\nsysmon_port=%s\n' "$redis_port" "$api_port" "$apis" "$sysmon_port" >"$state/ports"
}

up() {
  local workers="${WORKERS:-1}"
  while [ $# -gt 0 ]; do
    case "$1" in
      --api) apis="$2"; shift 2 ;;
      --workers) workers="$2"; shift 2 ;;
      *) die "unknown option $1 (up [--api N] [--workers M])" ;;
    esac
  done
  prerequisites
  build_if_needed
  mkdir -p "$state"
  save_ports
  start_redis
  for n in $(seq "$apis"); do start_api "$n"; done
  start_haproxy "$(server_lines)"$'\n'
  for n in $(seq "$workers"); do start_worker "$n"; done
  start_sysmon
  for n in $(seq "$apis"); do wait_ready "api-$n" "http://127.0.0.1:$((api_port + n))/q/health/ready"; done
  wait_ready haproxy "http://127.0.0.1:$api_port/lb/health"
  wait_ready sysmon "http://127.0.0.1:$sysmon_port/q/health/ready"
  say "up: $apis api(s) behind http://localhost:$api_port, $workers worker(s), sysmon on http://localhost:$sysmon_port. Try:"
  say "  curl -s -XPOST -d '{\"data\":\"foo\"}' http://localhost:$api_port/api/v1/work | jq"
  say "  curl -s http://localhost:$api_port/api/v1/work/ACBD18DB4CC2F85CEDEF654FCCC4A4D8 | jq"
  say "  scripts/shell.sh          the cluster shell"
  say "logs: scripts/local.sh logs; stop with: scripts/local.sh down"
}

running_count() { # prefix: how many <prefix>-N.pid files are alive
  local count=0
  for file in "$state/$1"-*.pid; do [ -e "$file" ] && alive "$file" && count=$((count + 1)); done
  echo "$count"
}

scale() { # api=N | worker=M
  [ -f "$state/ports" ] || die "nothing runs here: scripts/local.sh up first"
  prerequisites
  local what="${1%%=*}" want="${1#*=}"
  [[ "$want" =~ ^[0-9]+$ ]] || die "scale api=N or worker=M, got '$1'"
  case "$what" in
    worker)
      local have; have="$(running_count worker)"
      for n in $(seq $((have + 1)) "$want"); do start_worker "$n"; done
      for ((n = have; n > want; n--)); do stop_pidfile "worker-$n"; done
      say "workers: $want" ;;
    api)
      [ "$want" -ge 1 ] || die "at least one api"
      local have="$apis"
      for n in $(seq $((have + 1)) "$want"); do start_api "$n"; done
      for n in $(seq $((have + 1)) "$want"); do wait_ready "api-$n" "http://127.0.0.1:$((api_port + n))/q/health/ready"; done
      apis="$want"
      save_ports
      reload_haproxy
      for ((n = have; n > want; n--)); do stop_pidfile "api-$n"; done
      say "apis: $want" ;;
    *) die "scale api=N or worker=M, got '$1'" ;;
  esac
}

reload_haproxy() { # a new haproxy with the new servers takes over; the old one finishes its requests
  local cfg="$state/haproxy.cfg" old; old="$(cat "$state/haproxy.pid")"
  write_haproxy_config "$(server_lines)"$'\n'
  say "reloading haproxy for $apis api(s)"
  nohup haproxy -db -f "$cfg" -sf "$old" >>"$state/haproxy.log" 2>&1 &
  echo $! >"$state/haproxy.pid"
}

logs() {
  if [ -n "${1:-}" ]; then exec tail -n 50 -F "$state/$1.log"; fi
  exec tail -n 20 -F "$state"/*.log
}

stop_pidfile() { # name [seconds]
  local file="$state/$1.pid" limit="${2:-40}"
  alive "$file" || { rm -f "$file"; return 0; }
  local pid; pid="$(cat "$file")"
  say "stopping $1 (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq $((limit * 5))); do kill -0 "$pid" 2>/dev/null || { rm -f "$file"; return 0; }; sleep 0.2; done
  say "$1 did not stop in ${limit}s: killing pid $pid"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

down() {
  [ -d "$state" ] || { say "nothing to stop"; return; }
  for file in "$state"/worker-*.pid; do [ -e "$file" ] && stop_pidfile "$(basename "$file" .pid)"; done
  stop_pidfile sysmon 10
  stop_pidfile haproxy 5
  for file in "$state"/api*.pid; do [ -e "$file" ] && stop_pidfile "$(basename "$file" .pid)"; done
  if alive "$state/redis.pid"; then
    say "stopping redis (pid $(cat "$state/redis.pid")); its data stays in .local/redis"
    redis-cli -p "$redis_port" shutdown >/dev/null 2>&1 || kill -TERM "$(cat "$state/redis.pid")"
    for _ in $(seq 50); do alive "$state/redis.pid" || break; sleep 0.1; done
  fi
  rm -f "$state/redis.pid" "$state/ports"
  say "down"
}

status() {
  local any=0
  for file in "$state"/*.pid; do
    [ -e "$file" ] || continue
    any=1
    if alive "$file"; then say "$(basename "$file" .pid): running (pid $(cat "$file"))"
    else say "$(basename "$file" .pid): not running (stale pid file)"; fi
  done
  [ "$any" = 1 ] || say "nothing started"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  scale) shift; for arg in "$@"; do scale "$arg"; done ;;
  down) down ;;
  status) status ;;
  logs) shift; logs "$@" ;;
  *) echo "usage: scripts/local.sh up [--api N] [--workers M] | scale api=N|worker=M | status | logs [name] | down" >&2; exit 2 ;;
esac
