-- notify(job, id, urls, outbox, now): job `id` (its hash at `job`) has just become final; `urls`
-- is its 'notify' field (the submitters' notify_url, one per line) or nil. Each URL gets a
-- delivery in the outbox ZSET, due now: the member '<attempts>\n<id>\n<url>\n<view>', where view
-- is the job's fields as a JSON object (its data left out) as they are at this moment, so that a
-- delivery retried after the job expired still sends what it was. Workers take due members
-- (webhook-take-1), POST them, and settle them (webhook-settle-3).
local function notify(job, id, urls, outbox, now)
  if not urls then
    return
  end
  local fields = redis.call('HGETALL', job)
  local view = {}
  for i = 1, #fields, 2 do
    local name = fields[i]
    if name ~= 'data' and name ~= 'notify' then
      view[name] = fields[i + 1]
    end
  end
  local body = cjson.encode(view)
  for url in string.gmatch(urls, '[^\n]+') do
    redis.call('ZADD', outbox, now, '0\n' .. id .. '\n' .. url .. '\n' .. body)
  end
end
