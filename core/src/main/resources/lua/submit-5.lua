--[[
  submit-5.lua: accept a job unless the same data is already queued, running or worked.

  KEYS[1] job hash          (conveyor:job:<id>)
  KEYS[2] queue list        (conveyor:queue)
  KEYS[3] stats hash        (conveyor:stats)
  KEYS[4] dead-letter list  (conveyor:dead)
  KEYS[5] recent list       (conveyor:recent), newest first: what the consoles list; an id
                           posted again appears twice, and readers keep its newest entry (no
                           scan of the list here: submit is the API's hot path)
  ARGV[1] job id (callback)
  ARGV[2] data
  ARGV[3] accepted_by (node name of the api)
  ARGV[4] most recent ids kept

  Returns {queued, status}: {1, 'pending'} when queued now; {0, <status>} when the same data is
  already pending, working or worked (it is not queued twice). A failed job is queued again.
]]
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'pending' or status == 'working' or status == 'worked' then
  redis.call('HINCRBY', KEYS[3], 'deduplicated', 1)
  return {0, status}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if status then
  -- a failed job asked for again leaves the dead letters and starts afresh
  redis.call('LREM', KEYS[4], 0, ARGV[1])
  redis.call('DEL', KEYS[1])
end
redis.call('HSET', KEYS[1], 'status', 'pending', 'data', ARGV[2], 'accepted_by', ARGV[3],
  'accepted_at', now, 'attempts', 0)
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LPUSH', KEYS[5], ARGV[1])
redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[4]) - 1)
redis.call('HINCRBY', KEYS[3], 'accepted', 1)
return {1, 'pending'}
