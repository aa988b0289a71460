"""One account's sync as plain Python: listing → export → ingest. Dagster assets call these steps."""
