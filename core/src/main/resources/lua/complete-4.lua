--[[
  complete-4.lua: record the results of one or more jobs, each only if this worker still owns it
  (fenced completion). One call per batch of finished jobs.

  KEYS[1] this worker's processing (conveyor:processing:<node>)
  KEYS[2] stats hash               (conveyor:stats)
  KEYS[3] job hash prefix          (conveyor:job:)
  KEYS[4] webhook outbox zset      (conveyor:webhooks): a delivery to each notify_url of a
                                   job recorded now (see includes/notify.lua)
  ARGV[1] node name of the worker
  ARGV[2] result TTL in milliseconds
  ARGV[3] events channel           (conveyor:events): the recorded ids are published as 'worked'
  ARGV[4..] triples: job id, lease given by claim-4, result (JSON text)

  An id is looked for from the processing list's tail, where the oldest claims are (LREM -1), so
  finishing in claim order costs no scan of the list.

  Returns one integer per triple, in order: 1 when recorded (now, or by an earlier call with the
  same lease whose answer was lost); 0 when fenced (the job was recovered
  and is owned by another claim, so this stale result is dropped and counted); 2 when the job was
  cancelled meanwhile (the result is dropped, not counted as fenced). Each job's result,
  status and TTL are written in this one step.
]]
--@include now_ms
--@include events
--@include notify
-- as text: a number argument would cost a printf in Redis for each job
local now = tostring(now_ms())
local out = {}
local done = {} -- ids recorded now, for the events channel
local worked = 0
local fenced = 0
for i = 4, #ARGV, 3 do
  local id, lease = ARGV[i], ARGV[i + 1]
  local key = KEYS[3] .. id
  local owner = redis.call('HMGET', key, 'lease', 'status', 'worker', 'notify')
  if owner[1] == lease and owner[2] == 'worked' then
    -- a repeat of a call whose answer was lost: this result is already recorded
    out[#out + 1] = 1
  elseif owner[2] == 'cancelled' then
    -- cancelled while it ran: its worker field is gone, so the entry is this claim's
    redis.call('LREM', KEYS[1], '-1', id)
    out[#out + 1] = 2
  elseif owner[1] ~= lease or owner[2] ~= 'working' then
    -- our entry was normally taken by the recovery; never remove the entry of a newer claim of ours
    if owner[3] ~= ARGV[1] then
      redis.call('LREM', KEYS[1], '-1', id)
    end
    fenced = fenced + 1
    out[#out + 1] = 0
  else
    redis.call('HSET', key, 'status', 'worked', 'result', ARGV[i + 2], 'worked_by', ARGV[1], 'finished_at', now)
    -- the lease stays, so a repeat of this call (its answer lost) knows the result is recorded
    redis.call('HDEL', key, 'data', 'worker')
    redis.call('PEXPIRE', key, ARGV[2])
    redis.call('LREM', KEYS[1], '-1', id)
    notify(key, id, owner[4], KEYS[4], now)
    worked = worked + 1
    done[worked] = id
    out[#out + 1] = 1
  end
end
if worked > 0 then
  redis.call('HINCRBY', KEYS[2], 'worked', tostring(worked))
end
if fenced > 0 then
  redis.call('HINCRBY', KEYS[2], 'fenced', tostring(fenced))
end
publish(ARGV[3], 'worked', done)
return out
