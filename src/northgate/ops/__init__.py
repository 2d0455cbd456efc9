"""Operating the service: what a node tells its monitoring (Prometheus metrics)."""
