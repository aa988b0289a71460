"""Table definitions (SQLAlchemy Core) the store queries; the DDL itself lives in the Alembic migrations.

The migrations are the source of truth for what exists in a database. These objects mirror them so
queries are typed and portable; `connectors_pipeline_tests/store/test_migrations.py` proves the two
agree on both dialects. Dialect-only objects (the SQLite FTS5 table and its triggers, the PostgreSQL
`search_vector` column and its GIN index) are deliberately absent here and queried with SQL text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

ACCOUNT_STATUSES = ("connected", "error", "revoked", "disconnected")
ITEM_STATUSES = ("pending", "fetched", "synced", "skipped", "error", "deleted")

# Our own version table, so this schema can share a database with Dagster's storage (which uses
# Alembic's default `alembic_version`) without the two migration histories colliding.
VERSION_TABLE = "connectors_alembic_version"

# 64-bit ids on PostgreSQL; on SQLite only INTEGER PRIMARY KEY aliases the rowid (autoincrementing).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# JSONB on PostgreSQL so JSON values compare and index; SQL NULL (not JSON 'null') for Python None.
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC in and out on both dialects (SQLite stores naive text, so UTC is implied)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # Naive values are a bug waiting to happen; refuse them instead of guessing a zone.
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Created by the migration on one dialect only and queried with SQL text (see search.py).
DIALECT_ONLY_OBJECTS = frozenset({"search_vector", "ix_vault_documents_search_vector"})


def include_in_autogenerate(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic `include_object` hook: leave the dialect-only search objects out of comparisons."""
    if type_ == "table" and name is not None and (name.startswith("vault_documents_fts") or name == VERSION_TABLE):
        return False
    return name not in DIALECT_ONLY_OBJECTS


def utcnow() -> datetime:
    return datetime.now(UTC)


def _id_column() -> sa.Column[Any]:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


