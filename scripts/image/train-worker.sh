#!/bin/sh
# A training run inside an image build (the Dockerfile's worker-training stage): the worker started
# as its image starts it, working jobs for TRAINING_S (8) seconds, with the JVM writing its AOT cache
# (JEP 483/514/515: the classes it loaded, linked; few JIT profiles with the image's C1 alone) to
# /app/app.aot as it exits; the image's entrypoint starts from it (-XX:AOTCache). The jobs come
# through an api (the api stage's files under /training/api, started without a cache) that curl
# POSTs at, 50 at once: a backlog first, then on while the worker works.
#
# It needs a Redis: one of its own, on loopback, with a password (a build on the host's network must
# neither take nor write to a port the host uses: a port in use is tried again, and a Redis of
# someone else's refuses the password). HTTP and cluster ports are random on loopback. The run
# fails the build unless the worker recorded 1,000 attempts (worked or failed: a fork's handler may
# refuse the demo's data) and the JVM wrote the cache.
set -eu
seconds="${TRAINING_S:-8}"
app="${APP_DIR:-/app}"                       # the image's; others only to try it outside an image
api="${TRAINING_API_DIR:-/training/api}"
dir="$(mktemp -d)"
password="training-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
pids=""

fail() {
  echo "worker training run failed: $*" >&2
  for log in "$dir"/*.log; do
    echo "--- $log" >&2
    grep -v 'warning\]\[\(cds\|aot\)' "$log" | tail -30 >&2
  done
  exit 1
}

cleanup() {
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
}
trap cleanup EXIT

for try in 1 2 3 4 5; do
  port="$(shuf -i 20000-60000 -n 1)"
  rm -f "$dir/redis.pid"
  redis-server --port "$port" --bind 127.0.0.1 --requirepass "$password" --save '' \
    --appendonly no --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for i in $(seq 50); do
    [ "$(redis-cli -p "$port" -a "$password" --no-auth-warning ping 2>/dev/null)" = PONG ] && break 2
    sleep 0.1
  done
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  [ "$try" = 5 ] && fail "no Redis of its own answered"
done
export REDIS_URL="redis://:$password@127.0.0.1:$port" QUARKUS_HTTP_HOST=127.0.0.1 \
  QUARKUS_HTTP_PORT=0 CLUSTER_BIND_ADDR=127.0.0.1 CLUSTER_PORT=0

# a count of the stats hash, 0 when not counted yet
counted() {
  n="$(redis-cli -p "$port" -a "$password" --no-auth-warning HGET conveyor:stats "$1")"
  echo "${n:-0}"
}

# POSTs jobs at the api for $1 seconds, 50 at once, each with data of its own (tag $2)
post_for() {
  awk -v port="$api_port" -v tag="$2" 'BEGIN {
    for (i = 0; i < 100000; i++) {
      printf "url = \"http://127.0.0.1:%s/api/v1/work\"\n", port
      printf "header = \"Content-Type: application/json\"\n"
      printf "data = \"{\\\"data\\\":\\\"training %s %d\\\"}\"\n", tag, i
      printf "output = \"/dev/null\"\nnext\n"
    }
  }' >"$dir/posts-$2.cfg"
  timeout "$1" curl -s --parallel --parallel-max 50 -K "$dir/posts-$2.cfg" >/dev/null 2>&1 || true
}

NODE_NAME=training-api java -jar "$api/quarkus-run.jar" >"$dir/api.log" 2>&1 &
pids="$!"
api_port=""
for i in $(seq 600); do
  api_port="$(sed -n 's|.*Listening on: http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$dir/api.log" | head -1)"
  [ -n "$api_port" ] && break
  sleep 0.1
done
[ -n "$api_port" ] || fail "the api did not start listening in 60 s"

post_for 2 backlog # the worker starts as it would in front of a backlog
post_for "$((seconds + 2))" more &
poster=$!
NODE_NAME=training-worker WORK_DURATION=0 WORKER_CONCURRENCY=50 \
  java "-XX:AOTCacheOutput=$app/app.aot" -jar "$app/quarkus-run.jar" >"$dir/worker.log" 2>&1 &
worker=$!
pids="$pids $worker"
sleep "$seconds"
attempts=$(($(counted worked) + $(counted retried) + $(counted failed)))
kill -TERM "$worker"
wait "$worker" || true # the JVM writes the cache as it exits
wait "$poster" || true
[ -s "$app/app.aot" ] || fail "the worker's JVM wrote no AOT cache"
[ "$attempts" -ge 1000 ] || fail "the worker recorded $attempts attempts in $seconds s"
echo "AOT cache: $(du -h "$app/app.aot" | cut -f1), from $attempts attempts in $seconds s"
rm -rf "$dir"
