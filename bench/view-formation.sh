#!/usr/bin/env bash
# Starts three worker processes at the same instant, RUNS times (default 20), against a private
# redis-server, and reports how long each start took until all three shared one view of three.
# The time includes the JVMs' own start. Stops everything it started; touches nothing else.
#
#   bench/view-formation.sh            20 runs
#   RUNS=5 bench/view-formation.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-20}"
limit_s=10
jar="$root/worker/target/quarkus-app/quarkus-run.jar"
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
work="$(mktemp -d)"
redis_port="${BENCH_REDIS_PORT:-16399}"
pids=()

say() { printf '[view-formation] %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }
command -v redis-server >/dev/null || die "redis-server not found: apt-get install redis-server"
[ -x "$java" ] || die "no java at $java: set JAVA_HOME to a JDK 21+"
[ -f "$jar" ] || die "$jar missing: run ./mvnw -B package -DskipTests first"

cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "${redis_pid:-}" ] && kill -TERM "$redis_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

times=()
failures=0
for run in $(seq "$runs"); do
  pids=()
  start=$(date +%s%N)
  for n in 1 2 3; do
    env REDIS_URL="redis://127.0.0.1:$redis_port" REDIS_PREFIX="bench$run" NODE_NAME="w$n" \
      CLUSTER_BIND_ADDR=127.0.0.1 CLUSTER_PORT=0 CLUSTER_SECRET=bench QUARKUS_HTTP_PORT=0 \
      QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_ANALYTICS_DISABLED=true \
      "$java" -Xmx256m -jar "$jar" >"$work/w$n.log" 2>&1 &
    pids+=($!)
  done
  formed=""
  deadline=$(( start + limit_s * 1000000000 ))
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    seen=0
    for n in 1 2 3; do
      grep -Eq 'cluster view [0-9]+: \[(w[123](, )?){3}\]' "$work/w$n.log" && seen=$((seen + 1))
    done
    if [ "$seen" -eq 3 ]; then formed=$(( ($(date +%s%N) - start) / 1000000 )); break; fi
    sleep 0.05
  done
  if [ -n "$formed" ]; then
    times+=("$formed"); say "run $run: one view of three after $formed ms"
  else
    failures=$((failures + 1)); say "run $run: NO single view within ${limit_s}s"
    grep -h "cluster view" "$work"/w*.log | tail -6 || true
  fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
done

sorted=$(printf '%s\n' "${times[@]}" | sort -n)
count=${#times[@]}
if [ "$count" -gt 0 ]; then
  median=$(printf '%s\n' "$sorted" | sed -n "$(( (count + 1) / 2 ))p")
  say "runs: $runs, formed: $count, failed: $failures; ms min $(printf "%s\n" "$sorted" | sed -n 1p)," \
      "median $median, max $(printf '%s\n' "$sorted" | tail -1) (includes JVM start)"
fi
[ "$failures" -eq 0 ]
