--[[
  webhook-take-1.lua: a worker takes the webhook deliveries that are due, and holds them for a
  lease: their scores move that far ahead, so no other worker takes them meanwhile, and one whose
  taker dies is due again when the lease runs out (deliveries are at least once).

  KEYS[1] webhook outbox zset (conveyor:webhooks), score = when due (ms); members as
          includes/notify.lua makes them: '<attempts>\n<id>\n<url>\n<view JSON>'
  ARGV[1] lease, ms
  ARGV[2] most deliveries taken

  Returns the members taken, oldest due first.
]]
--@include now_ms
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', '0', ARGV[2])
local until_ms = now + tonumber(ARGV[1])
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', until_ms, member)
end
return due
