-- The admission pass, checked at the edge exactly as northgate.edge.gate.passes.verify
-- checks it (the same answers on tests/vectors/tokens.json): shape, HMAC-SHA256 with the
-- passes' key in constant time, then version, event and expiry. Revocation (a pass ended
-- after submission) is the nodes' to check: they are told within a second.
local token = require "northgate.token"

local MAX_LENGTH = 512
local VERSION = "v1"
local UNHELD = "unheld"

local _M = {}

-- The pass in `text` as a table, or nil and why not ("malformed", "bad-signature",
-- "wrong-event", "expired"). `conf` holds key, event and cap (seconds).
function _M.verify(text, conf, now)
  local payload, problem = token.open(text, conf.key, MAX_LENGTH)
  if not payload then
    return nil, problem
  end
  if payload:find("[\128-\255]") then
    return nil, "malformed"
  end
  local f = token.fields(payload)
  local held = #f == 6
  if not held and not (#f == 7 and f[7] == UNHELD) then
    return nil, "malformed"
  end
  local issued_at, expires_at = token.number(f[4], 19), token.number(f[5], 19)
  if not issued_at or not expires_at then
    return nil, "malformed"
  end
  if f[1] ~= VERSION or f[6] == "" or f[3] == "" then
    return nil, "malformed"
  end
  if f[2] ~= conf.event then
    return nil, "wrong-event"
  end
  if now >= expires_at or expires_at > issued_at + conf.cap then
    return nil, "expired"
  end
  return {
    event = f[2], visitor = f[3], issued_at = issued_at, expires_at = expires_at,
    jti = f[6], held = held,
  }
end

return _M
