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

from connectors_pipeline.sandbox import discovery, drive, drive_media, gmail_api, google_oauth, notion_api, notion_oauth
from connectors_pipeline.sandbox.errors import json_response
from connectors_pipeline.sandbox.fault_responses import quiet_deliberate_cuts, serve_fault
from connectors_pipeline.sandbox.notion_faults import json_fields
from connectors_pipeline.sandbox.request_body import read_body, replay_body
from connectors_pipeline.sandbox.state import SandboxState

_FORM = "application/x-www-form-urlencoded"


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
        form: dict[str, str] = {}
        if scope["method"] == "POST" and (override == "GET" or headers.get("content-type", "").startswith(_FORM)):
            # Small forms only (token, revoke, long queries): read ahead so faults can see them.
            body = await read_body(receive)
            form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
            if override == "GET":
                # googleapiclient moves the query of a >2048-char GET into a form body (§1.4 of the reference).
                query = b"&".join(p for p in (scope.get("query_string", b""), body) if p)
                scope = {**scope, "method": "GET", "query_string": query}
                body = b""
            receive = replay_body(body, receive)
        elif scope["method"] == "POST" and scope["path"] == "/v1/oauth/token":
            # Notion's token endpoint takes JSON; read ahead so invalid_grant faults see the grant type.
            body = await read_body(receive)
            form = json_fields(body)
            receive = replay_body(body, receive)
        path: str = scope["path"]
        raw_query = scope.get("query_string", b"").decode("latin-1")
        record = self.state.record_request(scope["method"], path, dict(parse_qsl(raw_query, keep_blank_values=True)))
        scope["sandbox.record"] = record

        latency = self.state.latency_ms
        if latency and not path.startswith("/discovery/"):
            await asyncio.sleep(latency / 1000.0)

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        fault = self.state.take_fault(path, raw_query, form)
        if fault is None:
            await self.app(scope, receive, send_and_record)
            return
        record.fault = fault.kind.value
        await serve_fault(fault, self.state, self.app, scope, receive, send_and_record)


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
        *notion_oauth.routes,
        *notion_api.routes,
        *notion_api.fallback_routes,  # keep last among /v1/ routes
        *gmail_api.routes,
    ]
    quiet_deliberate_cuts()
    app = Starlette(routes=routes, middleware=[Middleware(SandboxMiddleware, state=state)])
    app.state.sandbox = state
    return app
