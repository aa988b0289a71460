"""Migration scripts of the store (Alembic skips this file when it scans for revisions)."""
