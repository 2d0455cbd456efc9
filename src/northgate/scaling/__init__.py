"""Scaling the application nodes of one host: advice (how many for a forecast peak) and
action (start, add to nginx, verify; drain, stop), each event recorded.

``advice`` and ``history``'s records are plain computation; ``upstream``, ``nginx``,
``nodes`` and ``scaler`` touch files, processes and the network. `northgate scale` is the
thin command over them.
"""

# The header a node's /healthz names itself in (host:port): a probe sent through nginx
# tells which node answered it.
NODE_HEADER = "x-northgate-node"
