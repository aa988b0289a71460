"""Store fixtures: every store test runs on SQLite and on a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.store import AccountRecord, KeyRing, Store
from connectors_pipeline_tests.postgres import temporary_postgres_database

# Distinctive fake secrets, easy to find if they ever land in a database column.
ACCESS_TOKEN = "ya29.FAKE-ACCESS-7f3c9e1d-never-store-me"
REFRESH_TOKEN = "1//FAKE-REFRESH-0a8b6c4e-never-store-me"
CLIENT_SECRET = "GOCSPX-FAKE-SECRET-5d2e7a9b-never-store-me"
SECRETS = (ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'connectors.db'}"
    else:
        with temporary_postgres_database() as url:
            yield url


@pytest.fixture
def keyring() -> KeyRing:
    ring = KeyRing.from_env(KeyRing.generate_key())
    assert ring is not None
    return ring


@pytest.fixture
def store(database_url: str, keyring: KeyRing) -> Iterator[Store]:
    opened = Store.open(database_url, keyring)
    yield opened
    opened.dispose()


def oauth_client() -> OAuthClientConfig:
    return OAuthClientConfig(
        client_id="client-123.apps.example.com",
        client_secret=CLIENT_SECRET,
        auth_uri="https://accounts.example.com/o/oauth2/auth",
        token_uri="https://oauth2.example.com/token",
    )


def oauth_tokens(access: str = ACCESS_TOKEN, refresh: str | None = REFRESH_TOKEN) -> OAuthTokens:
    return OAuthTokens(
        access_token=access,
        refresh_token=refresh,
        expiry=datetime(2030, 1, 1, 12, 0),
        scopes=("https://www.googleapis.com/auth/drive.readonly",),
    )


def connect(store: Store, external_account_id: str = "user-1", **kwargs: object) -> AccountRecord:
    values: dict[str, object] = dict(
        provider="google_drive",
        external_account_id=external_account_id,
        email=f"{external_account_id}@example.com",
        display_name=f"Person {external_account_id}",
        client=oauth_client(),
        tokens=oauth_tokens(),
    )
    values.update(kwargs)
    return store.connect_account(**values)  # type: ignore[arg-type]


@pytest.fixture
def account(store: Store) -> AccountRecord:
    return connect(store)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
