--[[
  claim-4.lua: take ownership of up to ARGV[3] jobs in one step.

  KEYS[1] queue                    (conveyor:queue)
  KEYS[2] this worker's processing (conveyor:processing:<node>)
  KEYS[3] stats hash               (conveyor:stats)
  KEYS[4] job hash prefix          (conveyor:job:)
  ARGV[1] node name of the worker
  ARGV[2] lease prefix: unique to this call; the n-th claim's lease is <prefix>:<n> (fencing)
  ARGV[3] most jobs to claim (>= 1)
  ARGV[4] an id BLMOVE already moved into the processing list, claimed first; '' for none

  Further ids move from the queue's tail to the processing list (LMOVE), as BLMOVE does, so a
  claimed id is never only in memory. An id that is no pending job (expired, or a stray entry)
  is dropped from the processing list and counted as skipped. At most ARGV[3] ids are looked at.

  Returns a flat array: id, data, attempts, lease for each claimed job; empty when none.
]]
local max = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
local looked = 0
local skipped = 0

local function take(id)
  local key = KEYS[4] .. id
  local job = redis.call('HMGET', key, 'status', 'data', 'attempts', 'retry_at')
  if job[1] ~= 'pending' then
    redis.call('LREM', KEYS[2], 1, id)
    skipped = skipped + 1
    return
  end
  local attempts = (tonumber(job[3]) or 0) + 1
  local lease = ARGV[2] .. ':' .. looked
  redis.call('HSET', key, 'status', 'working', 'worker', ARGV[1], 'lease', lease, 'started_at', now,
    'attempts', attempts)
  if job[4] then
    redis.call('HDEL', key, 'retry_at')
  end
  out[#out + 1] = id
  out[#out + 1] = job[2]
  out[#out + 1] = attempts
  out[#out + 1] = lease
end

if ARGV[4] ~= '' then
  looked = 1
  take(ARGV[4])
end
while looked < max do
  local id = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not id then
    break
  end
  looked = looked + 1
  take(id)
end
if skipped > 0 then
  redis.call('HINCRBY', KEYS[3], 'skipped', skipped)
end
return out
