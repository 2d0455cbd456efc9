-- Analytics of what nginx answers by itself, counted here and handed over once a second
-- (decision 0007, "Costs"): a line per request to `northgate edge-log` cost the collector
-- ~5.9 us of CPU per request and nginx a syslog datagram each; now each request adds one
-- to a counter in the `northgate_counts` shared dict, and once a second one worker sends
-- the counters (a few datagrams, whatever the traffic) and starts them afresh.
--
-- A counter's key holds what the application's tap counts by (northgate.analytics.capture):
-- the second, the status, whether the room kept the visitor in line (X-Northgate-Gate) or
-- a Retry-After went out, the path (the collector derives section and language from it),
-- the user agent (bots) and the client's address BLOCK, never the address: /24 for IPv4,
-- /48 for IPv6. The collector resolves the country of the block and counts a visitor per
-- block and user agent. A counter lives until it is handed over (a second or two), then
-- it is deleted: nothing here keeps even a block longer.
--
-- Exact: every increment is atomic, and handing over takes a counter's value away with
-- another atomic add, so an arrival counted while the timer runs is in the next datagram.
-- Bounded: the dict never evicts (no set, no incr with init: `safe_add`). When it is full,
-- an arrival is counted in an address-free key by status alone ("~", kept for good), so it
-- still counts, without its path, user agent or block.
local M = {}

local var = ngx.var
local now = ngx.time
local log, ERR = ngx.log, ngx.ERR
local find, sub, gsub, match, byte = string.find, string.sub, string.gsub, string.match, string.byte
local DOT = 46
local concat = table.concat

-- The datagram's first line; the collector (northgate.analytics.capture.edge_log) reads it.
local MAGIC = "northgate-counts 1\n"
-- Keep each datagram well under a Unix socket's default send buffer (208 KiB).
local DATAGRAM_BYTES = 60000
-- Counters handed over per second at most (the rest wait a second): get_keys locks the
-- dict while it lists them.
local MAX_KEYS = 50000
-- Long keys are cut (the user agent, last, first): they are only classified, never shown.
local MAX_KEY = 512
local TAB = 9
-- The address-free counter made at start and never deleted: the last resort when full.
local OVERFLOW = "~\t\t0\t\t\t"
-- A counter of an earlier second is deleted once empty; the current and the last second
-- may still be counted into by other workers.
local SETTLE_SECONDS = 2

local dict
local target -- "unix:/run/northgate/edge-log.sock"

