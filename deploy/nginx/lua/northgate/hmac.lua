-- HMAC-SHA256 and constant-time comparison, through OpenSSL's libcrypto.
--
-- nginx links libcrypto for TLS, so its symbols are already in the process: LuaJIT's FFI
-- calls them with no extra package and no crypto written in Lua. Keys are the raw 32-byte
-- keys `northgate edge-keys` derives (northgate.core.signing), never the site's secret.
local ffi = require "ffi"
local C = ffi.C

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
int CRYPTO_memcmp(const void *a, const void *b, size_t len);
]]

local out = ffi.new("unsigned char[32]")
local out_len = ffi.new("unsigned int[1]")

local _M = {}

-- The 32-byte HMAC-SHA256 of `message` under `key`.
function _M.sha256(key, message)
  if C.HMAC(C.EVP_sha256(), key, #key, message, #message, out, out_len) == nil then
    error("HMAC-SHA256 failed")
  end
  return ffi.string(out, 32)
end

-- Equality of two byte strings in time independent of where they differ.
function _M.equal(a, b)
  if #a ~= #b then
    return false
  end
  return C.CRYPTO_memcmp(a, b, #a) == 0
end

return _M
