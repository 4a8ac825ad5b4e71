-- Where a job waits. `base` is the default type's normal queue (conveyor:queue, the seed's key);
-- every other type and priority waits in <base>:<type>:<priority>, and <base>:<type>:wake is the
-- type's wake-up mark (a ZSET of one member, there when its queues may hold jobs: a claim loop
-- blocks on it with BZPOPMIN). Types match [a-z][a-z0-9_.-]*, so no name holds a ':'. The mark
-- only saves a wait (an idle loop claims anyway every CLAIM_WAIT), so it may expire: a type no
-- worker serves leaves no key behind for long.
local function queue_of(base, jtype, priority)
  jtype = jtype or 'default'
  priority = priority or 'normal'
  if jtype == 'default' and priority == 'normal' then
    return base
  end
  return base .. ':' .. jtype .. ':' .. priority
end

local function wake(base, jtype)
  local mark = base .. ':' .. (jtype or 'default') .. ':wake'
  redis.call('ZADD', mark, '0', 'jobs')
  redis.call('PEXPIRE', mark, '60000')
end

-- puts job `id` (its hash at `job`) back in its own queue: at the head of the line (`head`), or
-- at the back; and wakes its type's claim loops
local function requeue(base, job, id, head)
  local spec = redis.call('HMGET', job, 'type', 'priority')
  redis.call(head and 'RPUSH' or 'LPUSH', queue_of(base, spec[1], spec[2]), id)
  wake(base, spec[1])
end
