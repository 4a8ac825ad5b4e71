--[[
  fail-7.lua: record a failed attempt; retry it after a backoff, or move it to the dead letters.

  KEYS[1] job hash                 (conveyor:job:<id>)
  KEYS[2] this worker's processing (conveyor:processing:<node>)
  KEYS[3] stats hash               (conveyor:stats)
  KEYS[4] base queue list          (conveyor:queue; the job's own queue is named from it)
  KEYS[5] delayed zset             (conveyor:delayed), score = due time in ms
  KEYS[6] dead-letter list         (conveyor:dead)
  KEYS[7] webhook outbox zset      (conveyor:webhooks): a delivery to each notify_url of a job
                                   failed now (see includes/notify.lua)
  ARGV[1] job id
  ARGV[2] lease given by claim-4
  ARGV[3] error text
  ARGV[4] max attempts
  ARGV[5] backoff before the next attempt, ms (0: queue again at once)
  ARGV[6] TTL of a failed job, ms
  ARGV[7] most dead letters kept
  ARGV[8] node name of the worker
  ARGV[9] events channel           (conveyor:events): the job is published as 'pending' (to be
          retried) or 'failed'

  Returns 1 when the job will be retried, 2 when it is now failed, 0 when fenced (see complete-4),
  3 when it was cancelled meanwhile (the attempt is dropped, not counted as fenced).
  Safe to repeat when an answer was lost (a timeout after Redis ran it): the failed attempt's lease
  is kept as 'failed_lease', and a repeat with it answers the recorded outcome again, changing and
  counting nothing (unless a later attempt has failed since, which replaced it).
]]
--@include now_ms
--@include queues
--@include events
--@include notify
local job = redis.call('HMGET', KEYS[1], 'lease', 'status', 'worker', 'failed_lease', 'notify')
if job[4] == ARGV[2] then
  return job[2] == 'failed' and 2 or 1
end
if job[2] == 'cancelled' then
  redis.call('LREM', KEYS[2], 1, ARGV[1])
  return 3
end
if job[1] ~= ARGV[2] or job[2] ~= 'working' then
  if job[3] ~= ARGV[8] then
    redis.call('LREM', KEYS[2], 1, ARGV[1])
  end
  redis.call('HINCRBY', KEYS[3], 'fenced', 1)
  return 0
end
local now = now_ms()
redis.call('LREM', KEYS[2], 1, ARGV[1])
redis.call('HDEL', KEYS[1], 'lease', 'worker')
redis.call('HSET', KEYS[1], 'failed_lease', ARGV[2])
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts'))
if attempts < tonumber(ARGV[4]) then
  local due = now + tonumber(ARGV[5])
  redis.call('HSET', KEYS[1], 'status', 'pending', 'last_error', ARGV[3], 'retry_at', due)
  if tonumber(ARGV[5]) > 0 then
    redis.call('ZADD', KEYS[5], due, ARGV[1])
  else
    requeue(KEYS[4], KEYS[1], ARGV[1], false)
  end
  redis.call('HINCRBY', KEYS[3], 'retried', 1)
  publish(ARGV[9], 'pending', {ARGV[1]})
  return 1
end
redis.call('HSET', KEYS[1], 'status', 'failed', 'last_error', ARGV[3], 'failed_at', now)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('LPUSH', KEYS[6], ARGV[1])
redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[7]) - 1)
redis.call('HINCRBY', KEYS[3], 'failed', 1)
notify(KEYS[1], ARGV[1], job[5], KEYS[7], now)
publish(ARGV[9], 'failed', {ARGV[1]})
return 2
