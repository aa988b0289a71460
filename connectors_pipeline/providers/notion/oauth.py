"""Connecting a Notion workspace: the public-integration OAuth flow (no PKCE; HTTP Basic client auth).

The modes are Google's (providers/google_oauth.py): "browser" opens Notion's consent page and
catches the redirect on a loopback port, "headless" prints the URL and takes the redirected URL
back, "sandbox" lets the sandbox's auto-consenting endpoint redirect straight to us.
"""

from __future__ import annotations

import secrets
import webbrowser
from collections.abc import Callable, Sequence
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.domain.errors import ConfigurationError, ConnectorError, TransientError
from connectors_pipeline.providers.google_oauth import Mode, RedirectCatcher, code_from_redirect
from connectors_pipeline.providers.notion.client import NOTION_API, notion_client, tokens_from_answer
from connectors_pipeline.providers.notion.errors import translate

NOTION_SCOPES: tuple[str, ...] = ()  # Notion grants what the person picks on the consent page, not scopes
# Notion only redirects to URIs registered with the integration, port included: register this one.
BROWSER_REDIRECT_PORT = 8086


def notion_client_config(client_id: str, client_secret: str) -> OAuthClientConfig:
    return OAuthClientConfig(
        client_id=client_id,
        client_secret=SecretStr(client_secret),
        auth_uri=f"{NOTION_API}/v1/oauth/authorize",
        token_uri=f"{NOTION_API}/v1/oauth/token",
        revoke_uri=f"{NOTION_API}/v1/oauth/revoke",
        api_base_url=NOTION_API,
    )


def _authorize_url(client: OAuthClientConfig, redirect_uri: str, state: str, login_hint: str | None) -> str:
    params = {"client_id": client.client_id, "response_type": "code", "owner": "user", "redirect_uri": redirect_uri}
    if login_hint:
        params["login_hint"] = login_hint  # only the sandbox reads it (which of its users consents)
    # From the API base, like the token exchange notion-client makes: one URL is all a sandbox changes.
    base = (client.api_base_url or NOTION_API).rstrip("/")
    return f"{base}/v1/oauth/authorize?{urlencode({**params, 'state': state})}"


def authorize(
    client: OAuthClientConfig,
    scopes: Sequence[str],
    *,
    mode: Mode,
    login_hint: str | None = None,
    port: int = 0,
    prompt: Callable[[str], str] = input,
    echo: Callable[[str], None] = print,
    timeout: float = 300.0,
) -> OAuthTokens:
    """Run the consent flow and exchange the code for the workspace connection's tokens."""
    state = secrets.token_urlsafe(24)
    try:
        if mode == "headless":
            redirect_uri = f"http://localhost:{port or BROWSER_REDIRECT_PORT}/"
            url = _authorize_url(client, redirect_uri, state, None)
            echo(f"Open this URL in a browser and approve access:\n\n    {url}\n")
            code = code_from_redirect(prompt("Paste the full redirected URL: "), state)
        elif mode in ("browser", "sandbox"):
            with RedirectCatcher(port or (BROWSER_REDIRECT_PORT if mode == "browser" else 0)) as catcher:
                redirect_uri = catcher.redirect_uri
                url = _authorize_url(client, redirect_uri, state, login_hint)
                if mode == "browser":
                    webbrowser.open(url)
                    catcher.wait(timeout)
                else:
                    httpx.get(url, follow_redirects=True, timeout=timeout).raise_for_status()
            if catcher.path is None:
                raise TransientError("the consent page never redirected back to the loopback server")
            code = code_from_redirect(catcher.path, state)
        else:
            raise ConfigurationError(f"unknown authorization mode {mode!r}")
        answer = notion_client(client, None, timeout).oauth.token(
            client_id=client.client_id,
            client_secret=client.client_secret.get_secret_value(),
            grant_type="authorization_code",
            code=code,
            redirect_uri=redirect_uri,
        )
    except ConnectorError:
        raise
    except httpx.HTTPStatusError as exc:
        raise ConfigurationError(f"the authorization endpoint answered HTTP {exc.response.status_code}") from None
    except Exception as exc:
        raise translate(exc, "exchanging the Notion authorization code") from None
    return tokens_from_answer(answer, tuple(scopes))


def revoke(client: OAuthClientConfig, tokens: OAuthTokens, *, timeout: float = 10.0) -> bool:
    """Ask Notion to forget the connection. True on success; never raises, never logs the token."""
    if tokens.access_token is None:
        return False
    try:
        notion_client(client, None, timeout).oauth.revoke(
            client_id=client.client_id,
            client_secret=client.client_secret.get_secret_value(),
            token=tokens.access_token.get_secret_value(),
        )
    except Exception:
        return False
    return True
