"""The Dagster layer: resources, the provider-agnostic asset factory, checks and sensors."""
