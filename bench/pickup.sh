#!/usr/bin/env bash
# Pickup latency (issue 7, item 3): with idle workers waiting, how long from a job's acceptance to
# its claim, read from the job itself (accepted_at and started_at, both Redis' own clock, in ms).
# One api and two workers (WORK_DURATION=0) on a private Redis; jobs POSTed one at a time through
# the API at a gentle pace so the workers are idle. Prints p50, p99 and max of each run, and the
# medians over RUNS runs.
#   bench/pickup.sh          3 runs of 500 jobs
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-3}" jobs="${JOBS:-500}"
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
port="${BENCH_REDIS_PORT:-16396}" api_port="${BENCH_API_PORT:-18990}"
work="$(mktemp -d)"
pids=()
say() { printf '[pickup] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
for tool in redis-server redis-cli curl python3; do command -v "$tool" >/dev/null || die "$tool not found"; done
# shellcheck source=bench/lib/private-redis.sh
. "$root/bench/lib/private-redis.sh"
trap cleanup EXIT
start_private_redis
common=(REDIS_URL="redis://127.0.0.1:$port" QUARKUS_ANALYTICS_DISABLED=true CLUSTER_BIND_ADDR=127.0.0.1
  CLUSTER_PORT=0 CLUSTER_SECRET=bench QUARKUS_HTTP_HOST=127.0.0.1)
env "${common[@]}" QUARKUS_HTTP_PORT="$api_port" NODE_NAME=api@bench \
  "$java" -jar "$root/api/target/quarkus-app/quarkus-run.jar" >"$work/api.log" 2>&1 &
pids+=($!)
for n in 1 2; do
  env "${common[@]}" QUARKUS_HTTP_PORT=0 NODE_NAME="w$n" WORK_DURATION=0 RESULT_TTL=10m \
    "$java" -jar "$root/worker/target/quarkus-app/quarkus-run.jar" >"$work/w$n.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$api_port/q/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
until [ "$(redis-cli -p "$port" zcard conveyor:ledger)" -ge 3 ]; do sleep 0.1; done

medians=()
for run in $(seq "$runs"); do
  ids=()
  for i in $(seq "$jobs"); do
    ids+=("$(curl -fsS -XPOST -d "{\"data\":\"pickup $run $i $RANDOM\"}" "http://127.0.0.1:$api_port/api/v1/work" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["callback"])')")
    sleep 0.02
  done
  sleep 1
  line=$(for id in "${ids[@]}"; do redis-cli -p "$port" hmget "conveyor:job:$id" accepted_at started_at | tr '\n' ' '; echo; done \
    | python3 -c '
import statistics, sys
d = sorted(int(b) - int(a) for a, b in (l.split() for l in sys.stdin if len(l.split()) == 2))
print(d[len(d) // 2], d[int(len(d) * 0.99)], d[-1], len(d))')
  read -r p50 p99 max n <<<"$line"
  say "run $run: $n jobs, pickup p50 ${p50} ms, p99 ${p99} ms, max ${max} ms"
  medians+=("$p50 $p99 $max")
done
printf '%s\n' "${medians[@]}" | python3 -c '
import statistics, sys
rows = [list(map(int, l.split())) for l in sys.stdin]
cols = list(zip(*rows))
names = ["p50", "p99", "max"]
print("| pickup | median of %d runs (min–max), ms |" % len(rows))
print("|---|---|")
for name, col in zip(names, cols):
    print(f"| {name} | {statistics.median(col):g} ({min(col)}–{max(col)}) |")'
