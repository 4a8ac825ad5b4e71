#!/usr/bin/env bash
# bench/containers.py with a Docker engine: the one that answers, else a private one with stand-in
# base images (scripts/lib/docker-engine.sh, as scripts/compose-test.sh), stopped at the end.
#   bench/containers.sh [--quick]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf '[containers] %s\n' "$*"; }
die() { printf '[containers] error: %s\n' "$*" >&2; exit 1; }
. scripts/lib/setup.sh
. scripts/lib/docker-engine.sh
ensure_programs wrk:wrk python3:python3
trap docker_engine_stop EXIT
docker_engine_ensure "$root" || die "no Docker engine"
python3 bench/containers.py "$@"
