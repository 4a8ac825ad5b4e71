--[[
  leave-2.lua: remove a node from the ledger when it stops in an orderly way.

  KEYS[1] the node's hash  (conveyor:node:<name>)
  KEYS[2] ledger zset      (conveyor:ledger)
  ARGV[1] node name

  Returns 1 when the node was listed.
]]
redis.call('DEL', KEYS[1])
return redis.call('ZREM', KEYS[2], ARGV[1])
