"""The Redis side of the gate: every state change is one of these atomic Lua scripts.

Keys of one event share a hash tag (``ng:gate:{EVENT}:...``), so they live on one shard.

- ``q``      hash: gen, head, tail, live, tokens, stamp, pre, opened, admitted, cursor
- ``seen``   string of big-endian u32, one per ticket: Unix second of the last poll
- ``alive``  bitmap, one bit per ticket: still in line
- ``active`` sorted set: jti -> pass expiry (ms); places held by passes
- ``requests`` sorted set: jti -> bound (ms); places held by unheld passes' requests, until
  they end (RELEASE) or the pass comes back (CLAIM)
- ``revoked``sorted set: jti -> revocation time (ms), kept for the pass cap
- ``shares`` hash: node -> "share:ms", the adaptive share each node asks for; its fresh
             entries are also the count of live gate instances (the fallback share)
- ``cfg``    hash: limits changed at run time

A waiter costs 4 bytes of ``seen`` and one bit of ``alive``: the place itself is in the
visitor's signed cookie. Positions are counted with ``BITCOUNT ... BIT`` (Redis >= 7.0),
exactly over the first 262,144 tickets past the head and by proportion beyond.
"""

from __future__ import annotations

POLL = r"""
local q, seen, alive, active, requests = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = tonumber(ARGV[1])
local now_s = math.floor(now / 1000)
local ticket = tonumber(ARGV[2])
local cgen = ARGV[3]
local pre = ARGV[4] == '1'
local abandon = tonumber(ARGV[5])
local max_active = tonumber(ARGV[6])
local rate = tonumber(ARGV[7])
local cap = tonumber(ARGV[8])
local allow = ARGV[9] == '1'
local jti = ARGV[10]
local pexp = tonumber(ARGV[11])
local opens_at = tonumber(ARGV[12])
local sweep = tonumber(ARGV[13])
local held = ARGV[15] == '1'
local WINDOW = 262144

local s = redis.call('HMGET', q, 'gen', 'head', 'tail', 'live', 'tokens', 'stamp', 'pre',
                     'opened', 'admitted')
local gen = s[1]
if not gen then
  gen = ARGV[14]
  s = {gen, '1', '0', '0', tostring(cap), tostring(now), '0', '0', '0'}
end
local head, tail, live = tonumber(s[2]), tonumber(s[3]), tonumber(s[4])
local tokens, stamp = tonumber(s[5]), tonumber(s[6])
local prequeued, opened, admitted = tonumber(s[7]), tonumber(s[8]), tonumber(s[9])
if now > stamp then
  tokens = tokens + (now - stamp) / 1000 * rate
  stamp = now
end
if tokens > cap then tokens = cap end

local function save()
  redis.call('HSET', q, 'gen', gen, 'head', head, 'tail', tail, 'live', live,
             'tokens', tostring(tokens), 'stamp', tostring(stamp), 'pre', prequeued,
             'opened', opened, 'admitted', admitted)
end

if opened == 0 and opens_at > 0 and now < opens_at then
  if not (pre and cgen == gen and ticket >= 1 and ticket <= prequeued) then
    prequeued = prequeued + 1
    ticket = prequeued
  end
  save()
  return {3, gen, ticket, ticket - 1, prequeued, prequeued, 0}
end
if opened == 0 then
  opened = now_s
  if prequeued > tail then
    local t, last = tail + 1, prequeued
    while t <= last and t % 8 ~= 0 do redis.call('SETBIT', alive, t, 1); t = t + 1 end
    local full = math.floor((last - t + 1) / 8)
    if full > 0 then
      redis.call('SETRANGE', alive, t / 8, string.rep('\255', full))
      t = t + full * 8
    end
    while t <= last do redis.call('SETBIT', alive, t, 1); t = t + 1 end
    live = live + (prequeued - tail)
    tail = prequeued
  end
end
if pre then
  if cgen == gen and ticket >= 1 and ticket <= prequeued then
    save()
    return {4, gen, ticket, 0, live, prequeued, 0}
  end
  ticket = 0
end

local function last_seen(t)
  local v = redis.call('BITFIELD', seen, 'GET', 'u32', '#' .. t)[1]
  if t <= prequeued and opened > v then v = opened end
  return v
end

local n = 0
while head <= tail and n < sweep do
  local nxt = redis.call('BITPOS', alive, 1, head, tail, 'BIT')
  if nxt < 0 then head = tail + 1; break end
  head = nxt
  if now_s - last_seen(head) > abandon then
    redis.call('SETBIT', alive, head, 0)
    live = live - 1
    head = head + 1
    n = n + 1
  else
    break
  end
end

redis.call('ZREMRANGEBYSCORE', active, '-inf', now)
redis.call('ZREMRANGEBYSCORE', requests, '-inf', now)
local budget = math.min(math.floor(tokens),
                        max_active - redis.call('ZCARD', active) - redis.call('ZCARD', requests))

local function count(first, last)
  if last < first then return 0 end
  local span = last - first + 1
  if span <= WINDOW then return redis.call('BITCOUNT', alive, first, last, 'BIT') end
  local exact = redis.call('BITCOUNT', alive, first, first + WINDOW - 1, 'BIT')
  local ratio = live / math.max(1, tail - head + 1)
  return exact + math.floor((span - WINDOW) * ratio)
end

local function admit(t)
  tokens = tokens - 1
  admitted = admitted + 1
  redis.call('ZADD', held and active or requests, pexp, jti)
  if t > 0 then
    redis.call('SETBIT', alive, t, 0)
    live = live - 1
    if t == head then head = head + 1 end
  end
end

local placed = false
if ticket > 0 and cgen == gen and ticket >= head and ticket <= tail
   and redis.call('GETBIT', alive, ticket) == 1 then
  if now_s - last_seen(ticket) <= abandon then
    placed = true
  else
    redis.call('SETBIT', alive, ticket, 0)
    live = live - 1
  end
end

local position
if placed then
  redis.call('BITFIELD', seen, 'SET', 'u32', '#' .. ticket, now_s)
  position = count(head, ticket - 1)
elseif live == 0 and budget >= 1 and allow then
  admit(0)
  save()
  return {1, gen, 0, 0, 0, prequeued, 0}
else
  tail = tail + 1
  ticket = tail
  redis.call('SETBIT', alive, ticket, 1)
  redis.call('BITFIELD', seen, 'SET', 'u32', '#' .. ticket, now_s)
  live = live + 1
  position = live - 1
end
local code, eligible = 2, 0
if position < budget then
  if allow then
    admit(ticket)
    code = 1
  else
    eligible = 1
  end
end
save()
return {code, gen, ticket, position, live, prequeued, eligible}
"""

