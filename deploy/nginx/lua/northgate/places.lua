-- A place in the line, handed out and checked here (northgate.edge.gate.places is the
-- Python twin that nodes check it with; tests/vectors/tokens.json keeps them equal).
-- Payload: v1|event|gen|ticket|issued_at, signed with the places' own key.
local token = require "northgate.token"

local MAX_LENGTH = 256
local VERSION = "v1"
-- A place taken "in the future" is refused beyond this much clock skew between hosts.
local SKEW = 60

local _M = {}

function _M.sign(conf, gen, ticket, now)
  local payload = VERSION .. "|" .. conf.event .. "|" .. gen .. "|" .. ticket .. "|" .. now
  return token.seal(payload, conf.key)
end

-- The place in `text` as a table, or nil and why not. `conf`: key, event, max_age.
function _M.verify(text, conf, now)
  local payload, problem = token.open(text, conf.key, MAX_LENGTH)
  if not payload then
    return nil, problem
  end
  if payload:find("[\128-\255]") then
    return nil, "malformed"
  end
  local f = token.fields(payload)
  if #f ~= 5 or f[1] ~= VERSION then
    return nil, "malformed"
  end
  local ticket, issued_at = token.number(f[4], 15), token.number(f[5], 15)
  if not ticket or not issued_at or ticket < 1 or #f[3] < 1 or #f[3] > 32
      or f[3]:find("[^A-Za-z0-9_-]") then
    return nil, "malformed"
  end
  if f[2] ~= conf.event then
    return nil, "wrong-event"
  end
  if issued_at > now + SKEW or now - issued_at > conf.max_age then
    return nil, "expired"
  end
  return { event = f[2], gen = f[3], ticket = ticket, issued_at = issued_at }
end

return _M
