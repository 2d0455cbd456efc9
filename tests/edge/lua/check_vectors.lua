-- Test only: run the edge's Lua over tests/vectors/tokens.json and the route cases a test
-- posts, and answer what they said, as JSON. Served by a test's own server block.
local cjson = require "cjson.safe"
local passes = require "northgate.passes"
local places = require "northgate.places"
local routes = require "northgate.routes"

local function from_hex(hex)
  return (hex:gsub("..", function(pair) return string.char(tonumber(pair, 16)) end))
end

local function read(path)
  local file = assert(io.open(path, "rb"))
  local data = file:read("*a")
  file:close()
  return assert(cjson.decode(data))
end

local answers = {}
if ngx.var.uri == "/vectors" then
  local v = read(ngx.var.northgate_vectors)
  local pass_conf = { key = from_hex(v.keys.pass), event = v.event, cap = v.pass_cap }
  local place_conf = { key = from_hex(v.keys.place), event = v.event,
                       max_age = v.place_max_age }
  for kind, conf in pairs({ pass = pass_conf, place = place_conf }) do
    local verify = kind == "pass" and passes.verify or places.verify
    for _, case in ipairs(v[kind]) do
      local fields, problem = verify(case.token, conf, v.now)
      answers[#answers + 1] = {
        kind = kind, name = case.name, ok = fields ~= nil,
        problem = problem or cjson.null, fields = fields or cjson.null,
      }
    end
  end
  -- A place signed here must be the one Python signs for the same fields.
  local case = v.place[1]
  answers[#answers + 1] = {
    kind = "place-signed", name = case.name,
    token = places.sign(place_conf, case.fields.gen, case.fields.ticket, case.fields.issued_at),
  }
else -- /routes: [[method, path], ...] -> [treatment, ...]
  local map = routes.load(read(ngx.var.northgate_keys).routes)
  ngx.req.read_body()
  for i, case in ipairs(cjson.decode(ngx.req.get_body_data())) do
    answers[i] = (routes.classify(map, case[1], case[2]))
  end
end
ngx.header["Content-Type"] = "application/json"
ngx.print(cjson.encode(answers))
