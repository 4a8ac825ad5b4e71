--[[
  claim-3.lua: take ownership of a job that BLMOVE just moved into this worker's processing list.

  KEYS[1] job hash                 (conveyor:job:<id>)
  KEYS[2] this worker's processing (conveyor:processing:<node>)
  KEYS[3] stats hash               (conveyor:stats)
  ARGV[1] job id
  ARGV[2] node name of the worker
  ARGV[3] lease: a token unique to this claim; completion must present it (fencing)

  Returns {data, attempts} when claimed; false when the id is not a pending job (expired, or a
  stray entry): the id is then dropped from the processing list and counted as skipped.
]]
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'pending' then
  redis.call('LREM', KEYS[2], 1, ARGV[1])
  redis.call('HINCRBY', KEYS[3], 'skipped', 1)
  return false
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'status', 'working', 'worker', ARGV[2], 'lease', ARGV[3], 'started_at', now)
redis.call('HDEL', KEYS[1], 'retry_at')
return {redis.call('HGET', KEYS[1], 'data'), attempts}
