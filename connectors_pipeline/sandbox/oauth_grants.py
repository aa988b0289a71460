"""The sandbox's OAuth side: its client, authorization codes, and grants with their refresh and access tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors_pipeline.sandbox.state import User

SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"

AUTH_CODE_TTL_SECONDS = 600.0
_TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    code_challenge: str
    scopes: tuple[str, ...]
    email: str
    offline: bool
    expires_at: float  # time.monotonic()


@dataclass
class Grant:
    """One consent of a user to a client; its refresh token and access tokens live and die with it."""

    grant_id: int
    email: str
    client_id: str
    scopes: tuple[str, ...]
    refresh_token: str | None
    revoked: bool = False


@dataclass
class AccessToken:
    grant_id: int
    email: str
    scopes: tuple[str, ...]
    expires_at: float  # time.monotonic(); real time, because google-auth judges expiry by wall clock


class OAuthGrantsMixin:
    """SandboxState's OAuth methods; SandboxState creates the attributes declared here."""

    lock: threading.RLock
    seed: int
    _token_rng: random.Random
    access_token_ttl: int
    clients: dict[str, str]
    users: dict[str, User]
    _codes: dict[str, AuthCode]
    _grants: dict[int, Grant]
    _refresh: dict[str, int]
    _access: dict[str, AccessToken]

    if TYPE_CHECKING:

        def add_user(self, email: str, display_name: str | None = None) -> User: ...

    def _secret(self, prefix: str, length: int = 40) -> str:
        with self.lock:
            return prefix + "".join(self._token_rng.choice(_TOKEN_ALPHABET) for _ in range(length))

    def check_client(self, client_id: str | None, client_secret: str | None) -> str | None:
        """None if the client authenticates, else the RFC 6749 error_description to send with 401."""
        if not client_id or client_id not in self.clients:
            return "The OAuth client was not found."
        if client_secret != self.clients[client_id]:
            return "Unauthorized"
        return None

    def issue_code(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        code_challenge: str,
        scopes: tuple[str, ...],
        email: str,
        offline: bool = True,
    ) -> str:
        with self.lock:
            code = self._secret("4/0Sbx", 60)
            self._codes[code] = AuthCode(
                client_id,
                redirect_uri,
                code_challenge,
                scopes,
                email,
                offline,
                time.monotonic() + AUTH_CODE_TTL_SECONDS,
            )
            return code

    def take_code(self, code: str) -> AuthCode | None:
        """Single use: a code is gone after the first exchange attempt, and useless once expired."""
        with self.lock:
            auth = self._codes.pop(code, None)
            if auth is None or auth.expires_at < time.monotonic():
                return None
            return auth

    def grant(self, email: str, client_id: str, scopes: tuple[str, ...], offline: bool = True) -> Grant:
        with self.lock:
            refresh = self._signed_refresh_token(email, client_id, scopes) if offline else None
            return self._register_grant(email, client_id, scopes, refresh)

    def _register_grant(self, email: str, client_id: str, scopes: tuple[str, ...], refresh: str | None) -> Grant:
        grant_id = len(self._grants) + 1
        g = Grant(grant_id, email, client_id, scopes, refresh)
        self._grants[grant_id] = g
        if refresh:
            self._refresh[refresh] = grant_id
        return g

    # A refresh token carries its grant, signed with a key derived from the seed, so a restarted sandbox
    # with the same seed still honours the tokens an earlier one issued (e.g. the demo's account, when
    # runs are launched later from the Dagster UI against `connectors sandbox serve`).
    def _signing_key(self) -> bytes:
        return hashlib.sha256(f"sandbox-refresh-tokens-{self.seed}".encode()).digest()

    def _signed_refresh_token(self, email: str, client_id: str, scopes: tuple[str, ...]) -> str:
        payload = (
            base64.urlsafe_b64encode(json.dumps([email, client_id, list(scopes), self._secret("", 16)]).encode())
            .decode()
            .rstrip("=")
        )
        mac = hmac.new(self._signing_key(), payload.encode(), hashlib.sha256).hexdigest()[:32]
        return f"1//0Sbx{payload}.{mac}"

    def _reinstate(self, refresh_token: str) -> Grant | None:
        body = refresh_token.removeprefix("1//0Sbx")
        payload, _, mac = body.rpartition(".")
        expected = hmac.new(self._signing_key(), payload.encode(), hashlib.sha256).hexdigest()[:32]
        if not payload or not hmac.compare_digest(mac, expected):
            return None
        try:
            email, client_id, scopes, _nonce = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return None
        if email not in self.users or client_id not in self.clients:
            return None
        return self._register_grant(email, client_id, tuple(scopes), refresh_token)

    def issue_access_token(
        self,
        grant: Grant,
        scopes: tuple[str, ...] | None = None,
        *,
        ttl: float | None = None,
        prefix: str = "ya29.sandbox-",
    ) -> str:
        """A new access token of the grant, living `ttl` seconds (default access_token_ttl; inf: forever)."""
        with self.lock:
            token = self._secret(prefix, 100)
            lifetime = self.access_token_ttl if ttl is None else ttl
            self._access[token] = AccessToken(
                grant.grant_id, grant.email, scopes or grant.scopes, time.monotonic() + lifetime
            )
            return token

    def issue_tokens(
        self, email: str, scopes: tuple[str, ...] = ("https://www.googleapis.com/auth/drive.readonly",)
    ) -> tuple[str, str]:
        """(access_token, refresh_token) for a user without the browser dance; for tests and benches."""
        with self.lock:
            self.add_user(email)
            g = self.grant(email, SANDBOX_CLIENT_ID, scopes)
            assert g.refresh_token is not None
            return self.issue_access_token(g), g.refresh_token

    def grant_for_refresh_token(self, refresh_token: str) -> Grant | None:
        with self.lock:
            gid = self._refresh.get(refresh_token)
            g = self._grants.get(gid) if gid is not None else self._reinstate(refresh_token)
            return g if g is not None and not g.revoked else None

    def authenticate(self, access_token: str) -> AccessToken | None:
        """The live access token, or None when unknown, expired or its grant was revoked."""
        with self.lock:
            tok = self._access.get(access_token)
            if tok is None or tok.expires_at <= time.monotonic():
                return None
            if self._grants[tok.grant_id].revoked:
                return None
            return tok

    def revoke_token(self, token: str) -> bool:
        """Revoke the grant behind an access or refresh token (Google revokes the whole grant)."""
        with self.lock:
            gid = self._refresh.get(token)
            if gid is None and token in self._access:
                gid = self._access[token].grant_id
            if gid is None or self._grants[gid].revoked:
                return False
            self._grants[gid].revoked = True
            return True

    def revoke_user_grants(self, email: str) -> None:
        """The user removed the app's access: refresh gives invalid_grant, access tokens give 401."""
        with self.lock:
            for g in self._grants.values():
                if g.email == email:
                    g.revoked = True

    def expire_access_tokens(self, email: str | None = None) -> None:
        """Make current access tokens stale server-side; clients then see 401 and refresh once."""
        with self.lock:
            for tok in self._access.values():
                if email is None or tok.email == email:
                    tok.expires_at = 0.0

    def expire_access_token(self, access_token: str) -> bool:
        """Make one access token stale server-side (its grant lives on); False if the token is unknown."""
        with self.lock:
            tok = self._access.get(access_token)
            if tok is None:
                return False
            tok.expires_at = 0.0
            return True
