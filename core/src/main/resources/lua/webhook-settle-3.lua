--[[
  webhook-settle-3.lua: what became of a delivery a worker took (webhook-take-1): delivered (a 2xx),
  to be tried again after a backoff, or given up after its last attempt, kept in the undelivered
  list for operators to see.

  KEYS[1] webhook outbox zset       (conveyor:webhooks)
  KEYS[2] undelivered list          (conveyor:webhooks:undelivered), newest first, JSON each
  KEYS[3] stats hash                (conveyor:stats)
  ARGV[1] the member taken ('<attempts>\n<id>\n<url>\n<view JSON>')
  ARGV[2] 'delivered', 'retry' or 'undelivered'
  ARGV[3] backoff before the next attempt, ms (for 'retry')
  ARGV[4] what went wrong, one line (for 'retry' and 'undelivered')
  ARGV[5] most undelivered entries kept

  Returns 1 when settled now, 0 when the member was no longer there (its lease ran out and
  another worker settled it: nothing changes).
]]
--@include now_ms
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
local attempts, id, url, rest = string.match(ARGV[1], '^(%d+)\n([^\n]*)\n([^\n]*)\n(.*)$')
attempts = tonumber(attempts) + 1
local now = now_ms()
if ARGV[2] == 'delivered' then
  redis.call('HINCRBY', KEYS[3], 'webhooks_delivered', 1)
elseif ARGV[2] == 'retry' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]),
    attempts .. '\n' .. id .. '\n' .. url .. '\n' .. rest)
  redis.call('HINCRBY', KEYS[3], 'webhooks_retried', 1)
else
  redis.call('LPUSH', KEYS[2], cjson.encode({callback = id, url = url, attempts = attempts,
    last_error = ARGV[4], given_up_at = now}))
  redis.call('LTRIM', KEYS[2], '0', tostring(tonumber(ARGV[5]) - 1))
  redis.call('HINCRBY', KEYS[3], 'webhooks_undelivered', 1)
end
return 1
