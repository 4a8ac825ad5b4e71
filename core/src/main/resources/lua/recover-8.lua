--[[
  recover-8.lua: put the jobs of a worker's processing list back at the head of the queue.
  Three callers, named by ARGV[5]:
    start  the worker itself at start-up: recovers what an earlier life of its name left, and
           registers the name in the workers set (so the janitor can find its list without a scan)
    stop   the worker itself at an orderly stop, after its grace: recovers, and unregisters
    lost   the cluster janitor, for a worker that left the view or has no ledger entry: only if
           the worker's ledger entry has missed a beat (silent for its own heartbeat interval
           plus ARGV[6] ms) or is gone, so a worker
           that is only cut off from the cluster, but still beats, keeps its jobs. Removes the
           entry, recovers and unregisters, in one step: a worker that was reaped and wakes up
           finds its jobs fenced.

  KEYS[1] the worker's processing list (conveyor:processing:<node>)
  KEYS[2] queue list                   (conveyor:queue)
  KEYS[3] stats hash                   (conveyor:stats)
  KEYS[4] dead-letter list             (conveyor:dead)
  KEYS[5] job key prefix               (conveyor:job:) -- job keys are this prefix plus the id
  KEYS[6] the worker's ledger entry    (conveyor:node:<node>)
  KEYS[7] ledger zset                  (conveyor:ledger)
  KEYS[8] workers set                  (conveyor:workers)
  ARGV[1] node name that owned the list
  ARGV[2] most recoveries of one job before it is failed as a poison pill
  ARGV[3] TTL of a failed job, ms
  ARGV[4] most dead letters kept
  ARGV[5] start | stop | lost
  ARGV[6] (lost only) silence beyond the entry's own heartbeat_ms that counts as gone, ms

  Returns {requeued, failed}, or {-1, silent_ms} when a lost worker still beats. Jobs that are no
  longer this worker's (completed, or recovered and claimed elsewhere) are only dropped.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mode = ARGV[5]
if mode == 'lost' then
  local entry = redis.call('HMGET', KEYS[6], 'last_beat', 'heartbeat_ms')
  if entry[1] then
    local silent = now - tonumber(entry[1])
    if silent < tonumber(entry[2] or 0) + tonumber(ARGV[6]) then
      return {-1, silent}
    end
  end
  redis.call('DEL', KEYS[6])
  redis.call('ZREM', KEYS[7], ARGV[1])
end
local requeued, failed = 0, 0
-- the list's head is its newest entry; pushing newest first leaves the oldest next in line
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local job = KEYS[5] .. id
  local status = redis.call('HGET', job, 'status')
  if status == 'pending' then
    -- moved by BLMOVE but never claimed
    redis.call('RPUSH', KEYS[2], id)
    requeued = requeued + 1
  elseif status == 'working' and redis.call('HGET', job, 'worker') == ARGV[1] then
    local recoveries = redis.call('HINCRBY', job, 'recoveries', 1)
    redis.call('HDEL', job, 'lease', 'worker', 'started_at')
    if recoveries >= tonumber(ARGV[2]) then
      redis.call('HSET', job, 'status', 'failed', 'failed_at', now,
        'last_error', 'worker ' .. ARGV[1] .. ' was lost while working this job ' .. recoveries ..
        ' times; not retried again (poison pill?)')
      redis.call('PEXPIRE', job, ARGV[3])
      redis.call('LPUSH', KEYS[4], id)
      redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[4]) - 1)
      redis.call('HINCRBY', KEYS[3], 'failed', 1)
      failed = failed + 1
    else
      redis.call('HSET', job, 'status', 'pending', 'last_error', 'worker ' .. ARGV[1] .. ' was lost')
      redis.call('RPUSH', KEYS[2], id)
      redis.call('HINCRBY', KEYS[3], 'recovered', 1)
      requeued = requeued + 1
    end
  end
end
redis.call('DEL', KEYS[1])
if mode == 'start' then
  redis.call('SADD', KEYS[8], ARGV[1])
else
  redis.call('SREM', KEYS[8], ARGV[1])
end
return {requeued, failed}
