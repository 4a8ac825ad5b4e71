#!/usr/bin/env bash
# The test command: installs what the suite needs when it is missing (as root on Debian; else one
# line naming every missing package), finds a JDK 21 or newer, starts a Docker engine for the
# compose test when none answers (scripts/lib/docker-engine.sh), then runs ./mvnw verify.
#   scripts/test.sh [extra Maven arguments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf '[test] %s\n' "$*"; }
die() { printf '[test] error: %s\n' "$*" >&2; exit 1; }
. scripts/lib/setup.sh
. scripts/lib/docker-engine.sh
export QUARKUS_ANALYTICS_DISABLED=true
ensure_programs redis-server:redis-server redis-cli:redis-tools redis-sentinel:redis-sentinel \
  haproxy:haproxy curl:curl jq:jq tmux:tmux chromium:chromium chromedriver:chromium-driver \
  python3:python3
find_jdk || die "no JDK 21 or newer found: install one (e.g. Temurin 21) and set JAVA_HOME"
say "JDK: $JAVA_HOME"
trap docker_engine_stop EXIT
if ! docker_engine_ensure "$root"; then
  # on a developer's machine without an engine ComposeIT says it was skipped; in CI it fails
  [ "${CI:-}" != true ] || die "CI: no Docker engine could be started for the compose test"
  say "no Docker engine: ComposeIT will be skipped"
fi
# the other tests run their Redis as redis-server processes, whatever engine there is
export CONVEYOR_TEST_REDIS="${CONVEYOR_TEST_REDIS:-process}"
./mvnw -B verify "$@"
