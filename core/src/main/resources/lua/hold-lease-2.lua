--[[
  hold-lease-2.lua: take or keep the janitor's lease, the Redis guard that lets only one node run the
  janitor even when the cluster is split into views that each have a coordinator.

  KEYS[1] janitor lease string       (conveyor:janitor), value = the holder's node name
  KEYS[2] ledger entry key prefix    (conveyor:node:) -- the holder's entry is this plus its name
  ARGV[1] this node's name
  ARGV[2] lease length, ms
  ARGV[3] name of a holder this node saw leave its view ('' for none)
  ARGV[4] silence beyond the holder's own heartbeat_ms after which its lease is taken, ms

  Returns {1, holder} when this node holds the lease now, {0, holder} when another node does.
  A lease is taken from a holder before it expires only when the caller names it as gone from
  its view and the holder has stopped beating: a dead coordinator's lease does not delay the
  recovery of its own jobs.
]]
--@include now_ms
local holder = redis.call('GET', KEYS[1])
local function take()
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, ARGV[1]}
end
if not holder or holder == ARGV[1] then
  return take()
end
if holder == ARGV[3] then
  local now = now_ms()
  local entry = redis.call('HMGET', KEYS[2] .. holder, 'last_beat', 'heartbeat_ms')
  if not entry[1] or now - tonumber(entry[1]) >= tonumber(entry[2] or 0) + tonumber(ARGV[4]) then
    return take()
  end
end
return {0, holder}
