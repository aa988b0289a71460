"""The sandbox's in-memory world: users and their drives, ids and time, plus (mixed in) OAuth, requests, faults."""

from __future__ import annotations

import random
import string
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from connectors_pipeline.sandbox.drive_state import DriveAccount, identity_of
from connectors_pipeline.sandbox.faults import FaultRule, FaultsMixin
from connectors_pipeline.sandbox.gmail_state import Mailbox
from connectors_pipeline.sandbox.notion_limits import NotionRateLimiter
from connectors_pipeline.sandbox.notion_state import NotionWorkspace
from connectors_pipeline.sandbox.oauth_grants import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    AccessToken,
    AuthCode,
    Grant,
    OAuthGrantsMixin,
)
from connectors_pipeline.sandbox.request_log import RequestLogMixin, RequestRecord

T = TypeVar("T")
_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


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


class SandboxState(OAuthGrantsMixin, RequestLogMixin, FaultsMixin):
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
        self._mailboxes: dict[str, Mailbox] = {}
        self._notion: dict[str, NotionWorkspace] = {}
        # Notion's request limit: (requests a second, burst) per access token; None (default) is off.
        self.notion_rate_limit: tuple[float, float] | None = None
        self.notion_rate_limited = 0  # requests refused with 429 by that limit
        self.notion_limiter = NotionRateLimiter()
        self._codes: dict[str, AuthCode] = {}
        self._grants: dict[int, Grant] = {}
        self._refresh: dict[str, int] = {}
        self._access: dict[str, AccessToken] = {}
        self.requests: list[RequestRecord] = []
        self._faults: list[FaultRule] = []
        self._fault_counts: dict[str, int] = {}

    # ------------------------------------------------------------------ ids/time
    def new_file_id(self) -> str:
        with self.lock:
            return "1" + "".join(self._rng.choice(_ID_ALPHABET) for _ in range(32))

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
            default_name, permission_id = identity_of(email)
            user = User(email, display_name or default_name, permission_id)
            self.users[email] = user
            self._drives[email] = DriveAccount(
                email=email,
                display_name=user.display_name,
                permission_id=permission_id,
                lock=self.lock,
                new_id=self.new_file_id,
                now=self._mutation_time,
                identity=self.identity,
            )
            self._mailboxes[email] = Mailbox(
                email,
                self.lock,
                mutation_time=self._mutation_time,
                clock=self.clock.now,
                seed=f"gmail-{self.seed}-{email}",  # its own RNG: mail never shifts Drive's seeded ids
            )
            self._notion[email] = NotionWorkspace(
                email,
                user.display_name,
                self.lock,
                mutation_time=self._mutation_time,
                clock=self.clock.now,
                seed=f"notion-{self.seed}-{email}",  # its own RNG: Notion never shifts Drive's seeded ids
            )
            return user

    def identity(self, email: str) -> tuple[str, str]:
        """(displayName, permissionId) of anyone: a registered user's own, else derived from the e-mail."""
        with self.lock:
            user = self.users.get(email) or next(
                (u for u in self.users.values() if u.email.lower() == email.lower()), None
            )
            if user is not None:
                return user.display_name, user.permission_id
        return identity_of(email)

    def drive(self, email: str) -> DriveAccount:
        with self.lock:
            if email not in self._drives:
                raise KeyError(f"no sandbox user {email!r}; call add_user first")
            return self._drives[email]

    def notion(self, email: str) -> NotionWorkspace:
        """The user's Notion workspace (matched case-insensitively, like mailbox)."""
        return self._of_user(self._notion, email)

    def mailbox(self, email: str) -> Mailbox:
        """The user's Gmail mailbox (matched case-insensitively, as a token's e-mail may be spelt)."""
        return self._of_user(self._mailboxes, email)

    def _of_user(self, worlds: dict[str, T], email: str) -> T:
        with self.lock:
            found = worlds.get(email) or next((w for key, w in worlds.items() if key.lower() == email.lower()), None)
            if found is None:
                raise KeyError(f"no sandbox user {email!r}; call add_user first")
            return found
