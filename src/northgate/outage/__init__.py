"""A dependency that is down (the database; Redis where configured) is an outage to ride
out, not a bug: requests that need it are answered 503 with Retry-After, in the user's
language, keeping what they just posted; the gate admits nobody new until it is back; the
log says so once per change of state, with a count while it lasts (:mod:`.watch`). The
503 page itself is the web layer's (:mod:`northgate.web.unavailable`)."""
