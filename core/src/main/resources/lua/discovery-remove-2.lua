--[[
  discovery-remove-2.lua: remove members' address records (a member leaving, or a coordinator
  dropping the records of members no longer in its view).

  KEYS[1] the cluster's address hash  (conveyor:cluster:<name>:addresses), field = member id
  KEYS[2] the cluster's expiry zset   (conveyor:cluster:<name>:expiry)
  ARGV[1..] member ids

  Returns the number of records removed.
]]
local removed = 0
for _, id in ipairs(ARGV) do
  removed = removed + redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return removed