TICK = r"""
local q, seen, alive, active, revoked, shares, cfg, requests =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local now = tonumber(ARGV[1])
local now_s = math.floor(now / 1000)
local node, share = ARGV[2], tonumber(ARGV[3])
local since = tonumber(ARGV[4])
local budget = tonumber(ARGV[5])
local abandon = tonumber(ARGV[6])
local keep = tonumber(ARGV[7])

local s = redis.call('HMGET', q, 'gen', 'head', 'tail', 'live', 'cursor', 'pre', 'opened',
                     'admitted')
local gen = s[1] or ''
local head, tail, live = tonumber(s[2] or 1), tonumber(s[3] or 0), tonumber(s[4] or 0)
local cursor = tonumber(s[5] or 1)
local prequeued, opened = tonumber(s[6] or 0), tonumber(s[7] or 0)
local admitted = tonumber(s[8] or 0)

if gen ~= '' and tail >= head then
  if cursor < head or cursor > tail then cursor = head end
  local last = math.min(tail, cursor + budget - 1)
  local data = redis.call('GETRANGE', seen, cursor * 4, last * 4 + 3)
  for t = cursor, last do
    local i = (t - cursor) * 4 + 1
    local v = 0
    if i + 3 <= #data then v = struct.unpack('>I4', data, i) end
    if t <= prequeued and opened > v then v = opened end
    if now_s - v > abandon and redis.call('GETBIT', alive, t) == 1 then
      redis.call('SETBIT', alive, t, 0)
      live = live - 1
    end
  end
  cursor = last + 1
  redis.call('HSET', q, 'cursor', cursor, 'live', live)
end

redis.call('HSET', shares, node, share .. ':' .. now)
local min_share = share
local nodes = 0
local all = redis.call('HGETALL', shares)
for i = 1, #all, 2 do
  local value, at = string.match(all[i + 1], '^([^:]+):(.+)$')
  if value == nil or now - tonumber(at) > 5000 then
    redis.call('HDEL', shares, all[i])
  else
    nodes = nodes + 1
    if tonumber(value) < min_share then
      min_share = tonumber(value)
    end
  end
end

redis.call('ZREMRANGEBYSCORE', revoked, '-inf', now - keep)
local gone = redis.call('ZRANGEBYSCORE', revoked, since, '+inf', 'WITHSCORES')
redis.call('ZREMRANGEBYSCORE', active, '-inf', now)
local nactive = redis.call('ZCARD', active)
redis.call('ZREMRANGEBYSCORE', requests, '-inf', now)
local nrequests = redis.call('ZCARD', requests)
local overrides = redis.call('HGETALL', cfg)
return {live, nactive, admitted, head, tail, tostring(min_share), gone, overrides, gen,
        prequeued, opened, nrequests, nodes}
"""

REVOKE = r"""
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# KEYS: active, revoked, requests; ARGV: jti, expiry (ms). Nothing is held for a revoked jti.
CLAIM = r"""
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
return 1
"""

RENEW = r"""
for i = 1, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 'XX', 'GT', ARGV[i + 1], ARGV[i])
end
return 1
"""
