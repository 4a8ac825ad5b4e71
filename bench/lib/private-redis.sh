# Sourced by the bench scripts: a private redis-server in $work on $port with compose's settings
# (AOF, fsync every second), and a cleanup that stops only what the script started ($pids, that
# Redis) and removes $work. Expects $port, $work and the array $pids to be set.

cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}

start_private_redis() {
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --appendonly yes --appendfsync everysec \
    --save "" --daemonize yes --logfile "$work/redis.log"
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis-server did not answer on port $port; see $work/redis.log" >&2
  return 1
}
