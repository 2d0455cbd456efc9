"""The visitors every analytics measurement sends: one page, a browser, 10,000 addresses."""

from __future__ import annotations

import random

PAGE_PATH = "/en/eta"
ORIGIN = "http://127.0.0.1:8000"  # the links in pages built in process
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
WRK_SCRIPT = """
math.randomseed(2016)
local firsts = {8, 24, 31, 41, 45, 62, 77, 81, 91, 103, 142, 151, 176, 185, 203, 212}
local pool = {}
for i = 1, 10000 do
  pool[i] = firsts[math.random(#firsts)] .. "." .. math.random(0, 255) .. "." ..
            math.random(0, 255) .. "." .. math.random(1, 254)
end
local n = 0
wrk.headers["User-Agent"] = "BROWSER"
request = function()
  n = n % #pool + 1
  wrk.headers["X-Forwarded-For"] = pool[n]
  return wrk.format(nil)
end
""".replace("BROWSER", BROWSER)


def client_addresses() -> list[str]:
    """10,000 public IPv4 addresses (a fixed draw), like the wrk script's pool."""
    rng = random.Random(2016)
    firsts = [8, 24, 31, 41, 45, 62, 77, 81, 91, 103, 142, 151, 176, 185, 203, 212]
    return [
        f"{rng.choice(firsts)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        for _ in range(10_000)
    ]
