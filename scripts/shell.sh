#!/usr/bin/env bash
# The cluster shell against the system `scripts/local.sh up` runs: joins its cluster (the Redis,
# the secret and the loopback address it uses) and reads commands, from the terminal with a prompt
# or from a pipe:   scripts/shell.sh          |   echo members | scripts/shell.sh
# Against another system set REDIS_URL and CLUSTER_SECRET (and CLUSTER_BIND_ADDR) yourself.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$root/.local"
jar="$root/worker/target/quarkus-app/quarkus-run.jar"

die() { printf '[shell] error: %s\n' "$*" >&2; exit 1; }

. "$root/scripts/lib/setup.sh"
find_jdk || die "no JDK 21 or newer found: set JAVA_HOME"
[ -f "$jar" ] || die "$jar missing: run scripts/local.sh up (it builds) or ./mvnw -B package -DskipTests"

if [ -z "${REDIS_URL:-}" ]; then
  [ -f "$state/ports" ] || die "no local system found (.local/ports): run scripts/local.sh up, or set REDIS_URL"
  . "$state/ports"
  REDIS_URL="redis://127.0.0.1:$redis_port"
  CLUSTER_SECRET="${CLUSTER_SECRET:-$(cat "$state/cluster-secret" 2>/dev/null || true)}"
  CLUSTER_BIND_ADDR="${CLUSTER_BIND_ADDR:-127.0.0.1}"
  CLUSTER_PORT="${CLUSTER_PORT:-7800}"
fi

export REDIS_URL CLUSTER_SECRET="${CLUSTER_SECRET:-}" CLUSTER_BIND_ADDR="${CLUSTER_BIND_ADDR:-non_loopback}" \
  CLUSTER_PORT="${CLUSTER_PORT:-7800}" QUARKUS_PROFILE=shell QUARKUS_ANALYTICS_DISABLED=true QUARKUS_HTTP_PORT=0
exec "$JAVA_HOME/bin/java" -Xmx128m -jar "$jar"
