-- publish(channel, status, ids): tells whoever listens (the api instances holding waits and
-- streams) which jobs entered `status`, in one message for all of them: '<status> <id> <id> …'.
-- One PUBLISH per script call, not per job; with nobody subscribed it costs next to nothing.
local function publish(channel, status, ids)
  if #ids > 0 then
    redis.call('PUBLISH', channel, status .. ' ' .. table.concat(ids, ' '))
  end
end
