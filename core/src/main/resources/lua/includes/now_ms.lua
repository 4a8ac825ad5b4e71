-- now_ms(): Redis' own clock in milliseconds, so no script trusts a caller's clock
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
