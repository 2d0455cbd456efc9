-- The waiting room as the edge answers it: the page `northgate export-static` pre-rendered
-- (static/_edge/waiting.LANG.html, the same template and text as the Python room,
-- northgate.edge.gate.room) with its @@SLOT@@ markers filled in, a Refresh header and no
-- JavaScript; or, for API clients, the same fields as JSON with 503 and Retry-After.
local cjson = require "cjson.safe"

local floor, ceil, max, min = math.floor, math.ceil, math.max, math.min

local M = {}

local conf
-- lang -> { texts = {literal, ...}, slots = {slot name, ...} }: texts[i], then slots[i],
-- then texts[i + 1]... Two arrays of one type each, so that LuaJIT compiles the loop.
local pages = {}
local static_dir
local loaded_at = 0
-- Re-read the exported pages this often: a release exports new ones without a reload.
local RELOAD_SECONDS = 30
-- The wait shown assumes the line moves at this share of its measured speed, as the
-- Python estimate does (northgate.edge.gate.estimate.PESSIMISM).
local PESSIMISM = 0.8

local function split(html)
  local texts, slots, rest = {}, {}, html
  while true do
    local s, e, name = rest:find("@@([A-Z]+)@@")
    if not s then
      texts[#texts + 1] = rest
      return { texts = texts, slots = slots }
    end
    texts[#texts + 1] = rest:sub(1, s - 1)
    slots[#slots + 1] = name
    rest = rest:sub(e + 1)
  end
end
local EMPTY_PAGE = { texts = { "" }, slots = {} }

local function load_pages()
  for _, lang in ipairs(conf.room.all_languages) do
    local file = io.open(static_dir .. "/_edge/waiting." .. lang .. ".html", "rb")
    if file then
      pages[lang] = split(file:read("*a"))
      file:close()
    elseif not pages[lang] then
      ngx.log(ngx.ERR, "northgate: no waiting room page for ", lang,
        ": run `northgate export-static` into ", static_dir)
    end
  end
  loaded_at = ngx.now()
end

function M.configure(config, directory)
  conf = config
  static_dir = directory
  load_pages()
end

local ENTITIES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }
local function escape(text)
  if not text:find('[&<>"]') then
    return text
  end
  return (text:gsub('[&<>"]', ENTITIES))
end

-- As northgate.edge.gate.room.format_number: thousands separated, by U+202F in French.
local function number(value, lang)
  local text = tostring(value)
  local sep = lang == "fr" and "\226\128\175" or ","
  local first = (#text - 1) % 3 + 1
  local out = { text:sub(1, first) }
  for i = first + 1, #text, 3 do
    out[#out + 1] = text:sub(i, i + 2)
  end
  return table.concat(out, sep)
end

-- As northgate.edge.gate.room.format_wait.
local function format_wait_text(seconds, lang)
  local t = conf.room.texts[lang]
  if not seconds then
    return t.unknown
  end
  if seconds < 60 then
    return t.soon
  end
  local minutes = ceil(seconds / 60)
  if minutes > 10 then
    minutes = ceil(minutes / 5) * 5
  end
  if minutes < 90 then
    return (t.minutes:gsub("%%%(minutes%)s", tostring(minutes)))
  end
  local hours = floor(minutes / 60)
  return (t.hours:gsub("%%%(hours%)s", tostring(hours))
    :gsub("%%%(minutes%)s", string.format("%02d", minutes % 60)))
end

-- The texts by language and rounded minutes, made once each (gsub is not compiled by
-- LuaJIT): a few hundred strings at most, since long waits round to 5 minutes.
local wait_texts = {}
local function format_wait(seconds, lang)
  if not seconds then
    return conf.room.texts[lang].unknown
  end
  local minutes = seconds < 60 and 0 or ceil(seconds / 60)
  if minutes > 10 then
    minutes = ceil(minutes / 5) * 5
  end
  local texts = wait_texts[lang]
  if not texts then
    texts = {}
    wait_texts[lang] = texts
  end
  local text = texts[minutes]
  if not text then
    text = format_wait_text(minutes == 0 and 0 or minutes * 60, lang)
    if minutes <= 100000 then
      texts[minutes] = text
    end
  end
  return text
end

-- As northgate.edge.gate.estimate.poll_interval: about `base`, jittered by a quarter,
-- sooner when admission is near.
local function poll_interval(base, wait)
  local interval = base
  if wait then
    interval = min(interval, max(2, wait / 2))
  end
  return max(1, floor(interval * (0.75 + 0.5 * math.random()) + 0.5))
end

local function iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%S+00:00", t)
end

-- As northgate.core.lang.language_of_path (the prefixes come from the keys file).
local prefixes -- { {lang, prefix, prefix .. "/"}, ... }: an array, walked by a compiled loop
local function language(path)
  if not prefixes then
    prefixes = {}
    for lang, prefix in pairs(conf.room.languages) do
      prefixes[#prefixes + 1] = { lang, prefix, prefix .. "/" }
    end
  end
  for i = 1, #prefixes do
    local p = prefixes[i]
    if path == p[2] or string.sub(path, 1, #p[3]) == p[3] then
      return p[1]
    end
  end
  return conf.room.default_language
end

local function wants_json(path)
  if path:sub(1, #conf.room.api_prefix) == conf.room.api_prefix then
    return true
  end
  local accept = ngx.var.http_accept or ""
  return accept:find("application/json", 1, true) ~= nil
    and accept:find("text/html", 1, true) == nil
end

local function other_page(path, lang)
  local found = conf.room.counterparts[path]
  if found then
    return found
  end
  return conf.room.texts[lang].home_other
end

-- Answer the waiting room and end the request. `place`: ticket, ahead (people in front),
-- waiting (the line's length); `cookie`: Set-Cookie value or nil.
function M.send(path, place, line, cookie, token)
  if ngx.now() - loaded_at > RELOAD_SECONDS then
    load_pages()
  end
  local now = ngx.time()
  local wait
  if line and line.outflow > 0 then
    wait = (place.ahead + 1) / (line.outflow * PESSIMISM)
  end
  local base = (line and line.poll) or conf.poll_seconds
  local retry = poll_interval(base, wait)
  local h = ngx.header
  h["Cache-Control"] = "no-store"
  h["X-Robots-Tag"] = "noindex"
  h["X-Northgate-Gate"] = "queued"
  if cookie then
    h["Set-Cookie"] = cookie
  end
  if wants_json(path) then
    ngx.status = 503
    h["Content-Type"] = "application/json"
    h["Retry-After"] = tostring(retry)
    local body = cjson.encode({
      status = "waiting",
      place = place.ahead + 1,
      ahead = place.ahead,
      waiting = max(place.ahead + 1, line and line.waiting or 0),
      estimated_wait_seconds = wait and ceil(wait) or cjson.null,
      estimated_admission_at = cjson.null,
      retry_after = retry,
      next_check_at = iso(now + retry),
      opens_at = cjson.null,
      visitor = cjson.null,
      place_token = token or cjson.null,
    })
    h["Content-Length"] = #body
    ngx.print(body)
    return ngx.exit(ngx.HTTP_OK)
  end
  local method = ngx.req.get_method()
  if method ~= "GET" and method ~= "HEAD" then
    -- A form posted while its sender must wait: a page to wait on, as the Python room.
    ngx.status = 303
    h["Location"] = conf.room.wait_on[path] or path
    h["Content-Type"] = "text/plain; charset=utf-8"
    h["Content-Length"] = 0
    return ngx.exit(ngx.HTTP_OK)
  end
  local lang = language(path)
  local url = ngx.var.request_uri
  if url:find("[^\33-\126]") then
    url = url:gsub("[^\33-\126]", "")
  end
  local values = {
    PLACE = number(place.ahead + 1, lang),
    WAIT = format_wait(wait, lang),
    REFRESH = tostring(retry),
    KEEP = tostring(conf.room.keep_minutes),
    URL = url,
    OPENS = "",
    OTHER = other_page(path, lang),
  }
  local page = pages[lang] or EMPTY_PAGE
  local texts, slots, out = page.texts, page.slots, {}
  for i = 1, #slots do
    out[2 * i - 1] = texts[i]
    out[2 * i] = escape(values[slots[i]] or "")
  end
  out[2 * #slots + 1] = texts[#texts]
  local body = table.concat(out)
  ngx.status = 200
  h["Content-Type"] = "text/html; charset=utf-8"
  h["Refresh"] = retry .. "; url=" .. url
  h["Content-Length"] = #body
  if method ~= "HEAD" then
    ngx.print(body)
  end
  return ngx.exit(ngx.HTTP_OK)
end

-- No node answered a request that is not kept in line: the exported bilingual "busy"
-- page with 503 and Retry-After, byte for byte what the server's error_page sends.
function M.busy(path)
  local lang = language(path)
  local file = io.open(static_dir .. "/errors/503." .. lang .. ".html", "rb")
  local body = file and file:read("*a") or "Service unavailable"
  if file then
    file:close()
  end
  ngx.status = 503
  ngx.header["Content-Type"] = "text/html; charset=utf-8"
  ngx.header["Cache-Control"] = "no-cache"
  ngx.header["Retry-After"] = "120"
  ngx.header["Content-Length"] = #body
  if ngx.req.get_method() ~= "HEAD" then
    ngx.print(body)
  end
  return ngx.exit(ngx.HTTP_OK)
end

return M
