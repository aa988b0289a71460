"""The Notion REST API under /v1/ (Notion-Version 2025-09-03), as notion-client 3.1 speaks it.

Every endpoint checks, in this order: the Notion-Version header (missing: 400 missing_version; any
other version than 2025-09-03: 400 invalid_request, since only that version's shapes are served),
the bearer token (401 unauthorized unless it is a live Notion token of a sandbox user), and the
optional rate limit (notion_limits). Ids in paths may come with or without dashes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors_pipeline.sandbox.notion_errors import NotionError, not_found, notion_json, validation_error
from connectors_pipeline.sandbox.notion_limits import retry_after_header
from connectors_pipeline.sandbox.notion_lists import page_size, paginate, query_ids, search_ids
from connectors_pipeline.sandbox.notion_model import normalize_id
from connectors_pipeline.sandbox.notion_objects import (
    NOTION_VERSION,
    block_json,
    bot_json,
    data_source_json,
    database_json,
    list_json,
    page_json,
    person_json,
)
from connectors_pipeline.sandbox.notion_state import NotionWorkspace
from connectors_pipeline.sandbox.state import SandboxState

NOTION_SCOPE = "notion"  # the grant scope that marks a Notion connection among the sandbox's grants


@dataclass
class Call:
    """What a handler gets: the caller's workspace, and the request's parts already read."""

    state: SandboxState
    ws: NotionWorkspace
    path: dict[str, Any]
    query: QueryParams
    body: dict[str, Any]


Handler = Callable[[Call], dict[str, Any]]


def check_version(request: Request) -> None:
    version = request.headers.get("notion-version")
    if not version:
        raise NotionError(
            400,
            "missing_version",
            "Notion-Version header failed validation: Notion-Version header should be defined, "
            "instead was `undefined`.",
        )
    if version != NOTION_VERSION:
        raise NotionError(
            400,
            "invalid_request",
            f"The sandbox serves Notion-Version {NOTION_VERSION} only; this request asked for `{version}`.",
        )


def _workspace(request: Request, state: SandboxState) -> tuple[NotionWorkspace, str]:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    live = state.authenticate(token) if token else None
    if live is None or NOTION_SCOPE not in live.scopes:
        raise NotionError(401, "unauthorized", "API token is invalid.")
    request.scope["sandbox.record"].user = live.email
    return state.notion(live.email), token


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise NotionError(400, "invalid_json", "Error parsing JSON body.") from None
    if not isinstance(body, dict):
        raise validation_error("body failed validation: body should be an object.")
    return body


def endpoint(handler: Handler) -> Callable[[Request], Any]:
    """A route: version, token and rate limit checked, then `handler` under the sandbox lock."""

    async def run(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        try:
            check_version(request)
            ws, token = _workspace(request, state)
            with state.lock:
                wait = state.notion_limiter.wait_for(token, state.notion_rate_limit)
                if wait:
                    state.notion_rate_limited += 1
            if wait:
                raise NotionError(429, "rate_limited", headers={"Retry-After": retry_after_header(wait)})
            body = await json_body(request) if request.method in ("POST", "PATCH") else {}
            call = Call(state, ws, dict(request.path_params), request.query_params, body)
            with state.lock:
                return notion_json(handler(call))
        except NotionError as error:
            return error.response()

    return run


def _path_id(call: Call, name: str) -> str:
    raw = str(call.path[name])
    found = normalize_id(raw)
    if found is None:
        raise validation_error(f'path failed validation: path.{name} should be a valid uuid, instead was `"{raw}"`.')
    return found


def _only_properties(obj: dict[str, Any], call: Call) -> dict[str, Any]:
    """`filter_properties` (repeatable query parameter of property ids) keeps only those properties."""
    wanted = call.query.getlist("filter_properties")
    if wanted:
        obj["properties"] = {k: v for k, v in obj["properties"].items() if v["id"] in wanted}
    return obj


def search(call: Call) -> dict[str, Any]:
    ws = call.ws
    ids = search_ids(ws, call.body)
    page, following = paginate(ids, call.body.get("start_cursor"), page_size(call.body.get("page_size"), "body"))
    results = [page_json(ws, ws.pages[i]) if i in ws.pages else data_source_json(ws, ws.data_sources[i]) for i in page]
    return list_json(results, following, "page_or_data_source")


def retrieve_page(call: Call) -> dict[str, Any]:
    ws, oid = call.ws, _path_id(call, "page_id")
    if oid not in ws.pages or not ws.reachable(oid):
        raise not_found("page", oid, ws.bot_id)
    return _only_properties(page_json(ws, ws.pages[oid]), call)


def _block_id(call: Call) -> str:
    ws, oid = call.ws, _path_id(call, "block_id")
    if oid in ws.data_sources or not ws.exists(oid) or not ws.reachable(oid):
        raise not_found("block", oid, ws.bot_id)
    return oid


def retrieve_block(call: Call) -> dict[str, Any]:
    return block_json(call.ws, _block_id(call))


def block_children(call: Call) -> dict[str, Any]:
    ws, oid = call.ws, _block_id(call)
    size = page_size(call.query.get("page_size"), "query")
    page, following = paginate(ws.visible_children(oid), call.query.get("start_cursor"), size)
    return list_json([block_json(ws, cid) for cid in page], following, "block")


def retrieve_database(call: Call) -> dict[str, Any]:
    ws, oid = call.ws, _path_id(call, "database_id")
    if oid not in ws.databases or not ws.reachable(oid):
        raise not_found("database", oid, ws.bot_id)
    return database_json(ws, ws.databases[oid])


def _data_source(call: Call) -> str:
    ws, oid = call.ws, _path_id(call, "data_source_id")
    if oid not in ws.data_sources or not ws.reachable(oid):
        raise not_found("data_source", oid, ws.bot_id)
    return oid


def retrieve_data_source(call: Call) -> dict[str, Any]:
    return data_source_json(call.ws, call.ws.data_sources[_data_source(call)])


def query_data_source(call: Call) -> dict[str, Any]:
    ws = call.ws
    ds = ws.data_sources[_data_source(call)]
    ids = query_ids(ws, ds, call.body)
    page, following = paginate(ids, call.body.get("start_cursor"), page_size(call.body.get("page_size"), "body"))
    results = [_only_properties(page_json(ws, ws.pages[i]), call) for i in page]
    return list_json(results, following, "page_or_data_source")


def users_me(call: Call) -> dict[str, Any]:
    return bot_json(call.ws)


def retrieve_user(call: Call) -> dict[str, Any]:
    ws, oid = call.ws, _path_id(call, "user_id")
    if oid == ws.bot_id:
        return bot_json(ws)
    if oid == ws.user_id:
        return person_json(ws)
    raise not_found("user", oid, ws.bot_id)


async def unknown_url(request: Request) -> Response:
    """Any other /v1/ path: Notion answers 400 invalid_request_url (after checking the version)."""
    try:
        check_version(request)
    except NotionError as error:
        return error.response()
    return NotionError(400, "invalid_request_url").response()


routes = [
    Route("/v1/search", endpoint(search), methods=["POST"]),
    Route("/v1/pages/{page_id}", endpoint(retrieve_page), methods=["GET"]),
    Route("/v1/blocks/{block_id}", endpoint(retrieve_block), methods=["GET"]),
    Route("/v1/blocks/{block_id}/children", endpoint(block_children), methods=["GET"]),
    Route("/v1/databases/{database_id}", endpoint(retrieve_database), methods=["GET"]),
    Route("/v1/data_sources/{data_source_id}", endpoint(retrieve_data_source), methods=["GET"]),
    Route("/v1/data_sources/{data_source_id}/query", endpoint(query_data_source), methods=["POST"]),
    Route("/v1/users/me", endpoint(users_me), methods=["GET"]),
    Route("/v1/users/{user_id}", endpoint(retrieve_user), methods=["GET"]),
]
# Last among all routes: whatever /v1/ path nothing else serves.
fallback_routes = [
    Route("/v1/{rest:path}", unknown_url, methods=["GET", "POST", "PATCH", "DELETE", "PUT"]),
]
