"""errors.translate on hand-made library exceptions: the mapping every Drive call relies on."""

from __future__ import annotations

import http.client
import json

import httplib2
import pytest
from google.auth.exceptions import RefreshError, TransportError
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
from connectors_pipeline.providers.google_drive.errors import translate

SECRET_URI = "http://127.0.0.1:1/drive/v3/files/abc?access_token=ya29.SECRET-TOKEN&alt=json"


def http_error(status: int, reason: str | None = None, headers: dict[str, str] | None = None) -> HttpError:
    errors = [{"domain": "global", "reason": reason, "message": f"{reason} happened"}] if reason else []
    body = json.dumps({"error": {"code": status, "message": f"{reason} happened", "errors": errors}})
    resp = httplib2.Response({"status": str(status), **(headers or {})})
    return HttpError(resp, body.encode(), uri=SECRET_URI)


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (429, "rateLimitExceeded", RateLimitedError),
        (403, "userRateLimitExceeded", RateLimitedError),
        (403, "rateLimitExceeded", RateLimitedError),
        (403, "exportSizeLimitExceeded", ExportTooLargeError),
        (403, "fileNotDownloadable", UnsupportedContentError),
        (403, "insufficientFilePermissions", ConnectorError),
        (401, "authError", AuthExpiredError),
        (404, "notFound", NotFoundError),
        (500, "backendError", TransientError),
        (503, None, TransientError),
        (400, "badRequest", ConnectorError),
    ],
)
def test_http_errors_map_to_domain_errors(status: int, reason: str | None, expected: type) -> None:
    error = translate(http_error(status, reason), "listing files")
    assert type(error) is expected
    assert f"HTTP {status}" in str(error)
    assert "SECRET" not in str(error) and "127.0.0.1" not in str(error)  # never the URI
    assert error.http_status == status  # type: ignore[attr-defined]


def test_rate_limit_carries_retry_after() -> None:
    error = translate(http_error(429, "rateLimitExceeded", {"retry-after": "7"}), "x")
    assert isinstance(error, RateLimitedError) and error.retry_after == 7.0
    assert translate(http_error(429, "rateLimitExceeded"), "x").retry_after is None  # type: ignore[attr-defined]


def test_export_400_is_unsupported_target() -> None:
    assert isinstance(translate(http_error(400, "badRequest"), "x", operation="export"), UnsupportedContentError)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            RefreshError("invalid_grant: Token has been expired or revoked.", {"error": "invalid_grant"}),
            AuthRevokedError,
        ),
        (RefreshError("invalid_client: Unauthorized", {"error": "invalid_client"}), ConfigurationError),
        (RefreshError("server_error", {"error": "server_error"}, retryable=True), TransientError),
        (RefreshError("<html>502</html>"), TransientError),
        (
            RefreshError("The credentials do not contain the necessary fields need to refresh"),
            AuthRevokedError,
        ),
        (TransportError("connection refused"), TransientError),
        (TimeoutError("timed out"), TransientError),
        (ConnectionResetError(104, "reset"), TransientError),
        (httplib2.ServerNotFoundError("nope"), TransientError),
        (http.client.IncompleteRead(b"abc", 10), TransientError),
        (json.JSONDecodeError("truncated", "{", 1), TransientError),
    ],
)
def test_auth_and_transport_errors(exc: BaseException, expected: type) -> None:
    assert type(translate(exc, "x")) is expected


def test_known_secrets_are_scrubbed_from_unexpected_errors() -> None:
    error = translate(RuntimeError("boom ya29.SECRET-TOKEN"), "x", secrets=["ya29.SECRET-TOKEN"])
    assert "SECRET" not in str(error)
