--[[
  reap-9.lua: the cluster janitor recovers the jobs of a worker it believes dead (it left the view,
  or it has no ledger entry): only if the worker's ledger entry has missed a beat (silent for its
  own heartbeat interval plus ARGV[5] ms) or is gone, so a worker that is only cut off from the
  cluster, but still beats, keeps its jobs. Removes the entry, recovers the jobs and unregisters
  the worker in one step: a worker that was reaped and wakes up finds its jobs fenced.

  KEYS[1] the worker's processing list (conveyor:processing:<node>)
  KEYS[2] base queue list              (conveyor:queue; the others are named from it)
  KEYS[3] stats hash                   (conveyor:stats)
  KEYS[4] dead-letter list             (conveyor:dead)
  KEYS[5] job key prefix               (conveyor:job:) -- job keys are this prefix plus the id
  KEYS[6] the worker's ledger entry    (conveyor:node:<node>)
  KEYS[7] ledger zset                  (conveyor:ledger)
  KEYS[8] workers set                  (conveyor:workers)
  KEYS[9] webhook outbox zset          (conveyor:webhooks; see includes/notify.lua)
  ARGV[1] node name that owned the list
  ARGV[2] most recoveries of one job before it is failed as a poison pill
  ARGV[3] TTL of a failed job, ms
  ARGV[4] most dead letters kept
  ARGV[5] silence beyond the entry's own heartbeat_ms that counts as gone, ms
  ARGV[6] events channel               (conveyor:events; see includes/events.lua)

  Returns {requeued, failed}, or {-1, silent_ms} when the worker still beats (nothing changed).
]]
--@include now_ms
--@include queues
--@include events
--@include notify
--@include requeue_list
local now = now_ms()
local entry = redis.call('HMGET', KEYS[6], 'last_beat', 'heartbeat_ms')
if entry[1] then
  local silent = now - tonumber(entry[1])
  if silent < tonumber(entry[2] or 0) + tonumber(ARGV[5]) then
    return {-1, silent}
  end
end
redis.call('DEL', KEYS[6])
redis.call('ZREM', KEYS[7], ARGV[1])
local requeued, failed = requeue_list(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1],
  ARGV[2], ARGV[3], ARGV[4], now, ARGV[6], KEYS[9])
redis.call('SREM', KEYS[8], ARGV[1])
return {requeued, failed}
