-- The waiting room at the edge (decision 0005). nginx's configuration calls:
--
--   init_by_lua_block        edge.init(KEYS_FILE, STATIC_DIR)   master, as root: reads the
--                            file `northgate edge-keys` wrote (workers never open it)
--   init_worker_by_lua_block edge.init_worker(COUNTS_SOCKET)     the line's 1 s timer, and
--                            the counters' (northgate/counts.lua) to `northgate edge-log`
--   access_by_lua_block      edge.access()                       every proxied request
--   content_by_lua_block     edge.unavailable()                  no node answered (502, 504)
--   log_by_lua_block         edge.log()                          every request: counted if
--                                                                nginx answered it alone
--
-- Per request, for the routes the route table gates (northgate/routes.lua):
--   * a pass is checked here (HMAC, event, expiry); a bad one never reaches a node: it is
--     stripped, and only a pass that verified is forwarded (in a header nginx sets);
--   * while the gate admits freely, the request goes on to a node, whose gate decides;
--   * otherwise a visitor without a place gets one, signed, with the waiting room; one
--     whose turn has not come gets the waiting room again, from memory; one whose turn
--     has come goes on to a node, which checks the place and issues the pass.
local cjson = require "cjson.safe"
local routes = require "northgate.routes"
local passes = require "northgate.passes"
local places = require "northgate.places"
local line = require "northgate.line"
local room = require "northgate.room"
local counts = require "northgate.counts"

local M = {}

local conf
local pass_conf, place_conf
local PASS_COOKIE, PLACE_COOKIE = "ng_pass", "ng_place"

local function from_hex(hex)
  return (hex:gsub("..", function(pair) return string.char(tonumber(pair, 16)) end))
end

function M.init(keys_file, static_dir)
  local file, err = io.open(keys_file, "rb")
  if not file then
    error("northgate: cannot read the edge keys (run `northgate edge-keys`): " .. err)
  end
  local config = cjson.decode(file:read("*a"))
  file:close()
  if type(config) ~= "table" or config.version ~= 1 then
    error("northgate: " .. keys_file .. " is not an edge keys file of version 1")
  end
  conf = config
  conf.routes = routes.load(conf.routes)
  pass_conf = { key = from_hex(conf.keys.pass), event = conf.event, cap = conf.pass_cap }
  place_conf = { key = from_hex(conf.keys.place), event = conf.event,
                 max_age = conf.place_max_age }
  conf.keys = nil -- kept only in the two tables above
  line.configure(conf)
  room.configure(conf, static_dir)
  counts.configure()
end

function M.init_worker(counts_socket)
  math.randomseed(ngx.now() * 1000 + ngx.worker.pid())
  line.start()
  if counts_socket then
    counts.start(counts_socket)
  end
end

M.log = counts.log

-- The cookies of the request (nginx joins several Cookie headers with "; "), split as the
-- gate does (northgate.edge.gate.middleware._our_cookies): the last of a name wins.
-- Returns ours, and the others as they were (nil when the header holds none of ours).
-- Plain finds and bytes only: LuaJIT compiles them (string.match, gmatch and gsub it does
-- not, and a request would run in the interpreter).
local byte, sub, find = string.byte, string.sub, string.find
local SPACE = { [32] = true, [9] = true }
local QUOTE = 34

local function trim(text, first, last)
  while first <= last and SPACE[byte(text, first)] do
    first = first + 1
  end
  while last >= first and SPACE[byte(text, last)] do
    last = last - 1
  end
  return first, last
end

local NO_COOKIES = setmetatable({}, { __newindex = function() error("read only") end })

