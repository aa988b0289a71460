"""Drive's error translation: the shared Google one (providers/google_errors.py), under its old name."""

from connectors_pipeline.providers.google_errors import (
    RATE_LIMIT_REASONS,
    REVOKED_GRANT_ERRORS,
    UNSUPPORTED_REASONS,
    http_location,
    http_reason,
    redact,
    retry_after_seconds,
    translate,
)

__all__ = [
    "RATE_LIMIT_REASONS",
    "REVOKED_GRANT_ERRORS",
    "UNSUPPORTED_REASONS",
    "http_location",
    "http_reason",
    "redact",
    "retry_after_seconds",
    "translate",
]
