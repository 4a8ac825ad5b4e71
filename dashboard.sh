#!/usr/bin/env bash
# The seed's demo in one tmux session named `conveyor` (other sessions are never touched):
#   top left   sysmon's terminal loop (its web console is on http://localhost:5984)
#   top right  the client loop: POST the date every 5 s through the load balancer, pretty-printed
#   bottom     worker logs | api logs | a cluster shell (type help)
# It runs against docker compose when a Docker engine answers, else local mode (scripts/local.sh);
# --compose or --local force one. --detach leaves the session running without attaching (CI).
# Stop: tmux kill-session -t conveyor, then scripts/local.sh down (or docker compose down).
# Compose mode publishes the balancer on LB_PORT (8080), sysmon on SYSMON_PORT (5984).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
session=conveyor
mode=""
attach=1
for arg in "$@"; do
  case "$arg" in
    --compose) mode=compose ;;
    --local) mode=local ;;
    --detach) attach=0 ;;
    *) echo "usage: $0 [--compose|--local] [--detach]" >&2; exit 2 ;;
  esac
done

say() { printf '[dashboard] %s\n' "$*"; }
need() { command -v "$1" >/dev/null || { say "$1 not found: $2"; exit 1; }; }
need tmux "apt-get install -y tmux"
need curl "apt-get install -y curl"
need jq "apt-get install -y jq"

if [ -z "$mode" ]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then mode=compose; else mode=local; fi
fi
if tmux has-session -t "$session" 2>/dev/null; then
  say "tmux session '$session' exists already: tmux attach -t $session (or kill it: tmux kill-session -t $session)"
  exit 1
fi

# each pane runs a small script of its own (no quoting games in tmux command lines)
panes="$root/.local/dashboard"
mkdir -p "$panes"
if [ "$mode" = compose ]; then
  say "starting the system with docker compose"
  (cd "$root" && docker compose up --build -d --scale api=2 --scale worker=3)
  lb="http://localhost:${LB_PORT:-8080}"
  # built like the services (up --build skips a profile's); no TTY (-T): when the pane closes,
  # the shell's stdin ends and so does its container
  shell_cmd="docker compose --profile tools run --build --rm -T -e SHELL_PROMPT=always shell"
  # the panes talk to the same engine and files as this script (a tmux server started earlier
  # would not pass DOCKER_HOST, DOCKER_CONFIG or COMPOSE_FILE on)
  engine_env=""
  for var in DOCKER_HOST DOCKER_CONFIG COMPOSE_FILE; do
    [ -z "${!var:-}" ] || engine_env+="export $var=$(printf '%q' "${!var}"); "
  done
  echo "${engine_env}docker compose logs -f --no-log-prefix sysmon" >"$panes/glance.sh"
  echo "${engine_env}docker compose logs -f worker" >"$panes/workers.sh"
  echo "${engine_env}docker compose logs -f api lb" >"$panes/apis.sh"
  shell_cmd="${engine_env}exec $shell_cmd"
else
  say "starting the system in local mode (scripts/local.sh up)"
  WORKERS="${WORKERS:-3}" "$root/scripts/local.sh" up
  . "$root/.local/ports"
  lb="http://localhost:$api_port"
  shell_cmd="exec $root/scripts/shell.sh"
  echo "tail -n 40 -F $root/.local/sysmon.log" >"$panes/glance.sh"
  echo "tail -n 20 -F $root/.local/worker-*.log" >"$panes/workers.sh"
  echo "tail -n 20 -F $root/.local/api-*.log $root/.local/haproxy.log" >"$panes/apis.sh"
fi
cat >"$panes/client.sh" <<CLIENT
# the seed's client loop: POST the date every 5 s through the load balancer
while true; do
  date
  curl -s -XPOST -d "{\"data\":\"\$(date)\"}" $lb/api/v1/work | jq .
  sleep 5
done
CLIENT
echo "$shell_cmd" >"$panes/shell.sh"

say "opening tmux session '$session'"
tmux new-session -d -s "$session" -n demo -x 220 -y 60 -c "$root" "bash $panes/glance.sh"
tmux split-window -t "$session:demo" -h -c "$root" "bash $panes/client.sh"
tmux split-window -t "$session:demo.0" -v -c "$root" "bash $panes/workers.sh"
tmux split-window -t "$session:demo.2" -h -c "$root" "bash $panes/apis.sh"
shell_pane=$(tmux split-window -t "$session:demo.1" -v -c "$root" -P -F '#{pane_id}' "bash $panes/shell.sh")
# the shell takes the keyboard (pane indexes follow the layout, so it is found by its id)
tmux select-pane -t "$shell_pane"
if [ "$attach" = 1 ]; then
  exec tmux attach -t "$session"
fi
say "running detached: tmux attach -t $session"
