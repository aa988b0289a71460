"""Google OAuth 2.0 endpoints: authorize (auto-consent), token (code + PKCE, refresh), revoke, userinfo."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from connectors_pipeline.sandbox.errors import auth_error, json_response, oauth_error
from connectors_pipeline.sandbox.state import SandboxState

_KNOWN_SCOPE_PREFIX = "https://www.googleapis.com/auth/"
_OPENID_SCOPES = {"openid", "email", "profile"}


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def loopback(redirect_uri: str) -> bool:
    """Installed-app clients may only redirect to a loopback address over http (any port)."""
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1") and not parts.fragment


def _valid_scope(scope: str) -> bool:
    return scope in _OPENID_SCOPES or (scope.startswith(_KNOWN_SCOPE_PREFIX) and len(scope) > len(_KNOWN_SCOPE_PREFIX))


def redirect_to(redirect_uri: str, params: dict[str, str]) -> Response:
    sep = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(redirect_uri + sep + urlencode(params), status_code=302)


async def authorize(request: Request) -> Response:
    """GET /o/oauth2/auth. Client or redirect URI errors are shown, never redirected (RFC 6749 §4.1.2.1)."""
    state = _state(request)
    q = request.query_params
    client_id, redirect_uri = q.get("client_id", ""), q.get("redirect_uri", "")
    if client_id not in state.clients:
        return PlainTextResponse("Error 401: invalid_client\nThe OAuth client was not found.", status_code=401)
    if not redirect_uri or not loopback(redirect_uri):
        return PlainTextResponse(
            "Error 400: redirect_uri_mismatch\nredirect_uri must be a loopback http URI.", status_code=400
        )
    echo = {"state": q["state"]} if "state" in q else {}
    if q.get("response_type") != "code":
        return redirect_to(redirect_uri, {"error": "unsupported_response_type", **echo})
    challenge, method = q.get("code_challenge"), q.get("code_challenge_method", "plain")
    if not challenge or method != "S256" or not 43 <= len(challenge) <= 128:
        return redirect_to(
            redirect_uri,
            {"error": "invalid_request", "error_description": "code_challenge with S256 is required", **echo},
        )
    scopes = tuple(s for s in q.get("scope", "").split(" ") if s)
    if not scopes:
        return redirect_to(
            redirect_uri,
            {"error": "invalid_request", "error_description": "Missing required parameter: scope", **echo},
        )
    if not all(_valid_scope(s) for s in scopes):
        return redirect_to(redirect_uri, {"error": "invalid_scope", **echo})
    with state.lock:
        hint = q.get("login_hint")
        email = hint if hint in state.users else next(iter(state.users), None)
        if email is None:
            return redirect_to(redirect_uri, {"error": "access_denied", **echo})
        # Installed apps get a refresh token unless they explicitly ask for online access.
        code = state.issue_code(
            client_id=client_id,
            redirect_uri=redirect_uri,
            code_challenge=challenge,
            scopes=scopes,
            email=email,
            offline=q.get("access_type", "offline") != "online",
        )
    return redirect_to(redirect_uri, {**echo, "code": code, "scope": " ".join(scopes)})


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None, bool]:
    """(client_id, client_secret, malformed) from HTTP Basic (what oauthlib sends) or the form body."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None, True
        if ":" not in raw:
            return None, None, True
        from urllib.parse import unquote

        cid, secret = raw.split(":", 1)
        return unquote(cid), unquote(secret), False
    return form.get("client_id"), form.get("client_secret"), False


