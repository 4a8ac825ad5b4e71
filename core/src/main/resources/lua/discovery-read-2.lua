--[[
  discovery-read-2.lua: the live address records of a cluster's members (REDIS_PING). Expired
  records are dropped first, so a crashed member's record stalls no one longer than its expiry.

  KEYS[1] the cluster's address hash  (conveyor:cluster:<name>:addresses), field = member id
  KEYS[2] the cluster's expiry zset   (conveyor:cluster:<name>:expiry), score = expiry (ms)

  Returns the live records (values of the hash).
]]
--@include now_ms
local now = now_ms()
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('HDEL', KEYS[1], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return redis.call('HVALS', KEYS[1])
