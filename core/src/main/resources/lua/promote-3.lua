--[[
  promote-3.lua: move the jobs that are due from the delayed set (retries after their backoff,
  jobs submitted with a delay or a run_at) to the back of their own queues.

  KEYS[1] delayed zset    (conveyor:delayed), score = due time in ms
  KEYS[2] base queue list (conveyor:queue; each job's own queue is named from it)
  KEYS[3] job hash prefix (conveyor:job:)
  ARGV[1] most jobs moved in one call (bounds the script's run time)

  Returns the number of jobs moved. Safe to run from every worker at once: ZREM decides who moves.
  A job that no longer exists (it expired) is only dropped from the set.
]]
--@include now_ms
--@include queues
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local moved = 0
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  local job = KEYS[3] .. id
  if redis.call('HGET', job, 'status') == 'pending' then
    requeue(KEYS[2], job, id, false)
    moved = moved + 1
  end
end
return moved
