#!/usr/bin/env bash
# Every benchmark of issue 7 in one go, each on its own private Redis and its own processes:
# accept (beside Fastify + BullMQ and the static ceiling), drain (beside BullMQ and the script bound),
# pickup, recovery, footprint (with the cold ramps), growth, wait (and cancel), shards (a cluster). Results
# as JSON in bench/results/, a Markdown summary in bench/results/summary.md, plots in docs/images/
# (--quick: all of it in bench/results/quick/, so a smoke run never overwrites the quoted figures).
#   bench/run.sh            the full run (about 17 min on 2 cores): the figures in docs/benchmarks.md
#   bench/run.sh --quick    small sizes, about 4 min: a smoke test (CI runs it; no thresholds)
# Needs: the packaged jars (built here when missing), redis-server, redis-benchmark, haproxy, wrk,
# node and npm (Fastify, BullMQ), python3, gnuplot. Stops what it started, nothing else.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode=()
[ "${1:-}" = "--quick" ] && mode=(--quick)
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}" QUARKUS_ANALYTICS_DISABLED=true
for tool in redis-server redis-benchmark haproxy wrk node npm python3 gnuplot curl; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool not found" >&2; exit 1; }
done
# packaged again when a jar is missing or older than any source, so the figures are the code's
for module in api worker sysmon; do
  jar="$root/$module/target/quarkus-app/quarkus-run.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$root/core/src/main" "$root/$module/src/main" -newer "$jar" -type f -print -quit)" ]; then
    echo "[run] packaging the services (./mvnw -B -q package -DskipTests)" >&2
    (cd "$root" && ./mvnw -B -q package -DskipTests)
    break
  fi
done

results="$root/bench/results" images="$root/docs/images"
# a smoke run keeps its results and plots apart: it never overwrites the quoted figures
[ "${#mode[@]}" -gt 0 ] && results="$root/bench/results/quick" images="$results"
summary="$results/summary.md"
mkdir -p "$results"
{
  echo "# bench/run.sh ${mode[*]:-} — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
  echo
} >"$summary"
started=$(date +%s)
for bench in accept drain pickup recovery footprint growth wait shards; do
  echo "[run] $bench ($(( $(date +%s) - started )) s so far)" >&2
  python3 "$root/bench/$bench.py" "${mode[@]}" | tee -a "$summary"
  echo >>"$summary"
done
python3 "$root/bench/plot.py" "$results" "$images"
echo "[run] done in $(( $(date +%s) - started )) s; summary in ${summary#"$root"/}" >&2
