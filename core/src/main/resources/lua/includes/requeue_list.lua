-- requeue_list(list, queue, stats, dead, job_prefix, node, max_recoveries, failed_ttl, max_dead,
-- now, events, outbox), after includes/queues.lua, events.lua and notify.lua: puts the jobs of a worker's processing list back at the head
-- of their queues (`queue` is the base queue), fails the ones
-- lost max_recoveries times (poison pills) into the dead letters, drops ids that are no longer
-- this worker's (completed, cancelled, or recovered and claimed elsewhere), and deletes the list.
-- The jobs put back are published on `events` as 'pending', the failed ones as 'failed'.
-- Returns requeued, failed.
local function requeue_list(list, queue, stats, dead, job_prefix, node, max_recoveries,
                            failed_ttl, max_dead, now, events, outbox)
  local requeued, failed = 0, 0
  local back, lost = {}, {}
  -- the list's head is its newest entry; pushing newest first leaves the oldest next in line
  for _, id in ipairs(redis.call('LRANGE', list, 0, -1)) do
    local job = job_prefix .. id
    local status = redis.call('HGET', job, 'status')
    if status == 'pending' then
      -- moved by BLMOVE but never claimed
      requeue(queue, job, id, true)
      requeued = requeued + 1
    elseif status == 'working' and redis.call('HGET', job, 'worker') == node then
      local recoveries = redis.call('HINCRBY', job, 'recoveries', 1)
      redis.call('HDEL', job, 'lease', 'worker', 'started_at')
      if recoveries >= tonumber(max_recoveries) then
        redis.call('HSET', job, 'status', 'failed', 'failed_at', now,
          'last_error', 'worker ' .. node .. ' was lost while working this job ' .. recoveries ..
          ' times; not retried again (poison pill?)')
        redis.call('PEXPIRE', job, failed_ttl)
        redis.call('LPUSH', dead, id)
        redis.call('LTRIM', dead, 0, tonumber(max_dead) - 1)
        redis.call('HINCRBY', stats, 'failed', 1)
        notify(job, id, redis.call('HGET', job, 'notify'), outbox, now)
        failed = failed + 1
        lost[failed] = id
      else
        redis.call('HSET', job, 'status', 'pending', 'last_error', 'worker ' .. node .. ' was lost')
        requeue(queue, job, id, true)
        redis.call('HINCRBY', stats, 'recovered', 1)
        requeued = requeued + 1
        back[#back + 1] = id
      end
    end
  end
  redis.call('DEL', list)
  publish(events, 'pending', back)
  publish(events, 'failed', lost)
  return requeued, failed
end