local function cookies()
  local raw = ngx.var.http_cookie
  if not raw or (not find(raw, PASS_COOKIE, 1, true) and not find(raw, PLACE_COOKIE, 1, true)) then
    return NO_COOKIES, nil
  end
  local found, others = {}, {}
  local start, length = 1, #raw
  while start <= length do
    local stop = (find(raw, ";", start, true) or length + 1) - 1
    local first, last = trim(raw, start, stop)
    if first <= last then
      local eq = find(raw, "=", first, true)
      if eq and eq <= last then
        local n1, n2 = trim(raw, first, eq - 1)
        local name = sub(raw, n1, n2)
        if name == PASS_COOKIE or name == PLACE_COOKIE then
          local v1, v2 = trim(raw, eq + 1, last)
          if byte(raw, v1) == QUOTE then
            v1 = v1 + 1
          end
          if v2 >= v1 and byte(raw, v2) == QUOTE then
            v2 = v2 - 1
          end
          found[name] = v2 >= v1 and sub(raw, v1, v2) or nil
        else
          others[#others + 1] = sub(raw, first, last)
        end
      end
    end
    start = stop + 2
  end
  return found, others
end

-- What goes on to the node: only the tokens that verified here, in headers nginx sets,
-- and the other cookies untouched. A client cannot slip a second, unchecked copy past.
local function forward(others, pass_token, place_token)
  if others then -- the Cookie header held ours: forward the rest only
    ngx.req.set_header("Cookie", #others > 0 and table.concat(others, "; ") or nil)
  end
  local var = ngx.var
  if pass_token or var.http_x_northgate_pass then
    ngx.req.set_header("X-Northgate-Pass", pass_token)
  end
  if place_token or var.http_x_northgate_place then
    ngx.req.set_header("X-Northgate-Place", place_token)
  end
end

local function place_cookie(value)
  return PLACE_COOKIE .. "=" .. value .. "; Path=/; Max-Age=" .. conf.place_max_age
    .. "; HttpOnly; SameSite=Lax" .. (conf.secure_cookies and "; Secure" or "")
end

local function ahead_of(place, state)
  return math.max(0, math.floor((place.ticket - state.below) * state.density))
end

-- A new place for this visitor and the waiting room, or the room without a place while
-- this worker holds no ticket numbers (Redis not reached since it started).
local function new_place(path, state, now)
  local ticket = line.take_ticket()
  if not ticket then
    return room.send(path, { ahead = math.max(0, state.waiting) }, state, nil, nil)
  end
  local token = places.sign(place_conf, state.gen, ticket, now)
  local place = { ticket = ticket }
  return room.send(path, { ahead = ahead_of(place, state) }, state, place_cookie(token), token)
end

function M.access()
  local path, method = ngx.var.uri, ngx.req.get_method()
  local kind = routes.classify(conf.routes, method, path)
  if kind == routes.BYPASS then
    return
  end
  ngx.var.northgate_gated = kind == routes.NEEDS_PASS and "1" or ""
  local now = ngx.time()
  local found, others = cookies()
  local presented = ngx.var.http_x_northgate_pass or found[PASS_COOKIE]
  local pass_token
  if presented then
    local checked = passes.verify(presented, pass_conf, now)
    if checked and not line.revoked(checked.jti) then
      pass_token = presented
    end
  end
  local place_text = ngx.var.http_x_northgate_place or found[PLACE_COOKIE]
  local place = place_text and places.verify(place_text, place_conf, now) or nil
  local place_token = place and place_text or nil
  if kind == routes.OPEN or pass_token then
    return forward(others, pass_token, place_token)
  end
  local state = line.state()
  if not state or state.free then
    return forward(others, nil, place_token)
  end
  if place and place.gen == state.gen then
    if place.ticket < state.below then
      return forward(others, nil, place_token)
    end
    return room.send(path, { ahead = ahead_of(place, state) }, state, nil, place_token)
  end
  return new_place(path, state, now)
end

-- No node answered a gated request (error_page 502 504): the waiting room again, with
-- the visitor's place kept (or a new one), never a 502 or 504. Other requests get the
-- exported "busy" page, as the server's own error_page would have sent.
function M.unavailable()
  local path = ngx.var.uri
  local state = line.state()
  if ngx.var.northgate_gated ~= "1" or not state then
    -- Not kept in line, or no line known here (no Redis configured or ever reached):
    -- the exported "busy" page, as nginx answers without the edge.
    return room.busy(path)
  end
  local now = ngx.time()
  local found = cookies()
  local place_text = ngx.var.http_x_northgate_place or found[PLACE_COOKIE]
  local place = place_text and places.verify(place_text, place_conf, now) or nil
  if place and place.gen == state.gen then
    return room.send(path, { ahead = ahead_of(place, state) }, state, nil, place_text)
  end
  return new_place(path, state, now)
end

return M
