--[[
  beat-2.lua: keep one node's ledger entry fresh, and drop members whose entry expired.

  KEYS[1] the node's hash  (conveyor:node:<name>)
  KEYS[2] ledger zset      (conveyor:ledger), score = when the member's entry expires (ms)
  ARGV[1] node name
  ARGV[2] entry TTL, ms (3 × the heartbeat interval)
  ARGV[3..] field, value, field, value, … of the entry (role, host, pid, state, counters, …)

  Returns the number of expired members dropped from the ledger. `last_beat` is set from Redis'
  clock, so readers never compare clocks of different hosts.
]]
--@include now_ms
local now = now_ms()
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'last_beat', now, unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
return redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
