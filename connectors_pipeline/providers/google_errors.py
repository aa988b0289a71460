"""Translate google-api-python-client / google-auth / transport exceptions into domain errors.

One function, `translate`, used by every Google API call (Drive, Gmail) so the pipeline sees the
same typed errors whatever went wrong. Messages carry the HTTP status, the API's reason code and
its short message, never the request URI (it may carry query parameters) and never a token: known
secrets are scrubbed from whatever text we do include.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterable

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import Error as ApiClientError
from googleapiclient.errors import HttpError

from connectors_pipeline.domain.errors import (
    AuthExpiredError,
    AuthRevokedError,
    ConfigurationError,
    ConnectorError,
    ExportTooLargeError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UnsupportedContentError,
)

RATE_LIMIT_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded"})
UNSUPPORTED_REASONS = frozenset({"fileNotDownloadable", "cannotDownloadAbusiveFile", "fileNotExportable"})
# token-endpoint errors that only a new consent can fix
REVOKED_GRANT_ERRORS = frozenset({"invalid_grant", "unauthorized_client", "access_denied", "invalid_scope"})


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every known secret in `text`; a last line of defence, the messages avoid them anyway."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def _first_error(exc: HttpError, key: str) -> str | None:
    details = exc.error_details
    if isinstance(details, list) and details and isinstance(details[0], dict):
        value = details[0].get(key)
        return str(value) if value else None
    return None


def http_reason(exc: HttpError) -> str | None:
    """The API's reason code (`errors[0].reason`), which HttpError.reason does not hold."""
    return _first_error(exc, "reason")


def http_location(exc: HttpError) -> str | None:
    """The parameter the API blames (`errors[0].location`), e.g. `pageToken`."""
    return _first_error(exc, "location")


def retry_after_seconds(exc: HttpError) -> float | None:
    raw = exc.resp.get("retry-after") if exc.resp is not None else None
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None  # an HTTP-date; rare enough that the shared backoff can take over


def _from_http_error(exc: HttpError, what: str, operation: str | None, secrets: Iterable[str | None]) -> ConnectorError:
    error = _classify_http_error(exc, what, operation, secrets)
    # callers that must tell one status from another (a stale cursor) read these, not the message
    error.http_status = exc.status_code  # type: ignore[attr-defined]
    error.http_reason = http_reason(exc)  # type: ignore[attr-defined]
    error.http_location = http_location(exc)  # type: ignore[attr-defined]
    return error


def _classify_http_error(
    exc: HttpError, what: str, operation: str | None, secrets: Iterable[str | None]
) -> ConnectorError:
    status = exc.status_code
    reason = http_reason(exc)
    api_message = redact((exc.reason or "")[:200], secrets)
    message = f"{what}: HTTP {status}" + (f" {reason}" if reason else "") + (f" ({api_message})" if api_message else "")
    if status == 429 or (status == 403 and reason in RATE_LIMIT_REASONS):
        return RateLimitedError(message, retry_after=retry_after_seconds(exc))
    if status == 403 and reason == "exportSizeLimitExceeded":
        return ExportTooLargeError(message)
    if status == 403 and reason in UNSUPPORTED_REASONS:
        return UnsupportedContentError(message)
    if status == 400 and operation == "export":
        return UnsupportedContentError(message)  # Drive answers 400 to a target it cannot produce
    if status == 401:
        # AuthorizedHttp already refreshed and replayed. The refresh succeeded, so the grant stands
        # (a revoked one fails at the token endpoint): retry rather than ask for a reconnect.
        return AuthExpiredError(message)
    if status == 404:
        return NotFoundError(message)
    if status == 408 or status >= 500:
        return TransientError(message, retry_after=retry_after_seconds(exc))
    return ConnectorError(message)


def _from_refresh_error(exc: auth_exceptions.RefreshError, what: str) -> ConnectorError:
    body = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    code = str(body.get("error") or "")
    if code in REVOKED_GRANT_ERRORS:
        return AuthRevokedError(f"{what}: token refresh refused ({code}); the account must be reconnected")
    if code == "invalid_client":
        return ConfigurationError(f"{what}: token refresh refused (invalid_client); check the OAuth client")
    if not body and "necessary fields" in str(exc):
        return AuthRevokedError(f"{what}: no refresh token stored; the account must be reconnected")
    # 5xx, HTML error pages, timeouts at the token endpoint: nothing says the grant is gone
    return TransientError(f"{what}: token refresh failed" + (f" ({code})" if code else ""))


def translate(
    exc: BaseException,
    what: str,
    *,
    operation: str | None = None,
    secrets: Iterable[str | None] = (),
) -> ConnectorError:
    """The domain error for `exc`, raised while doing `what` (a short, token-free description)."""
    secrets = tuple(secrets)
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, HttpError):
        return _from_http_error(exc, what, operation, secrets)
    if isinstance(exc, auth_exceptions.RefreshError):
        return _from_refresh_error(exc, what)
    if isinstance(exc, auth_exceptions.TransportError):
        return TransientError(f"{what}: could not reach the token endpoint ({type(exc).__name__})")
    if isinstance(exc, httplib2.HttpLib2Error | http.client.HTTPException | OSError):
        # resets, timeouts, refused connections, truncated bodies (IncompleteRead)
        return TransientError(f"{what}: transport error ({type(exc).__name__})")
    if isinstance(exc, json.JSONDecodeError | ApiClientError):
        return TransientError(f"{what}: malformed response ({type(exc).__name__})")
    # Unknown exception text may quote a URL, a header or a token we do not know of: keep only its type.
    return ConnectorError(f"{what}: unexpected {type(exc).__name__}")
