--[[
  promote-2.lua: move retries whose backoff is over from the delayed set to the queue.

  KEYS[1] delayed zset (conveyor:delayed), score = due time in ms
  KEYS[2] queue list   (conveyor:queue)
  ARGV[1] most jobs moved in one call (bounds the script's run time)

  Returns the number of jobs moved. Safe to run from every worker at once: ZREM decides who moves.
]]
--@include now_ms
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('LPUSH', KEYS[2], id)
end
return #due
