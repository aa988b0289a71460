"""The connect flow against the sandbox's OAuth endpoints: sandbox and headless modes, and revoke."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from connectors_pipeline.domain.errors import AuthRevokedError, ConfigurationError
from connectors_pipeline.providers.google_drive import DRIVE_SCOPES
from connectors_pipeline.providers.google_oauth import authorize, revoke


def test_sandbox_flow_yields_offline_tokens(sandbox: Any) -> None:
    tokens = sandbox.tokens
    assert tokens.access_token is not None and tokens.refresh_token is not None
    assert tokens.access_token.get_secret_value() != tokens.refresh_token.get_secret_value()
    assert tokens.expiry is not None and tokens.expiry.tzinfo is None  # naive UTC, as google-auth wants
    assert tokens.expiry > datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=30)
    assert set(DRIVE_SCOPES) <= set(tokens.scopes)
    (auth,) = sandbox.state.requests_to(r"^/o/oauth2/auth$")
    assert auth.query["access_type"] == "offline" and auth.query["prompt"] == "consent"
    assert auth.query["code_challenge_method"] == "S256"  # PKCE
    assert auth.query["login_hint"] == sandbox.email
    assert auth.query["redirect_uri"].startswith("http://127.0.0.1:")
    # the insecure-transport switch is only on for the duration of the call
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


def test_browser_flow_catches_the_loopback_redirect(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import google_auth_oauthlib.flow as flow_module

    class FakeBrowser:
        """Stands in for the person's browser: follows the consent redirect to the loopback server."""

        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            threading.Thread(target=httpx.get, args=(url,), kwargs={"follow_redirects": True}).start()
            return True

    monkeypatch.setattr(flow_module.webbrowser, "get", lambda *_: FakeBrowser())
    tokens = authorize(sandbox.client, DRIVE_SCOPES, mode="browser", timeout=20)
    assert tokens.refresh_token is not None
    (auth,) = sandbox.state.requests_to(r"^/o/oauth2/auth$")[-1:]
    assert auth.query["redirect_uri"].startswith("http://localhost:")


def test_unknown_client_is_a_configuration_error(sandbox: Any) -> None:
    wrong = sandbox.client.model_copy(update={"client_id": "nobody"})
    with pytest.raises(ConfigurationError, match="401"):
        authorize(wrong, DRIVE_SCOPES, mode="sandbox")


def test_headless_flow_takes_the_pasted_redirect_url(sandbox: Any) -> None:
    shown: list[str] = []

    def paste(_: str) -> str:
        # the person opens the URL elsewhere; the browser lands on a dead localhost page whose URL they copy
        url = next(line.strip() for text in shown for line in text.splitlines() if "/o/oauth2/auth?" in line)
        location = httpx.get(url, follow_redirects=False).headers["location"]
        assert location.startswith("http://localhost:8085/")
        return location

    tokens = authorize(sandbox.client, DRIVE_SCOPES, mode="headless", prompt=paste, echo=shown.append)
    assert tokens.refresh_token is not None


def test_headless_flow_rejects_a_url_from_another_sign_in(sandbox: Any) -> None:
    with pytest.raises(ConfigurationError, match="state"):
        authorize(
            sandbox.client,
            DRIVE_SCOPES,
            mode="headless",
            prompt=lambda _: "http://localhost:8085/?code=abc&state=forged",
            echo=lambda _: None,
        )


def test_headless_flow_reports_a_denied_consent(sandbox: Any) -> None:
    with pytest.raises(AuthRevokedError, match="access_denied"):
        authorize(
            sandbox.client,
            DRIVE_SCOPES,
            mode="headless",
            prompt=lambda _: "http://localhost:8085/?error=access_denied&state=x",
            echo=lambda _: None,
        )


def test_revoke_kills_the_grant(sandbox: Any) -> None:
    assert revoke(sandbox.client, sandbox.tokens) is True
    assert sandbox.state.requests_to(r"^/revoke$", "POST")
    with pytest.raises(AuthRevokedError) as info:
        sandbox.provider().profile()
    for secret in sandbox.secrets():
        assert secret not in str(info.value)


def test_revoke_never_raises_on_network_failure(sandbox: Any) -> None:
    dead = sandbox.client.model_copy(update={"revoke_uri": "http://127.0.0.1:9/revoke"})
    assert revoke(dead, sandbox.tokens) is False
