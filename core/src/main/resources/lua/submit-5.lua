--[[
  submit-5.lua: accept one or more jobs, each unless the same data is already queued, running or
  worked. The api sends every POST that arrived while its previous call was in flight in one call
  (group commit), so the per-call costs (the script call, the queue and recent pushes, the stats
  update) are paid once per batch, not once per job.

  KEYS[1] queue list        (conveyor:queue)
  KEYS[2] stats hash        (conveyor:stats)
  KEYS[3] dead-letter list  (conveyor:dead)
  KEYS[4] recent list       (conveyor:recent), newest first: what the consoles list; an id
                           posted again appears twice, and readers keep its newest entry (no
                           scan of the list here: submit is the API's hot path)
  KEYS[5] job key prefix    (conveyor:job:), followed by the id
  ARGV[1] accepted_by (node name of the api)
  ARGV[2] most recent ids kept
  ARGV[3], ARGV[4]   the first job's id (callback) and data; then the next job's, and so on

  Returns one status per job, in order: 'queued' when queued now; otherwise the status the same
  data already has ('pending', 'working' or 'worked'): it is not queued twice. A failed job is
  queued again. The same data twice in one call is queued once: the second finds it pending.
]]
--@include now_ms
-- as text: a number argument would cost a printf in Redis for each job
local now = tostring(now_ms())
local answers = {}
local queued = {}
local deduplicated = 0
for i = 3, #ARGV - 1, 2 do
  local id = ARGV[i]
  local key = KEYS[5] .. id
  local status = redis.call('HGET', key, 'status')
  if status == 'pending' or status == 'working' or status == 'worked' then
    deduplicated = deduplicated + 1
    answers[#answers + 1] = status
  else
    if status then
      -- a failed job asked for again leaves the dead letters and starts afresh
      redis.call('LREM', KEYS[3], '0', id)
      redis.call('DEL', key)
    end
    redis.call('HSET', key, 'status', 'pending', 'data', ARGV[i + 1], 'accepted_by', ARGV[1],
      'accepted_at', now, 'attempts', '0')
    queued[#queued + 1] = id
    answers[#answers + 1] = 'queued'
  end
end
if #queued > 0 then
  redis.call('LPUSH', KEYS[1], unpack(queued))
  redis.call('LPUSH', KEYS[4], unpack(queued))
  redis.call('LTRIM', KEYS[4], '0', tostring(tonumber(ARGV[2]) - 1))
  redis.call('HINCRBY', KEYS[2], 'accepted', tostring(#queued))
end
if deduplicated > 0 then
  redis.call('HINCRBY', KEYS[2], 'deduplicated', tostring(deduplicated))
end
return answers
