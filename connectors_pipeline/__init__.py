"""connectors_pipeline: keep connected accounts' documents in step with a local, searchable vault."""
