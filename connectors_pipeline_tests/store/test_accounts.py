"""Accounts and their credentials: encrypted at rest, bound to the account, rotatable, never plaintext."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from connectors_pipeline.domain.accounts import partition_key_for
from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.store import AccountNotFound, CredentialDecryptError, KeyRing, Store
from connectors_pipeline.store.schema import metadata
from connectors_pipeline_tests.store.conftest import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    SECRETS,
    connect,
    oauth_client,
    oauth_tokens,
)


def every_stored_value(store: Store) -> list[str]:
    """Every value of every column of every table (including FTS shadow tables), as text."""
    values: list[str] = []
    with store.engine.connect() as conn:
        for table_name in sa.inspect(conn).get_table_names():
            table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
            for row in conn.execute(sa.select(table)):
                values.extend(repr(value) for value in row)
    return values


def test_connect_stores_no_plaintext_secret_anywhere(store: Store):
    account = connect(store)
    store.update_tokens(account.partition_key, oauth_tokens(access="ya29.FAKE-ACCESS-second-never-store-me"))
    store.log_activity("something_happened", partition_key=account.partition_key, context={"ok": True})

    dump = "\n".join(every_stored_value(store))
    assert account.partition_key in dump  # the scan does see the data
    for secret in (*SECRETS, "ya29.FAKE-ACCESS-second-never-store-me"):
        assert secret not in dump
    assert ACCESS_TOKEN not in repr(store.get_account(account.partition_key))


def test_credentials_roundtrip_and_account_record(store: Store):
    account = connect(store, metadata={"workspace": "acme"})

    assert account.partition_key == partition_key_for("google_drive", "default", "user-1")
    assert account.status == "connected" and account.has_credentials
    assert account.metadata == {"workspace": "acme"}
    assert account.created_at.tzinfo is not None
    client, tokens = store.load_credentials(account.partition_key)
    assert client.client_secret.get_secret_value() == CLIENT_SECRET
    assert client.token_uri == oauth_client().token_uri
    assert tokens.access_token.get_secret_value() == ACCESS_TOKEN
    assert tokens.refresh_token.get_secret_value() == REFRESH_TOKEN
    assert tokens.expiry == oauth_tokens().expiry
    assert tokens.scopes == oauth_tokens().scopes


def test_reconnect_upserts_one_row(store: Store):
    first = connect(store, display_name="Old name")
    store.set_account_status(first.partition_key, "error", "invalid_grant")
    second = connect(store, display_name="New name")

    assert second.partition_key == first.partition_key
    assert second.display_name == "New name"
    assert second.status == "connected" and second.last_error is None
    assert len(store.list_accounts(statuses=None)) == 1
    events = [e.event for e in store.list_activity(partition_key=first.partition_key)]
    assert events == ["connector_connected", "connector_connected"]


def test_ciphertext_moved_to_another_account_fails_to_decrypt(store: Store):
    alice = connect(store, "alice")
    bob = connect(store, "bob")
    accounts = metadata.tables["connector_accounts"]
    with store.engine.begin() as conn:
        stolen = conn.execute(
            sa.select(accounts.c.credentials_ciphertext).where(accounts.c.partition_key == alice.partition_key)
        ).scalar_one()
        conn.execute(
            sa.update(accounts)
            .where(accounts.c.partition_key == bob.partition_key)
            .values(credentials_ciphertext=stolen)
        )

    with pytest.raises(CredentialDecryptError) as excinfo:
        store.load_credentials(bob.partition_key)
    assert ACCESS_TOKEN not in str(excinfo.value)
    store.load_credentials(alice.partition_key)  # the original still works


def test_key_rotation_then_dropping_the_old_key(database_url: str):
    old_key, new_key = KeyRing.generate_key(), KeyRing.generate_key()
    old_store = Store.open(database_url, KeyRing.from_env(old_key))
    account = connect(old_store)
    old_store.dispose()

    rotating = Store.open(database_url, KeyRing.from_env(f"{new_key},{old_key}"))
    assert rotating.load_credentials(account.partition_key)[1].access_token.get_secret_value() == ACCESS_TOKEN
    assert rotating.reencrypt_all() == 1
    assert rotating.reencrypt_all() == 0  # already under the newest key
    rotating.dispose()

    new_only = Store.open(database_url, KeyRing.from_env(new_key))
    try:
        client, tokens = new_only.load_credentials(account.partition_key)
        assert tokens.refresh_token.get_secret_value() == REFRESH_TOKEN
        assert client.client_secret.get_secret_value() == CLIENT_SECRET
    finally:
        new_only.dispose()


def test_refuses_to_store_tokens_without_a_key(database_url: str):
    keyless = Store.open(database_url, None)
    try:
        with pytest.raises(ConfigurationError, match="no encryption key: set CONNECTORS_ENCRYPTION_KEYS"):
            connect(keyless)
        assert keyless.list_accounts(statuses=None) == []  # nothing half-written
    finally:
        keyless.dispose()


def test_update_tokens_keeps_the_refresh_token_when_the_refresh_response_has_none(store: Store, account):
    store.update_tokens(account.partition_key, oauth_tokens(access="ya29.FAKE-new", refresh=None))
    _, tokens = store.load_credentials(account.partition_key)
    assert tokens.access_token.get_secret_value() == "ya29.FAKE-new"
    assert tokens.refresh_token.get_secret_value() == REFRESH_TOKEN


def test_disconnect_deletes_credentials_and_disables_sources(store: Store, account):
    store.add_source(account.partition_key, kind="folder", external_id="folder-1", name="Projects")
    store.disconnect_account(account.partition_key, status="revoked")

    record = store.get_account(account.partition_key)
    assert record.status == "revoked" and not record.has_credentials
    assert store.list_sources(account.partition_key) == []
    assert store.list_accounts() == []
    with pytest.raises(ConfigurationError, match="no stored credentials"):
        store.load_credentials(account.partition_key)
    assert ACCESS_TOKEN not in "\n".join(every_stored_value(store))

    connect(store)  # reconnecting resumes with the same scope
    assert [s.external_id for s in store.list_sources(account.partition_key)] == ["folder-1"]


def test_status_updates_and_listing_filters(store: Store):
    alice, bob = connect(store, "alice"), connect(store, "bob")
    store.set_account_status(bob.partition_key, "error", "token refresh failed")
    store.mark_synced(alice.partition_key)

    assert [a.partition_key for a in store.list_accounts()] == [alice.partition_key]
    assert [a.partition_key for a in store.list_accounts(statuses=("error",))] == [bob.partition_key]
    assert len(store.list_accounts(provider="google_drive", statuses=None)) == 2
    assert store.list_accounts(provider="notion", statuses=None) == []
    assert store.get_account(bob.partition_key).last_error == "token refresh failed"
    synced = store.get_account(alice.partition_key)
    assert synced.last_sync_at is not None and synced.last_sync_at.tzinfo is not None
    with pytest.raises(ValueError):
        store.set_account_status(alice.partition_key, "happy")


def test_unknown_account_raises_account_not_found(store: Store):
    with pytest.raises(AccountNotFound):
        store.get_account("google_drive-000000000000")
    with pytest.raises(AccountNotFound):
        store.load_items("google_drive-000000000000")


def test_sources_upsert_and_scope(store: Store):
    alice, bob = connect(store, "alice"), connect(store, "bob")
    first = store.add_source(alice.partition_key, kind="folder", external_id="f1", name="A", recursive=False)
    again = store.add_source(alice.partition_key, kind="folder", external_id="f1", name="A2", options={"x": 1})
    store.add_source(bob.partition_key, kind="folder", external_id="f9", name="B")

    assert again.id == first.id and again.name == "A2" and again.recursive and again.options == {"x": 1}
    assert [s.external_id for s in store.list_sources(alice.partition_key)] == ["f1"]
    assert {s.external_id for s in store.list_sources()} == {"f1", "f9"}
