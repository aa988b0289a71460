"""Notion's OAuth for public integrations: authorize (auto-consent), token, revoke, introspect.

Grants and tokens are the sandbox's own (oauth_grants), marked with the `notion` scope so Google and
Notion tokens never stand in for each other; Notion access tokens do not expire. The token endpoint
takes HTTP Basic client auth and a JSON body, as notion-client's `oauth.token` sends them, and answers
the OauthTokenResponse shape (reference §4.5). A bad code or refresh token is 400 `invalid_grant` in
Notion's error envelope (notion-client raises UnknownHTTPResponseError for it: the code is not in its
enum); a bad client is 401 `unauthorized`.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors_pipeline.sandbox.google_oauth import loopback, redirect_to
from connectors_pipeline.sandbox.notion_api import NOTION_SCOPE, check_version, json_body
from connectors_pipeline.sandbox.notion_errors import NotionError, notion_json, validation_error
from connectors_pipeline.sandbox.notion_objects import person_json
from connectors_pipeline.sandbox.oauth_grants import SANDBOX_CLIENT_ID, Grant
from connectors_pipeline.sandbox.state import SandboxState

ACCESS_PREFIX = "ntn_"


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


async def authorize(request: Request) -> Response:
    """GET /v1/oauth/authorize: consents at once for `login_hint` (sandbox only) or the first user."""
    state = _state(request)
    q = request.query_params
    client_id, redirect_uri = q.get("client_id", ""), q.get("redirect_uri", "")
    if client_id not in state.clients:
        return NotionError(400, "invalid_request", "Invalid client_id.").response()
    if not redirect_uri or not loopback(redirect_uri):
        return NotionError(400, "invalid_request", "redirect_uri must be a loopback http URI.").response()
    echo = {"state": q["state"]} if "state" in q else {}
    if q.get("response_type") != "code":
        return redirect_to(redirect_uri, {"error": "unsupported_response_type", **echo})
    if q.get("owner", "user") != "user":
        return redirect_to(redirect_uri, {"error": "invalid_request", **echo})
    with state.lock:
        hint = q.get("login_hint")
        email = hint if hint in state.users else next(iter(state.users), None)
        if email is None:
            return redirect_to(redirect_uri, {"error": "access_denied", **echo})
        code = state.issue_code(
            client_id=client_id, redirect_uri=redirect_uri, code_challenge="", scopes=(NOTION_SCOPE,), email=email
        )
    return redirect_to(redirect_uri, {"code": code, **echo})


def _client(request: Request, state: SandboxState) -> str:
    """The authenticated client id from HTTP Basic auth, else 401 unauthorized."""
    header = request.headers.get("authorization", "")
    cid = secret = None
    if header.lower().startswith("basic "):
        try:
            cid, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            cid = secret = None
    if state.check_client(cid, secret) is not None:
        raise NotionError(401, "unauthorized", "Invalid client credentials.")
    assert cid is not None
    return cid


def invalid_grant(message: str) -> NotionError:
    return NotionError(400, "invalid_grant", message)


def token_answer(state: SandboxState, grant: Grant) -> dict[str, Any]:
    """A new (never expiring) access token of the grant, in Notion's OauthTokenResponse shape."""
    ws = state.notion(grant.email)
    return {
        "access_token": state.issue_access_token(grant, ttl=math.inf, prefix=ACCESS_PREFIX),
        "token_type": "bearer",
        "refresh_token": grant.refresh_token,
        "bot_id": ws.bot_id,
        "workspace_id": ws.workspace_id,
        "workspace_name": ws.workspace_name,
        "workspace_icon": None,
        "owner": {"type": "user", "user": person_json(ws)},
        "duplicated_template_id": None,
    }


async def token(request: Request) -> Response:
    """POST /v1/oauth/token: authorization_code (code + redirect_uri) or refresh_token."""
    state = _state(request)
    try:
        check_version(request)
        client_id = _client(request, state)
        body = await json_body(request)
        grant_type = body.get("grant_type")
        with state.lock:
            if grant_type == "authorization_code":
                grant = _code_grant(state, client_id, body)
            elif grant_type == "refresh_token":
                grant = _refresh_grant(state, client_id, body)
            else:
                raise validation_error(
                    'body failed validation: body.grant_type should be `"authorization_code"` or '
                    f'`"refresh_token"`, instead was `{grant_type!r}`.'
                )
            return notion_json(token_answer(state, grant))
    except NotionError as error:
        return error.response()


def _code_grant(state: SandboxState, client_id: str, body: dict[str, Any]) -> Grant:
    code = body.get("code")
    auth = state.take_code(code) if isinstance(code, str) and code else None
    if auth is None or NOTION_SCOPE not in auth.scopes or auth.client_id != client_id:
        raise invalid_grant("Invalid code: this code has been revoked.")
    if body.get("redirect_uri") != auth.redirect_uri:
        raise invalid_grant("Invalid redirect_uri: it does not match the one of the authorization request.")
    return state.grant(auth.email, client_id, (NOTION_SCOPE,))


def _refresh_grant(state: SandboxState, client_id: str, body: dict[str, Any]) -> Grant:
    refresh = body.get("refresh_token")
    grant = state.grant_for_refresh_token(refresh) if isinstance(refresh, str) and refresh else None
    if grant is None or NOTION_SCOPE not in grant.scopes or grant.client_id != client_id:
        raise invalid_grant("Invalid refresh token.")
    return grant


async def revoke(request: Request) -> Response:
    """POST /v1/oauth/revoke {"token"}: the connection ends; its tokens answer 401 / invalid_grant."""
    state = _state(request)
    try:
        check_version(request)
        _client(request, state)
        tok = (await json_body(request)).get("token")
        if not isinstance(tok, str) or not tok:
            raise validation_error("body failed validation: body.token should be defined, instead was `undefined`.")
        state.revoke_token(tok)
        return notion_json({})
    except NotionError as error:
        return error.response()


async def introspect(request: Request) -> Response:
    """POST /v1/oauth/introspect {"token"}: whether an access or refresh token is live."""
    state = _state(request)
    try:
        check_version(request)
        _client(request, state)
        tok = (await json_body(request)).get("token")
        if not isinstance(tok, str):
            raise validation_error("body failed validation: body.token should be defined, instead was `undefined`.")
        live = state.authenticate(tok)
        active = (live is not None and NOTION_SCOPE in live.scopes) or (
            (grant := state.grant_for_refresh_token(tok)) is not None and NOTION_SCOPE in grant.scopes
        )
        return notion_json({"active": active, "scope": "read_content" if active else None})
    except NotionError as error:
        return error.response()


def issue_notion_tokens(state: SandboxState, email: str) -> tuple[str, str]:
    """(access_token, refresh_token) of a new Notion connection, without the consent dance (tests, benches)."""
    with state.lock:
        state.add_user(email)
        grant = state.grant(email, SANDBOX_CLIENT_ID, (NOTION_SCOPE,))
        assert grant.refresh_token is not None
        return state.issue_access_token(grant, ttl=math.inf, prefix=ACCESS_PREFIX), grant.refresh_token


routes = [
    Route("/v1/oauth/authorize", authorize, methods=["GET"]),
    Route("/v1/oauth/token", token, methods=["POST"]),
    Route("/v1/oauth/revoke", revoke, methods=["POST"]),
    Route("/v1/oauth/introspect", introspect, methods=["POST"]),
]
