"""OAuth against the sandbox with the real google-auth-oauthlib and google-auth clients over HTTP."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError

from connectors_pipeline.sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SandboxServer,
    SandboxState,
    sandbox_client_config,
)

from .conftest import ALICE, BOB, DRIVE_READONLY, make_credentials

REDIRECT = "http://127.0.0.1:8765/callback"


def _flow(server: SandboxServer) -> Flow:
    config = sandbox_client_config(server.url)
    client = {
        "installed": {
            "client_id": config.client_id,
            "client_secret": config.client_secret.get_secret_value(),
            "auth_uri": config.auth_uri,
            "token_uri": config.token_uri,
            "redirect_uris": ["http://127.0.0.1"],
        }
    }
    return Flow.from_client_config(client, scopes=[DRIVE_READONLY], redirect_uri=REDIRECT)


def _authorize(url: str) -> dict[str, list[str]]:
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


@pytest.fixture(autouse=True)
def _insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    # oauthlib refuses http:// endpoints unless told this is a local test.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def test_pkce_flow_gives_working_credentials(state: SandboxState, server: SandboxServer) -> None:
    flow = _flow(server)
    url, csrf = flow.authorization_url(access_type="offline", prompt="consent", login_hint=BOB)
    assert "code_challenge_method=S256" in url
    params = _authorize(url)
    assert params["state"] == [csrf]
    flow.fetch_token(code=params["code"][0])
    creds = flow.credentials
    assert creds.token and creds.refresh_token
    assert creds.token_uri == f"{server.url}/token"
    (token_call,) = state.requests_to("^/token$")
    assert token_call.status == 200
    about = httpx.get(
        f"{server.url}/drive/v3/about",
        params={"fields": "user"},
        headers={"Authorization": f"Bearer {creds.token}"},
    ).json()
    assert about["user"]["emailAddress"] == BOB  # login_hint picked the consenting user
    assert about["user"]["kind"] == "drive#user"


def test_authorization_code_is_single_use(server: SandboxServer) -> None:
    flow = _flow(server)
    url, _ = flow.authorization_url()
    code = _authorize(url)["code"][0]
    flow.fetch_token(code=code)
    with pytest.raises(InvalidGrantError):
        flow.fetch_token(code=code)


def test_wrong_pkce_verifier_is_invalid_grant(server: SandboxServer) -> None:
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    response = httpx.get(
        f"{server.url}/o/oauth2/auth",
        params={
            "client_id": SANDBOX_CLIENT_ID,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": DRIVE_READONLY,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    bad = httpx.post(
        f"{server.url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": "w" * 64,
        },
        auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"client_id": "nope"}, 401, None),
        ({"redirect_uri": "https://evil.example/cb"}, 400, None),
        ({"code_challenge": None}, 302, "invalid_request"),
        ({"code_challenge_method": "plain"}, 302, "invalid_request"),
        ({"response_type": "token"}, 302, "unsupported_response_type"),
        ({"scope": "https://evil.example/scope"}, 302, "invalid_scope"),
    ],
)
def test_authorize_rejects_bad_requests(
    server: SandboxServer, params: dict[str, str | None], status: int, error: str | None
) -> None:
    query = {
        "client_id": SANDBOX_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": DRIVE_READONLY,
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
        "state": "xyz",
    }
    query.update(params)  # type: ignore[arg-type]
    response = httpx.get(f"{server.url}/o/oauth2/auth", params={k: v for k, v in query.items() if v is not None})
    assert response.status_code == status
    if error:
        got = parse_qs(urlsplit(response.headers["location"]).query)
        assert got["error"] == [error] and got["state"] == ["xyz"]


def test_refresh_then_revoked_grant_is_invalid_grant(state: SandboxState, server: SandboxServer) -> None:
    _, refresh = state.issue_tokens(ALICE, (DRIVE_READONLY,))
    creds = Credentials(
        token=None,
        refresh_token=refresh,
        token_uri=f"{server.url}/token",
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
    )
    creds.refresh(Request())
    assert creds.valid and creds.refresh_token == refresh  # refresh responses carry no new refresh token
    state.revoke_user_grants(ALICE)
    with pytest.raises(RefreshError) as excinfo:
        creds.refresh(Request())
    assert "invalid_grant" in str(excinfo.value)
    assert excinfo.value.args[1]["error"] == "invalid_grant"
    assert not excinfo.value.retryable


def test_wrong_client_secret_is_invalid_client(state: SandboxState, server: SandboxServer) -> None:
    creds = make_credentials(state, server)
    bad = Credentials(
        token=None,
        refresh_token=creds.refresh_token,
        token_uri=creds.token_uri,
        client_id=SANDBOX_CLIENT_ID,
        client_secret="wrong",
    )
    with pytest.raises(RefreshError, match="invalid_client"):
        bad.refresh(Request())
    assert state.requests_to("^/token$")[-1].status == 401


def test_revoke_endpoint(state: SandboxState, server: SandboxServer) -> None:
    creds = make_credentials(state, server)
    assert httpx.post(f"{server.url}/revoke", params={"token": creds.refresh_token}).status_code == 200
    again = httpx.post(f"{server.url}/revoke", data={"token": creds.refresh_token})
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(Request())


def test_token_endpoint_rfc6749_errors(server: SandboxServer) -> None:
    auth = (SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
    unsupported = httpx.post(f"{server.url}/token", data={"grant_type": "password"}, auth=auth)
    assert unsupported.status_code == 400 and unsupported.json()["error"] == "unsupported_grant_type"
    missing = httpx.post(f"{server.url}/token", data={"grant_type": "refresh_token"}, auth=auth)
    assert missing.json()["error"] == "invalid_request"
    unknown = httpx.post(
        f"{server.url}/token",
        data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "who", "client_secret": "?"},
    )
    assert unknown.status_code == 401
    assert unknown.json() == {
        "error": "invalid_client",
        "error_description": "The OAuth client was not found.",
    }


def test_sandbox_client_config_points_at_server(server: SandboxServer) -> None:
    config = sandbox_client_config(server.url + "/")
    assert config.token_uri == f"{server.url}/token"
    assert config.discovery_url == f"{server.url}/discovery/v1/apis/{{api}}/{{apiVersion}}/rest"


def test_a_restarted_sandbox_with_the_same_seed_honours_an_earlier_refresh_token():
    from connectors_pipeline.sandbox import SandboxState

    first = SandboxState(seed=3)
    _access, refresh = first.issue_tokens("ada@example.com")
    restarted = SandboxState(seed=3)
    restarted.add_user("ada@example.com")
    other_seed = SandboxState(seed=4)
    other_seed.add_user("ada@example.com")

    assert restarted.grant_for_refresh_token(refresh) is not None
    assert other_seed.grant_for_refresh_token(refresh) is None
    assert restarted.grant_for_refresh_token(refresh[:-1] + ("0" if refresh[-1] != "0" else "1")) is None
