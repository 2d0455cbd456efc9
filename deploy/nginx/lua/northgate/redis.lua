-- The few Redis commands the edge sends, pipelined over a cosocket (RESP2).
--
-- Not lua-resty-redis: Debian packages it as lua-nginx-redis, which depends on nginx-extras
-- (twenty more modules in place of nginx-light's). The edge needs one round trip a second
-- per nginx worker, and this is all of it.
local tcp = ngx.socket.tcp
local concat = table.concat

local _M = {}

local function encode(args)
  local out = { "*", #args, "\r\n" }
  for _, arg in ipairs(args) do
    arg = tostring(arg)
    out[#out + 1] = "$" .. #arg .. "\r\n"
    out[#out + 1] = arg
    out[#out + 1] = "\r\n"
  end
  return concat(out)
end

local function read_reply(sock)
  local line, err = sock:receive("*l")
  if not line then
    return nil, err
  end
  local kind, rest = line:sub(1, 1), line:sub(2)
  if kind == "+" then
    return rest
  elseif kind == "-" then
    return nil, "redis: " .. rest, true
  elseif kind == ":" then
    return tonumber(rest)
  elseif kind == "$" then
    local size = tonumber(rest)
    if size < 0 then
      return ngx.null
    end
    local data, read_err = sock:receive(size + 2)
    if not data then
      return nil, read_err
    end
    return data:sub(1, size)
  elseif kind == "*" then
    local count = tonumber(rest)
    if count < 0 then
      return ngx.null
    end
    local items = {}
    for i = 1, count do
      local item, item_err = read_reply(sock)
      if item == nil then
        return nil, item_err
      end
      items[i] = item
    end
    return items
  end
  return nil, "redis: unexpected reply " .. line
end

-- Send `commands` (lists of arguments) in one round trip; their replies, in order, or nil
-- and an error. A command Redis refused has `false` as its reply.
function _M.pipeline(conf, commands)
  local sock = tcp()
  sock:settimeouts(conf.timeout_ms or 300, conf.timeout_ms or 300, conf.timeout_ms or 300)
  local ok, err
  if conf.socket and conf.socket ~= "" then
    ok, err = sock:connect("unix:" .. conf.socket)
  else
    ok, err = sock:connect(conf.host, conf.port)
  end
  if not ok then
    return nil, err
  end
  local prefix = 0
  local all = {}
  if sock:getreusedtimes() == 0 then
    if conf.password and conf.password ~= "" then
      all[#all + 1] = encode({ "AUTH", conf.password })
      prefix = prefix + 1
    end
    if conf.db and conf.db ~= 0 then
      all[#all + 1] = encode({ "SELECT", conf.db })
      prefix = prefix + 1
    end
  end
  for _, command in ipairs(commands) do
    all[#all + 1] = encode(command)
  end
  local sent, send_err = sock:send(concat(all))
  if not sent then
    sock:close()
    return nil, send_err
  end
  local replies = {}
  for i = 1, prefix + #commands do
    local reply, reply_err, refused = read_reply(sock)
    if reply == nil and not refused then
      sock:close()
      return nil, reply_err
    end
    if i <= prefix and refused then
      sock:close()
      return nil, reply_err
    end
    if i > prefix then
      replies[i - prefix] = reply == nil and false or reply
    end
  end
  sock:setkeepalive(30000, 4)
  return replies
end

return _M
