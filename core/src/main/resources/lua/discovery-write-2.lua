--[[
  discovery-write-2.lua: record cluster members' addresses for JGroups discovery (REDIS_PING), each
  with its own expiry, and drop the records that expired.

  KEYS[1] the cluster's address hash  (conveyor:cluster:<name>:addresses), field = member id
  KEYS[2] the cluster's expiry zset   (conveyor:cluster:<name>:expiry), score = expiry (ms)
  ARGV[1] how long a record lives without being written again, ms
  ARGV[2..] member id, record, member id, record, …

  Returns the number of expired records dropped.
]]
--@include now_ms
local now = now_ms()
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(expired) do
  redis.call('HDEL', KEYS[1], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), ARGV[i])
end
return #expired
