-- GCRA over one or more buckets, all or nothing: the request is allowed only when every
-- bucket (e.g. the client's and the user's) has room, and only then are they all charged.
-- KEYS: the buckets. ARGV[1]: emission interval in milliseconds (window / limit).
-- ARGV[2]: limit (requests allowed at once from an empty bucket).
-- Returns {allowed (0|1), remaining, retry_after_ms, reset_ms}.
-- Milliseconds, not microseconds: Lua 5.1 prints numbers with 14 significant digits.
-- The clock is the server's, so replicas with skewed clocks agree.
local interval = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local capacity = interval * limit

local tats = {}
local remaining = limit
local retry_after = 0
local reset = 0
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - capacity
  if allow_at > now then
    retry_after = math.max(retry_after, allow_at - now)
    reset = math.max(reset, tat - now)
    remaining = 0
  else
    remaining = math.min(remaining, math.floor((now - allow_at) / interval))
    reset = math.max(reset, new_tat - now)
  end
  tats[i] = new_tat
end

if retry_after > 0 then
  return {0, 0, retry_after, reset}
end
for i, key in ipairs(KEYS) do
  -- The key lives exactly as long as it carries information: once the bucket is full again
  -- it is indistinguishable from a missing key.
  redis.call('SET', key, string.format('%d', tats[i]), 'PX', tats[i] - now)
end
return {1, remaining, 0, reset}
