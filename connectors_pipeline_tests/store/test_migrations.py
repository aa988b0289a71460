"""Migrations: idempotent, safe under concurrent opens, and in step with the Core table definitions."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from connectors_pipeline.store import KeyRing, Store
from connectors_pipeline.store.schema import VERSION_TABLE, include_in_autogenerate, metadata
from connectors_pipeline_tests.store.conftest import connect

TABLES = {
    "connector_accounts",
    "connector_sources",
    "connector_items",
    "connector_cursors",
    "connector_jobs",
    "connector_breakers",
    "activity_log",
    "vault_documents",
    "vault_document_versions",
}


def test_opening_twice_is_idempotent_and_keeps_data(database_url: str, keyring: KeyRing):
    first = Store.open(database_url, keyring)
    account = connect(first)
    first.dispose()

    second = Store.open(database_url, keyring)
    try:
        assert second.get_account(account.partition_key).email == account.email
        with second.engine.connect() as conn:
            inspector = sa.inspect(conn)
            assert set(inspector.get_table_names()) >= TABLES
            # Our own version table, so Dagster's `alembic_version` in the same database is untouched.
            assert "alembic_version" not in inspector.get_table_names()
            versions = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        assert versions == ["0004_cursor_fencing"]
    finally:
        second.dispose()


def test_concurrent_opens_migrate_once(database_url: str):
    errors: list[BaseException] = []
    stores: list[Store] = []

    def open_store() -> None:
        try:
            stores.append(Store.open(database_url, None))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.dispose()
    assert errors == []
    assert len(stores) == 4


def test_migrated_schema_matches_the_table_definitions(store: Store):
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": include_in_autogenerate,
                "version_table": VERSION_TABLE,
            },
        )
        assert compare_metadata(context, metadata) == []


def test_dialect_search_objects_exist(store: Store):
    with store.engine.connect() as conn:
        inspector = sa.inspect(conn)
        if store.engine.dialect.name == "sqlite":
            assert "vault_documents_fts" in inspector.get_table_names()
            triggers = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
            assert {"vault_documents_fts_ai", "vault_documents_fts_ad", "vault_documents_fts_au"} <= set(triggers)
        else:
            columns = {c["name"] for c in inspector.get_columns("vault_documents")}
            assert "search_vector" in columns
            indexes = {i["name"] for i in inspector.get_indexes("vault_documents")}
            assert "ix_vault_documents_search_vector" in indexes


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(store: Store):
    if store.engine.dialect.name != "sqlite":
        return
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_upgrade_from_the_first_revision_keeps_items_and_marks_them_owned(database_url: str):
    from alembic import command

    from connectors_pipeline.store.database import alembic_config, create_engine, writer

    engine = writer(create_engine(database_url))
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001_initial")
            account_id = conn.execute(
                sa.text(
                    "INSERT INTO connector_accounts (tenant_id, user_id, provider, external_account_id,"
                    " partition_key, display_name, status, metadata, created_at, updated_at) VALUES ('t', 'u',"
                    " 'google_drive', 'x', 'google_drive-x', 'X', 'connected', '{}', CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP) RETURNING id"
                )
            ).scalar_one()
            conn.execute(
                sa.text(
                    "INSERT INTO connector_items (account_id, external_id, name, paths, mime_type, trashed,"
                    " status, created_at, updated_at) VALUES (:a, 'f1', 'a.txt', '[]', 'text/plain', false,"
                    " 'pending', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"a": account_id},
            )
            command.upgrade(cfg, "head")
            owned = conn.execute(sa.text("SELECT owned_by_account FROM connector_items")).scalars().all()
        assert [bool(value) for value in owned] == [True]
    finally:
        engine.dispose()