def _fk(target: str, ondelete: str, nullable: bool = False, name: str = "account_id") -> sa.Column[Any]:
    return sa.Column(name, ID, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


metadata = sa.MetaData()

connector_accounts = sa.Table(
    "connector_accounts",
    metadata,
    _id_column(),
    sa.Column("tenant_id", sa.String(200), nullable=False),
    sa.Column("user_id", sa.String(200), nullable=False),
    sa.Column("provider", sa.String(50), nullable=False),
    sa.Column("external_account_id", sa.String(500), nullable=False),
    sa.Column("partition_key", sa.String(100), nullable=False),
    sa.Column("email", sa.String(500)),
    sa.Column("display_name", sa.String(500), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("credentials_ciphertext", sa.Text),
    sa.Column("key_id", sa.String(16)),
    sa.Column("last_sync_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("sync_lease_holder", sa.String(100)),
    sa.Column("sync_lease_expires_at", UTCDateTime),
    sa.Column("metadata", JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("partition_key", name="uq_connector_accounts_partition_key"),
    sa.UniqueConstraint("tenant_id", "provider", "external_account_id", name="uq_connector_accounts_identity"),
    sa.CheckConstraint(
        "status IN ('connected', 'error', 'revoked', 'disconnected')", name="ck_connector_accounts_status"
    ),
)

connector_sources = sa.Table(
    "connector_sources",
    metadata,
    _id_column(),
    _fk("connector_accounts.id", "CASCADE"),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("external_id", sa.String(500), nullable=False),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("recursive", sa.Boolean, nullable=False),
    sa.Column("options", JSON, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("account_id", "kind", "external_id", name="uq_connector_sources_identity"),
)

vault_documents = sa.Table(
    "vault_documents",
    metadata,
    _id_column(),
    _fk("connector_accounts.id", "CASCADE"),
    sa.Column("provider", sa.String(50), nullable=False),
    sa.Column("external_id", sa.String(500), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("paths", JSON, nullable=False),
    sa.Column("mime_type", sa.String(255), nullable=False),
    sa.Column("content_mime", sa.String(255), nullable=False),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(128), nullable=False),
    sa.Column("blob_sha256", sa.String(64)),
    sa.Column("provider_version", sa.String(255)),
    sa.Column("modified_time", UTCDateTime),
    sa.Column("provenance", JSON, nullable=False),
    sa.Column("current_version", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("deleted_at", UTCDateTime),
    sa.Column("deleted_reason", sa.String(50)),
    sa.UniqueConstraint("account_id", "external_id", name="uq_vault_documents_identity"),
    # Reading an account's documents in id order, a page at a time (checks, search rebuilds).
    sa.Index("ix_vault_documents_account_id_id", "account_id", "id"),
)

vault_document_versions = sa.Table(
    "vault_document_versions",
    metadata,
    _id_column(),
    _fk("vault_documents.id", "CASCADE", name="document_id"),
    sa.Column("version_no", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(128), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("provider_version", sa.String(255)),
    sa.Column("provenance", JSON, nullable=False),
    sa.Column("blob_sha256", sa.String(64)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("document_id", "version_no", name="uq_vault_document_versions_number"),
)

connector_items = sa.Table(
    "connector_items",
    metadata,
    _id_column(),
    _fk("connector_accounts.id", "CASCADE"),
    sa.Column("external_id", sa.String(500), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("paths", JSON, nullable=False),
    sa.Column("mime_type", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger),
    sa.Column("modified_time", UTCDateTime),
    sa.Column("version", sa.String(255)),
    sa.Column("md5", sa.String(64)),
    sa.Column("trashed", sa.Boolean, nullable=False),
    sa.Column("web_url", sa.Text),
    sa.Column("owned_by_account", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("skip_reason", sa.String(50)),
    sa.Column("skip_detail", sa.Text),
    sa.Column("last_error", sa.Text),
    sa.Column("blob_sha256", sa.String(64)),
    sa.Column("content_mime", sa.String(255)),
    sa.Column("content_size", sa.BigInteger),
    sa.Column("provenance", JSON),
    sa.Column("fetched_version", sa.String(255)),
    sa.Column("synced_version", sa.String(255)),
    sa.Column("vault_document_id", ID, sa.ForeignKey("vault_documents.id", ondelete="SET NULL"), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("account_id", "external_id", name="uq_connector_items_identity"),
    sa.CheckConstraint(
        "status IN ('pending', 'fetched', 'synced', 'skipped', 'error', 'deleted')",
        name="ck_connector_items_status",
    ),
    sa.Index("ix_connector_items_account_status", "account_id", "status"),
    sa.Index("ix_connector_items_vault_document_id", "vault_document_id"),
)

connector_cursors = sa.Table(
    "connector_cursors",
    metadata,
    _id_column(),
    _fk("connector_accounts.id", "CASCADE"),
    _fk("connector_sources.id", "CASCADE", nullable=True, name="source_id"),
    sa.Column("value", sa.Text),  # NULL while only a staged cursor exists
    # Taken before a snapshot, promoted to `value` once that snapshot's items are in the vault.
    sa.Column("staged_value", sa.Text),
    # The run that staged `staged_value` (only it may commit it) and the run that committed `value`.
    sa.Column("staged_by", sa.String(100)),
    sa.Column("committed_by", sa.String(100)),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # NULL never equals NULL in a UNIQUE constraint (on either dialect), so the account-wide cursor
    # (source_id NULL) and per-source cursors get one partial unique index each.
    sa.Index(
        "uq_connector_cursors_account_source",
        "account_id",
        "source_id",
        unique=True,
        sqlite_where=sa.text("source_id IS NOT NULL"),
        postgresql_where=sa.text("source_id IS NOT NULL"),
    ),
    sa.Index(
        "uq_connector_cursors_account_default",
        "account_id",
        unique=True,
        sqlite_where=sa.text("source_id IS NULL"),
        postgresql_where=sa.text("source_id IS NULL"),
    ),
)

# One circuit breaker per account (and so per provider), shared by every run and process.
connector_breakers = sa.Table(
    "connector_breakers",
    metadata,
    sa.Column("account_id", ID, sa.ForeignKey("connector_accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),  # closed | open | half_open
    sa.Column("consecutive_failures", sa.Integer, nullable=False),
    sa.Column("opened_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

connector_jobs = sa.Table(
    "connector_jobs",
    metadata,
    _id_column(),
    _fk("connector_accounts.id", "SET NULL", nullable=True),
    sa.Column("dagster_run_id", sa.String(64)),
    sa.Column("job_type", sa.String(50), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("counts", JSON, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Index("ix_connector_jobs_account_id", "account_id"),
    sa.Index("ix_connector_jobs_dagster_run_id", "dagster_run_id"),
)

activity_log = sa.Table(
    "activity_log",
    metadata,
    _id_column(),
    sa.Column("tenant_id", sa.String(200)),
    sa.Column("user_id", sa.String(200)),
    _fk("connector_accounts.id", "SET NULL", nullable=True),
    sa.Column("event", sa.String(100), nullable=False),
    sa.Column("context", JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_activity_log_account_id", "account_id", "id"),
)
