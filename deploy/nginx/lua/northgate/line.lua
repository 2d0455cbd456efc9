-- The line's state at this edge: what the Python gate publishes in Redis, copied into the
-- `northgate_line` shared dict once a second by every worker (one pipelined round trip
-- that also reports the tickets handed out and claims the next block of numbers), so a
-- poll is answered from memory: no Redis and no Python per waiting request.
--
-- Ticket numbers are unique across edges: each worker claims blocks of them from Redis
-- (INCRBY), hands them out from memory, and reports once a second the range it handed out
-- (northgate.edge.gate.edge_state moves the line over those only). Keys: edge_state.py.
local redis = require "northgate.redis"

local now = ngx.now
local log, WARN, ERR = ngx.log, ngx.WARN, ngx.ERR

-- Published state older than this is stale (Redis or every node unreachable): the edge
-- then moves the line by itself, conservatively (see M.state).
local STALE_SECONDS = 3
-- While stale, the line moves at this share of the last measured outflow, divided among
-- the edge workers seen lately: the nodes' own fallback limits stay the authority.
local STALE_SHARE = 0.5
-- Reports kept while Redis is unreachable (one a second per worker): an hour's worth.
local MAX_PENDING = 3600
-- Numbers claimed at once: a few seconds of this worker's arrivals. Numbers never handed
-- out cost nothing (the line skips them); a bigger block only blurs the order between
-- workers that arrived within the same few seconds.
local MIN_BLOCK, MAX_BLOCK = 32, 5000

local M = {}

local conf, keys, dict
local worker_id
-- This worker's numbers: the block being handed out, a spare one, what is not reported.
local next_ticket, last_ticket, spare_first, spare_last, reported = 1, 0, nil, nil, nil
local handed_this_second, handed_last_second = 0, 0
local pending = {}
local revoked, revoked_since = nil, 0
-- Passes ended early, read at most this many a second (a surge of submissions).
local MAX_REVOKED_PER_READ = 10000
local last_error_logged = 0

local STATE_FIELDS = {
  gen = "string", free = "number", below = "number", outflow = "number",
  density = "number", poll = "number", at = "number", edges = "number", waiting = "number",
}

function M.configure(config)
  conf = config
  keys = config.keys_in_redis
  dict = ngx.shared.northgate_line
  revoked = ngx.shared.northgate_revoked
end

-- True when the pass `jti` was ended early (the application was submitted): a copy of it
-- is refused here, not only by the nodes.
function M.revoked(jti)
  return revoked:get(jti) ~= nil
end

