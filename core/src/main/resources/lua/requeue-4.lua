--[[
  requeue-4.lua: an operator sends a failed job back to the queue (sysmon's "requeue").

  KEYS[1] job hash          (conveyor:job:<id>)
  KEYS[2] base queue list   (conveyor:queue; the job's own queue is named from it)
  KEYS[3] dead-letter list  (conveyor:dead)
  KEYS[4] stats hash        (conveyor:stats)
  ARGV[1] job id

  Returns 1 when requeued; 0 when the job is not failed (gone, or pending, working, worked).
  Its attempts start again from 0; its last error stays for reference until the next attempt.
]]
--@include queues
if redis.call('HGET', KEYS[1], 'status') ~= 'failed' then
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0, 'recoveries', 0)
redis.call('HDEL', KEYS[1], 'failed_at', 'retry_at')
redis.call('PERSIST', KEYS[1])
redis.call('LREM', KEYS[3], 0, ARGV[1])
requeue(KEYS[2], KEYS[1], ARGV[1], false)
redis.call('HINCRBY', KEYS[4], 'requeued', 1)
return 1
