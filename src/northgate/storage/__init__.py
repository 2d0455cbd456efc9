"""Records: SQLAlchemy 2 over SQLite (embedded default) or PostgreSQL (production)."""
