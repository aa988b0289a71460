"""Connecting a Google account: the authorization-code flow with PKCE and a loopback redirect.

Like `gcloud auth login`: "browser" opens the consent page and catches the redirect on a
loopback port; "headless" prints the URL and asks for the redirected URL to be pasted back (the
browser may be on another machine); "sandbox" lets the sandbox's auto-consenting authorize
endpoint redirect straight to our loopback server, driven by httpx, with no browser at all.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import httpx
from google_auth_oauthlib.flow import InstalledAppFlow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from pydantic import SecretStr
from requests.exceptions import RequestException

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.domain.errors import (
    AuthRevokedError,
    ConfigurationError,
    ConnectorError,
    TransientError,
)

GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_REVOKE_URI = "https://oauth2.googleapis.com/revoke"
HEADLESS_DEFAULT_PORT = 8085  # what gcloud uses; nothing listens there in headless mode
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_ENV_LOCK = threading.Lock()

Mode = Literal["browser", "headless", "sandbox"]


def google_client_config(client_id: str, client_secret: str) -> OAuthClientConfig:
    """The production endpoints (the bundled discovery document is used for Drive)."""
    return OAuthClientConfig(
        client_id=client_id,
        client_secret=SecretStr(client_secret),
        auth_uri=GOOGLE_AUTH_URI,
        token_uri=GOOGLE_TOKEN_URI,
        revoke_uri=GOOGLE_REVOKE_URI,
    )


def _is_loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


@contextlib.contextmanager
def _oauthlib_env(client: OAuthClientConfig) -> Iterator[None]:
    """oauthlib refuses http URLs; allow them only for a loopback server, only during the call.

    RELAX_TOKEN_SCOPE: Google may grant a different scope set (granular consent); we check the
    granted scopes ourselves instead of letting oauthlib raise a bare Warning.
    """
    wanted = {"OAUTHLIB_RELAX_TOKEN_SCOPE": "1"}
    if _is_loopback_http(client.auth_uri) and _is_loopback_http(client.token_uri):
        wanted["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    with _ENV_LOCK:
        saved = {key: os.environ.get(key) for key in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


class RedirectCatcher:
    """A one-shot loopback HTTP server that records the redirect the authorize endpoint sends."""

    def __init__(self, port: int):
        catcher = self
        self.path: str | None = None
        self._arrived = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                catcher.path = self.path
                catcher._arrived.set()
                body = b"Authorization received; you may close this window."
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # the request line carries the authorization code: never log it

        self._server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def wait(self, timeout: float) -> None:
        """Block until the browser comes back to the loopback server (or `timeout` seconds pass)."""
        self._arrived.wait(timeout)

    def __enter__(self) -> RedirectCatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # the redirect (if any) arrived while httpx followed it, so stopping now loses nothing
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()


def code_from_redirect(url: str, state: str) -> str:
    params = parse_qs(urlsplit(url.strip()).query)
    if "error" in params:
        raise AuthRevokedError(f"authorization was not granted: {params['error'][0]}")
    if params.get("state", [None])[0] != state:
        raise ConfigurationError("the redirected URL does not belong to this sign-in (state mismatch)")
    code = params.get("code", [None])[0]
    if not code:
        raise ConfigurationError("the redirected URL carries no authorization code")
    return code


def _flow(client: OAuthClientConfig, scopes: Sequence[str]) -> InstalledAppFlow:
    config = {
        "installed": {
            "client_id": client.client_id,
            "client_secret": client.client_secret.get_secret_value(),
            "auth_uri": client.auth_uri,
            "token_uri": client.token_uri,
            "redirect_uris": ["http://localhost", "http://127.0.0.1"],
        }
    }
    return InstalledAppFlow.from_client_config(config, scopes=list(scopes))


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
    """Run the consent flow and return the account's tokens (a refresh token included)."""
    extra = {"access_type": "offline", "prompt": "consent"}
    if login_hint:
        extra["login_hint"] = login_hint
    with _oauthlib_env(client):
        flow = _flow(client, scopes)
        try:
            if mode == "browser":
                flow.run_local_server(host="localhost", port=port, open_browser=True, timeout_seconds=timeout, **extra)
            elif mode == "headless":
                flow.redirect_uri = f"http://localhost:{port or HEADLESS_DEFAULT_PORT}/"
                url, state = flow.authorization_url(**extra)
                echo(f"Open this URL in a browser on any machine and approve access:\n\n    {url}\n")
                echo("The browser then fails to load a http://localhost page; copy that page's full URL.")
                flow.fetch_token(code=code_from_redirect(prompt("Paste the full redirected URL: "), state))
            elif mode == "sandbox":
                with RedirectCatcher(port) as catcher:
                    flow.redirect_uri = catcher.redirect_uri
                    url, state = flow.authorization_url(**extra)
                    httpx.get(url, follow_redirects=True, timeout=timeout).raise_for_status()
                if catcher.path is None:
                    raise TransientError("the sandbox never redirected back to the loopback server")
                flow.fetch_token(code=code_from_redirect(catcher.path, state))
            else:
                raise ConfigurationError(f"unknown authorization mode {mode!r}")
        except ConnectorError:
            raise
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            raise ConfigurationError(f"the authorization endpoint answered HTTP {status}") from None
        except OAuth2Error as exc:
            raise AuthRevokedError(f"the token endpoint refused the authorization: {exc.error}") from None
        except (RequestException, httpx.HTTPError, OSError) as exc:
            raise TransientError(f"could not complete the sign-in: {type(exc).__name__}") from None
    return _tokens(flow, scopes)


def _tokens(flow: InstalledAppFlow, scopes: Sequence[str]) -> OAuthTokens:
    creds = flow.credentials
    granted = creds.granted_scopes or creds.scopes or list(scopes)
    if isinstance(granted, str):
        granted = granted.split()
    missing = set(scopes) - set(granted)
    if missing:
        raise AuthRevokedError(f"the account did not grant the requested scopes: {sorted(missing)}")
    if not creds.refresh_token:
        raise AuthRevokedError("no refresh token was issued; revoke the app's access and connect again")
    return OAuthTokens(
        access_token=SecretStr(creds.token),
        refresh_token=SecretStr(creds.refresh_token),
        expiry=creds.expiry,
        scopes=tuple(granted),
    )


def revoke(client: OAuthClientConfig, tokens: OAuthTokens, *, timeout: float = 10.0) -> bool:
    """Ask the provider to forget the grant. True on success; never raises, never logs the token."""
    secret = tokens.refresh_token or tokens.access_token
    if secret is None:
        return False
    try:
        response = httpx.post(
            client.revoke_uri or GOOGLE_REVOKE_URI,
            data={"token": secret.get_secret_value()},
            timeout=timeout,
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200
