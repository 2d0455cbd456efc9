"""The shared core: what every layer of Northgate may use, and nothing else.

Languages, the time zone, the clock, signing keys, the route table and the ASGI types live
here. The core imports no other Northgate package (import-linter checks it).
"""
