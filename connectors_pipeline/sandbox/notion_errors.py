"""Notion's error envelope and JSON answers: `request_id` in every body, `x-notion-request-id` on every answer.

notion-client 3.1 turns a JSON body whose `code` is in its enum into `APIResponseError`; any other
code (missing_version, invalid_grant, service_overload) or a non-JSON body into
`UnknownHTTPResponseError` (reference §4.1), so the codes here are Notion's own, not the client's.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import Response

JSON_TYPE = "application/json; charset=utf-8"

# Status -> the code Notion sends with it when nothing more specific applies (reference §4.4).
DEFAULT_CODES: dict[int, str] = {
    400: "invalid_request",
    401: "unauthorized",
    403: "restricted_resource",
    404: "object_not_found",
    409: "conflict_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
    529: "service_overload",
}
DEFAULT_MESSAGES: dict[str, str] = {
    "unauthorized": "API token is invalid.",
    "restricted_resource": "Insufficient permissions for this endpoint.",
    "rate_limited": "You have been rate limited. Please try again in a few minutes.",
    "internal_server_error": "Unexpected error occurred.",
    "service_unavailable": "Notion is unavailable, please try again later.",
    "gateway_timeout": "Notion timed out while processing the request.",
    "service_overload": "Notion is overloaded, please try again later.",
    "conflict_error": "Conflict occurred while saving. Please try again.",
    "invalid_request_url": "Invalid request URL.",
    "invalid_json": "Error parsing JSON body.",
}
BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


class NotionError(Exception):
    """Raised inside a handler; the endpoint wrapper answers it with the error envelope."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        additional_data: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code or DEFAULT_CODES.get(status, "internal_server_error")
        self.message = message or DEFAULT_MESSAGES.get(self.code, "Request failed.")
        self.headers = headers or {}
        self.additional_data = additional_data
        super().__init__(self.message)

    def response(self) -> Response:
        return notion_error(self.status, self.code, self.message, self.headers, self.additional_data)


def new_request_id() -> str:
    return str(uuid.uuid4())


def notion_json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer with a fresh request id in the body and the header."""
    request_id = new_request_id()
    payload = {**body, "request_id": request_id}
    return Response(
        json.dumps(payload, ensure_ascii=False),
        status_code=status,
        media_type=JSON_TYPE,
        headers={"x-notion-request-id": request_id, **(headers or {})},
    )


def notion_error(
    status: int,
    code: str | None = None,
    message: str | None = None,
    headers: dict[str, str] | None = None,
    additional_data: dict[str, Any] | None = None,
) -> Response:
    """`{"object":"error","status","code","message"[, "additional_data"],"request_id"}`."""
    code = code or DEFAULT_CODES.get(status, "internal_server_error")
    body: dict[str, Any] = {
        "object": "error",
        "status": status,
        "code": code,
        "message": message or DEFAULT_MESSAGES.get(code, "Request failed."),
    }
    if additional_data is not None:
        body["additional_data"] = additional_data
    return notion_json(body, status, headers)


def bad_gateway_html() -> Response:
    """What a 502 from Notion's edge often looks like: an HTML page, no JSON (notion-sdk-js#457)."""
    return Response(BAD_GATEWAY_HTML, status_code=502, media_type="text/html")


def not_found(kind: str, object_id: str, bot_id: str) -> NotionError:
    return NotionError(
        404,
        "object_not_found",
        f"Could not find {kind} with ID: {object_id}. Make sure the relevant pages and databases are shared "
        'with your integration "Sandbox Integration".',
        additional_data={"integration_id": bot_id},
    )


def validation_error(message: str) -> NotionError:
    return NotionError(400, "validation_error", message)
