"""How each fault kind answers on the wire: provider-shaped errors, late answers, holds and cut bodies.

Kinds that break the connection work at the ASGI level under uvicorn: a cut response sends its head with
the full Content-Length and part of the body, and the app then returns without finishing, which makes
uvicorn close the connection, so the client reads a truncated body exactly as from a dropped link.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors_pipeline.sandbox.errors import auth_error, google_error, oauth_error
from connectors_pipeline.sandbox.faults import FaultKind, FaultRule
from connectors_pipeline.sandbox.notion_faults import NOTION_PATHS, notion_fault_response
from connectors_pipeline.sandbox.request_body import read_body, replay_body, until_disconnect
from connectors_pipeline.sandbox.state import SandboxState

_OAUTH_PATHS = ("/token", "/revoke", "/o/oauth2/")
_OAUTH_FAULT_ERRORS = {400: "invalid_grant", 401: "invalid_client", 429: "temporarily_unavailable"}
# Drive's answers for a changes page token it does not accept (the 404/410 texts are not verified).
_STALE_PAGE_TOKEN = {
    400: ("invalid", "Invalid Value"),
    404: ("notFound", "Page token not found."),
    410: ("deleted", "The page token is no longer valid."),
}
_UNFINISHED = "ASGI callable returned without completing response."
_cutting: ContextVar[bool] = ContextVar("sandbox_cutting_response", default=False)


class _DeliberateCutFilter(logging.Filter):
    """uvicorn logs an error for every unfinished response; a cut on purpose is not one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_cutting.get() and record.getMessage() == _UNFINISHED)


_CUT_FILTER = _DeliberateCutFilter()


def quiet_deliberate_cuts() -> None:
    """Install the filter once (addFilter ignores a filter it already has)."""
    logging.getLogger("uvicorn.error").addFilter(_CUT_FILTER)


async def serve_fault(
    rule: FaultRule, state: SandboxState, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer one request the way `rule` fails it."""
    params = rule.params
    if rule.kind is FaultKind.LATENCY:
        await asyncio.sleep(params.seconds)
        await app(scope, receive, send)
    elif rule.kind is FaultKind.TIMEOUT:
        await _hold(params.seconds, params.then == "answer", app, scope, receive, send)
    elif rule.kind is FaultKind.DROP:
        await _cut(params.keep, app, scope, receive, send)
    else:
        if rule.kind is FaultKind.EXPIRED_TOKEN:
            _expire_presented_token(state, scope)
        await error_response(rule, scope["path"])(scope, receive, send)


def error_response(rule: FaultRule, path: str) -> Response:
    """The failure in the shape the endpoint's real counterpart uses."""
    if path.startswith(NOTION_PATHS):
        return notion_fault_response(rule)
    p = rule.params
    headers = {"Retry-After": f"{p.retry_after:g}"} if p.retry_after is not None else {}
    match rule.kind:
        case FaultKind.RATE_LIMIT_429:
            return google_error(429, "rateLimitExceeded", headers=headers, grpc_status="RESOURCE_EXHAUSTED")
        case FaultKind.RATE_LIMIT_403:
            return google_error(403, p.reason, headers=headers, grpc_status="PERMISSION_DENIED")
        case FaultKind.SERVER_ERROR:
            return google_error(p.status or 503, p.reason, headers=headers)
        case FaultKind.EXPIRED_TOKEN:
            return auth_error()
        case FaultKind.INVALID_GRANT:
            return oauth_error("invalid_grant", "Token has been expired or revoked.")
        case FaultKind.STALE_PAGE_TOKEN:
            status = p.status or 400
            reason, message = _STALE_PAGE_TOKEN[status]
            return google_error(status, reason, message, location="pageToken")
        case FaultKind.EXPORT_TOO_LARGE:
            return google_error(403, "exportSizeLimitExceeded")
    assert p.status is not None  # an http_error always has one (fault_params checks)
    if path.startswith(_OAUTH_PATHS):
        error = p.reason or _OAUTH_FAULT_ERRORS.get(p.status, "internal_failure")
        response = oauth_error(error, p.message, status=p.status)
        response.headers.update(headers)
        return response
    return google_error(p.status, p.reason, p.message, headers=headers)


def _expire_presented_token(state: SandboxState, scope: Scope) -> None:
    """Expire the caller's access token for real, so google-auth's refresh and replay must follow."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    header = headers.get("authorization", "")
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    token = header[7:].strip() if header.lower().startswith("bearer ") else query.get("access_token")
    if token:
        state.expire_access_token(token)


async def _hold(seconds: float, answer: bool, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Say nothing for `seconds`. A client whose timeout is shorter gives up first: then nothing is sent.

    After the hold the request is answered late, or cut before its first body byte (ASGI cannot close
    a connection without sending a head: uvicorn would answer 500 for an app that never started one).
    """
    body = await read_body(receive)
    try:
        await asyncio.wait_for(until_disconnect(receive), seconds)
        return
    except TimeoutError:
        pass
    replayed = replay_body(body, receive)
    if answer:
        await app(scope, replayed, send)
    else:
        await _cut(0.0, app, scope, replayed, send)


async def _cut(keep: float, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Pass the head (full Content-Length) and `keep` of the body, then stop: uvicorn closes the connection.

    The body is cut at floor(length * keep) bytes, and always before its last byte; the rest the app
    sends is dropped on the floor, never buffered, so media responses stay streamed.
    """
    left = 0  # body bytes still to pass before the cut

    async def send_until_cut(message: Message) -> None:
        nonlocal left
        if message["type"] == "http.response.start":
            length = _content_length(message)
            left = max(min(int(length * keep), length - 1), 0)
            await send(message)
        elif message["type"] == "http.response.body" and left > 0:
            part = message.get("body", b"")[:left]
            left -= len(part)
            await send({"type": "http.response.body", "body": part, "more_body": True})

    await app(scope, receive, send_until_cut)
    _cutting.set(True)  # read by the log filter when uvicorn reports the unfinished response next


def _content_length(start: Message) -> int:
    for name, value in start.get("headers", []):
        if name.lower() == b"content-length":
            return int(value)
    return 0  # chunked: cut before the first chunk
