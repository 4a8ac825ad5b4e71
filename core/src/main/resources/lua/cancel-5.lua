--[[
  cancel-5.lua: cancel one job that is not yet final. A pending job leaves its queue, a delayed
  one (or one waiting out a retry backoff) leaves the delayed set: it is never claimed. A working
  job loses its lease at once, so whatever its worker records for it later is refused (fenced),
  and a recovery of that worker never puts it back; the worker is told on its cancels channel to
  interrupt the handler. Either way the job is 'cancelled' from this step on, readable for ARGV[2].

  KEYS[1] job hash           (conveyor:job:<id>)
  KEYS[2] base queue list    (conveyor:queue; the job's own queue is named from it)
  KEYS[3] delayed zset       (conveyor:delayed)
  KEYS[4] stats hash         (conveyor:stats)
  KEYS[5] webhook outbox     (conveyor:webhooks): a delivery to each notify_url (includes/notify.lua)
  ARGV[1] job id
  ARGV[2] TTL of a cancelled job, ms
  ARGV[3] events channel     (conveyor:events): the job is published as 'cancelled'
  ARGV[4] cancels channel prefix (conveyor:cancels:), followed by the worker's node name

  Returns {status, worker}: the status the job had ('' when there is no such job); it was
  cancelled now when that is 'pending' or 'working' (worker: who held it, else ''), and nothing
  changed when it is 'worked', 'failed' or 'cancelled'.
]]
--@include now_ms
--@include queues
--@include events
--@include notify
local job = redis.call('HMGET', KEYS[1], 'status', 'worker', 'type', 'priority', 'notify')
local status = job[1]
if status ~= 'pending' and status ~= 'working' then
  return {status or '', ''}
end
if status == 'pending' then
  -- queued (LREM) or due later (ZREM): one of the two holds it
  if redis.call('ZREM', KEYS[3], ARGV[1]) == 0 then
    redis.call('LREM', queue_of(KEYS[2], job[3], job[4]), '1', ARGV[1])
  end
end
local now = now_ms()
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'cancelled_at', now)
-- the worker's processing entry stays: its refused outcome, or a recovery, drops it
redis.call('HDEL', KEYS[1], 'lease', 'worker', 'data', 'retry_at')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[4], 'cancelled', 1)
notify(KEYS[1], ARGV[1], job[5], KEYS[5], now)
publish(ARGV[3], 'cancelled', {ARGV[1]})
if status == 'working' and job[2] then
  redis.call('PUBLISH', ARGV[4] .. job[2], ARGV[1])
end
return {status, job[2] or ''}
