--[[
  complete-3.lua: record a job's result, if this worker still owns it (fenced completion).

  KEYS[1] job hash                 (conveyor:job:<id>)
  KEYS[2] this worker's processing (conveyor:processing:<node>)
  KEYS[3] stats hash               (conveyor:stats)
  ARGV[1] job id
  ARGV[2] lease given by claim-3
  ARGV[3] result (JSON text)
  ARGV[4] result TTL in milliseconds
  ARGV[5] node name of the worker

  Returns 1 when recorded; 0 when fenced: the job was recovered and is owned by another claim, so
  this stale result is dropped and counted. Result, status and TTL are written in this one step.
]]
if redis.call('HGET', KEYS[1], 'lease') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'status') ~= 'working' then
  -- our entry was normally taken by the recovery; never remove the entry of a newer claim of ours
  if redis.call('HGET', KEYS[1], 'worker') ~= ARGV[5] then
    redis.call('LREM', KEYS[2], 1, ARGV[1])
  end
  redis.call('HINCRBY', KEYS[3], 'fenced', 1)
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'status', 'worked', 'result', ARGV[3], 'worked_by', ARGV[5], 'finished_at', now)
redis.call('HDEL', KEYS[1], 'lease', 'data', 'worker')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('LREM', KEYS[2], 1, ARGV[1])
redis.call('HINCRBY', KEYS[3], 'worked', 1)
return 1
