"""The edge: pure ASGI middleware in front of the application (see DESIGN.md)."""
