"""Translate notion-client and httpx exceptions into domain errors.

notion-client raises APIResponseError for codes in its enum and UnknownHTTPResponseError for the
rest (529 service_overload, an HTML 502, invalid_grant); we classify both by status and code, so
the guard retries what a later attempt can fix and nothing else. Messages carry the status, the
code and Notion's short message, never a token.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from email.utils import parsedate_to_datetime

import httpx
from notion_client.errors import APIResponseError, HTTPResponseError, RequestTimeoutError

from connectors_pipeline.domain.errors import (
    AuthRevokedError,
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    TransientError,
)
from connectors_pipeline.providers.google_errors import redact

RETRYABLE_STATUSES = frozenset({409, 500, 502, 503, 504, 529})
GONE_CODES = frozenset({"object_not_found", "restricted_resource"})


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Retry-After as seconds (an integer or an HTTP date), or None."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _from_response(exc: HTTPResponseError, what: str) -> ConnectorError:
    code = str(getattr(exc.code, "value", exc.code))
    message = f"{what}: Notion answered {exc.status} {code}"
    if isinstance(exc, APIResponseError):
        message += f" ({exc})"
    if exc.status == 429:
        return RateLimitedError(message, retry_after=retry_after_seconds(exc.headers))
    if exc.status in RETRYABLE_STATUSES:
        return TransientError(message, retry_after=retry_after_seconds(exc.headers))
    if exc.status == 401 or "invalid_grant" in exc.body:
        return AuthRevokedError(f"{message}; the Notion connection was revoked: reconnect the account")
    if exc.status == 404 or code in GONE_CODES:
        return NotFoundError(message)
    return ConnectorError(message)


def translate(exc: Exception, what: str, secrets: Iterable[str | None] = ()) -> ConnectorError:
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, HTTPResponseError):
        error = _from_response(exc, what)
    elif isinstance(exc, RequestTimeoutError):
        error = TransientError(f"{what}: Notion did not answer in time")
    elif isinstance(exc, httpx.HTTPError):
        error = TransientError(f"{what}: {type(exc).__name__} talking to Notion")
    elif isinstance(exc, ValueError):  # a truncated or garbled JSON body
        error = TransientError(f"{what}: unreadable answer from Notion ({type(exc).__name__})")
    else:
        return ConnectorError(f"{what}: {type(exc).__name__}")
    return type(error)(redact(str(error), secrets), **_kwargs(error))


def _kwargs(error: ConnectorError) -> dict[str, float | None]:
    return {"retry_after": error.retry_after} if isinstance(error, TransientError) else {}
