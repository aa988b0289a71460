"""A real sandbox over real HTTP, and tokens obtained through the real connect flow."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.providers.google_drive import DRIVE_SCOPES, GoogleDriveProvider
from connectors_pipeline.providers.google_oauth import authorize
from connectors_pipeline.sandbox import SandboxServer, SandboxState, sandbox_client_config, seed_drive
from connectors_pipeline.sandbox.corpus import generate_corpus

EMAIL = "ada@example.com"


@dataclass
class Connected:
    """A sandbox with one connected user and a way to build providers that record saved tokens."""

    state: SandboxState
    server: SandboxServer
    client: OAuthClientConfig
    tokens: OAuthTokens
    seeded: Any = None
    email: str = EMAIL
    saved: list[OAuthTokens] = field(default_factory=list)

    @property
    def drive(self) -> Any:
        return self.state.drive(EMAIL)

    def provider(self, tokens: OAuthTokens | None = None, **kwargs: Any) -> GoogleDriveProvider:
        return GoogleDriveProvider(self.client, tokens or self.tokens, self.saved.append, **kwargs)

    def secrets(self) -> list[str]:
        values = [self.tokens.access_token, self.tokens.refresh_token, self.client.client_secret]
        values += [t.access_token for t in self.saved]
        return [v.get_secret_value() for v in values if v is not None]


def _connect(state: SandboxState) -> Iterator[Connected]:
    with SandboxServer(state, port=0) as server:
        client = sandbox_client_config(server.url)
        tokens = authorize(client, DRIVE_SCOPES, mode="sandbox", login_hint=EMAIL, echo=lambda _: None)
        yield Connected(state, server, client, tokens)


@pytest.fixture(scope="session")
def corpus() -> list[Any]:
    return generate_corpus(seed=0, files=40)


@pytest.fixture(scope="session")
def seeded(corpus: list[Any]) -> Iterator[Connected]:
    """Read-only tests share one seeded sandbox (generating the corpus takes a moment)."""
    state = SandboxState()
    state.add_user(EMAIL)
    seeded_ids = seed_drive(state, EMAIL, corpus)
    for connected in _connect(state):
        connected.seeded = seeded_ids
        yield connected


@pytest.fixture
def sandbox() -> Iterator[Connected]:
    """A fresh, empty sandbox for tests that mutate the drive, inject faults or revoke grants."""
    state = SandboxState()
    state.add_user(EMAIL)
    yield from _connect(state)
