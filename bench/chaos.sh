#!/usr/bin/env bash
# The full chaos run (docs/reliability.md): the same test as the build's ChaosIT, sized up.
#   bench/chaos.sh                      5,000 jobs at 15/s, a worker SIGKILLed every 5 s
#   JOBS=1000 RATE=20 KILL_EVERY=3s bench/chaos.sh
# Needs redis-server and haproxy on PATH, and the modules built and installed once
# (./mvnw -B install -DskipTests).
# Prints the report line; the run fails when anything was lost or recorded twice.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf '[chaos] %s\n' "$*"; }
command -v redis-server >/dev/null || { say "redis-server not found: apt-get install -y redis-server"; exit 1; }
command -v haproxy >/dev/null || { say "haproxy not found: apt-get install -y haproxy"; exit 1; }
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}" QUARKUS_ANALYTICS_DISABLED=true

jobs="${JOBS:-5000}" rate="${RATE:-15}" kill_every="${KILL_EVERY:-5s}"
say "running $jobs jobs at $rate/s, a worker killed every $kill_every (this takes a while)"
log="$(mktemp)"
cd "$root"
status=0
./mvnw -B -q verify -pl system-tests -Dit.test=ChaosIT -Dsurefire.skip=true -Dtest=none \
  -Dsurefire.failIfNoSpecifiedTests=false \
  -Dchaos.jobs="$jobs" -Dchaos.rate="$rate" -Dchaos.kill-every="$kill_every" >"$log" 2>&1 || status=$?
grep -h "^chaos:" "$log" system-tests/target/failsafe-reports/*ChaosIT*-output.txt 2>/dev/null | head -1 || true
[ "$status" = 0 ] || { say "FAILED; the log: $log"; exit "$status"; }
rm -f "$log"