def _pkce_ok(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") == challenge


def _fake_id_token(email: str, client_id: str) -> str:
    """An unsigned JWT-shaped id_token; clients in this project never verify it against Google keys."""

    def b64(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"iss": "https://accounts.google.com", "aud": client_id, "sub": email, "email": email}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


async def token(request: Request) -> Response:
    """POST /token: authorization_code (with PKCE) and refresh_token grants, RFC 6749 errors."""
    state = _state(request)
    body = (await request.body()).decode("utf-8", "replace")
    form = dict(parse_qsl(body, keep_blank_values=True))
    client_id, client_secret, malformed = _client_credentials(request, form)
    if malformed:
        return oauth_error("invalid_request", "Malformed Authorization header")
    problem = state.check_client(client_id, client_secret)
    if problem is not None:
        return oauth_error("invalid_client", problem, status=401)
    assert client_id is not None
    grant_type = form.get("grant_type", "")
    if grant_type == "authorization_code":
        return _code_grant(state, client_id, form)
    if grant_type == "refresh_token":
        return _refresh_grant(state, client_id, form)
    return oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")


def _token_body(state: SandboxState, access: str, scopes: tuple[str, ...]) -> dict[str, object]:
    return {
        "access_token": access,
        "expires_in": state.access_token_ttl,
        "scope": " ".join(scopes),
        "token_type": "Bearer",
    }


def _code_grant(state: SandboxState, client_id: str, form: dict[str, str]) -> Response:
    code = form.get("code")
    if not code:
        return oauth_error("invalid_request", "Missing required parameter: code")
    auth = state.take_code(code)
    if auth is None:
        return oauth_error("invalid_grant", "Malformed auth code.")
    if auth.client_id != client_id:
        return oauth_error("invalid_grant", "Bad Request")
    if form.get("redirect_uri") != auth.redirect_uri:
        return oauth_error("redirect_uri_mismatch", "Bad Request")
    verifier = form.get("code_verifier")
    if not verifier:
        return oauth_error("invalid_grant", "Missing code verifier.")
    if not _pkce_ok(verifier, auth.code_challenge):
        return oauth_error("invalid_grant", "Invalid code verifier.")
    with state.lock:
        grant = state.grant(auth.email, client_id, auth.scopes, offline=auth.offline)
        body = _token_body(state, state.issue_access_token(grant), auth.scopes)
    if grant.refresh_token:
        body["refresh_token"] = grant.refresh_token
    if "openid" in auth.scopes:
        body["id_token"] = _fake_id_token(auth.email, client_id)
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _refresh_grant(state: SandboxState, client_id: str, form: dict[str, str]) -> Response:
    refresh = form.get("refresh_token")
    if not refresh:
        return oauth_error("invalid_request", "Missing required parameter: refresh_token")
    grant = state.grant_for_refresh_token(refresh)
    if grant is None:
        return oauth_error("invalid_grant", "Token has been expired or revoked.")
    if grant.client_id != client_id:
        return oauth_error("unauthorized_client", "Unauthorized")
    scopes = grant.scopes
    if form.get("scope"):
        requested = tuple(s for s in form["scope"].split(" ") if s)
        if not set(requested) <= set(grant.scopes):
            return oauth_error("invalid_scope", "Bad Request")
        scopes = requested
    body = _token_body(state, state.issue_access_token(grant, scopes), scopes)
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def revoke(request: Request) -> Response:
    """POST /revoke?token=... (or form body): revokes the whole grant behind the token."""
    state = _state(request)
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    tok = form.get("token") or request.query_params.get("token")
    if not tok or not state.revoke_token(tok):
        return oauth_error("invalid_token", "Token expired or revoked")
    return json_response({})


async def userinfo(request: Request) -> Response:
    """GET /oauth2/v2/userinfo (and v3): who the bearer token belongs to."""
    state = _state(request)
    header = request.headers.get("authorization", "")
    tok = state.authenticate(header[7:].strip()) if header.lower().startswith("bearer ") else None
    if tok is None:
        return auth_error()
    request.scope["sandbox.record"].user = tok.email
    user = state.users[tok.email]
    return json_response(
        {
            "id": user.permission_id,
            "sub": user.permission_id,
            "email": user.email,
            "verified_email": True,
            "email_verified": True,
            "name": user.display_name,
        }
    )


routes = [
    Route("/o/oauth2/auth", authorize, methods=["GET"]),
    Route("/o/oauth2/v2/auth", authorize, methods=["GET"]),
    Route("/token", token, methods=["POST"]),
    Route("/revoke", revoke, methods=["POST"]),
    Route("/o/oauth2/revoke", revoke, methods=["POST", "GET"]),
    Route("/oauth2/v2/userinfo", userinfo, methods=["GET"]),
    Route("/oauth2/v3/userinfo", userinfo, methods=["GET"]),
]
