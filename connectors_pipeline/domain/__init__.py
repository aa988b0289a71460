"""Pure domain model: items, changes, policy, errors. No I/O, no Dagster."""
