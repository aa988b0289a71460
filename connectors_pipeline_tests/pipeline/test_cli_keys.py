"""`connectors keys rotate`: every stored token moves onto the newest key, after which the old one can go."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from connectors_pipeline.cli import main
from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import Store
from connectors_pipeline.store.cipher import CredentialDecryptError, KeyRing, resolve_keyring

ACCESS, REFRESH = "ya29.rotate-me-access", "1//rotate-me-refresh"


def open_store() -> Store:
    settings = Settings.from_env()
    return Store.open(settings.database_url, resolve_keyring(settings, allow_demo_key=False))


def connect(store: Store, n: int) -> str:
    client = OAuthClientConfig(
        client_id="client",
        client_secret=SecretStr("client-secret"),
        auth_uri="https://oauth2.example/auth",
        token_uri="https://oauth2.example/token",
    )
    tokens = OAuthTokens(access_token=SecretStr(ACCESS), refresh_token=SecretStr(REFRESH))
    account = store.connect_account(
        provider="google_drive",
        external_account_id=f"person-{n}",
        email=f"person{n}@example.com",
        display_name=f"Person {n}",
        client=client,
        tokens=tokens,
    )
    return account.partition_key


def test_rotate_moves_every_token_to_the_newest_key_and_the_old_key_can_go(connectors_env, monkeypatch):
    old = connectors_env.encryption_keys
    with open_store() as store:
        keys = [connect(store, n) for n in range(3)]
    new = KeyRing.generate_key()
    monkeypatch.setenv("CONNECTORS_ENCRYPTION_KEYS", f"{new},{old}")

    result = CliRunner().invoke(main, ["keys", "rotate"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert result.output.startswith("3 account(s) re-encrypted")
    assert ACCESS not in result.output and REFRESH not in result.output
    again = CliRunner().invoke(main, ["keys", "rotate"], catch_exceptions=False)
    assert again.output.startswith("0 account(s)")

    monkeypatch.setenv("CONNECTORS_ENCRYPTION_KEYS", new)  # the old key removed
    with open_store() as store:
        for key in keys:
            _, tokens = store.load_credentials(key)
            assert tokens.access_token.get_secret_value() == ACCESS

    monkeypatch.setenv("CONNECTORS_ENCRYPTION_KEYS", old)  # and the old key alone no longer reads them
    with open_store() as store, pytest.raises(CredentialDecryptError):
        store.load_credentials(keys[0])


def test_rotate_without_keys_is_a_clear_error(connectors_env, monkeypatch):
    monkeypatch.delenv("CONNECTORS_ENCRYPTION_KEYS")
    result = CliRunner().invoke(main, ["keys", "rotate"])
    assert result.exit_code != 0 and "CONNECTORS_ENCRYPTION_KEYS is not set" in result.output


def test_generate_prints_a_usable_key():
    result = CliRunner().invoke(main, ["keys", "generate"])
    assert result.exit_code == 0
    assert KeyRing.from_env(result.output.strip()) is not None
