"""Assembles the sandbox ASGI app: routes, plus one middleware for logging, latency, faults, overrides."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors_pipeline.sandbox import discovery, drive, drive_media, google_oauth
from connectors_pipeline.sandbox.errors import google_error, json_response, oauth_error
from connectors_pipeline.sandbox.faults import Fault
from connectors_pipeline.sandbox.state import SandboxState

_OAUTH_PATHS = ("/token", "/revoke", "/o/oauth2/")
_OAUTH_FAULT_ERRORS = {400: "invalid_grant", 401: "invalid_client", 429: "temporarily_unavailable"}


def fault_response(fault: Fault, path: str) -> Response:
    """The injected failure in the shape the endpoint's real counterpart uses."""
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = f"{fault.retry_after:g}"
    if path.startswith(_OAUTH_PATHS):
        error = fault.reason or _OAUTH_FAULT_ERRORS.get(fault.status, "internal_failure")
        response = oauth_error(error, fault.message, status=fault.status)
        response.headers.update(headers)
        return response
    return google_error(fault.status, fault.reason, fault.message, headers=headers)


class SandboxMiddleware:
    """Pure ASGI so it sees every request, including those that fail before reaching a route."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/healthz":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        override = headers.get("x-http-method-override", "").upper()
        if scope["method"] == "POST" and override == "GET":
            # googleapiclient moves the query of a >2048-char GET into a form body (§1.4 of the reference).
            body = await _read_body(receive)
            query = b"&".join(p for p in (scope.get("query_string", b""), body) if p)
            scope = {**scope, "method": "GET", "query_string": query}
            receive = _empty_receive
        path: str = scope["path"]
        raw_query = scope.get("query_string", b"").decode("latin-1")
        record = self.state.record_request(scope["method"], path, dict(parse_qsl(raw_query, keep_blank_values=True)))
        scope["sandbox.record"] = record

        latency = self.state.latency_ms
        if latency and not path.startswith("/discovery/"):
            await asyncio.sleep(latency / 1000.0)

        fault = self.state.take_fault(path, raw_query)
        if fault is not None:
            record.status = fault.status
            await fault_response(fault, path)(scope, receive, send)
            return

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        await self.app(scope, receive, send_and_record)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def healthz(request: Request) -> Response:
    return json_response({"ok": True})


def create_app(state: SandboxState) -> Starlette:
    """The ASGI app serving `state`; mount it under uvicorn (see server.py) or any ASGI server."""
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        *discovery.routes,
        *google_oauth.routes,
        *drive.routes,
        *drive_media.routes,
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SandboxMiddleware, state=state)])
    app.state.sandbox = state
    return app
