-- Where a job waits. `base` is the default type's normal queue (conveyor:queue, the seed's key);
-- every other type and priority waits in <base>:<type>:<priority>, and <base>:<type>:wake is the
-- type's wake-up mark (a ZSET of one member, there when its queues may hold jobs: a claim loop
-- blocks on it with BZPOPMIN). Types match [a-z][a-z0-9_.-]*, so no name holds a ':'.
local function queue_of(base, jtype, priority)
  jtype = jtype or 'default'
  priority = priority or 'normal'
  if jtype == 'default' and priority == 'normal' then
    return base
  end
  return base .. ':' .. jtype .. ':' .. priority
end

local function wake(base, jtype)
  redis.call('ZADD', base .. ':' .. (jtype or 'default') .. ':wake', '0', 'jobs')
end

-- puts job `id` (its hash at `job`) back in its own queue: at the head of the line (`head`), or
-- at the back; and wakes its type's claim loops
local function requeue(base, job, id, head)
  local spec = redis.call('HMGET', job, 'type', 'priority')
  redis.call(head and 'RPUSH' or 'LPUSH', queue_of(base, spec[1], spec[2]), id)
  wake(base, spec[1])
end