-- The address block, written as its first address ("203.0.113.0", "2001:db8:1::").
local function block_of(addr)
  if not addr then
    return ""
  end
  if not find(addr, ":", 1, true) then
    -- IPv4, as nginx writes it: up to the last dot (bytes and plain finds, which LuaJIT
    -- compiles; string.match it does not).
    for i = #addr, 1, -1 do
      if byte(addr, i) == DOT then
        return sub(addr, 1, i) .. "0"
      end
    end
    return ""
  end
  local mapped = match(addr, "^::[fF][fF][fF][fF]:(%d+%.%d+%.%d+%.)%d+$")
  if mapped then
    return mapped .. "0"
  end
  if not match(addr, "^[%x:]+$") then
    return "" -- a Unix socket peer ("unix:"), or not an address at all
  end
  -- IPv6: the first three groups, "::" expanded.
  local head, tail = match(addr, "^(.-)::(.*)$")
  local groups = {}
  for g in (head or addr):gmatch("[^:]+") do
    groups[#groups + 1] = g
  end
  if head and #groups < 3 then
    local right = {}
    for g in tail:gmatch("[^:]+") do
      right[#right + 1] = g
    end
    local zeros = 8 - #groups - #right
    for _ = 1, zeros do
      groups[#groups + 1] = "0"
    end
    for _, g in ipairs(right) do
      groups[#groups + 1] = g
    end
  end
  return (groups[1] or "0") .. ":" .. (groups[2] or "0") .. ":" .. (groups[3] or "0") .. "::"
end
M.block_of = block_of

local function overflow(status)
  local key = "~\t\t" .. status .. "\t\t\t"
  if dict:incr(key, 1) then
    return
  end
  local ok, err = dict:safe_add(key, 1)
  if not ok and err == "exists" then
    dict:incr(key, 1)
  elseif not ok then
    -- Not even a key by status fits: the one made at start (never deleted) takes it.
    if not dict:incr(OVERFLOW, 1) then
      log(ERR, "northgate: edge counts: the counters' dict is full, an arrival is lost")
    end
  end
end

-- log_by_lua: one arrival, if nginx answered it alone. nginx builds the counter's key in
-- one variable, $northgate_count (deploy/nginx/northgate.conf): "BLOCK\tSTATUS\tGATE:RETRY-
-- AFTER\tPATH\tUSER-AGENT" with an IPv4 block, or with the block empty for IPv6 (made
-- here); empty for a request an application process answered (its tap counted it). One
-- variable read instead of seven: each costs a call LuaJIT does not compile.
function M.log()
  if not dict then
    return
  end
  local counted = var.northgate_count
  if not counted or counted == "" then
    return
  end
  if byte(counted, 1) == TAB then
    counted = block_of(var.remote_addr) .. counted
  end
  if #counted > MAX_KEY then
    counted = sub(counted, 1, MAX_KEY)
  end
  local key = now() .. "\t" .. counted
  if dict:incr(key, 1) then
    return
  end
  local ok, err = dict:safe_add(key, 1)
  if ok then
    return
  end
  if err == "exists" and dict:incr(key, 1) then -- another worker added it meanwhile
    return
  end
  overflow(ngx.status)
end

-- Counters that could not be handed over (the collector is down or its socket full): by
-- path only, in the error log at `error` (the stock level), where `northgate edge-log-dropped` counts them.
-- Delivery is at most once, as the syslog lines were: counters are not kept past their
-- second, and no address or block is written.
local function note_dropped(chunk, err)
  local by_path, order = {}, {}
  for value, path in chunk:gmatch("(%d+)\t[^\t\n]*\t[^\t\n]*\t[^\t\n]*\t[^\t\n]*\t([^\t\n]*)[^\n]*") do
    path = path == "" and "-" or gsub(path, " ", "%%20")
    if not by_path[path] then
      order[#order + 1] = path
      by_path[path] = 0
    end
    by_path[path] = by_path[path] + tonumber(value)
  end
  local items, size = {}, 0
  for i = 1, #order do
    local item = by_path[order[i]] .. " " .. order[i]
    items[#items + 1] = item
    size = size + #item + 1
    if size > 1500 or i == #order then -- nginx cuts error lines at 2 KiB
      log(ERR, "northgate: edge counts not handed over: ", concat(items, " "), " ; (", err, ")")
      items, size = {}, 0
    end
  end
end

local function send(chunks)
  local sock = ngx.socket.udp()
  local ok, err = sock:setpeername(target)
  for i = 1, #chunks do
    if ok then
      ok, err = sock:send(chunks[i])
    end
    if not ok then
      note_dropped(chunks[i], err)
    end
  end
  sock:close()
end

-- Take every counter's value (atomically: what is counted meanwhile stays for the next
-- round), send them, and delete the counters of past seconds.
local function hand_over(premature)
  local keys = dict:get_keys(MAX_KEYS)
  if #keys == 0 then
    return
  end
  local settled = now() - SETTLE_SECONDS
  local chunks, lines, size = {}, { MAGIC }, #MAGIC
  for i = 1, #keys do
    local key = keys[i]
    local value = dict:get(key)
    if value and value > 0 then
      local left = dict:incr(key, -value)
      if left and left < 0 then -- taken twice (an exiting worker's last round): give back
        dict:incr(key, -left)
        value, left = value + left, 0
      end
      if value > 0 then
        local line = value .. "\t" .. key .. "\n"
        if size + #line > DATAGRAM_BYTES and #lines > 1 then
          chunks[#chunks + 1] = concat(lines)
          lines, size = { MAGIC }, #MAGIC
        end
        lines[#lines + 1] = line
        size = size + #line
      end
      value = left
    end
    if value == 0 and sub(key, 1, 1) ~= "~" then
      local second = tonumber(sub(key, 1, (find(key, "\t", 1, true) or 1) - 1))
      if second and second <= settled then
        dict:delete(key)
      end
    end
  end
  if #lines > 1 then
    chunks[#chunks + 1] = concat(lines)
  end
  if #chunks > 0 then
    send(chunks)
  end
end

function M.configure()
  dict = ngx.shared.northgate_counts
end

-- init_worker: the first worker hands the counters over once a second (and once more when
-- it exits: reload or graceful stop).
function M.start(socket_path)
  target = "unix:" .. socket_path
  if not dict then
    log(ERR, "northgate: edge counts: no `lua_shared_dict northgate_counts`: nothing is counted")
    return
  end
  dict:safe_add(OVERFLOW, 0)
  if ngx.worker.id() ~= 0 then
    return
  end
  local ok, err = ngx.timer.every(1, hand_over)
  if not ok then
    log(ERR, "northgate: edge counts: cannot start the timer: ", err)
  end
end

return M
