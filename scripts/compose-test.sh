#!/usr/bin/env bash
# The compose end-to-end test: docker-compose.yml built and run for real (ComposeIT: health, the
# seed's walk-through through HAProxy, scaling with sysmon and the shell agreeing, a killed worker,
# a rolling restart of the apis, a Redis stop, down -v) and docker-compose.ha.yml over it (ComposeHaIT:
# the Redis primary stopped, a replica promoted, nothing acknowledged lost). Uses the Docker engine that answers; where
# none does, as root on Debian, starts a private one with stand-in base images (scripts/lib/
# docker-engine.sh) and stops it at the end. Exit 0 only if every check passed.
#   scripts/compose-test.sh [extra Maven arguments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf '[compose-test] %s\n' "$*"; }
die() { printf '[compose-test] error: %s\n' "$*" >&2; exit 1; }
. scripts/lib/setup.sh
. scripts/lib/docker-engine.sh
export QUARKUS_ANALYTICS_DISABLED=true
find_jdk || die "no JDK 21 or newer: install one and set JAVA_HOME"
trap docker_engine_stop EXIT
docker_engine_ensure "$root" || die "no Docker engine, so docker-compose.yml cannot be tested here"
# here a missing engine is a failure, never a skip
export CONVEYOR_COMPOSE_REQUIRED=1
./mvnw -B verify -pl system-tests -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test='ComposeIT,ComposeHaIT' -Dfailsafe.failIfNoSpecifiedTests=false "$@"
