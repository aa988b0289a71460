"""Error responses exactly as Google shapes them: the API error envelope and RFC 6749 OAuth errors."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

# Reason -> (domain, default message), from the reference's error table.
_REASONS: dict[str, tuple[str, str]] = {
    "badRequest": ("global", "Bad Request"),
    "invalid": ("global", "Invalid Value"),
    "invalidParameter": ("global", "Invalid field selection"),
    "required": ("global", "Required parameter"),
    "authError": ("global", "Invalid Credentials"),
    "insufficientPermissions": (
        "global",
        "Insufficient Permission: Request had insufficient authentication scopes.",
    ),
    "forbidden": ("global", "Forbidden"),
    "notFound": ("global", "Not Found"),
    "userRateLimitExceeded": ("usageLimits", "User Rate Limit Exceeded"),
    "rateLimitExceeded": ("usageLimits", "Rate Limit Exceeded"),
    "backendError": ("global", "Backend Error"),
    "internalError": ("global", "Internal Error"),
    "exportSizeLimitExceeded": ("global", "This file is too large to be exported."),
    "fileNotDownloadable": (
        "global",
        "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
    ),
    "fileNotExportable": ("global", "Export only supports Docs Editors files."),
    "teamDriveIncludeItemsRequired": (
        "global",
        "The includeItemsFromAllDrives parameter must be set to true when searching shared drives.",
    ),
}

DEFAULT_REASON_BY_STATUS: dict[int, str] = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    429: "rateLimitExceeded",
    500: "backendError",
    502: "backendError",
    503: "backendError",
    504: "backendError",
}

# Current 401 responses carry the gRPC status, and so do current quota errors (which pass theirs);
# other bodies stay in the classic shape.
_GRPC_STATUS: dict[int, str] = {401: "UNAUTHENTICATED"}

JSON_TYPE = "application/json; charset=UTF-8"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, indent=2), status_code=status, media_type=JSON_TYPE, headers=headers)


def google_error(
    status: int,
    reason: str | None = None,
    message: str | None = None,
    *,
    location: str | None = None,
    location_type: str = "parameter",
    headers: dict[str, str] | None = None,
    grpc_status: str | None = None,
) -> Response:
    """`{"error": {"errors": [{domain, reason, message, ...}], "code", "message"}}` as Google APIs send it."""
    reason = reason or DEFAULT_REASON_BY_STATUS.get(status, "backendError")
    domain, default_message = _REASONS.get(reason, ("global", reason))
    message = message or default_message
    detail: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location:
        detail["location"] = location
        detail["locationType"] = location_type
    body: dict[str, Any] = {"errors": [detail], "code": status, "message": message}
    grpc_status = grpc_status or _GRPC_STATUS.get(status)
    if grpc_status:
        body["status"] = grpc_status
    return json_response({"error": body}, status, headers)


def auth_error() -> Response:
    """401 for a missing, unknown, expired or revoked bearer token; google-auth then refreshes once."""
    return google_error(
        401,
        "authError",
        "Invalid Credentials",
        location="Authorization",
        location_type="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
    )


def not_found(file_id: str) -> Response:
    return google_error(404, "notFound", f"File not found: {file_id}.", location="fileId")


def invalid_param(name: str, message: str = "Invalid Value", reason: str = "invalid") -> Response:
    return google_error(400, reason, message, location=name)


def oauth_error(error: str, description: str | None = None, status: int = 400) -> Response:
    """RFC 6749 §5.2 body; google-auth turns it into RefreshError("<error>: <error_description>")."""
    body = {"error": error}
    if description is not None:
        body["error_description"] = description
    return json_response(body, status, {"Cache-Control": "no-store", "Pragma": "no-cache"})
