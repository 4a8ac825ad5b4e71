--[[
  claim-4.lua: take ownership of up to ARGV[3] jobs of one type in one step, high priority before
  normal before low, oldest first within each; a normal or low job that has waited ARGV[6] ms is
  taken before any of higher priority (no starvation).

  KEYS[1] base queue               (conveyor:queue; the type's queues are named from it, see
                                   includes/queues.lua)
  KEYS[2] this worker's processing (conveyor:processing:<node>)
  KEYS[3] stats hash               (conveyor:stats)
  KEYS[4] job hash prefix          (conveyor:job:)
  ARGV[1] node name of the worker
  ARGV[2] lease prefix: unique to this call; the n-th claim's lease is <prefix>:<n> (fencing)
  ARGV[3] most jobs to claim (>= 1)
  ARGV[4] the type
  ARGV[5] '1' when this call repeats one with the same lease prefix whose answer was lost (a
          timeout): the jobs that call claimed are answered again, so none is left working
          under a lease nobody holds; '0' otherwise
  ARGV[6] how long (ms) a normal or low job may wait before it goes first; '0': strictly by
          priority
  ARGV[7] events channel           (conveyor:events): the claimed ids are published as 'working'

  Ids move from a queue's tail to the processing list, as LMOVEs would (one LRANGE, LTRIM and
  LPUSH per queue for all of them), so a claimed id is never only in memory. An id that is no
  pending job (expired, or a stray entry) is dropped from the processing list and counted as
  skipped. At most ARGV[3] ids are looked at. When jobs of the type remain, the type's wake-up
  mark is set again, so the next blocked claim loop wakes (BullMQ's marker).

  Returns a flat array: id, data, attempts, lease for each claimed job; empty when none.
]]
--@include now_ms
--@include queues
--@include events
local max = tonumber(ARGV[3])
-- numbers are handed to Redis as text: each number argument would cost a printf in Redis
local nowMs = now_ms()
local now = tostring(nowMs)
-- 1..64 as text, for the leases' n and the attempts, without a number conversion per job
local SMALL = {'1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15', '16',
  '17', '18', '19', '20', '21', '22', '23', '24', '25', '26', '27', '28', '29', '30', '31', '32',
  '33', '34', '35', '36', '37', '38', '39', '40', '41', '42', '43', '44', '45', '46', '47', '48',
  '49', '50', '51', '52', '53', '54', '55', '56', '57', '58', '59', '60', '61', '62', '63', '64'}
local function text(n)
  return SMALL[n] or tostring(n)
end
local out = {}
local started = {} -- ids claimed now, for the events channel
local looked = 0
local skipped = 0
local prefix = ARGV[2] .. ':'

-- the n of a lease <prefix>:<n> of this call, or nil for any other lease
local function ours(lease)
  if lease and string.sub(lease, 1, #prefix) == prefix then
    return tonumber(string.sub(lease, #prefix + 1))
  end
  return nil
end

if ARGV[5] == '1' then
  for _, id in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
    local job = redis.call('HMGET', KEYS[4] .. id, 'status', 'data', 'attempts', 'lease')
    local n = ours(job[4])
    if job[1] == 'working' and n then
      looked = math.max(looked, n)
      out[#out + 1] = id
      out[#out + 1] = job[2]
      out[#out + 1] = tonumber(job[3])
      out[#out + 1] = job[4]
    end
  end
end

-- claims id as this call's n-th look; false when the call this one repeats already claimed it
local function take(id, n)
  local key = KEYS[4] .. id
  local job = redis.call('HMGET', key, 'status', 'data', 'attempts', 'retry_at', 'lease')
  if job[1] == 'working' and ours(job[5]) then
    return false -- already answered above
  end
  if job[1] ~= 'pending' then
    redis.call('LREM', KEYS[2], '1', id)
    skipped = skipped + 1
    return true
  end
  local attempts = (tonumber(job[3]) or 0) + 1
  local lease = prefix .. text(n)
  redis.call('HSET', key, 'status', 'working', 'worker', ARGV[1], 'lease', lease, 'started_at', now,
    'attempts', text(attempts))
  if job[4] then
    redis.call('HDEL', key, 'retry_at')
  end
  out[#out + 1] = id
  out[#out + 1] = job[2]
  out[#out + 1] = attempts
  out[#out + 1] = lease
  started[#started + 1] = id
  return true
end

local high = queue_of(KEYS[1], ARGV[4], 'high')
local normal = queue_of(KEYS[1], ARGV[4], 'normal')
local low = queue_of(KEYS[1], ARGV[4], 'low')

-- the queue's oldest ids, as up to max - looked LMOVEs would move them, in three commands: the
-- tail (oldest last), trimmed off the queue, pushed oldest first onto the processing list
local function move(queue)
  local ids = redis.call('LRANGE', queue, looked - max, -1)
  local count = #ids
  if count > 0 then
    redis.call('LTRIM', queue, 0, -count - 1)
    local oldestFirst = {}
    for i = count, 1, -1 do
      oldestFirst[#oldestFirst + 1] = ids[i]
    end
    redis.call('LPUSH', KEYS[2], unpack(oldestFirst))
    for i = 1, count do
      looked = looked + 1
      take(oldestFirst[i], looked)
    end
  end
end

-- the default path (only normal jobs waiting) costs two EXISTS more than a queue without types
local hasHigh = redis.call('EXISTS', high) == 1
local hasLow = redis.call('EXISTS', low) == 1
local maxWait = tonumber(ARGV[6])
-- a queue with jobs ahead of it (low behind any, normal behind high) goes first once its oldest
-- job has waited maxWait
local aging = {}
if hasLow then
  aging[#aging + 1] = low
end
if hasHigh then
  aging[#aging + 1] = normal
end
if maxWait > 0 then
  for _, queue in ipairs(aging) do
    if looked < max then
      local oldest = redis.call('LINDEX', queue, -1)
      if oldest then
        local at = redis.call('HGET', KEYS[4] .. oldest, 'accepted_at')
        if not at or nowMs - tonumber(at) >= maxWait then
          move(queue)
        end
      end
    end
  end
end
if hasHigh and looked < max then
  move(high)
end
if looked < max then
  move(normal)
end
if hasLow and looked < max then
  move(low)
end
if redis.call('EXISTS', high, normal, low) > 0 then
  wake(KEYS[1], ARGV[4])
end
if skipped > 0 then
  redis.call('HINCRBY', KEYS[3], 'skipped', skipped)
end
publish(ARGV[7], 'working', started)
return out
