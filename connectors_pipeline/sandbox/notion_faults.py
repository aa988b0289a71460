"""How the fault kinds answer on Notion's paths (/v1/), and what notion-client 3.1 makes of each.

* http_error: that status, `code` = reason (default by status), Notion's envelope -> APIResponseError
  when the code is in notion-client's enum, else UnknownHTTPResponseError.
* rate_limit_429: 429 `rate_limited` with Retry-After in whole seconds -> APIResponseError; the client
  retries it, honouring Retry-After.
* server_error 500 / 503: `internal_server_error` / `service_unavailable` -> APIResponseError; retried
  for GET only (never for search or query, which POST).
* server_error 504: `gateway_timeout` -> APIResponseError; never retried.
* server_error 502: an HTML page, no JSON -> UnknownHTTPResponseError; never retried.
* server_error 529: `service_overload` -> UnknownHTTPResponseError (not in 3.1's enum); never retried.
* expired_token: 401 `unauthorized`, and the presented token really stops working -> APIResponseError.
* invalid_grant: 400 `invalid_grant` at /v1/oauth/token (refresh grants) -> UnknownHTTPResponseError.
* latency / timeout / drop: a late answer / no answer (RequestTimeoutError past the client's
  timeout_ms) / a truncated body (httpx.RemoteProtocolError, not a Notion error).

stale_page_token, export_too_large and rate_limit_403 are Google's; faults.py refuses them on /v1/.
"""

from __future__ import annotations

import json
import math

from starlette.responses import Response

from connectors_pipeline.sandbox.faults import GOOGLE_ONLY_KINDS, FaultKind, FaultRule
from connectors_pipeline.sandbox.notion_errors import bad_gateway_html, notion_error

NOTION_PATHS = "/v1/"


def json_fields(body: bytes) -> dict[str, str]:
    """The top-level string fields of a small JSON body (for fault rules that look at a request's form)."""
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return {k: v for k, v in parsed.items() if isinstance(v, str)} if isinstance(parsed, dict) else {}


def _retry_after(seconds: float | None) -> dict[str, str]:
    # Notion sends whole seconds; notion-client cannot parse a fraction (it would ignore the header).
    return {} if seconds is None else {"Retry-After": str(math.ceil(seconds))}


def notion_fault_response(rule: FaultRule) -> Response:
    """The failure as Notion shapes it (see the table above)."""
    p = rule.params
    headers = _retry_after(p.retry_after)
    match rule.kind:
        case FaultKind.RATE_LIMIT_429:
            return notion_error(429, "rate_limited", p.message, headers)
        case FaultKind.SERVER_ERROR:
            status = p.status or 503
            if status == 502:
                return bad_gateway_html()
            return notion_error(status, None, p.message, headers)
        case FaultKind.EXPIRED_TOKEN:
            return notion_error(401, "unauthorized", "API token is invalid.")
        case FaultKind.INVALID_GRANT:
            return notion_error(400, "invalid_grant", p.message or "Invalid refresh token.")
    if rule.kind in GOOGLE_ONLY_KINDS:  # add_fault refuses these on /v1/; a broad regex may still match
        return notion_error(500, "internal_server_error", f"{rule.kind} has no Notion counterpart.")
    assert p.status is not None  # http_error always has one
    return notion_error(p.status, p.reason, p.message, headers)
