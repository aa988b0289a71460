"""The sandbox's in-memory world: OAuth client, users, grants and tokens, drives, request log and faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors_pipeline.sandbox.drive_state import DriveAccount

SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"

AUTH_CODE_TTL_SECONDS = 600.0
_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
_TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"


class SandboxClock:
    """A manual clock for Drive timestamps, so seeded worlds have the same times on every run."""

    def __init__(self, start: datetime | None = None, tick: timedelta = timedelta(seconds=1)) -> None:
        self._now = start or datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)
        self._tick = tick

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        self._now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        return self._now

    def tick(self) -> datetime:
        """Move on a little for each mutation so every change gets a distinct, increasing time."""
        return self.advance(self._tick)


@dataclass
class User:
    email: str
    display_name: str
    permission_id: str


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


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    status: int = 0
    user: str | None = None


@dataclass
class Fault:
    """Fail the next `times` requests whose path, or path plus `?query`, matches `pattern`."""

    pattern: re.Pattern[str]
    status: int
    reason: str | None
    times: int
    retry_after: float | None
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class SandboxState:
    """Everything the sandbox knows. One re-entrant lock guards it; the server thread and tests share it."""

    def __init__(self, seed: int = 0, *, access_token_ttl: int = 3599, latency_ms: float = 0.0) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self._rng = random.Random(seed)
        # Tokens come from their own RNG so issuing tokens never shifts the ids of seeded files.
        self._token_rng = random.Random(f"tokens-{seed}")
        self.clock = SandboxClock()
        self.access_token_ttl = access_token_ttl
        self.latency_ms = latency_ms
        self.export_size_limit = 10 * 1024 * 1024
        self.clients: dict[str, str] = {SANDBOX_CLIENT_ID: SANDBOX_CLIENT_SECRET}
        self.users: dict[str, User] = {}
        self._drives: dict[str, DriveAccount] = {}
        self._codes: dict[str, AuthCode] = {}
        self._grants: dict[int, Grant] = {}
        self._refresh: dict[str, int] = {}
        self._access: dict[str, AccessToken] = {}
        self.requests: list[RequestRecord] = []
        self._faults: list[Fault] = []

    # ------------------------------------------------------------------ ids/time
    def new_file_id(self) -> str:
        with self.lock:
            return "1" + "".join(self._rng.choice(_ID_ALPHABET) for _ in range(32))

    def _secret(self, prefix: str, length: int = 40) -> str:
        with self.lock:
            return prefix + "".join(self._token_rng.choice(_TOKEN_ALPHABET) for _ in range(length))

    def _mutation_time(self) -> datetime:
        with self.lock:
            return self.clock.tick()

    # --------------------------------------------------------------------- users
    def add_user(self, email: str, display_name: str | None = None) -> User:
        """Register a person (idempotent); the authorize endpoint consents on their behalf."""
        with self.lock:
            if email in self.users:
                return self.users[email]
            # From the e-mail, not the seeded RNG: two users of any sandbox must never share an identity.
            permission_id = str(int(hashlib.sha256(email.lower().encode()).hexdigest(), 16))[:20]
            user = User(email, display_name or email.split("@")[0].replace(".", " ").title(), permission_id)
            self.users[email] = user
            self._drives[email] = DriveAccount(
                email=email,
                display_name=user.display_name,
                permission_id=permission_id,
                lock=self.lock,
                new_id=self.new_file_id,
                now=self._mutation_time,
            )
            return user

    def drive(self, email: str) -> DriveAccount:
        with self.lock:
            if email not in self._drives:
                raise KeyError(f"no sandbox user {email!r}; call add_user first")
            return self._drives[email]

    # --------------------------------------------------------------------- oauth
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

    def issue_access_token(self, grant: Grant, scopes: tuple[str, ...] | None = None) -> str:
        with self.lock:
            token = self._secret("ya29.sandbox-", 100)
            self._access[token] = AccessToken(
                grant.grant_id, grant.email, scopes or grant.scopes, time.monotonic() + self.access_token_ttl
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

    # ------------------------------------------------------------ requests/faults
    def record_request(self, method: str, path: str, query: dict[str, str]) -> RequestRecord:
        rec = RequestRecord(method, path, query)
        with self.lock:
            self.requests.append(rec)
        return rec

    def reset_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    def requests_to(self, path_regex: str, method: str | None = None) -> list[RequestRecord]:
        """Recorded requests whose path matches (re.search), optionally of one method."""
        pattern = re.compile(path_regex)
        with self.lock:
            return [
                r for r in self.requests if pattern.search(r.path) and (method is None or r.method == method.upper())
            ]

    def inject_fault(
        self,
        path_regex: str,
        status: int,
        reason: str | None = None,
        times: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> Fault:
        """Fail the next `times` requests matching `path_regex` with `status` and a provider-shaped body."""
        fault = Fault(re.compile(path_regex), status, reason, times, retry_after, message)
        with self.lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def take_fault(self, path: str, query: str = "") -> Fault | None:
        """The first armed fault whose pattern matches the path or `path?query`, consuming one use."""
        full = f"{path}?{query}" if query else path
        with self.lock:
            for fault in self._faults:
                if fault.times > 0 and (fault.pattern.search(path) or fault.pattern.search(full)):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
            return None

    def snapshot(self) -> dict[str, Any]:
        """A small summary for logs and the CLI."""
        with self.lock:
            return {
                "users": sorted(self.users),
                "files": {e: len(d.files) - 1 for e, d in self._drives.items()},
                "requests": len(self.requests),
            }
