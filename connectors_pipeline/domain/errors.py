"""Typed errors shared by providers, the store and the pipeline.

Providers translate their client library's exceptions into these, so the pipeline decides about
retries and skips without knowing which provider it drives. Messages never carry tokens.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class of every error this project raises on purpose."""


class TransientError(ConnectorError):
    """Worth retrying later: 5xx, timeouts, connection resets, truncated bodies."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class RateLimitedError(TransientError):
    """The provider asked us to slow down (429, Drive 403 rateLimitExceeded)."""


class AuthExpiredError(TransientError):
    """The API refused a token that had just been refreshed. A revoked grant shows at the token
    endpoint (invalid_grant: AuthRevokedError); this is a token not yet accepted everywhere, so retry."""


class AuthRevokedError(ConnectorError):
    """invalid_grant or revoked consent: permanent until the person reconnects."""


class NotFoundError(ConnectorError):
    """The item is gone or no longer shared with the account."""


class ExportTooLargeError(ConnectorError):
    """The provider refuses to export the document at this size (Drive: 10 MB)."""


class UnsupportedContentError(ConnectorError):
    """The item cannot be downloaded or exported in any allowed format."""


class StaleCursorError(ConnectorError):
    """The change-feed cursor is invalid or expired; fall back to a snapshot."""


class ExtractionError(ConnectorError):
    """Bytes could not be turned into text; the item is skipped with this message as detail."""


class PolicyError(ConnectorError):
    """An action the organisation's policy forbids (e.g. connecting an account of another domain)."""


class ConfigurationError(ConnectorError):
    """Missing or invalid configuration, such as no encryption key."""
