-- Which requests the edge keeps in line: the route map `northgate edge-keys` generates
-- from the one route table (northgate.core.routes), looked up in the same order as
-- northgate.core.routing.RouteTable.find: the exact path, a templated path, the longest
-- `tree` prefix, the innermost `below` area. No path is spelled here.
local _M = {}

_M.BYPASS, _M.OPEN, _M.NEEDS_PASS = 0, 1, 2

local READS = { GET = true, HEAD = true }
local WRITES = { POST = true, PUT = true, PATCH = true }

local function find(map, path)
  local found = map.exact[path]
  if found then
    return found
  end
  for _, entry in ipairs(map.templated) do
    if path:find(entry[1]) then
      return entry[2]
    end
  end
  -- Proper prefixes ending before a "/", longest first (as routing._prefixes).
  local prefixes = {}
  for i = #path, 2, -1 do
    if path:byte(i) == 47 then
      prefixes[#prefixes + 1] = path:sub(1, i - 1)
    end
  end
  for _, prefix in ipairs(prefixes) do
    found = map.trees[prefix]
    if found then
      return found
    end
  end
  for _, prefix in ipairs(prefixes) do
    found = map.areas[prefix]
    if found then
      return found
    end
  end
  return nil
end

-- Prepare the map read from the keys file (methods as a set).
function _M.load(map)
  local methods = {}
  for _, m in ipairs(map.methods) do
    methods[m] = true
  end
  map.method_set = methods
  return map
end

-- BYPASS, OPEN (gated, no pass needed) or NEEDS_PASS for one request, and the route's name.
function _M.classify(map, method, path)
  if not map.method_set[method] then
    return _M.BYPASS
  end
  local route = find(map, path)
  if not route then
    return _M.BYPASS
  end
  if READS[method] then
    return route.read, route.name
  elseif WRITES[method] then
    return route.write, route.name
  end
  return route.other, route.name
end

return _M
