--[[
  forget-3.lua: an operator deletes a failed job (sysmon's "delete"): its hash and its places in
  the dead letters and the recent list.

  KEYS[1] job hash          (conveyor:job:<id>)
  KEYS[2] dead-letter list  (conveyor:dead)
  KEYS[3] recent list       (conveyor:recent)
  ARGV[1] job id

  Returns 1 when deleted; 0 when the job is not failed (only failed jobs can be deleted).
]]
if redis.call('HGET', KEYS[1], 'status') ~= 'failed' then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('LREM', KEYS[2], 0, ARGV[1])
redis.call('LREM', KEYS[3], 0, ARGV[1])
return 1
