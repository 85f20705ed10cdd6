-- wrk script for tests/reliability/load.mjs: a weighted mix of valid,
-- invalid and oversized requests against the enlist Worker, with every
-- answer counted by status and by problem type. wrk runs this file once per
-- thread (request/response) and once more for setup/done.
--
--   wrk -t2 -c32 -d60s --timeout 10s -s tests/reliability/load.lua http://127.0.0.1:PORT
--
-- done() prints one line "LOAD-RESULT {json}" that load.mjs reads.

-- kind = { weight, method, path, headers, body (string or function) }
local KiB = 1024
local counter = 0
tid = 0 -- set per thread by setup()

local function email()
  counter = counter + 1
  return string.format("load.%d.%d.%d@load.example", tid, counter, math.random(1, 1000000000))
end

local json = { ["Content-Type"] = "application/json" }

local kinds = {
  { name = "partoo_valid", weight = 35, path = "/v1/partoo/users", headers = json,
    body = function() return '{"email":"' .. email() .. '","first_name":"Load","last_name":"Test","lang":"fr"}' end },
  { name = "pandadoc_valid", weight = 15, path = "/v1/pandadoc/users", headers = json,
    body = function() return '{"user":{"email":"' .. email() .. '","first_name":"Load"},"workspaces":[{"workspace_id":"Ab123","role":"Member"}],"license":"Guest"}' end },
  { name = "keyed_replay", weight = 5, path = "/v1/partoo/users" }, -- headers/body set per request below
  { name = "invalid_fields", weight = 15, path = "/v1/partoo/users", headers = json,
    body = '{"email":"not-an-email","first_name":42,"last_name":"","lang":"xx","unknown":true}' },
  { name = "policy_refused", weight = 5, path = "/v1/partoo/users", headers = json,
    body = function() return '{"email":"' .. email() .. '","first_name":"A","last_name":"B","role":"ORG_ADMIN"}' end },
  { name = "malformed_json", weight = 5, path = "/v1/pandadoc/users", headers = json, body = '{"user":{"email":' },
  { name = "oversized", weight = 5, path = "/v1/partoo/users", headers = json,
    body = '{"email":"big@load.example","first_name":"' .. string.rep("x", 70 * KiB) .. '","last_name":"B"}' },
  { name = "wrong_type", weight = 5, path = "/v1/partoo/users", headers = { ["Content-Type"] = "text/plain" }, body = "hello" },
  { name = "health", weight = 5, method = "GET", path = "/v1/health" },
  { name = "unknown_path", weight = 3, method = "GET", path = "/v1/nope/users" },
  { name = "wrong_method", weight = 2, method = "PUT", path = "/v1/partoo/users", headers = json, body = "{}" },
}

local total_weight = 0
for _, k in ipairs(kinds) do total_weight = total_weight + k.weight end

-- A small pool of Idempotency-Keys per thread, each with one fixed body:
-- the first use creates, later ones replay (or meet the first in flight).
local KEYS = 16
local keyed = {}

local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

sent = {}     -- kind name -> requests sent (per thread)
statuses = {} -- status -> answers (per thread)
problems = {} -- problem type slug -> answers (per thread)

function init(args)
  -- `wrk … -s load.lua URL -- name,name`: only these kinds (for diagnosis).
  if args[1] then
    local only, kept = {}, {}
    for name in string.gmatch(args[1], "[^,]+") do only[name] = true end
    for _, k in ipairs(kinds) do if only[k.name] then table.insert(kept, k) end end
    kinds, total_weight = kept, 0
    for _, k in ipairs(kinds) do total_weight = total_weight + k.weight end
  end
  math.randomseed(os.time() * 1000 + tid)
  for i = 1, KEYS do
    keyed[i] = {
      key = string.format("load-%d-%d-%d", tid, i, math.random(1, 1000000000)),
      body = '{"email":"' .. email() .. '","first_name":"Keyed","last_name":"Replay"}',
    }
  end
end

local function pick()
  local r = math.random(1, total_weight)
  for _, k in ipairs(kinds) do
    r = r - k.weight
    if r <= 0 then return k end
  end
  return kinds[1]
end

function request()
  local k = pick()
  sent[k.name] = (sent[k.name] or 0) + 1
  if k.name == "keyed_replay" then
    local entry = keyed[math.random(1, KEYS)]
    return wrk.format("POST", k.path, { ["Content-Type"] = "application/json", ["Idempotency-Key"] = entry.key }, entry.body)
  end
  local body = k.body
  if type(body) == "function" then body = body() end
  return wrk.format(k.method or "POST", k.path, k.headers or {}, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 300 then
    local slug = body and string.match(body, '"type":"urn:enlist:problem:([a-z_]+)"') or "none"
    problems[slug] = (problems[slug] or 0) + 1
  end
end

local function merge(into, from)
  for k, v in pairs(from or {}) do into[tostring(k)] = (into[tostring(k)] or 0) + v end
end

local function encode(t)
  local parts = {}
  for k, v in pairs(t) do
    if type(v) == "table" then
      table.insert(parts, string.format("%q:%s", tostring(k), encode(v)))
    else
      table.insert(parts, string.format("%q:%s", tostring(k), tostring(v)))
    end
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local all_sent, all_statuses, all_problems = {}, {}, {}
  for _, t in ipairs(threads) do
    merge(all_sent, t:get("sent"))
    merge(all_statuses, t:get("statuses"))
    merge(all_problems, t:get("problems"))
  end
  local result = {
    requests = summary.requests,
    duration_us = summary.duration,
    bytes = summary.bytes,
    errors = summary.errors, -- connect, read, write, status (non-2xx/3xx), timeout
    latency_us = {
      p50 = latency:percentile(50), p90 = latency:percentile(90),
      p99 = latency:percentile(99), max = latency.max, mean = latency.mean,
    },
    sent = all_sent,
    statuses = all_statuses,
    problems = all_problems,
  }
  io.write("LOAD-RESULT " .. encode(result) .. "\n")
end
