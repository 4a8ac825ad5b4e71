--[[
  retire-7.lua: a worker stops in an orderly way, after its grace: it puts back the jobs still
  in its processing list, and unregisters its name from the workers set.

  KEYS[1] the worker's processing list (conveyor:processing:<node>)
  KEYS[2] base queue list              (conveyor:queue; the others are named from it)
  KEYS[3] stats hash                   (conveyor:stats)
  KEYS[4] dead-letter list             (conveyor:dead)
  KEYS[5] job key prefix               (conveyor:job:) -- job keys are this prefix plus the id
  KEYS[6] workers set                  (conveyor:workers)
  KEYS[7] webhook outbox zset          (conveyor:webhooks; see includes/notify.lua)
  ARGV[1] the worker's node name
  ARGV[2] most recoveries of one job before it is failed as a poison pill
  ARGV[3] TTL of a failed job, ms
  ARGV[4] most dead letters kept
  ARGV[5] events channel               (conveyor:events; see includes/events.lua)

  Returns {requeued, failed}. Jobs that are no longer this worker's are only dropped.
]]
--@include now_ms
--@include queues
--@include events
--@include notify
--@include requeue_list
local requeued, failed = requeue_list(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1],
  ARGV[2], ARGV[3], ARGV[4], now_ms(), ARGV[5], KEYS[7])
redis.call('SREM', KEYS[6], ARGV[1])
return {requeued, failed}
