#!/usr/bin/env bash
# Drain benchmark (issue 7, item 2): N no-op jobs pre-queued through Conveyor's own submit script,
# then drained by 1, 2 and 4 worker processes (WORK_DURATION=0, every guarantee on: BLMOVE claim,
# fenced completion, result TTL), beside BullMQ (npm bullmq, concurrency 50) on the same Redis.
# Each figure is the median of RUNS runs, with min and max. Workers are up (in the ledger) before
# the jobs are queued; rate = jobs after the first completion / time from it to the last one.
#   bench/drain.sh            50,000 jobs, 3 runs
#   bench/drain.sh --quick    5,000 jobs, 3 runs
#   JOBS, RUNS, WORKER_COUNTS ("1 2 4") and WORKER_CONCURRENCY (4) change the size
# Prints a Markdown table and writes bench/results/drain.json. Stops what it started, nothing else.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${JOBS:-50000}"
[ "${1:-}" = "--quick" ] && jobs="${JOBS:-5000}"
runs="${RUNS:-3}"
concurrency="${WORKER_CONCURRENCY:-4}"
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
jar="$root/worker/target/quarkus-app/quarkus-run.jar"
port="${BENCH_REDIS_PORT:-16398}"
work="$(mktemp -d)"
pids=()

say() { printf '[drain] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
for tool in redis-server redis-cli python3 node npm; do command -v "$tool" >/dev/null || die "$tool not found"; done
[ -x "$java" ] || die "no java at $java: set JAVA_HOME to a JDK 21+"
[ -f "$jar" ] || die "$jar missing: ./mvnw -B package -DskipTests"

# shellcheck source=bench/lib/private-redis.sh
. "$root/bench/lib/private-redis.sh"
trap cleanup EXIT
start_private_redis
sha=$(redis-cli -p "$port" script load "$(cat "$root/core/src/main/resources/lua/submit-5.lua")")
(cd "$work" && npm install --silent --no-audit --no-fund bullmq@5.81.5 >/dev/null 2>&1) || die "npm install bullmq failed"
cp "$root/bench/lib/bullmq-drain.mjs" "$work/"

now_ms() { date +%s%3N; }

conveyor_run() { # workers run -> jobs/s
  local workers="$1" run="$2" prefix="bench$1x$2"
  pids=()
  for n in $(seq "$workers"); do
    env REDIS_URL="redis://127.0.0.1:$port" REDIS_PREFIX="$prefix" NODE_NAME="w$n" WORK_DURATION=0 \
      WORKER_CONCURRENCY="$concurrency" RESULT_TTL=10m CLUSTER_BIND_ADDR=127.0.0.1 CLUSTER_PORT=0 \
      CLUSTER_SECRET=bench QUARKUS_HTTP_PORT=0 QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_ANALYTICS_DISABLED=true \
      "$java" -jar "$jar" >"$work/w$n.log" 2>&1 &
    pids+=($!)
  done
  # every worker up and beating before the first job: JVM start-up is not part of the figure
  local ready_by=$(( $(now_ms) + 60000 ))
  until [ "$(redis-cli -p "$port" zcard "$prefix:ledger")" -ge "$workers" ]; do
    [ "$(now_ms)" -lt "$ready_by" ] || die "workers did not start; see $work/w*.log"
    sleep 0.1
  done
  python3 "$root/bench/lib/queue_jobs.py" "$sha" "$jobs" "$prefix" "$workers-$run" | redis-cli -p "$port" --pipe >/dev/null
  local first="" first_count=0 worked=0 deadline=$(( $(now_ms) + 600000 ))
  while [ "$worked" -lt "$jobs" ]; do
    worked=$(redis-cli -p "$port" hget "$prefix:stats" worked); worked=${worked:-0}
    if [ -z "$first" ] && [ "$worked" -gt 0 ]; then first=$(now_ms); first_count=$worked; fi
    [ "$(now_ms)" -lt "$deadline" ] || die "drain did not finish in 10 minutes"
    sleep 0.02
  done
  local last; last=$(now_ms)
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
  python3 -c "print(round(($jobs - $first_count) / max(0.001, ($last - $first) / 1000)))"
}

bullmq_run() {
  (cd "$work" && node bullmq-drain.mjs "$port" "$jobs" 50) | python3 -c "import json,sys; print(round(json.load(sys.stdin)['perSecond']))"
}

stats() { # values... -> "median (min–max)"
  python3 -c "import statistics,sys; v=sorted(map(float,sys.argv[1:])); print(f'{statistics.median(v):,.0f} ({v[0]:,.0f}–{v[-1]:,.0f})')" "$@"
}

say "$jobs jobs per run, $runs runs each, worker concurrency $concurrency"
declare -A results
for workers in ${WORKER_COUNTS:-1 2 4}; do
  values=()
  for run in $(seq "$runs"); do
    v=$(conveyor_run "$workers" "$run"); values+=("$v"); say "conveyor, $workers worker(s), run $run: $v jobs/s"
  done
  results["conveyor-$workers"]="${values[*]}"
done
values=()
for run in $(seq "$runs"); do
  v=$(bullmq_run); values+=("$v"); say "bullmq, concurrency 50, run $run: $v jobs/s"
done
results[bullmq]="${values[*]}"

mkdir -p "$root/bench/results"
{
  printf '{"jobs": %s, "runs": %s, "worker_concurrency": %s, "machine": "%s", "results": {' \
    "$jobs" "$runs" "$concurrency" "$(nproc) cores, $(uname -m)"
  first=1
  for key in $(for w in ${WORKER_COUNTS:-1 2 4}; do echo "conveyor-$w"; done) bullmq; do
    [ $first = 1 ] || printf ', '; first=0
    printf '"%s": [%s]' "$key" "$(echo "${results[$key]}" | tr ' ' ',')"
  done
  printf '}}\n'
} >"$root/bench/results/drain.json"

echo "| system | jobs/s, median of $runs (min–max) |"
echo "|---|---|"
for workers in ${WORKER_COUNTS:-1 2 4}; do
  # shellcheck disable=SC2086
  echo "| Conveyor, $workers worker(s) × concurrency $concurrency | $(stats ${results[conveyor-$workers]}) |"
done
# shellcheck disable=SC2086
echo "| BullMQ $(node -e "console.log(require('$work/node_modules/bullmq/package.json').version)"), concurrency 50 | $(stats ${results[bullmq]}) |"
