--[[
  submit-8.lua: accept one or more jobs, each unless the same type and data is already queued,
  running or worked. The api sends every POST that arrived while its previous call was in flight
  in one call (group commit), so the per-call costs (the script call, the queue and recent
  pushes, the stats update) are paid once per batch, not once per job.

  KEYS[1] base queue list   (conveyor:queue: the default type's normal queue; the other types'
                           and priorities' queues and the wake-up marks are named from it, see
                           includes/queues.lua)
  KEYS[2] stats hash        (conveyor:stats)
  KEYS[3] dead-letter list  (conveyor:dead)
  KEYS[4] recent list       (conveyor:recent), newest first: what the consoles list; an id
                           posted again appears twice, and readers keep its newest entry (no
                           scan of the list here: submit is the API's hot path)
  KEYS[5] job key prefix    (conveyor:job:), followed by the id
  KEYS[6] delayed zset      (conveyor:delayed), score = when the job is due (ms)
  KEYS[7] types zset        (conveyor:types), type -> when a job of it was last accepted (ms);
                           the default type is not listed; the 1,000 most recent are kept
  KEYS[8] webhook outbox    (conveyor:webhooks): a notify_url given with a job that is worked
                           already gets its delivery now (see includes/notify.lua)
  ARGV[1] accepted_by (node name of the api)
  ARGV[2] most recent ids kept
  ARGV[3], ARGV[4], ARGV[5]   the first job's id (callback), data and spec; then the next job's,
                           and so on. The spec is '' for the default type at normal priority,
                           due now (the seed's job), else '<type>,<priority>,<due>': type and
                           priority as given ('' when not given), due '' (now), '+<ms>' (after a
                           delay, by Redis' clock) or '<epoch ms>' (run_at), then optionally
                           ',<notify_url>': kept in the job's 'notify' field (one URL per line),
                           added to a pending or working job's, delivered at once for a worked one

  Returns one status per job, in order: 'queued' when accepted now (queued, or delayed until it
  is due); otherwise the status the same job already has ('pending', 'working' or 'worked') and
  the api that accepted it, as '<status>|<accepted_by>': it is not accepted twice. A failed job is accepted again. The same job twice in one call is
  accepted once: the second finds it pending.
]]
--@include now_ms
--@include queues
--@include notify
local nowMs = now_ms()
-- as text: a number argument would cost a printf in Redis for each job
local now = tostring(nowMs)
local answers = {}
local plain = {} -- ids for the base queue, in order
local other = {} -- queue key -> ids, for the other types and priorities
local woken = {} -- type -> true, for the types with a job queued now
local typed = {} -- type -> true, for the types zset
local recent = {} -- every id accepted now
local deduplicated = 0
for i = 3, #ARGV - 2, 3 do
  local id = ARGV[i]
  local key = KEYS[5] .. id
  local status = redis.call('HGET', key, 'status')
  if status == 'pending' or status == 'working' or status == 'worked' then
    deduplicated = deduplicated + 1
    -- with the api that accepted it: the one GET names too (a rare path: no cost to the first POST)
    answers[#answers + 1] = status .. '|' .. (redis.call('HGET', key, 'accepted_by') or '')
    local url = string.match(ARGV[i + 2], '^[^,]*,[^,]*,[^,]*,(.+)$')
    if url then
      -- another submitter of the same job: called back too
      if status == 'worked' then
        notify(key, id, url, KEYS[8], now)
      else
        local urls = redis.call('HGET', key, 'notify')
        if not urls then
          redis.call('HSET', key, 'notify', url)
        elseif string.find('\n' .. urls .. '\n', '\n' .. url .. '\n', 1, true) == nil then
          redis.call('HSET', key, 'notify', urls .. '\n' .. url)
        end
      end
    end
  else
    if status then
      -- a failed job asked for again leaves the dead letters and starts afresh
      redis.call('LREM', KEYS[3], '0', id)
      redis.call('DEL', key)
    end
    local spec = ARGV[i + 2]
    if spec == '' then
      redis.call('HSET', key, 'status', 'pending', 'data', ARGV[i + 1], 'accepted_by', ARGV[1],
        'accepted_at', now, 'attempts', '0')
      plain[#plain + 1] = id
    else
      local jtype, priority, due, url = string.match(spec, '^([^,]*),([^,]*),([^,]*),?(.*)$')
      -- one HSET with every field: each write command costs Redis its call and its AOF entry
      local fields = {'status', 'pending', 'data', ARGV[i + 1], 'accepted_by', ARGV[1],
        'accepted_at', now, 'attempts', '0'}
      if url ~= '' then
        fields[#fields + 1] = 'notify'
        fields[#fields + 1] = url
      end
      if jtype ~= '' then
        fields[#fields + 1] = 'type'
        fields[#fields + 1] = jtype
        if jtype ~= 'default' then
          typed[jtype] = true
        end
      else
        jtype = nil
      end
      if priority ~= '' then
        fields[#fields + 1] = 'priority'
        fields[#fields + 1] = priority
      else
        priority = nil
      end
      local at
      if due ~= '' then
        at = string.sub(due, 1, 1) == '+' and nowMs + tonumber(string.sub(due, 2)) or tonumber(due)
        fields[#fields + 1] = 'run_at'
        fields[#fields + 1] = at
      end
      redis.call('HSET', key, unpack(fields))
      if at then
        redis.call('ZADD', KEYS[6], at, id)
      else
        local queue = queue_of(KEYS[1], jtype, priority)
        if queue == KEYS[1] then
          plain[#plain + 1] = id
        else
          local ids = other[queue]
          if not ids then
            ids = {}
            other[queue] = ids
          end
          ids[#ids + 1] = id
          woken[jtype or 'default'] = true
        end
      end
    end
    recent[#recent + 1] = id
    answers[#answers + 1] = 'queued'
  end
end
if #plain > 0 then
  redis.call('LPUSH', KEYS[1], unpack(plain))
  woken['default'] = true
end
for queue, ids in pairs(other) do
  redis.call('LPUSH', queue, unpack(ids))
end
for jtype in pairs(woken) do
  wake(KEYS[1], jtype)
end
local anyTyped = false
for jtype in pairs(typed) do
  redis.call('ZADD', KEYS[7], now, jtype)
  anyTyped = true
end
if anyTyped then
  -- any client may name any type: the list of them stays bounded
  redis.call('ZREMRANGEBYRANK', KEYS[7], '0', '-1001')
end
if #recent > 0 then
  redis.call('LPUSH', KEYS[4], unpack(recent))
  redis.call('LTRIM', KEYS[4], '0', tostring(tonumber(ARGV[2]) - 1))
  redis.call('HINCRBY', KEYS[2], 'accepted', tostring(#recent))
end
if deduplicated > 0 then
  redis.call('HINCRBY', KEYS[2], 'deduplicated', tostring(deduplicated))
end
return answers
