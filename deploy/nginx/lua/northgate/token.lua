-- The shape every token the edge reads shares: base64url(payload) "." base64url(HMAC-SHA256)
-- (passes, northgate.edge.gate.passes; places, northgate.edge.gate.places). The shape is
-- checked before any decoding or HMAC work, as northgate.core.tokens does; the signature
-- is compared in constant time.
local b64 = require "ngx.base64"
local hmac = require "northgate.hmac"

local re_find = ngx.re.find

-- 43 characters: 32 bytes of HMAC-SHA256 in unpadded base64url.
local SHAPE = [[^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$]]

local _M = {}

-- The signed payload of `token` under `key`, or nil and "malformed" / "bad-signature".
function _M.open(token, key, max_length)
  if type(token) ~= "string" or token == "" or #token > max_length then
    return nil, "malformed"
  end
  if not re_find(token, SHAPE, "jo") then
    return nil, "malformed"
  end
  local dot = token:find(".", 1, true)
  local payload = b64.decode_base64url(token:sub(1, dot - 1))
  local mac = b64.decode_base64url(token:sub(dot + 1))
  if not payload or not mac then
    return nil, "malformed"
  end
  if not hmac.equal(mac, hmac.sha256(key, payload)) then
    return nil, "bad-signature"
  end
  return payload
end

-- `payload` signed with `key`, in the same shape.
function _M.seal(payload, key)
  return b64.encode_base64url(payload) .. "." .. b64.encode_base64url(hmac.sha256(key, payload))
end

-- The fields of a payload split at "|" (empty fields kept).
function _M.fields(payload)
  local fields, start = {}, 1
  while true do
    local bar = payload:find("|", start, true)
    if not bar then
      fields[#fields + 1] = payload:sub(start)
      return fields
    end
    fields[#fields + 1] = payload:sub(start, bar - 1)
    start = bar + 1
  end
end

-- A payload field holding a count or Unix seconds: ASCII digits only, as our own tokens
-- write them (stricter than Python's int(), which never matters for what we sign).
function _M.number(text, max_digits)
  if not text or #text == 0 or #text > max_digits or text:find("[^0-9]") then
    return nil
  end
  return tonumber(text)
end

return _M
