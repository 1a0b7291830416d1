// The Lua scripts that keep the fleet's shared state atomic on the Redis server. They are
// the Redis form of policy::memory_budget_store and policy::memory_client_limit_store
// (same fields, same rules), with the server's clock (TIME) so that replicas agree on it.
// Times are milliseconds. Every key expires when idle, so nothing outlives its use.
#pragma once

namespace cgw::shared_state::scripts {

// KEYS[1] the account's state (hash), KEYS[2] its calls in flight (hash: seq -> "cost reserved_at").
// ARGV: points, per_s, cost, the ms the caller may wait at most.
// Returns {verdict (0 go, 1 wait and ask again, 2 refuse), wait_ms, seq (with go)}.
inline constexpr const char* budget_reserve = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local points, per_s, cost = tonumber(ARGV[1]), math.max(1, tonumber(ARGV[2])), tonumber(ARGV[3])
local latest = now + tonumber(ARGV[4])
local window = per_s * 1000
local rate = points / window
local f = redis.call('HMGET', KEYS[1], 'tokens', 'refilled', 'paused_until', 'kind', 'remaining', 'spent', 'expires', 'next_seq')
local tokens, refilled = tonumber(f[1]), tonumber(f[2])
local paused_until, kind = tonumber(f[3]) or 0, tonumber(f[4]) or 0
local remaining, spent, expires = tonumber(f[5]) or 0, tonumber(f[6]) or 0, tonumber(f[7]) or 0
local next_seq = tonumber(f[8]) or 0
if tokens == nil or refilled == nil then tokens = points; refilled = now end
if points > 0 then tokens = math.min(points, tokens + math.max(0, now - refilled) * rate); refilled = now end
if kind ~= 0 and now >= expires then kind = 0 end
-- A call unanswered for a whole window is over, whoever reserved it (a replica that died included).
local calls = redis.call('HGETALL', KEYS[2])
local in_flight = 0
for i = 1, #calls, 2 do
  local c, at = string.match(calls[i + 1], '^(%S+) (%S+)$')
  c, at = tonumber(c), tonumber(at)
  if at + window < now then redis.call('HDEL', KEYS[2], calls[i]) else in_flight = in_flight + c end
end
if kind == 0 and points > 0 then kind = 1; remaining = points; spent = in_flight; expires = now + window end
local available = math.huge
if kind == 1 then available = remaining - spent elseif kind == 2 then available = remaining - in_flight end
local function save()
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'refilled', tostring(refilled), 'paused_until',
             tostring(paused_until), 'kind', kind, 'remaining', tostring(remaining), 'spent', tostring(spent),
             'expires', tostring(expires), 'next_seq', tostring(next_seq))
  redis.call('PEXPIRE', KEYS[1], 2 * window + 60000)
  redis.call('PEXPIRE', KEYS[2], 2 * window + 60000)
end
local start = math.max(now, paused_until)
if available < cost then start = math.max(start, expires) end
if start > now then
  save()
  if start > latest then return {2, start - now, 0} end
  return {1, start - now, 0}
end
local wait = 0
if points > 0 and tokens < cost then
  wait = math.ceil((cost - tokens) / rate)
  if now + wait > latest then save(); return {2, wait, 0} end
end
if points > 0 then tokens = tokens - cost end
if kind == 1 then spent = spent + cost end
next_seq = next_seq + 1
redis.call('HSET', KEYS[2], tostring(next_seq), tostring(cost) .. ' ' .. tostring(now))
save()
return {0, wait, next_seq}
)lua";

// KEYS as budget_reserve. ARGV: points, per_s, seq, remaining (-1: not said), reset_s (-1: not
// said), rate_limited (0/1), retry_after_s (0: not said). The lowest figure of a window wins.
inline constexpr const char* budget_settle = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = math.max(1, tonumber(ARGV[2])) * 1000
local figure, reset_s = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('HDEL', KEYS[2], ARGV[3])
local f = redis.call('HMGET', KEYS[1], 'paused_until', 'kind', 'remaining', 'expires')
local paused_until, kind = tonumber(f[1]) or 0, tonumber(f[2]) or 0
local remaining, expires = tonumber(f[3]) or 0, tonumber(f[4]) or 0
if tonumber(ARGV[6]) == 1 then
  local retry_after = tonumber(ARGV[7])
  local wait_s = retry_after > 0 and retry_after or (reset_s >= 0 and reset_s or 1)
  paused_until = math.max(paused_until, now + math.max(1, wait_s) * 1000)
  redis.call('HSET', KEYS[1], 'paused_until', tostring(paused_until))
  return 1
end
if figure < 0 then return 1 end
local reset = reset_s > 0 and reset_s * 1000 or window
if kind ~= 2 or now >= expires then
  kind = 2; remaining = figure; expires = now + reset
else
  remaining = math.min(remaining, figure)
  if reset_s > 0 then expires = math.min(expires, now + reset) end
end
redis.call('HSET', KEYS[1], 'kind', kind, 'remaining', tostring(remaining), 'expires', tostring(expires))
return 1
)lua";

// KEYS as budget_reserve. ARGV: points, seq. A reservation that never left a process: its points
// go back, once. Returns 1 when there was something to give back.
inline constexpr const char* budget_refund = R"lua(
local cost = redis.call('HGET', KEYS[2], ARGV[2])
if not cost then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
cost = tonumber(string.match(cost, '^(%S+)'))
local points = tonumber(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'tokens', 'kind', 'spent')
local tokens, kind, spent = tonumber(f[1]), tonumber(f[2]) or 0, tonumber(f[3]) or 0
if tokens and points > 0 then redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(points, tokens + cost))) end
if kind == 1 then redis.call('HSET', KEYS[1], 'spent', tostring(math.max(0, spent - cost))) end
return 1
)lua";

// KEYS[1] the client's bucket. ARGV: requests_per_s, burst. Returns {allowed (0/1), tokens left}.
inline constexpr const char* client_take = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = math.max(tonumber(ARGV[1]), 1e-9) / 1000
local burst = math.max(1, tonumber(ARGV[2]))
local f = redis.call('HMGET', KEYS[1], 'tokens', 'refilled')
local tokens, refilled = tonumber(f[1]), tonumber(f[2])
if tokens == nil or refilled == nil then tokens = burst else tokens = math.min(burst, tokens + math.max(0, now - refilled) * rate) end
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'refilled', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 60000)
return {allowed, tostring(tokens)}
)lua";

}  // namespace cgw::shared_state::scripts