-- Report what was handed out of the current block since the last report.
local function close_range()
  if reported and next_ticket > reported then
    if #pending >= MAX_PENDING then
      table.remove(pending, 1)
    end
    pending[#pending + 1] = reported .. ":" .. (next_ticket - 1)
    reported = next_ticket
  end
end

local function block_size()
  return math.min(MAX_BLOCK, math.max(MIN_BLOCK, 4 * math.max(handed_last_second,
                                                              handed_this_second)))
end

-- A block of numbers claimed now, in the request, when a burst used up the spare before
-- the timer could claim the next: one INCRBY per block, never one per visitor. Requests
-- of this worker arriving meanwhile wait for it (briefly) rather than claim their own.
local claiming = false
local function claim_now()
  if claiming then
    for _ = 1, 20 do
      ngx.sleep(0.005)
      if not claiming then
        return
      end
    end
    return
  end
  claiming = true
  local size = block_size()
  local replies = redis.pipeline(conf.redis, { { "INCRBY", keys.tail, size } })
  claiming = false
  if replies and type(replies[1]) == "number" and not spare_first then
    spare_first, spare_last = replies[1] - size + 1, replies[1]
  end
end

-- The next ticket number, or nil when this worker holds none and Redis cannot give it
-- a block (the visitor then waits without a number until the next poll).
function M.take_ticket()
  if next_ticket > last_ticket then
    if not spare_first and conf.redis and conf.redis.host then
      claim_now()
    end
    if next_ticket <= last_ticket then -- another request of this worker switched already
      return M.take_ticket()
    end
    if not spare_first then
      return nil
    end
    close_range()
    next_ticket, last_ticket, reported = spare_first, spare_last, spare_first
    spare_first, spare_last = nil, nil
  end
  local ticket = next_ticket
  next_ticket = next_ticket + 1
  handed_this_second = handed_this_second + 1
  return ticket
end

-- The state as this worker last read it from the dict, and when (see M.state).
local cached, cached_at = nil, -1
-- Read the dict again after this long: the state changes once a second, and nine dict
-- reads and a table per request were a visible share of a waiting-room answer.
local CACHE_SECONDS = 0.1

local function store(fields)
  for i = 1, #fields, 2 do
    local name, value = fields[i], fields[i + 1]
    local kind = STATE_FIELDS[name]
    if kind == "number" then
      dict:set(name, tonumber(value) or 0)
    elseif kind == "string" then
      dict:set(name, value)
    end
  end
end

local function refresh(premature)
  if premature then
    return
  end
  close_range()
  handed_last_second, handed_this_second = handed_this_second, 0
  local commands = {
    { "HGETALL", keys.state },
    { "HSET", keys.seen, worker_id, math.floor(now() * 1000) },
  }
  local block, block_at
  if not spare_first then
    block = block_size()
    commands[#commands + 1] = { "INCRBY", keys.tail, block }
    block_at = #commands
  end
  -- Passes ended since the last read (a little overlap: clocks of nodes differ).
  commands[#commands + 1] = { "ZRANGEBYSCORE", keys.revoked, revoked_since, "+inf",
                              "WITHSCORES", "LIMIT", 0, MAX_REVOKED_PER_READ }
  local revoked_at = #commands
  local reporting = #pending
  if reporting > 0 then
    local push = { "RPUSH", keys.blocks }
    for i = 1, reporting do
      push[#push + 1] = pending[i]
    end
    commands[#commands + 1] = push
  end
  local push_at = #commands
  local replies, err = redis.pipeline(conf.redis, commands)
  if not replies then
    if now() - last_error_logged > 10 then
      last_error_logged = now()
      log(WARN, "northgate: Redis unreachable, the line keeps its last state: ", err)
    end
    return
  end
  if type(replies[1]) == "table" then
    store(replies[1])
    dict:set("fetched", now())
    cached_at = -1 -- read again at the next request
  end
  local ended = replies[revoked_at]
  if type(ended) == "table" then
    for i = 1, #ended, 2 do
      -- Kept for the passes' cap: no pass outlives it. The dict is bounded; should it
      -- ever fill, its oldest entries go, and the nodes still refuse those passes.
      revoked:set(ended[i], true, conf.pass_cap)
      revoked_since = math.max(revoked_since, (tonumber(ended[i + 1]) or 0) - 2000)
    end
  end
  if block then
    local last = replies[block_at]
    -- (A request may have claimed a spare meanwhile: this block is then simply never
    -- handed out, and the line skips its numbers.)
    if type(last) == "number" and not spare_first then
      spare_first, spare_last = last - block + 1, last
      if next_ticket > last_ticket then -- nothing in hand: start on it at once
        close_range()
        next_ticket, last_ticket, reported = spare_first, spare_last, spare_first
        spare_first, spare_last = nil, nil
      end
    end
  end
  if reporting > 0 and replies[push_at] then
    local rest = {}
    for i = reporting + 1, #pending do
      rest[#rest + 1] = pending[i]
    end
    pending = rest
  end
end

function M.start()
  if not conf.redis or not conf.redis.host then
    return
  end
  worker_id = ngx.worker.pid() .. "@" .. (conf.edge_name or "edge")
  local ok, err = ngx.timer.at(0, refresh)
  if ok then
    ok, err = ngx.timer.every(1, refresh)
  end
  if not ok then
    log(ERR, "northgate: cannot start the line's timer: ", err)
  end
end

-- The state to answer from, or nil when this edge has never read it: then every request
-- goes to the nodes, whose gate decides (as without the edge).
function M.state()
  local t = now()
  if t - cached_at < CACHE_SECONDS and t >= cached_at then
    return cached
  end
  cached, cached_at = M.read_state(), t
  return cached
end

function M.read_state()
  local gen = dict:get("gen")
  if not gen then
    return nil
  end
  local s = {
    gen = gen, free = dict:get("free") == 1, below = dict:get("below") or 1,
    outflow = dict:get("outflow") or 0, density = dict:get("density") or 1,
    poll = dict:get("poll") or conf.poll_seconds, waiting = dict:get("waiting") or 0,
  }
  local age = now() - (dict:get("at") or 0) / 1000
  s.stale = age > STALE_SECONDS
  if s.stale then
    local edges = math.max(1, dict:get("edges") or 1)
    s.below = s.below + math.floor((age - STALE_SECONDS) * s.outflow * STALE_SHARE / edges)
  end
  return s
end

return M
