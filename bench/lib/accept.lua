-- wrk script for bench/accept.py: every request POSTs data no other request sent (the API would
-- deduplicate a repeat without queueing it), and the run ends with one line of JSON.
-- usage: wrk ... -s accept.lua <url> -- <tag> [<fields>]
-- <fields>: more of the body's JSON after "data", e.g. ,"type":"resize","priority":"high"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  tag = args[1] or "accept"
  fields = args[2] or ""
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/work", { ["Content-Type"] = "application/json" },
    '{"data":"' .. tag .. " " .. thread_id .. " " .. counter .. '"' .. fields .. '}')
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"socket_errors":%d,"non_2xx":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
